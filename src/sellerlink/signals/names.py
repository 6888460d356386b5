"""The names signal: display names and usernames that survive a rename.

A banned seller comes back as "thr1ft_budi" after "Thrift Budi Official", or as
"Вudі Тhrift" with Cyrillic letters, or "✨budi.thrift✨", or "BUDI THRIFT JKT". All of
these normalise to the same name, ``"budi"``:

0. only the first :data:`MAX_NAME_CHARS` characters are read;
1. :func:`~sellerlink._text.skeleton` — NFKC (full-width, mathematical letters),
   look-alike letters to Latin, marks stripped (case kept for step 4);
2. :func:`~sellerlink._text.strip_emoji` — emoji and decorative symbols become spaces;
3. :func:`~sellerlink._text.fold_leet` — ``thr1ft`` -> ``thrift``; ``l`` and ``i`` merged;
4. split into letter runs and digit runs (``_ . -`` and spaces separate words); camelCase
   boundaries mark filler words only (``LarisThriftDPS`` -> ``laris thrift dps``, but
   ``SariBudi`` -> ``saribudi``, like the username ``saribudi``); casefolded;
5. glued filler split off: ``tokobudi`` -> ``toko budi``, ``budishop`` -> ``budi shop``,
   ``liagrosirgallery`` -> ``lia grosir gallery`` (see :func:`_split_glued`);
6. filler dropped: shop words (official, store, id...; toko, grosir, gudang...), product
   words (thrift, preloved, second, bekas...), Indonesian city names and abbreviations
   (jakarta, jkt, bdg, jogja...), numbers (``budi88``) and single letters. If nothing
   would be left, product words and kinds of shop are kept ("Thrift Store Jakarta" ->
   ``thrift``, "Grosir Gudang Manado" -> ``grosir gudang``); if still nothing, every
   non-number token; then every token. A name never normalises to "" unless it has no
   letter or digit at all.

Generic names reduce to generic tokens that many accounts share; the signal reports how
many (document frequency), and the scorer discounts them.

Example:
    >>> normalize_name("Thrift Budi Official"), normalize_name("thr1ft_budi88")
    ('budi', 'budi')
    >>> name_key("Sari Budi Jaya") == name_key("jaya.budi.sari")
    True
    >>> round(name_similarity("BUDI THRIFT JKT", "✨budi.thrift✨"), 2)
    1.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from .._arrays import gather_ranges, unique_sorted
from .._text import fold_leet, skeleton, strip_emoji
from ..records import Account
from .base import (
    Evidence,
    PairFeatures,
    RarityContext,
    pack,
    row_numbers,
    stable_hash64,
    unpack,
)

__all__ = [
    "CITY_WORDS",
    "DECOR_WORDS",
    "FILLER_WORDS",
    "MAX_NAME_CHARS",
    "PRODUCT_WORDS",
    "SHOP_TYPE_WORDS",
    "SHOP_WORDS",
    "NamesSignal",
    "NamesTable",
    "name_key",
    "name_similarity",
    "name_similarity_batch",
    "name_tokens",
    "normalize_name",
]


def _fold_words(words: str) -> frozenset[str]:
    # Filler lists are written plainly and passed through the same folding as names
    # (so "olshop" is stored as "oishop": fold_leet merges l and i).
    return frozenset(fold_leet(w) for w in words.split())


DECOR_WORDS: frozenset[str] = _fold_words(
    """
    olshop onlineshop online shop shopp shope store stor official officialstore ofc os
    id indo indonesia real original ori asli collection collections koleksi outlet
    supplier suplier supply reseller dropship dropshipper agen gallery house corner
    project co market the by and n x dan
    """
)
"""Decorative shop words ("Official", "Store", "ID"): always dropped from names."""

SHOP_TYPE_WORDS: frozenset[str] = _fold_words(
    """
    toko grosir grosiran distro butik boutique kios lapak warung kedai rumah gudang galeri
    mart pusat
    """
)
"""Kinds of shop ("Toko", "Grosir", "Gudang"): dropped unless the name has nothing else."""

SHOP_WORDS: frozenset[str] = DECOR_WORDS | SHOP_TYPE_WORDS
"""All shop words (folded spelling, see :func:`~sellerlink._text.fold_leet`)."""

PRODUCT_WORDS: frozenset[str] = _fold_words(
    """
    thrift thrifting thrifted second seken secondhand preloved
    prelove bekas impor import branded brand vintage used baju pakaian fashion apparel
    clothing clothes wear kaos outfit bal karungan ball murah termurah
    """
)
"""Product words: dropped unless the name has nothing else ("Thrift Store Jakarta")."""

CITY_WORDS: frozenset[str] = _fold_words(
    """
    jakarta jkt jakut jaksel jakbar jaktim jakpus jabodetabek bandung bdg surabaya sby
    medan mdn yogyakarta yogya jogja jogjakarta yk jog diy semarang smg bekasi bks
    tangerang tng tgr tangsel depok dpk bogor bgr malang mlg makassar mks bali denpasar
    dps solo surakarta palembang plg batam btm pekanbaru pku padang pdg balikpapan bpp
    pontianak ptk manado mdo banjarmasin bjm cirebon crb tasikmalaya tasik serang
    cikarang karawang sidoarjo sda lampung lpg aceh jambi jmb jbi samarinda smd slo jkb
    jks bpn tsm jatim jabar jateng sumut kota kab dki jawa barat timur selatan utara tengah
    """
)
"""Indonesian cities, regions and their usual abbreviations."""

FILLER_WORDS: frozenset[str] = SHOP_WORDS | PRODUCT_WORDS | CITY_WORDS

MAX_NAME_CHARS = 200
"""Only this many leading characters of a name are read: real shop names and handles are
far shorter, and the cap bounds the cost of every comparison of a hostile name."""

# Filler glued to a name without a separator ("tokobudi", "budishop88", "liagrosirgallery").
# Only long or unmistakable words are looked for inside a token, so "idaman", "realita"
# or "brandon" are not cut; three-letter city codes only at the end ("budijkt") or
# before another filler word.
_GLUE_INSIDE = frozenset(
    {w for w in FILLER_WORDS if len(w) >= 5} - _fold_words("brand impor import online house")
    | _fold_words("toko shop kios baju kaos solo bali jkt")
)
_GLUE_END = frozenset(w for w in CITY_WORDS if len(w) == 3)
_MIN_REST = 3  # every piece left between filler words must have at least this many letters
_MAX_SEGMENT = 40  # longer tokens are left alone (bounded work on hostile input)


def _by_length(words: frozenset[str]) -> tuple[tuple[int, frozenset[str]], ...]:
    """(length, words of that length), longest first."""
    lengths = sorted({len(w) for w in words}, reverse=True)
    return tuple((n, frozenset(w for w in words if len(w) == n)) for n in lengths)


_INSIDE_GROUPS = _by_length(_GLUE_INSIDE)
_INSIDE_HEADS = frozenset(w[:3] for w in _GLUE_INSIDE | _GLUE_END)  # cheap pre-filter


def _split_glued(token: str) -> list[str]:
    """Split filler words glued into a token: ``iiagrosirgaiiery`` -> ``iia grosir gaiiery``.

    Dynamic programming over positions: the segmentation that covers the most
    characters with filler words, such that every other piece has at least
    ``_MIN_REST`` letters (so ``shopee`` is not cut into ``shop ee``); ties go to fewer
    pieces. A token that is itself filler, short, or very long is returned as is.
    """
    n = len(token)
    if n < _MIN_REST + 4 or n > _MAX_SEGMENT or token in FILLER_WORDS:
        return [token]
    hits = [pos for pos in range(n - 2) if token[pos : pos + 3] in _INSIDE_HEADS]  # filler may start here
    if not hits:
        return [token]
    fill: dict[int, list[int]] = {}
    for pos in hits:
        for m, group in _INSIDE_GROUPS:
            if pos + m <= n and token[pos : pos + m] in group:
                fill.setdefault(pos, []).append(m)
    # a three-letter city code at the end, or right before another filler word
    # ("sinarbppthrift"), never elsewhere ("ambks" is not cut)
    for pos in reversed(hits):  # from the end, so a code may precede another code
        if pos >= _MIN_REST and token[pos : pos + 3] in _GLUE_END and (pos + 3 == n or pos + 3 in fill):
            fill.setdefault(pos, []).append(3)
    if not fill:
        return [token]

    # A segmentation is a list of piece lengths. solve(pos) is the best one for
    # token[pos:] given that a filler word starts at pos, scored (filler characters
    # covered, -number of pieces); None if no valid one exists.
    stops = sorted({*fill, n})
    Seg = tuple[int, int, tuple[int, ...]]
    memo: dict[int, Seg | None] = {}

    def follow(pos: int) -> Iterator[tuple[int, int]]:
        """(next filler start or the end, gap before it) reachable from pos."""
        for q in stops:
            if q == pos or q - pos >= _MIN_REST:
                yield q, q - pos

    def solve(pos: int) -> Seg | None:
        if pos == n:
            return (0, 0, ())
        if pos in memo:
            return memo[pos]
        out: Seg | None = None
        for m in fill[pos]:
            for q, gap in follow(pos + m):
                rest = solve(q)
                if rest is None:
                    continue
                pieces = (m, gap, *rest[2]) if gap else (m, *rest[2])
                cand = (rest[0] + m, -len(pieces), pieces)
                if out is None or cand[:2] > out[:2]:
                    out = cand
        memo[pos] = out
        return out

    best: Seg | None = None
    for q, gap in follow(0):
        rest = solve(q) if q < n else None
        if rest is None:
            continue
        pieces = (gap, *rest[2]) if gap else rest[2]
        cand = (rest[0], -len(pieces), pieces)
        if best is None or cand[:2] > best[:2]:
            best = cand
    if best is None:
        return [token]
    out, pos = [], 0
    for m in best[2]:
        out.append(token[pos : pos + m])
        pos += m
    return out


_WORD = re.compile(r"[^\W\d_]+|\d+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _raw_tokens(text: str) -> list[str]:
    """Words of the folded name, filler split off, before filler is dropped.

    CamelCase boundaries ("LarisThriftDPSHouse") are used only to find filler words;
    the name parts between them stay glued ("SariBudi" -> "saribudi"), so a display
    name meets its lower-case username ("saribudi").
    """
    folded = fold_leet(strip_emoji(skeleton(text, casefold=False)))
    out: list[str] = []
    for word in _WORD.findall(folded):
        if word.isdigit():
            out.append(word)
            continue
        parts = [word] if word.islower() or word.isupper() else _CAMEL.split(word)
        rest = ""
        for part in parts:
            part = part.casefold()
            if part in FILLER_WORDS:
                if rest:
                    out.extend(_split_glued(rest))
                    rest = ""
                out.append(part)
            else:
                rest += part
        if rest:
            out.extend(_split_glued(rest))
    return out


def _drop_filler(tokens: list[str]) -> list[str]:
    """Tokens without filler. If that leaves nothing: product words and kinds of shop;
    then every non-number token; then every token."""
    core = [t for t in tokens if t not in FILLER_WORDS and not t.isdigit() and len(t) > 1]
    if core:
        return core
    core = [t for t in tokens if t in PRODUCT_WORDS or t in SHOP_TYPE_WORDS]
    if core:
        return core
    core = [t for t in tokens if not t.isdigit()]
    return core if core else tokens


def name_tokens(text: str) -> list[str]:
    """The tokens of the normalised name, in their original order (repeats kept).

    >>> name_tokens("Toko ✨Sari_Ayu✨ 88 Bandung")
    ['sari', 'ayu']
    """
    if not isinstance(text, str):
        raise TypeError(f"name must be a str, got {type(text).__name__}")
    return _drop_filler(_raw_tokens(text[:MAX_NAME_CHARS]))


def normalize_name(text: str) -> str:
    """The folded, skeletonised, filler-free name: tokens joined by single spaces.

    >>> normalize_name("𝐓𝐨𝐤𝐨 Вudі Jaya ✨ Official JKT")
    'budi jaya'
    """
    return " ".join(name_tokens(text))


def _key_of(tokens: Iterable[str]) -> str:
    return "".join(sorted(tokens))


def name_key(text: str) -> str:
    """Order-insensitive key: the normalised tokens sorted and joined without spaces.

    >>> name_key("Thrift Budi Jaya") == name_key("JAYA_BUDI") == "budijaya"
    True
    """
    return _key_of(name_tokens(text))


# ---------------------------------------------------------------------------------------
# similarity


def _score(key_a: str, key_b: str, flat_a: str, flat_b: str) -> float:
    """max(ratio of sorted keys, ratio of ordered space-free forms) in 0..1; 0 if empty."""
    if not key_a or not key_b:
        return 0.0
    return max(fuzz.ratio(key_a, key_b), fuzz.ratio(flat_a, flat_b)) / 100.0


def name_similarity(a: str, b: str) -> float:
    """Similarity 0..1 of two raw names after :func:`normalize_name`.

    The larger of ``fuzz.ratio`` on the order-insensitive keys (word order does not
    matter) and on the space-free names in their own order (glued words:
    "budisari" ~ "Budi Sari" even when sorting would move the words). An empty name
    scores 0 against anything.

    >>> name_similarity("Thrift Budi", "Budi Thrift"), name_similarity("", "")
    (1.0, 0.0)
    """
    ta, tb = name_tokens(a), name_tokens(b)
    return _score(_key_of(ta), _key_of(tb), "".join(ta), "".join(tb))


def _cp_ratio(a: np.ndarray, b: np.ndarray, workers: int) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=np.float64)
    return process.cpdist(a.tolist(), b.tolist(), scorer=fuzz.ratio, dtype=np.float64, workers=workers)


def _score_ids(
    a: np.ndarray, b: np.ndarray, keys: np.ndarray, flats: np.ndarray, flat_is_key: np.ndarray, workers: int
) -> np.ndarray:
    """:func:`_score` for aligned id pairs into a vocabulary of normalised names (-1 = empty).

    Equal ids score 1 without computing; each distinct unordered id pair is scored once
    (``fuzz.ratio`` is symmetric); the ordered-form ratio is only computed where it can
    differ from the key ratio.
    """
    out = np.zeros(len(a), dtype=np.float64)
    valid = (a >= 0) & (b >= 0)
    out[valid & (a == b)] = 1.0
    todo = np.flatnonzero(valid & (a != b))
    if todo.size == 0:
        return out
    m = np.int64(len(keys))
    lo = np.minimum(a[todo], b[todo]).astype(np.int64)
    hi = np.maximum(a[todo], b[todo]).astype(np.int64)
    uniq, inv = np.unique(lo * m + hi, return_inverse=True)
    ul, uh = uniq // m, uniq % m
    s = _cp_ratio(keys[ul], keys[uh], workers)
    need = np.flatnonzero(~(flat_is_key[ul] & flat_is_key[uh]))
    if need.size:
        s[need] = np.maximum(s[need], _cp_ratio(flats[ul[need]], flats[uh[need]], workers))
    out[todo] = s[inv.ravel()] / 100.0
    return out


class _Vocab:
    """Distinct normalised names seen so far: ids, keys, space-free forms; cached per raw string."""

    def __init__(self, tokens: dict[str, list[str]] | None = None) -> None:
        self._tokens = tokens or {}  # raw -> name_tokens(raw), known already (index states)
        self._by_raw: dict[str, int] = {}
        self._by_norm: dict[str, int] = {}
        self.norms: list[str] = []
        self.keys: list[str] = []
        self.flats: list[str] = []

    def add(self, raw: str) -> int:
        """The id of ``raw``'s normalised name; -1 if it normalises to nothing."""
        nid = self._by_raw.get(raw)
        if nid is None:
            toks = self._tokens.get(raw)
            if toks is None:
                toks = name_tokens(raw)
            if not toks:
                nid = -1
            else:
                norm = " ".join(toks)
                nid = self._by_norm.get(norm)
                if nid is None:
                    nid = len(self.norms)
                    self._by_norm[norm] = nid
                    self.norms.append(norm)
                    self.keys.append(_key_of(toks))
                    self.flats.append("".join(toks))
            self._by_raw[raw] = nid
        return nid

    def add_many(self, names: Sequence[str] | np.ndarray) -> np.ndarray:
        return np.fromiter((self.add(x) for x in names), dtype=np.int64, count=len(names))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(norms, keys, flats) as object arrays, and flat == key as a bool array."""
        norms, keys, flats = (_obj_array(x) for x in (self.norms, self.keys, self.flats))
        return norms, keys, flats, np.array([k == f for k, f in zip(self.keys, self.flats)], dtype=bool)


def _obj_array(values: Sequence[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _check_workers(workers: int) -> int:
    if not isinstance(workers, int) or isinstance(workers, bool) or workers == 0 or workers < -1:
        raise ValueError(f"workers must be a positive int or -1 (all cores), got {workers!r}")
    return workers


def name_similarity_batch(a: Sequence[str], b: Sequence[str], workers: int = 1) -> np.ndarray:
    """:func:`name_similarity` over aligned pairs ``(a[k], b[k])``, as float64.

    Normalises each distinct string once, scores each distinct pair of normalised names
    once, with rapidfuzz ``process.cpdist`` (C++, ``workers`` threads; -1 = all cores).

    >>> name_similarity_batch(["Budi Thrift", "Budi"], ["thr1ft_budi", "Sari"]).round(2).tolist()
    [1.0, 0.25]
    """
    _check_workers(workers)
    if len(a) != len(b):
        raise ValueError(f"a and b must have the same length, got {len(a)} and {len(b)}")
    for side in (a, b):
        for s in side:
            if not isinstance(s, str):
                raise TypeError(f"names must be str, got {type(s).__name__}")
    vocab = _Vocab()
    ia, ib = vocab.add_many(a), vocab.add_many(b)
    _, keys, flats, flat_is_key = vocab.arrays()
    return _score_ids(ia, ib, keys, flats, flat_is_key, workers)


# ---------------------------------------------------------------------------------------
# the signal


@dataclass(frozen=True)
class NamesTable:
    """Columnar names fingerprint; row ``i`` is ``accounts[i]``.

    Attributes:
        account_id: object array of account ids.
        display_name, username: the raw names (object arrays of str, "" if missing).
        display_norm, username_norm: :func:`normalize_name` of each.
        display_key, username_key: :func:`name_key` of each (order-insensitive).
        display_flat, username_flat: the normalised tokens joined without spaces, in order.
        row_key_ids: int64 array (n, 4): the ids in ``key_vocab`` of the display name's
            key and space-free form, then the username's; -1 where empty or where the
            value repeats an earlier column of the row. Display names and usernames
            share one key space, so "Sari Ayu" (flat ``sariayu``) meets username
            ``sariayu`` though its order-insensitive key is ``ayusari``.
        display_key_id, username_key_id: id of the order-insensitive key (-1 if empty).
        key_vocab: object array of distinct keys; ``key_df[k]`` = number of rows holding
            key ``k`` in any of their four key columns (a row counts once).
        display_key_df, username_key_df: ``key_df`` of the order-insensitive key (0 if empty).
        token_vocab, token_df: distinct tokens and how many rows hold each one (in either
            name; a row counts once).
        token_ptr, token_ids: CSR lists: row ``i`` holds the sorted distinct token ids
            ``token_ids[token_ptr[i]:token_ptr[i + 1]]`` (display and username together).
        token_codes: ``row * len(token_vocab) + token_id`` for every (row, token), sorted:
            a pair's shared tokens are found by binary search.
        display_norm_id, username_norm_id: int64 index into ``norm_vocab``, the distinct
            normalised names of both fields (-1 if empty); ``norm_key``, ``norm_flat``
            and ``norm_flat_is_key`` describe each, so :meth:`NamesSignal.compare` scores
            each distinct pair of names once.
    """

    account_id: np.ndarray
    display_name: np.ndarray
    username: np.ndarray
    display_norm: np.ndarray
    username_norm: np.ndarray
    display_key: np.ndarray
    username_key: np.ndarray
    display_flat: np.ndarray
    username_flat: np.ndarray
    row_key_ids: np.ndarray
    display_key_id: np.ndarray
    username_key_id: np.ndarray
    key_vocab: np.ndarray
    key_df: np.ndarray
    display_key_df: np.ndarray
    username_key_df: np.ndarray
    token_vocab: np.ndarray
    token_df: np.ndarray
    token_ptr: np.ndarray
    token_ids: np.ndarray
    token_codes: np.ndarray
    display_norm_id: np.ndarray
    username_norm_id: np.ndarray
    norm_vocab: np.ndarray
    norm_key: np.ndarray
    norm_flat: np.ndarray
    norm_flat_is_key: np.ndarray
    n_total: int = -1

    def __len__(self) -> int:
        return len(self.account_id)

    @property
    def n_accounts(self) -> int:
        """The ``N`` of ``log(N / df)``: the batch size, or the collection's with a rarity context."""
        return self.n_total if self.n_total >= 0 else len(self.account_id)

    def row_tokens(self, i: int) -> list[str]:
        """The distinct tokens of row ``i`` (display name and username), sorted by id."""
        ids = self.token_ids[self.token_ptr[i] : self.token_ptr[i + 1]]
        return [str(self.token_vocab[t]) for t in ids]


_CHUNK = 1 << 18  # pairs compared at a time
_KINDS = {"display": "display_name", "username": "username"}


class NamesSignal:
    """Display names and usernames, normalised against renames (see the module docstring).

    Args:
        min_token_len: tokens at least this long become blocking keys.
        max_token_keys: at most this many tokens of an account become keys (the
            longest; ties alphabetical), so a long name cannot flood the index.
        max_gram_keys: at most this many character 4-grams of each account's names
            become blocking keys (the ones with the smallest hash: a bottom-k sample, so
            similar names tend to draw the same grams).
        workers: threads for rapidfuzz in :meth:`compare` (-1 = all cores).

    Features from :meth:`compare` (float64, aligned with the pairs):

    - ``name_sim``: best :func:`name_similarity` over {display, username} x {display,
      username} of the two accounts; 0 when either account has no name.
    - ``name_exact``: 1.0 if any cross combination of names has equal keys: the
      order-insensitive key (:func:`name_key`) or the space-free form in its own order
      (so "Sari Ayu" matches the username "sariayu"); else 0.0.
    - ``name_df``: for an exact match, the number of accounts holding the matched key
      (the rarest one if several keys match); otherwise the number of accounts holding
      the rarest shared token; 0 if no token is shared.
    - ``name_info``: natural-log information of what matched, ``max(token_info,
      key_info)``. ``token_info = sum(log(N / df_t))`` over the distinct tokens ``t``
      the two accounts share (either name of each side), ``N`` = rows in the table,
      ``df_t`` = rows holding ``t``. ``key_info = log(N / name_df)`` for an exact
      match, else 0. 0 when nothing is shared. Rare shared names count a lot, generic
      ones ("thrift" on every other account) almost nothing.

    Example:
        >>> from sellerlink.records import Account
        >>> accs = [Account("a", display_name="Thrift Budi Official", username="budi88"),
        ...         Account("b", display_name="Вudі Тhrift", username="thr1ft_budi"),
        ...         Account("c", display_name="Sari Preloved")]
        >>> sig = NamesSignal()
        >>> table = sig.fingerprint(accs)
        >>> f = sig.compare(table, np.array([0, 0]), np.array([1, 2]))
        >>> f["name_exact"].tolist(), f["name_sim"].round(2).tolist()
        ([1.0, 0.0], [1.0, 0.25])
    """

    name = "names"
    feature_names = ("name_sim", "name_exact", "name_df", "name_info")
    # name_df / name_info and the evidence read the counts of matched keys and shared
    # tokens only; name_sim no counts at all (signals.base)
    shared_counts_only = True
    # not extract_in_processes: a name's per-record work (~40 us) costs less than sending the
    # account to a worker process and its state back

    def __init__(
        self, *, min_token_len: int = 3, max_token_keys: int = 6, max_gram_keys: int = 8, workers: int = 1
    ) -> None:
        self.min_token_len = min_token_len
        self.max_token_keys = max_token_keys
        self.max_gram_keys = max_gram_keys
        self.workers = workers

    def _check_params(self) -> None:
        if not isinstance(self.min_token_len, int) or self.min_token_len < 1:
            raise ValueError(f"min_token_len must be a positive int, got {self.min_token_len!r}")
        if not isinstance(self.max_token_keys, int) or self.max_token_keys < 0:
            raise ValueError(f"max_token_keys must be an int >= 0, got {self.max_token_keys!r}")
        if not isinstance(self.max_gram_keys, int) or self.max_gram_keys < 0:
            raise ValueError(f"max_gram_keys must be an int >= 0, got {self.max_gram_keys!r}")
        _check_workers(self.workers)

    # -- fingerprint ----------------------------------------------------------------------
    def fingerprint(self, accounts: Sequence[Account], *, rarity: RarityContext | None = None) -> NamesTable:
        """Normalise every account's names and count how many accounts share each key/token.

        With ``rarity``, key and token counts and ``N`` come from the context (keys as in
        :meth:`rarity_keys`).
        """
        return self._fingerprint(accounts, rarity, None)

    def _fingerprint(
        self, accounts: Sequence[Account], rarity: RarityContext | None, tokens: dict[str, list[str]] | None,
        focus: np.ndarray | None = None,
    ) -> NamesTable:
        self._check_params()
        n = len(accounts)
        ids = np.empty(n, dtype=object)
        disp = np.empty(n, dtype=object)
        user = np.empty(n, dtype=object)
        for i, acc in enumerate(accounts):
            if not isinstance(acc, Account):
                raise TypeError(f"accounts[{i}] is {type(acc).__name__}, expected Account")
            ids[i] = acc.account_id
            disp[i] = acc.display_name or ""
            user[i] = acc.username or ""
        vocab = _Vocab(tokens)
        d_nid, u_nid = vocab.add_many(disp), vocab.add_many(user)
        norm_vocab, norm_key, norm_flat, norm_flat_is_key = vocab.arrays()
        empty = _obj_array([""])

        def per_row(values: np.ndarray, nid: np.ndarray) -> np.ndarray:
            out: np.ndarray = np.concatenate([values, empty])[nid]  # nid -1 picks the trailing ""
            return out

        d_norm, d_key, d_flat = (per_row(v, d_nid) for v in (norm_vocab, norm_key, norm_flat))
        u_norm, u_key, u_flat = (per_row(v, u_nid) for v in (norm_vocab, norm_key, norm_flat))

        # keys: one vocabulary for both fields and both forms (sorted key, ordered flat)
        key_index: dict[str, int] = {}
        row_keys = np.full((n, 4), -1, dtype=np.int64)
        for col, arr in enumerate((d_key, d_flat, u_key, u_flat)):
            out = row_keys[:, col]
            for i, k in enumerate(arr):
                if k:
                    out[i] = key_index.setdefault(k, len(key_index))
        d_kid, u_kid = row_keys[:, 0].copy(), row_keys[:, 2].copy()
        for col in range(1, 4):  # a row holding the same key twice counts once
            for prev in range(col):
                row_keys[row_keys[:, col] == row_keys[:, prev], col] = -1
        n_keys = len(key_index)
        key_vocab = _obj_array(list(key_index))
        key_df = np.bincount(row_keys[row_keys >= 0], minlength=n_keys).astype(np.int64)
        d_df = np.where(d_kid >= 0, key_df[np.maximum(d_kid, 0)] if n_keys else 0, 0)
        u_df = np.where(u_kid >= 0, key_df[np.maximum(u_kid, 0)] if n_keys else 0, 0)

        # tokens: per row the distinct union of both names' tokens, CSR
        tok_index: dict[str, int] = {}
        ptr = np.zeros(n + 1, dtype=np.int64)
        flat_ids: list[int] = []
        for i in range(n):
            row = {tok_index.setdefault(t, len(tok_index)) for t in (d_norm[i] + " " + u_norm[i]).split()}
            flat_ids.extend(sorted(row))
            ptr[i + 1] = len(flat_ids)
        token_ids = np.asarray(flat_ids, dtype=np.int64)
        token_vocab = np.empty(len(tok_index), dtype=object)
        for t, v in tok_index.items():
            token_vocab[v] = t
        token_df = np.bincount(token_ids, minlength=len(tok_index)).astype(np.int64)
        n_total = -1
        if rarity is not None:
            n_total = int(rarity.n_accounts)
            # with ``focus``, only the focus rows' keys and tokens are counted by the context
            # (see assemble); the others keep the batch's counts
            f_keys = f_toks = None
            if focus is not None:
                held = row_keys[focus]
                f_keys = unique_sorted(held[held >= 0])
                f_toks = unique_sorted(token_ids[gather_ranges(ptr, focus)[0]])
            if n_keys:
                key_df = _counted(rarity, self.name, "names:key", key_vocab, key_df, f_keys)
                d_df = np.where(d_kid >= 0, key_df[np.maximum(d_kid, 0)], 0)
                u_df = np.where(u_kid >= 0, key_df[np.maximum(u_kid, 0)], 0)
            if len(token_vocab):
                token_df = _counted(rarity, self.name, "names:tok", token_vocab, token_df, f_toks)

        return NamesTable(
            account_id=ids,
            display_name=disp,
            username=user,
            display_norm=d_norm,
            username_norm=u_norm,
            display_key=d_key,
            username_key=u_key,
            display_flat=d_flat,
            username_flat=u_flat,
            row_key_ids=row_keys,
            display_key_id=d_kid,
            username_key_id=u_kid,
            key_vocab=key_vocab,
            key_df=key_df,
            display_key_df=d_df.astype(np.int64),
            username_key_df=u_df.astype(np.int64),
            token_vocab=token_vocab,
            token_df=token_df,
            token_ptr=ptr,
            token_ids=token_ids,
            token_codes=np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr)) * len(tok_index) + token_ids,
            display_norm_id=d_nid,
            username_norm_id=u_nid,
            norm_vocab=norm_vocab,
            norm_key=norm_key,
            norm_flat=norm_flat,
            norm_flat_is_key=norm_flat_is_key,
            n_total=n_total,
        )

    # -- index hooks (see signals.base) -------------------------------------------------------
    def rarity_keys(self, table: NamesTable) -> tuple[np.ndarray, np.ndarray]:
        """(rows, keys): each row's distinct name keys and tokens as ``uint64``."""
        _check_table(table)
        kh = _hash_all("names:key", table.key_vocab)
        th = _hash_all("names:tok", table.token_vocab)
        rk = table.row_key_ids
        r1, c1 = np.nonzero(rk >= 0)
        r2 = np.repeat(np.arange(len(table), dtype=np.int64), np.diff(table.token_ptr))
        rows = np.concatenate([r1.astype(np.int64), r2])
        keys = np.concatenate([kh[rk[r1, c1]], th[table.token_ids]]).astype(np.uint64)
        return rows, keys

    def index_keys(self, table: NamesTable) -> tuple[np.ndarray, np.ndarray]:
        """The candidate keys (they do not depend on counts)."""
        return self.candidate_keys(table)

    def extract(self, accounts: Sequence[Account]) -> list[bytes]:
        """Per account, the two raw names and their normalised tokens (so that a query does
        not normalise its candidates again)."""
        out = []
        for i, acc in enumerate(accounts):
            if not isinstance(acc, Account):
                raise TypeError(f"accounts[{i}] is {type(acc).__name__}, expected Account")
            d, u = acc.display_name or "", acc.username or ""
            out.append(pack(None, [d, u, name_tokens(d), name_tokens(u)]))
        return out

    def assemble(
        self, account_ids: Sequence[str], states: Iterable[bytes], *, rarity: RarityContext | None = None,
        focus: Sequence[int] | np.ndarray | None = None,
    ) -> NamesTable:
        """The table :meth:`fingerprint` would build from the accounts :meth:`extract` saw.

        ``focus`` (optional, row numbers): only pairs with a focus row will be compared or
        explained. The context is then asked only about the keys and tokens the focus rows
        hold (the others keep the batch's own counts): a pair's features and evidence read
        only the counts of values both rows hold (``shared_counts_only``), so those of every
        pair with a focus row are exact. Keys (:meth:`candidate_keys`, :meth:`rarity_keys`)
        never depend on counts. An index query's candidates: ~33 rows, one of them in focus.
        """
        tokens: dict[str, list[str]] = {}
        accs = [Account(str(aid), display_name=d, username=u)
                for aid, (d, u) in zip(account_ids, _names_of(states, tokens), strict=True)]  # fmt: skip
        return self._fingerprint(accs, rarity, tokens, row_numbers(focus, len(accs), "focus"))

    # -- blocking -------------------------------------------------------------------------
    def candidate_keys(self, table: NamesTable) -> tuple[np.ndarray, np.ndarray]:
        """Blocking keys ``(rows, uint64 keys)``; at most ``4 + max_token_keys + max_gram_keys`` a row.

        - the order-insensitive key and the space-free form of the display name and of
          the username, in one key space (a display name can meet a username);
        - the ``max_token_keys`` longest distinct tokens of at least ``min_token_len``
          characters;
        - a bottom-k sample of the character 4-grams of both names' space-free forms
          (catches typos and glued words that share no whole token).
        """
        self._check_params()
        _check_table(table)
        cache: dict[tuple[str, str], int] = {}

        def h(salt: str, text: str) -> int:
            v = cache.get((salt, text))
            if v is None:
                v = stable_hash64(text, salt)
                cache[(salt, text)] = v
            return v

        rows: list[int] = []
        keys: list[int] = []
        k_gram = self.max_gram_keys
        for i in range(len(table)):
            row_keys: set[int] = set()
            for kid in table.row_key_ids[i]:
                if kid >= 0:
                    row_keys.add(h("names:key", table.key_vocab[kid]))
            toks = [t for t in table.row_tokens(i) if len(t) >= self.min_token_len]
            toks.sort(key=lambda t: (-len(t), t))
            for t in toks[: self.max_token_keys]:
                row_keys.add(h("names:tok", t))
            if k_gram:
                grams: set[int] = set()
                for flat in (table.display_flat[i], table.username_flat[i]):
                    if len(flat) >= 4:
                        grams.update(h("names:4g", flat[p : p + 4]) for p in range(len(flat) - 3))
                row_keys.update(sorted(grams)[:k_gram])
            rows.extend([i] * len(row_keys))
            keys.extend(row_keys)
        return np.asarray(rows, dtype=np.int64), np.asarray(keys, dtype=np.uint64)

    # -- comparison -----------------------------------------------------------------------
    def compare(self, table: NamesTable, left: np.ndarray, right: np.ndarray) -> PairFeatures:
        """Features for aligned candidate pairs ``(left[k], right[k])``; see the class docstring."""
        self._check_params()
        _check_table(table)
        left, right = _check_pairs(left, right, len(table))
        if len(left) <= _CHUNK:
            return PairFeatures(self._compare_chunk(table, left, right))
        # bounded memory: the work arrays are a few times the chunk, not the whole batch
        parts = [
            self._compare_chunk(table, left[k : k + _CHUNK], right[k : k + _CHUNK]) for k in range(0, len(left), _CHUNK)
        ]
        return PairFeatures({name: np.concatenate([part[name] for part in parts]) for name in self.feature_names})

    def _compare_chunk(self, table: NamesTable, left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
        p = len(left)
        # the four combinations display/username x display/username, stacked
        d_nid, u_nid = table.display_norm_id, table.username_norm_id
        a = np.concatenate([d_nid[left], d_nid[left], u_nid[left], u_nid[left]])
        b = np.concatenate([d_nid[right], u_nid[right], d_nid[right], u_nid[right]])
        scores = _score_ids(a, b, table.norm_key, table.norm_flat, table.norm_flat_is_key, self.workers)
        sim = scores.reshape(4, p).max(axis=0) if p else np.zeros(0, dtype=np.float64)

        # exact: any of the left row's keys (key or flat, display or username) equals
        # any of the right row's; 16 vector comparisons
        big = np.iinfo(np.int64).max
        exact_df = np.full(p, big, dtype=np.int64)
        lk = np.ascontiguousarray(table.row_key_ids[left].T)  # (4, p)
        rk = np.ascontiguousarray(table.row_key_ids[right].T)
        if len(table.key_df):
            ldf = np.where(lk >= 0, table.key_df[np.maximum(lk, 0)], big)  # big: no key here
            for lc in range(4):
                for rc in range(4):
                    np.minimum(exact_df, np.where(lk[lc] == rk[rc], ldf[lc], big), out=exact_df)
        exact = exact_df < big

        tok_info, tok_df = _shared_tokens(table, left, right)
        key_info = np.zeros(p, dtype=np.float64)
        key_info[exact] = np.log(table.n_accounts / exact_df[exact])
        info = np.maximum(tok_info, key_info)
        name_df = np.where(exact, exact_df, tok_df).astype(np.float64)
        return {
            "name_sim": sim,
            "name_exact": exact.astype(np.float64),
            "name_df": name_df,
            "name_info": info,
        }

    def compare_one(self, states: Sequence[bytes], one: bytes, *, rarity: RarityContext) -> PairFeatures:
        """Features of the pairs ``(one, states[j])``: exactly what :meth:`compare` gives for the
        pairs ``(n, j)`` of ``assemble(ids, [*states, one], rarity=rarity, focus=[n])``
        (``n = len(states)``), without the table. The names are normalised into one vocabulary
        as the table's (same ids, so the same similarities); the keys and tokens are set
        against ``one``'s only, the only ones a pair can share, and only those are counted.
        A token's information is summed in the order of the table's token ids (first seen
        in the batch), so that the sums round alike. An index query's first pass."""
        self._check_params()
        n = len(states)
        tokens: dict[str, list[str]] = {}
        names = list(_names_of([*states, one], tokens))
        disp = [d or "" for d, _ in names]
        user = [u or "" for _, u in names]
        if n == 0:
            return PairFeatures({name: np.empty(0, dtype=np.float64) for name in self.feature_names})
        vocab = _Vocab(tokens)
        d_nid, u_nid = vocab.add_many(disp), vocab.add_many(user)
        norm_vocab, norm_key, norm_flat, norm_flat_is_key = vocab.arrays()
        left, right = np.full(n, n, dtype=np.intp), np.arange(n, dtype=np.intp)
        a = np.concatenate([d_nid[left], d_nid[left], u_nid[left], u_nid[left]])
        b = np.concatenate([d_nid[right], u_nid[right], d_nid[right], u_nid[right]])
        sim = _score_ids(a, b, norm_key, norm_flat, norm_flat_is_key, self.workers).reshape(4, n).max(axis=0)

        def of(values: np.ndarray, nid: int) -> str:
            return str(values[nid]) if nid >= 0 else ""

        # exact: the rarest of the query's keys (key and flat form of either name) a row holds
        def keys_of(i: int) -> set[str]:
            d, u = int(d_nid[i]), int(u_nid[i])
            return {k for k in (of(norm_key, d), of(norm_flat, d), of(norm_key, u), of(norm_flat, u)) if k}

        mine = sorted(keys_of(n))
        big = np.iinfo(np.int64).max
        exact_df = np.full(n, big, dtype=np.int64)
        if mine:
            kdf = dict(zip(mine, rarity.df(self.name, _hash_all("names:key", _obj_array(mine))).tolist()))
            for j in range(n):
                common = keys_of(j).intersection(kdf)
                if common:
                    exact_df[j] = min(kdf[k] for k in common)
        exact = exact_df < big
        n_total = int(rarity.n_accounts)
        key_info = np.zeros(n, dtype=np.float64)
        key_info[exact] = np.log(n_total / exact_df[exact])

        # shared tokens: the query's, in the order of the ids the table gives them
        tok_index: dict[str, int] = {}
        row_tokens: list[set[str]] = []
        for i in range(n + 1):
            toks = (of(norm_vocab, int(d_nid[i])) + " " + of(norm_vocab, int(u_nid[i]))).split()
            for t in toks:
                tok_index.setdefault(t, len(tok_index))
            row_tokens.append(set(toks))
        q_toks = sorted(row_tokens[n], key=tok_index.__getitem__)
        tok_info = np.zeros(n, dtype=np.float64)
        tok_df = np.zeros(n, dtype=np.int64)
        if q_toks:
            qdf = rarity.df(self.name, _hash_all("names:tok", _obj_array(q_toks)))
            found = np.array([t in row_tokens[j] for j in range(n) for t in q_toks], dtype=bool)
            if found.any():
                pair = np.repeat(np.arange(n), len(q_toks))[found]
                df = np.tile(qdf, n)[found]
                tok_info = np.bincount(pair, weights=np.log(n_total / df), minlength=n)
                md = np.full(n, big, dtype=np.int64)
                np.minimum.at(md, pair, df)
                tok_df = np.where(md == big, 0, md).astype(np.int64)
        return PairFeatures(
            {
                "name_sim": sim,
                "name_exact": exact.astype(np.float64),
                "name_df": np.where(exact, exact_df, tok_df).astype(np.float64),
                "name_info": np.maximum(tok_info, key_info),
            }
        )

    # -- explanation ----------------------------------------------------------------------
    def explain(self, table: NamesTable, i: int, j: int) -> list[Evidence]:
        """For each name of account ``i``, its best match among account ``j``'s names.

        The best match is an exact one if any (the rarest matched key), else the most
        similar. An item is returned when the similarity is at least 0.5 or a token is
        shared. ``key`` is the matched key for an exact match, else ""; ``shared_by`` is
        that key's frequency (exact) or the rarest shared token's (0 if none).
        ``extra`` holds ``right_kind``, both order-insensitive keys and the shared tokens.
        """
        _check_table(table)
        n = len(table)
        for v in (i, j):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not 0 <= v < n:
                raise ValueError(f"row {v!r} out of range for a table of {n} rows")
        # token -> df for the tokens of row i (the only ones that can be shared)
        ids_i = table.token_ids[table.token_ptr[i] : table.token_ptr[i + 1]]
        tok_df = {str(table.token_vocab[t]): int(table.token_df[t]) for t in ids_i}
        big = np.iinfo(np.int64).max
        out: list[Evidence] = []
        for lf, lcols in (("display", (0, 1)), ("username", (2, 3))):
            lnorm = str(getattr(table, f"{lf}_norm")[i])
            if not lnorm:
                continue
            lkeys = {int(table.row_key_ids[i, c]) for c in lcols} | {int(getattr(table, f"{lf}_key_id")[i])}
            lkeys.discard(-1)
            best: tuple[tuple[bool, float], str, float, int] | None = None
            for rf, rcols in (("display", (0, 1)), ("username", (2, 3))):
                rnorm = str(getattr(table, f"{rf}_norm")[j])
                if not rnorm:
                    continue
                rkeys = {int(table.row_key_ids[j, c]) for c in rcols} | {int(getattr(table, f"{rf}_key_id")[j])}
                matched = lkeys & rkeys
                # rarest first, then by the key itself: not by its id, which follows the
                # order the batch's rows came in (evidence must not depend on the others)
                kid = min(matched, key=lambda k: (int(table.key_df[k]), str(table.key_vocab[k]))) if matched else -1
                sim = _score(
                    str(getattr(table, f"{lf}_key")[i]),
                    str(getattr(table, f"{rf}_key")[j]),
                    str(getattr(table, f"{lf}_flat")[i]),
                    str(getattr(table, f"{rf}_flat")[j]),
                )
                rank = (kid >= 0, sim)
                if best is None or rank > best[0]:
                    best = (rank, rf, sim, kid)
            if best is None:
                continue
            _, rf, sim, kid = best
            rnorm = str(getattr(table, f"{rf}_norm")[j])
            shared = sorted(set(lnorm.split()) & set(rnorm.split()))
            if sim < 0.5 and not shared and kid < 0:
                continue
            if kid >= 0:
                key, shared_by = str(table.key_vocab[kid]), int(table.key_df[kid])
            else:
                key = ""
                shared_by = min((tok_df.get(t, big) for t in shared), default=0)
            out.append(
                Evidence(
                    signal=self.name,
                    kind=_KINDS[lf],
                    left=str(table.display_name[i] if lf == "display" else table.username[i]),
                    right=str(table.display_name[j] if rf == "display" else table.username[j]),
                    key=key,
                    similarity=float(sim),
                    shared_by=shared_by,
                    extra={
                        "right_kind": _KINDS[rf],
                        "left_key": str(getattr(table, f"{lf}_key")[i]),
                        "right_key": str(getattr(table, f"{rf}_key")[j]),
                        "shared_tokens": shared,
                    },
                )
            )
        return out


def _names_of(states: Iterable[bytes], tokens: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    """Each state's (display name, username); the tokens it stored (states since the index
    kept them; older ones have names only) go into ``tokens`` (raw name -> its tokens).
    ``ValueError`` for a corrupt state."""
    for st in states:
        _, meta = unpack(st)
        if not (isinstance(meta, list) and len(meta) in (2, 4) and all(isinstance(x, str) for x in meta[:2])):
            raise ValueError("corrupt names state")
        if len(meta) == 4:
            for raw, toks in zip(meta[:2], meta[2:]):
                if not (isinstance(toks, list) and all(isinstance(t, str) for t in toks)):
                    raise ValueError("corrupt names state")
                tokens[raw] = toks
        yield meta[0], meta[1]


def _hash_all(salt: str, values: np.ndarray) -> np.ndarray:
    return np.fromiter((stable_hash64(str(v), salt) for v in values), dtype=np.uint64, count=len(values))


def _counted(rarity: RarityContext, signal: str, salt: str, vocab: np.ndarray, batch_df: np.ndarray,
             only: np.ndarray | None) -> np.ndarray:  # fmt: skip
    """The context's counts of ``vocab`` (of the entries ``only``, when given: the others keep
    ``batch_df``)."""
    if only is None:
        return rarity.df(signal, _hash_all(salt, vocab))
    out = batch_df.astype(np.int64, copy=True)
    if len(only):
        out[only] = rarity.df(signal, _hash_all(salt, vocab[only]))
    return out


def _check_table(table: object) -> None:
    if not isinstance(table, NamesTable):
        raise TypeError(f"expected a NamesTable from NamesSignal.fingerprint, got {type(table).__name__}")


def _check_pairs(left: np.ndarray, right: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    left = np.asarray(left)
    right = np.asarray(right)
    if left.ndim != 1 or right.ndim != 1 or left.shape != right.shape:
        raise ValueError(f"left and right must be 1-D arrays of equal length, got {left.shape} and {right.shape}")
    for arr in (left, right):
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"row numbers must be integers, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise ValueError(f"row numbers must be in [0, {n}), got [{arr.min()}, {arr.max()}]")
    return left.astype(np.intp, copy=False), right.astype(np.intp, copy=False)


def _shared_tokens(table: NamesTable, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: sum of log(N/df) over shared tokens, and the df of the rarest one (0: none).

    Vectorised: every (pair, token of the left row) is looked up as the code
    ``right_row * V + token`` in the sorted array of all ``row * V + token`` codes.
    """
    p = len(left)
    n = table.n_accounts
    info: np.ndarray = np.zeros(p, dtype=np.float64)
    min_df: np.ndarray = np.zeros(p, dtype=np.int64)
    v = len(table.token_vocab)
    if p == 0 or v == 0:
        return info, min_df
    ptr, ids = table.token_ptr, table.token_ids
    counts = ptr[left + 1] - ptr[left]
    total = int(counts.sum())
    if total == 0:
        return info, min_df
    pair = np.repeat(np.arange(p), counts)
    starts = np.repeat(ptr[left] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    tok = ids[starts + np.arange(total)]
    codes = table.token_codes  # sorted: rows ascending, token ids sorted within a row
    query = right[pair].astype(np.int64) * v + tok
    pos = np.minimum(np.searchsorted(codes, query), len(codes) - 1)
    found = codes[pos] == query
    if not found.any():
        return info, min_df
    fp, ft = pair[found], tok[found]
    df = table.token_df[ft]
    info = np.bincount(fp, weights=np.log(n / df), minlength=p)
    big = np.iinfo(np.int64).max
    md = np.full(p, big, dtype=np.int64)
    np.minimum.at(md, fp, df)
    return info, np.where(md == big, 0, md).astype(np.int64)
