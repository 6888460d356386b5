"""The phrasing signal: a seller's own sentences and writing habits.

A comeback seller swaps product words ("bekas impor" -> "preloved", "bal" -> "karungan")
and reorders sentences, but keeps the habits: greetings ("halo kak"), sign-offs ("happy
shopping 🙏"), fixed phrases ("no reseller no tipu"), emoji, punctuation ("!!!"), casing
and abbreviations ("yg", "dgn"). Meanwhile many innocent sellers share boilerplate
("Barang ready, langsung order saja"), so every shared piece of text is weighted by how
rare it is in the batch.

Pipeline, per account (``Account.texts``: bio, titles, descriptions):

1. The text is cleaned like :func:`sellerlink._text.clean_text` and split into sentences
   (lines, after ``.!?…``, at `` | `` and ``•`` separators).
2. :func:`normalize_text` maps product words, brands, colours, origins and conditions to
   one class character (shown as ``<prod>``) and numbers, prices, sizes and units to
   another (``<num>``), and merges runs of them, so "Kemeja Flanel Uniqlo bekas impor"
   and "pakaian preloved" normalise alike. Function words, slang, abbreviations, emoji
   and punctuation are kept: they are the habits.
3. Fingerprint (one row per account, see :class:`PhrasingTable`):

   * shingles: hashed word 3-shingles (punctuation and emoji runs count as words) of
     each normalised sentence, padded with sentence-boundary tokens and never crossing
     a sentence boundary, so reordering sentences or listings changes nothing; capped
     at ``max_shingles`` per account by keeping the smallest hashes (a consistent
     bottom-k sample). ``shingle="char"`` gives character 5-shingles instead;
   * a MinHash sketch of the shingles (:func:`minhash_batch`, :class:`MinHash`);
   * a style vector (:data:`STYLE_FEATURES`), standardised over the batch;
   * sentence hashes, each kept with the sentence as written, for "this exact sentence
     survived" evidence;
   * habit labels ("opens with 'halo kak'", "uses '!!!'") for :meth:`PhrasingSignal.explain`.

4. Candidate keys: LSH band keys of the MinHash (32 bands x 4 rows), plus the rarest
   sentences and the rarest shingles of each account (held by 2..``key_df`` accounts per
   50,000 in the collection, at least ``key_df``: see :func:`effective_key_df`).
5. Compare: rarity-weighted Jaccard of the shingle sets, MinHash Jaccard, rare shared
   sentences, style cosine, and the rarity mass of what is shared.

Design notes, measured on the project's synthetic market (``sellerlink.synth``, 11,713
accounts incl. watchlist, 1,500 comebacks that reword, swap product words and reorder;
52,532 pairs of different sellers sharing a boilerplate block):

* Weight ``w = max(0, log(common_df / df))`` rather than ``log(N / df)``: it is
  ``log(N/df)`` shifted so that a shingle held by ``common_df`` (50) accounts or more
  weighs exactly 0. With plain ``log(N/df)`` a boilerplate block shared by 20-80 of
  3,500 accounts still kept half the weight of a unique phrase, and ``text_sim``
  separated comebacks from boilerplate pairs with AUC 0.87 (char) / 0.97 (word); with
  the shift, 0.999 / 1.000. The weight is absolute, so a batch of 3 accounts works too.
* Word 3-shingles over character 5-shingles: character shingles of common words are
  shared by everyone, so plain Jaccard of boilerplate pairs (0.28) sits close to
  comebacks (0.38) and LSH cannot tell them apart; word shingles: 0.15 vs 0.31.
* Plain banded LSH finds only a third of reworded comebacks (their plain Jaccard is
  ~0.3); the rare-sentence and rare-shingle keys lift candidate recall to 0.977 at
  ~17 candidates per account; 2.7% of the boilerplate pairs become candidates (almost
  all through the bands) and ``text_sim`` then scores them 0. On copies that only swap
  product words and reorder sentences, the bands alone find 99%.
* The rare-key cut-off scales with the collection (:func:`effective_key_df`). A seller's
  kept phrases are drawn from a shared idiom, so how many accounts hold one grows with the
  market: on a 117k-account market (``benchmarks/scale_diagnose.py``) the 10th percentile
  of the df of the shingles a no-contact comeback shares with its violator was 76, against
  10 at 11.7k, and a fixed ``key_df`` of 10 proposed 68% of those true pairs instead of
  97% (phrasing and names keys together: 81% instead of 99%). The cut-off is now
  ``key_df`` per 50,000 accounts (23 at 117k): no-contact comeback recall@1 at 100k 0.72 ->
  0.79 and overall 0.882 -> 0.913, trace CPU 300 -> 355 s, peak memory unchanged (3.0 GB).
  Per 10,000 accounts (117 at 117k) gave 0.81 / 0.920 but cost 562 CPU s and 4.3 GB (~138
  phrasing candidate pairs per account instead of ~11). Below 52,500 accounts nothing
  changes. The pipeline's ``max_block`` still drops any key held by too many accounts, so
  the pairs per account stop growing once the cut-off reaches it (at 500,000 accounts).
Example:
    >>> from sellerlink.records import Account, Listing
    >>> a = Account("a", bio="Halo kak!! Baju bekas impor, no reseller no tipu 🙏")
    >>> b = Account("b", bio="Halo kak!! Pakaian preloved, no reseller no tipu 🙏")
    >>> sig = PhrasingSignal()
    >>> table = sig.fingerprint([a, b])
    >>> feats = sig.compare(table, np.array([0]), np.array([1]))
    >>> round(float(feats["text_sim"][0]), 6), int(feats["sentence_shared"][0])
    (1.0, 1)
"""

from __future__ import annotations

import collections
import functools
import itertools
import logging
import math
import re
import struct
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._arrays import gather_ranges, unique_sorted
from .._memory import TRIM_MIN, release_freed_heap
from .._text import INVISIBLE, clean_text
from ..records import Account
from .base import (
    Evidence,
    PairFeatures,
    RarityContext,
    pack,
    row_numbers,
    stable_hash64,
    stable_hash64_many,
    unpack,
)

__all__ = [
    "NUM",
    "PROD",
    "STYLE_FEATURES",
    "MinHash",
    "PhrasingSignal",
    "PhrasingTable",
    "char_shingles",
    "effective_key_df",
    "minhash_batch",
    "minhash_params",
    "normalize_text",
    "split_sentences",
    "style_features",
    "word_shingles",
]

logger = logging.getLogger(__name__)

PROD = "\ue000"
"""Class character that stands for a product word, brand, colour or condition (``<prod>``)."""
NUM = "\ue001"
"""Class character that stands for a number, price, size or unit (``<num>``)."""

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
_MAX64 = np.uint64(_MASK64)

# ---------------------------------------------------------------------------------------
# lexicon

# Product nouns, condition / origin words, trade slang, colours, materials. Every entry is
# matched as a whole word (optionally with the Indonesian plural "2", e.g. "baju2").
_PRODUCT_WORDS = """
baju pakaian busana kaos kaus tshirt t-shirt tee kemeja hem blus blouse atasan bawahan
celana jeans jins denim chino cargo jogger kulot legging rok skirt dress gaun gamis tunik
jaket jacket hoodie hodie sweater sweatshirt crewneck cardigan kardigan outer outerwear
coat mantel blazer jas rompi vest parka windbreaker flanel flannel polo jersey singlet
tanktop kutang daster piyama sarung jilbab hijab kerudung syal scarf
sepatu shoes sneakers sneaker sandal sendal boots boot heels flatshoes slop
tas bag ransel backpack dompet wallet topi cap hat beanie kacamata ikat pinggang belt
jam tangan aksesoris kaos kaki
bekas second seken sekon secon preloved prelove pre-loved thrift thrifting thrifted
vintage bundle bundlingan bundling awul awul-awul cakar monza rombengan babebo obral
impor import imported branded brand ori original authentic asli kw replika premium ex ln
bal bal-balan karung karungan ball bale grosir ecer eceran borongan sortiran sortir unsortir
korea korean jepang japan usa eropa europe amerika america singapore singapura hongkong
taiwan australia china cina thailand bangkok
parasut bomber varsity coach oversize oversized plisket midi span crewneck knitwear trench
sablon bordir slimfit baggy
hitam putih merah biru hijau kuning abu abu-abu coklat cokelat krem cream navy maroon
pink ungu orange oranye tosca army olive mustard beige
katun cotton polyester wol wool kulit leather corduroy rajut knit fleece
nike adidas puma uniqlo zara h&m hnm levis levi's lee wrangler gap supreme gucci
vans converse reebok fila champion carhartt dickies stussy tommy hilfiger ralph lauren
polo ralph columbia patagonia northface uniqlo gu muji giordano guess kappa bershka
mango evisu quiksilver billabong pull&bear
""".split()  # noqa: SIM905 - a word list reads best as text

# Multi-word product phrases (matched before single words).
_PRODUCT_PHRASES = (
    "layak pakai",
    "luar negeri",
    "dari luar",
    "paket grosir",
    "cotton on",
    "slim fit",
    "the north face",
    "north face",
    "ralph lauren",
    "tommy hilfiger",
    "kaos kaki",
    "jam tangan",
    "ikat pinggang",
)

# Sizes and units: mapped to NUM like the numbers next to them.
_SIZE_WORDS = """
xs s m l xl xxl xxxl 2xl 3xl 4xl 5xl allsize all-size ld pj lp lb lingkar dada panjang
lebar cm mm kg gr gram rb ribu k jt juta pcs pc lusin kodi rp idr
""".split()  # noqa: SIM905


_PROD_WORDS = frozenset(_PRODUCT_WORDS)
_SIZE_SET = frozenset(_SIZE_WORDS)
_PHRASE_RE = re.compile(
    r"(?<![\w])(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(_PRODUCT_PHRASES, key=len, reverse=True)) + r")(?![\w])"
)
_LEX_WORD = re.compile(r"[^\W_]+(?:[-'&][^\W_]+)*")


def _lex_word(m: re.Match[str]) -> str:
    w = m.group(0)
    if w in _PROD_WORDS:
        return PROD
    if w in _SIZE_SET:
        return NUM
    if w[-1] == "2" and w[:-1] in _PROD_WORDS:  # Indonesian plural "baju2"
        return PROD
    if "-" in w and all(x in _PROD_WORDS for x in w.split("-")):  # "baju-baju", "pre-loved"
        return PROD
    return w


_NUM_RE = re.compile(r"(?<![^\W\d_])(?:rp\.?\s*)?\d+(?:[.,]\d+)*(?:\s*(?:rb|ribu|k|jt|juta|cm|mm|kg|gr|pcs|pc))?(?![^\W\d_])")
_PROD_RUN = re.compile(PROD + r"(?:[\s/&+,-]*" + PROD + ")+")
_NUM_RUN = re.compile(NUM + r"(?:[\s/x:.,-]*" + NUM + ")+")
_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n|[\r\u2028\u2029]")
_INLINE_SPACE = re.compile(r"[^\S\n]+")
# sentence boundaries: line breaks, white space after . ! ? …, and " | " / " • " separators;
# leading and trailing spaces of a sentence go with the boundary
_SENT_SPLIT_ALL = re.compile(r" ?\n[\s]*|^ | $|(?<=[.!?\u2026]) (?=\S)| ?[|\u2022\u00b7]+ (?=\S)| [|\u2022\u00b7]+ ?$")
_WORD_SHINGLE_TOKEN = re.compile(r"[^\W_]+|[\ue000\ue001]|[^\w\s\ue000\ue001]+")
_EMOJI_CLASS = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff\u3030\u303d\u3297\u3299"
_EMOJI = re.compile(f"[{_EMOJI_CLASS}]")


def normalize_text(text: str) -> str:
    """Clean ``text`` and replace product words with :data:`PROD`, numbers and sizes with :data:`NUM`.

    Runs of product classes ("kemeja flanel uniqlo bekas impor") become one class
    character, so swapping "bekas impor" for "preloved" leaves the text unchanged.

    >>> normalize_text("Kemeja Flanel Uniqlo bekas impor, size XL cuma 50rb!!") == (
    ...     PROD + ", size " + NUM + " cuma " + NUM + "!!")
    True
    """
    return _normalize_folded(clean_text(text))


def _normalize_folded(s: str) -> str:
    if not s:
        return ""
    s = _PHRASE_RE.sub(PROD, s)
    s = _LEX_WORD.sub(_lex_word, s)
    s = _NUM_RE.sub(NUM, s)
    s = _PROD_RUN.sub(PROD, s)
    s = _NUM_RUN.sub(NUM, s)
    return s


def split_sentences(text: str) -> list[str]:
    """Split free text into sentences as written (lines, then after ``.!?…`` and at `` | ``).

    Invisible characters are removed and white space collapsed; case and emoji are kept.

    >>> split_sentences("Halo kak!! Barang ready.\\nCek stok dulu ya")
    ['Halo kak!!', 'Barang ready.', 'Cek stok dulu ya']
    """
    if not text:
        return []
    # clean_text(casefold=False, marks=False) for the whole text at once, keeping line breaks
    text = unicodedata.normalize("NFKC", _SURROGATE.sub("", text))
    text = _LINE_BREAK.sub("\n", INVISIBLE.sub("", text))
    text = _INLINE_SPACE.sub(" ", text)
    return [p for p in _SENT_SPLIT_ALL.split(text) if p]


def _sentence_key(tokens: Sequence[str]) -> str | None:
    """The key of a tokenised normalised sentence for exact-sentence evidence, or None if too short.

    Leading and trailing punctuation / emoji tokens are dropped ("ready ya!!" and "ready ya"
    are one sentence); a sentence needs 3+ words of which 2+ are not class tokens.
    """
    lo, hi = 0, len(tokens)
    while lo < hi and not _is_word_token(tokens[lo]):
        lo += 1
    while hi > lo and not _is_word_token(tokens[hi - 1]):
        hi -= 1
    core = tokens[lo:hi]
    words = [t for t in core if _is_word_token(t)]
    if len(words) < 3 or sum(1 for t in words if t not in (PROD, NUM)) < 2:
        return None
    return " ".join(core)


def _is_word_token(tok: str) -> bool:
    return tok[0].isalnum() or tok in (PROD, NUM)


# the word tokens of ``_WORD_SHINGLE_TOKEN`` (its first two alternatives): punctuation runs
# never hold word or class characters, so these are found at the same places
_WORD_TOKEN = re.compile(r"[^\W_]+|[\ue000\ue001]")


def _sentence_key_fast(tokens: list[str], norm: str) -> str | None:
    """:func:`_sentence_key` of ``tokens = _WORD_SHINGLE_TOKEN.findall(norm)``, faster.

    The word counts come from one regex pass over ``norm``; the short loops over the
    leading and trailing punctuation tokens run only for sentences that are kept.
    """
    words = _WORD_TOKEN.findall(norm)
    n_words = len(words)
    if n_words < 3 or n_words - words.count(PROD) - words.count(NUM) < 2:
        return None
    if len(tokens) == n_words:  # no punctuation tokens
        return " ".join(tokens)
    lo, hi = 0, len(tokens)
    while not _is_word_token(tokens[lo]):
        lo += 1
    while not _is_word_token(tokens[hi - 1]):
        hi -= 1
    return " ".join(tokens[lo:hi])


def display_normalized(norm: str) -> str:
    """A normalised string with the class characters shown as ``<prod>`` / ``<num>``."""
    return norm.replace(PROD, "<prod>").replace(NUM, "<num>")


# ---------------------------------------------------------------------------------------
# hashing

_C1 = _U64(0xBF58476D1CE4E5B9)
_C2 = _U64(0x94D049BB133111EB)
_POLY = _U64(0x100000001B3)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, element-wise on a ``uint64`` array (returns a new array)."""
    x = x ^ (x >> _U64(30))
    x *= _C1
    x ^= x >> _U64(27)
    x *= _C2
    x ^= x >> _U64(31)
    return x


def _splitmix64_py(state: int) -> tuple[int, int]:
    state = (state + 0x9E3779B97F4A7C15) & _MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return state, z ^ (z >> 31)


_CHAR_SALT = _U64(0x6368617273680005)  # "charsh" + k, fixed: pins the shingle hashes
_BOS = "\x02"
_EOS = "\x03"


def char_shingles(sentences: Sequence[str], k: int = 5) -> np.ndarray:
    """Sorted unique ``uint64`` hashes of the character ``k``-shingles of each sentence.

    Each sentence is padded with boundary markers and shingles never cross sentences,
    so the result does not depend on sentence order.

    >>> a = char_shingles(["halo kak", "ready ya"]); b = char_shingles(["ready ya", "halo kak"])
    >>> bool((a == b).all()), a.dtype.name
    (True, 'uint64')
    """
    if k < 1:
        raise ValueError(f"shingle size k must be >= 1, got {k}")
    parts: list[str] = []
    lengths: list[int] = []
    for s in sentences:
        if not s:
            continue
        p = _BOS + s + _EOS
        if len(p) < k:
            p += _EOS * (k - len(p))
        parts.append(p)
        lengths.append(len(p))
    if not parts:
        return np.empty(0, dtype=np.uint64)
    cps = np.frombuffer("".join(parts).encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    m = len(cps) - k + 1
    h = np.zeros(m, dtype=np.uint64)
    for j in range(k):
        h *= _POLY
        h += cps[j : j + m]
    sid = np.repeat(np.arange(len(lengths)), lengths)
    keep = sid[:m] == sid[k - 1 : k - 1 + m]
    return unique_sorted(_mix64(h[keep] ^ _CHAR_SALT))


class _TokenHashCache(dict):  # type: ignore[type-arg]
    """token -> ``stable_hash64(token, "phrasing.token")``; a hit is a C-level dict lookup."""

    def __missing__(self, tok: str) -> int:
        h = stable_hash64(tok, "phrasing.token")
        if len(self) < 200_000:
            self[tok] = h
        return h


_TOKEN_HASH_CACHE = _TokenHashCache()


def _token_hash(tok: str) -> int:
    return _TOKEN_HASH_CACHE[tok]


def word_shingles(sentences: Sequence[str], k: int = 3) -> np.ndarray:
    """Sorted unique ``uint64`` hashes of word ``k``-shingles (punctuation runs count as words).

    Each sentence is padded with boundary tokens; shingles never cross sentences.

    >>> len(word_shingles(["halo kak ready ya"], k=3))  # <s> halo kak / halo kak ready / ... / ya </s>
    4
    """
    return _word_shingles_from_tokens([_WORD_SHINGLE_TOKEN.findall(s) for s in sentences], k)


def _word_shingles_from_tokens(token_lists: Sequence[Sequence[str]], k: int) -> np.ndarray:
    if k < 1:
        raise ValueError(f"shingle size k must be >= 1, got {k}")
    flat: list[str] = []
    lengths: list[int] = []
    for toks in token_lists:
        n = len(toks) + 2
        flat.append(_BOS)
        flat.extend(toks)
        flat.append(_EOS)
        if n < k:
            flat.extend([_EOS] * (k - n))
            n = k
        lengths.append(n)
    if not lengths:
        return np.empty(0, dtype=np.uint64)
    th = np.fromiter(map(_TOKEN_HASH_CACHE.__getitem__, flat), dtype=np.uint64, count=len(flat))
    m = len(th) - k + 1
    h = np.zeros(m, dtype=np.uint64)
    for j in range(k):
        h = _mix64(h ^ th[j : j + m])
    sid = np.repeat(np.arange(len(lengths)), lengths)
    return unique_sorted(h[sid[:m] == sid[k - 1 : k - 1 + m]])


# ---------------------------------------------------------------------------------------
# MinHash


def minhash_params(num_perm: int = 128, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` coefficients of the ``num_perm`` hash functions ``h(x) = a*x + b mod 2**64``.

    Derived from ``seed`` with splitmix64 in pure Python (stable across numpy versions);
    ``a`` is odd. Inputs are already well-mixed 64-bit shingle hashes, so this
    multiply-add family orders them like independent random permutations.
    """
    _check_perm_seed(num_perm, seed)
    a, b = _minhash_params(int(num_perm), int(seed))
    return a.copy(), b.copy()


@functools.lru_cache(maxsize=8)
def _minhash_params(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # remembered (read-only): an index query sketches one account, and deriving the
    # coefficients cost as much as sketching it
    state = seed
    a = np.empty(num_perm, dtype=np.uint64)
    b = np.empty(num_perm, dtype=np.uint64)
    for i in range(num_perm):
        state, x = _splitmix64_py(state)
        state, y = _splitmix64_py(state)
        a[i] = x | 1
        b[i] = y
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def _check_perm_seed(num_perm: int, seed: int) -> None:
    if not isinstance(num_perm, (int, np.integer)) or isinstance(num_perm, bool) or num_perm < 1:
        raise ValueError(f"num_perm must be a positive integer, got {num_perm!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed <= _MASK64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")


def minhash_batch(
    shingle_arrays: Sequence[np.ndarray], num_perm: int = 128, seed: int = 1, *, chunk: int = 1 << 14
) -> np.ndarray:
    """MinHash sketches of many shingle sets at once: ``(n, num_perm)`` ``uint64``.

    Row ``i`` column ``p`` is ``min(a[p] * x + b[p] mod 2**64 for x in shingle_arrays[i])``
    (see :func:`minhash_params`); an empty set gives ``2**64 - 1`` everywhere.
    Vectorised over accounts and permutations in chunks of about ``chunk`` shingles.

    >>> mh = minhash_batch([np.array([1, 2, 3], dtype=np.uint64), np.array([], dtype=np.uint64)], num_perm=4)
    >>> mh.shape, bool((mh[1] == np.iinfo(np.uint64).max).all())
    ((2, 4), True)
    """
    a, b = minhash_params(num_perm, seed)
    n = len(shingle_arrays)
    out = np.full((n, num_perm), _MAX64, dtype=np.uint64)
    arrays = [np.asarray(x, dtype=np.uint64).ravel() for x in shingle_arrays]
    lens = np.fromiter((len(x) for x in arrays), dtype=np.int64, count=n)
    i = 0
    while i < n:
        if lens[i] == 0:
            i += 1
            continue
        if lens[i] >= chunk:  # one big set: running minimum over slices
            x = arrays[i]
            acc = np.full(num_perm, _MAX64, dtype=np.uint64)
            for s in range(0, len(x), chunk):
                h = np.multiply.outer(x[s : s + chunk], a)
                h += b
                np.minimum(acc, h.min(axis=0), out=acc)
            out[i] = acc
            i += 1
            continue
        j, total = i, 0
        while j < n and lens[j] < chunk and total + lens[j] <= chunk:
            total += int(lens[j])
            j += 1
        rows = np.arange(i, j)[lens[i:j] > 0]
        cat = np.concatenate([arrays[r] for r in rows])
        starts = np.concatenate(([0], np.cumsum(lens[rows])[:-1]))
        h = np.multiply.outer(cat, a)
        h += b
        out[rows] = np.minimum.reduceat(h, starts, axis=0)
        i = j
    return out


class MinHash:
    """A MinHash sketch as a value: ``num_perm``, ``seed`` and a ``uint64`` array.

    Two sketches compare only if made with the same ``num_perm`` and ``seed``
    (otherwise :class:`ValueError`).

    >>> m1 = MinHash.from_shingles(char_shingles([normalize_text("halo kak, no reseller no tipu")]))
    >>> m2 = MinHash.from_bytes(m1.to_bytes())
    >>> m1 == m2, m1.jaccard(m2)
    (True, 1.0)
    """

    __slots__ = ("hashvalues", "num_perm", "seed")
    _MAGIC = b"SLMH"
    _VERSION = 1
    _HEADER = struct.Struct("<4sBIQ")

    def __init__(self, hashvalues: np.ndarray, seed: int = 1) -> None:
        hv = np.asarray(hashvalues)
        if hv.ndim != 1 or hv.dtype != np.uint64:
            raise ValueError(f"hashvalues must be a 1-D uint64 array, got {hv.dtype} with shape {hv.shape}")
        _check_perm_seed(len(hv), seed)
        self.num_perm = len(hv)
        self.seed = int(seed)
        self.hashvalues = hv.copy()
        self.hashvalues.setflags(write=False)

    @classmethod
    def from_shingles(cls, shingles: np.ndarray, num_perm: int = 128, seed: int = 1) -> MinHash:
        """The sketch of one shingle set (a ``uint64`` array)."""
        return cls(minhash_batch([np.asarray(shingles, dtype=np.uint64)], num_perm, seed)[0], seed)

    @classmethod
    def from_text(
        cls, text: str, num_perm: int = 128, seed: int = 1, shingle: str = "word", k: int | None = None
    ) -> MinHash:
        """The sketch of a free text, normalised and shingled as :class:`PhrasingSignal` does by default."""
        sents = [x for x in (normalize_text(s) for s in split_sentences(text)) if x]
        if shingle == "word":
            return cls.from_shingles(word_shingles(sents, k or 3), num_perm, seed)
        if shingle == "char":
            return cls.from_shingles(char_shingles(sents, k or 5), num_perm, seed)
        raise ValueError(f"shingle must be 'word' or 'char', got {shingle!r}")

    @property
    def is_empty(self) -> bool:
        """True for the sketch of an empty set."""
        return bool((self.hashvalues == _MAX64).all())

    def _check(self, other: object) -> MinHash:
        if not isinstance(other, MinHash):
            raise TypeError(f"expected a MinHash, got {type(other).__name__}")
        if other.num_perm != self.num_perm or other.seed != self.seed:
            raise ValueError(
                f"MinHash mismatch: num_perm {self.num_perm} vs {other.num_perm}, seed {self.seed} vs {other.seed}"
            )
        return other

    def jaccard(self, other: MinHash) -> float:
        """Estimated Jaccard similarity (fraction of equal minima). 0.0 if either is empty."""
        other = self._check(other)
        if self.is_empty or other.is_empty:
            return 0.0
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / self.num_perm

    def to_bytes(self) -> bytes:
        """``b"SLMH"``, version, num_perm (uint32), seed (uint64), then the values, little-endian."""
        head = self._HEADER.pack(self._MAGIC, self._VERSION, self.num_perm, self.seed)
        return head + self.hashvalues.astype("<u8").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> MinHash:
        """Inverse of :meth:`to_bytes`; :class:`ValueError` on anything malformed."""
        hs = cls._HEADER.size
        if len(data) < hs:
            raise ValueError(f"MinHash bytes too short: {len(data)} < {hs}")
        magic, version, num_perm, seed = cls._HEADER.unpack_from(data)
        if magic != cls._MAGIC or version != cls._VERSION:
            raise ValueError(f"not a sellerlink MinHash (magic {magic!r}, version {version})")
        if len(data) != hs + 8 * num_perm:
            raise ValueError(f"MinHash bytes length {len(data)} does not match num_perm {num_perm}")
        return cls(np.frombuffer(data, dtype="<u8", offset=hs).astype(np.uint64), seed)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MinHash):
            return NotImplemented
        return (
            self.num_perm == other.num_perm
            and self.seed == other.seed
            and bool(np.array_equal(self.hashvalues, other.hashvalues))
        )

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def __repr__(self) -> str:
        return f"MinHash(num_perm={self.num_perm}, seed={self.seed}, head={self.hashvalues[:2].tolist()})"


# ---------------------------------------------------------------------------------------
# style

_GREETINGS: tuple[tuple[str, str], ...] = (
    ("halo", r"hal+o+|hel+o+|ha+i+|hay|hi+|hey+"),
    ("selamat", r"selamat\s+(?:datang|pagi|siang|sore|malam)|welcome|wellcome"),
    ("salam", r"ass?alamu'?\s*alaikum|assalamualaikum|permisi"),
)
_ADDRESSEES: tuple[tuple[str, str], ...] = (
    ("kak", r"kak|kakak|ka|kk|kaka"),
    ("sis", r"sis|sist|sista|siss"),
    ("gan", r"gan|agan|juragan|bos|boss"),
    ("bun", r"bun|bunda|moms|mom|bu|ibu"),
    ("guys", r"guys|gaes|gengs|geng|say|beb|cinta|all|semua"),
)
_SIGNOFFS: tuple[tuple[str, str], ...] = (
    ("happy", r"happy\s+shop(?:ping)?|selamat\s+berbelanja|happy\s+hunting"),
    ("thanks", r"terima\s*kasih|trima\s*kasih|makasih|makasi|trims|thanks|thank\s+you|thx|tq|tengkyu|mksh|mks"),
    ("salam", r"salam\s+[^\W\d_]+"),
    ("follow", r"jangan\s+lupa\s+follow(?:\s+ya)?|follow\s+(?:ya|yah|yaa+|juga)"),
)
_PHRASES: tuple[tuple[str, str], ...] = (
    ("noreseller", r"no\s+reseller|no\s+tipu|anti\s+tipu|amanah|trusted"),
    ("realpict", r"real\s+pic(?:t|ture)?s?|foto\s+asli|real\s+foto"),
    ("fastrespon", r"fast\s+respon(?:se)?|fast\s+rep|slow\s+respon"),
    ("cekstok", r"cek\s+stoc?k(?:\s+dulu)?|tanya\s+stoc?k|tanya\s+dulu|chat\s+dulu|cek\s+dulu"),
    ("cod", r"bisa\s+cod|cod"),
    ("nego", r"no\s+nego|nego|nett?|harga\s+pas"),
    ("ready", r"ready\s+stoc?k|ready"),
    ("order", r"langsung\s+(?:order|checkout|co)|order\s+aja|checkout\s+aja"),
)
_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("yg", r"yg"),
    ("dgn", r"dgn|dg|dng"),
    ("bs", r"bs|bsa|bsk"),
    ("tdk", r"tdk|gk|ga|gak|g|nggak|ngga|engga|enggak|gx"),
    ("utk", r"utk|untk|tuk"),
    ("sdh", r"sdh|udh|udah|dah"),
    ("blm", r"blm|belom"),
    ("jg", r"jg|jga"),
    ("aja", r"aja|aj|ajah|sj"),
    ("krn", r"krn|karna|krna"),
    ("tp", r"tp|tpi"),
    ("bgt", r"bgt|bngt|bet"),
    ("lg", r"lg|lgi"),
    ("dr", r"dr|dri"),
    ("kl", r"kl|klo|kalo|klu"),
    ("sy", r"sy|aq|gw|gue|ane"),
    ("trs", r"trs|trus"),
    ("sm", r"sm|ama"),
)
_EMOJI_BINS = 16
_PUNCT_CHARS = "!?.,~*-:/#@()"

# One pass finds every sign-off and fixed phrase: group names
# are "<family>_<name>", the longest alternatives come first within each family.
_VOCAB_FAMILIES = (("sign", _SIGNOFFS), ("phrase", _PHRASES))
# single-word families are looked up word by word (a dict is far cheaper than a regex alternation)
_WORD_FAMILY: dict[str, str] = {}
for _fam, _pairs in (("addr", _ADDRESSEES), ("abbr", _ABBREVIATIONS)):
    for _name, _pat in _pairs:
        for _w in _pat.split("|"):
            _WORD_FAMILY.setdefault(_w, f"{_fam}_{_name}")
_VOCAB_RE = re.compile(
    r"(?<![\w'])(?=[^\W\d_])(?:"  # every alternative starts with a letter: skip other positions fast
    + "|".join(f"(?P<{fam}_{name}>{pat})" for fam, pairs in _VOCAB_FAMILIES for name, pat in pairs)
    + r")(?![\w'])"
)
_GREET_RE = re.compile(
    r"^[\W_]*(?P<opening>(?:"
    + "|".join(f"(?P<greet_{name}>{pat})" for name, pat in _GREETINGS)
    + r")(?:\s+(?:di\s+[^\W\d_]+|"
    + "|".join(p for _, p in _ADDRESSEES)
    + r"))?)(?![\w])"
)
_WORD = re.compile(r"[^\W\d_]+")
_COUNTERS: tuple[tuple[str, str], ...] = (
    ("mixed_qe", r"[?!]*(?:\?!|!\?)[?!]*"),
    ("run_excl3", r"!{3,}"),
    ("run_excl2", r"!{2}"),
    ("run_dots", r"\.{2,}"),
    ("run_quest", r"\?{2,}"),
    ("space_before_punct", r"[ \t]+(?=[!?,.](?!\d))"),
    ("no_space_comma", r",(?=[^\W\d_])"),
    ("no_space_period", r"\.(?=[^\W\d_]{2})"),
    ("price_k", r"\d\s?k(?!\w)"),
    ("price_rb", r"\d\s?(?:rb|ribu)(?!\w)"),
    ("price_rp", r"\b(?:rp|idr)\.?\s?\d"),
    ("hashtags", r"#(?=\w)"),
)
# all counters: the leftmost match wins, the order above settles overlaps. _counters counts
# what one finditer of this alternation (case-insensitive) finds; tests check it against it.
_COUNTER_ALT = "|".join(f"(?P<{name}>{pat})" for name, pat in _COUNTERS)
# _counters: the same counts from one scan per family of first characters (each scan skips
# to its first character in C; one regex had to try every space, digit and 'r': 135 -> 102 us
# an account).
# No match of one family can start inside another's, except price_rp's last digit, which
# no price_k / price_rb match may start on (the one regex found price_rp first there).
_C_QE = re.compile(r"[?!]{2,}")  # runs of ? and !: classified in _counters
_C_DOTS = re.compile(r"(?P<run_dots>\.{2,})|(?P<no_space_period>\.(?=[^\W\d_]{2}))")
_C_SPACE = re.compile(r"[ \t]+(?=[!?,.](?!\d))")
_C_COMMA = re.compile(r",(?=[^\W\d_])")
_C_DIGIT = re.compile(r"\d\s?(?:(?P<price_k>k)|rb|ribu)(?!\w)", re.IGNORECASE)
_C_RP = re.compile(r"\b(?:rp|idr)\.?\s?\d", re.IGNORECASE)
_C_HASH = re.compile(r"#(?=\w)")


def _counters(text: str) -> dict[str, int]:
    """Per ``_COUNTERS`` name, how many matches ``re.compile(_COUNTER_ALT, re.IGNORECASE)``'s
    ``finditer(text)`` finds (names without a match are left out)."""
    out: dict[str, int] = {}
    if "?" in text or "!" in text:
        for run in _C_QE.findall(text):
            # a run holding "?!" or "!?" is one mixed_qe; otherwise it is all "!" or all "?"
            if "?!" in run or "!?" in run:
                name = "mixed_qe"
            elif run[0] == "!":
                name = "run_excl3" if len(run) >= 3 else "run_excl2"
            else:
                name = "run_quest"
            out[name] = out.get(name, 0) + 1
    if "." in text:
        for m in _C_DOTS.finditer(text):
            name = m.lastgroup or ""
            out[name] = out.get(name, 0) + 1
    n = len(_C_SPACE.findall(text))
    if n:
        out["space_before_punct"] = n
    if "," in text:
        n = len(_C_COMMA.findall(text))
        if n:
            out["no_space_comma"] = n
    taken: set[int] = set()  # the digit each price_rp match ends on
    for m in _C_RP.finditer(text):
        taken.add(m.end() - 1)
    if taken:
        out["price_rp"] = len(taken)
    for m in _C_DIGIT.finditer(text):
        if m.start() not in taken:
            name = "price_k" if m.group("price_k") is not None else "price_rb"
            out[name] = out.get(name, 0) + 1
    if "#" in text:
        n = len(_C_HASH.findall(text))
        if n:
            out["hashtags"] = n
    return out


_DIGIT = re.compile(r"\d")
_ALNUM = re.compile(r"[^\W_]+")
# the alphanumeric runs (``_ALNUM`` tokens) of 3+ characters that end in "2"
_REDUP_CANDIDATE = re.compile(r"(?<![^\W_])[^\W_]{2,}2(?![^\W_])")
_TRAILING_EMOJI = re.compile(f"([{_EMOJI_CLASS}]+)[\\s\\W]*$")

STYLE_FEATURES: tuple[str, ...] = (
    *(f"greet_{n}" for n, _ in _GREETINGS),  # fraction of texts opening with the greeting
    *(f"addr_{n}" for n, _ in _ADDRESSEES),  # per sentence: addressing the buyer "kak", "sis"...
    *(f"sign_{n}" for n, _ in _SIGNOFFS),  # per text: the sign-off
    *(f"phrase_{n}" for n, _ in _PHRASES),  # per text: the fixed phrase
    *(f"abbr_{n}" for n, _ in _ABBREVIATIONS),  # per 100 words
    "emoji_rate",  # emoji per 100 characters
    "emoji_end",  # fraction of sentences ending with an emoji
    "emoji_start",  # fraction of texts starting with an emoji
    "emoji_distinct",  # log1p(number of distinct emoji)
    *(f"emoji_bin{i}" for i in range(_EMOJI_BINS)),  # which emoji: share of emoji in hashed bin
    *(f"punct_{c}" for c in _PUNCT_CHARS),  # per 100 characters
    "run_excl2",  # "!!" per sentence
    "run_excl3",  # "!!!" (or longer) per sentence
    "run_dots",  # ".." / "..." per sentence
    "run_quest",  # "??" per sentence
    "mixed_qe",  # "?!" per sentence
    "end_excl",  # fraction of sentences ending with "!"
    "end_period",  # ... with "."
    "end_quest",  # ... with "?"
    "end_bare",  # ... with a letter or digit
    "space_before_punct",  # "ready !" per sentence
    "no_space_comma",  # "ready,langsung" per sentence
    "no_space_period",  # "ready.langsung" per sentence
    "double_space",  # "  " in the raw text, per sentence
    "caps_ratio",  # upper-case letters / letters
    "allcaps_words",  # fraction of words (2+ letters) in ALL CAPS
    "title_words",  # fraction of words in Title Case
    "lower_start",  # fraction of sentences starting with a lower-case letter
    "allcaps_titles",  # fraction of listing titles in ALL CAPS
    "title_titles",  # fraction of listing titles in Title Case
    "sentence_words",  # log1p(mean words per sentence)
    "word_length",  # mean letters per word
    "text_sentences",  # log1p(mean sentences per text)
    "text_chars",  # log1p(mean characters per text)
    "elongation",  # "kakkk", "yaaa" per 100 words
    "redup2",  # "baju2" per 100 words
    "digit_rate",  # digits per 100 characters
    "price_k",  # "50k" per text
    "price_rb",  # "50rb" per text
    "price_rp",  # "rp 50.000" per text
    "hashtags",  # per text
)
"""Names of the style vector's columns, in order (the vector has ``len(STYLE_FEATURES)`` floats)."""

_FIDX = {n: i for i, n in enumerate(STYLE_FEATURES)}
_PER_TEXT = (
    *(f"sign_{n}" for n, _ in _SIGNOFFS),
    *(f"phrase_{n}" for n, _ in _PHRASES),
    *(f"greet_{n}" for n, _ in _GREETINGS),
    "emoji_start", "price_k", "price_rb", "price_rp", "hashtags",
)  # fmt: skip
_PER_SENTENCE = (
    *(f"addr_{n}" for n, _ in _ADDRESSEES),
    "emoji_end", "end_excl", "end_period", "end_quest", "end_bare", "lower_start", "run_excl2", "run_excl3",
    "run_dots", "run_quest", "mixed_qe", "space_before_punct", "no_space_comma", "no_space_period", "double_space",
)  # fmt: skip
_PER_100_WORDS = (*(f"abbr_{n}" for n, _ in _ABBREVIATIONS), "elongation", "redup2")
_COUNT_LABELS = (
    ("run_excl3", "uses '!!!'"),
    ("run_excl2", "uses '!!'"),
    ("run_dots", "uses '..'"),
    ("run_quest", "uses '??'"),
    ("mixed_qe", "uses '?!'"),
    ("space_before_punct", "puts a space before punctuation ('ready !')"),
    ("no_space_comma", "no space after commas ('ready,langsung')"),
    ("no_space_period", "no space after full stops"),
    ("double_space", "types double spaces"),
    ("elongation", "stretches words ('kakkk', 'yaaa')"),
    ("redup2", "writes plurals with '2' ('baju2')"),
    ("price_k", "writes prices as '50k'"),
    ("price_rb", "writes prices as '50rb'"),
    ("price_rp", "writes prices as 'rp 50.000'"),
    ("hashtags", "uses hashtags"),
    ("punct_~", "uses '~'"),
)


def _emoji_bin(ch: str) -> int:
    return ord(ch) * 2654435761 % 4294967296 * _EMOJI_BINS >> 32


_NOT_ASCII_OR_EMOJI = re.compile(f"[^\\x00-\\x7f{_EMOJI_CLASS}]")


def _fold(s: str) -> str:
    """``clean_text`` of an already cleaned (cased) string; fast when it is ASCII plus emoji.

    Emoji have no combining marks and no case, so NFKD + ``lower`` equals ``clean_text`` there.
    """
    if s.isascii():
        return s.lower()
    d = unicodedata.normalize("NFKD", s)
    if _NOT_ASCII_OR_EMOJI.search(d) is None:
        return d.lower()
    return clean_text(s)


def _count_upper(s: str) -> int:
    low = s.lower()
    if len(low) == len(s):
        a = np.frombuffer(s.encode("utf-32-le"), dtype="<u4")
        b = np.frombuffer(low.encode("utf-32-le"), dtype="<u4")
        return int(np.count_nonzero(a != b))
    return sum(1 for c in s if c.isupper())


@dataclass(frozen=True)
class _Prepared:
    """One account's text, split once and reused by every part of the fingerprint."""

    sentences: tuple[tuple[str, ...], ...]  # per text, the sentences as written (cleaned, cased)
    folded: tuple[tuple[str, ...], ...]  # the same, casefolded and without marks
    raw: tuple[str, ...]  # the texts, NFKC only (for spacing habits)
    titles: tuple[str, ...]


def _prepare(account: Account) -> _Prepared:
    sentences: list[tuple[str, ...]] = []
    folded: list[tuple[str, ...]] = []
    raw: list[str] = []
    for text in account.texts:
        sents = tuple(split_sentences(text))
        if not sents:
            continue
        sentences.append(sents)
        folded.append(tuple(_fold(s) for s in sents))
        raw.append(text)
    titles = tuple(lst.title for lst in account.listings if lst.title.strip())
    return _Prepared(tuple(sentences), tuple(folded), tuple(raw), titles)


def style_features(account: Account) -> tuple[np.ndarray, tuple[str, ...]]:
    """The raw style vector (``float32``, :data:`STYLE_FEATURES`) and the habit labels of one account.

    Labels are short human-readable strings ("opens with 'halo kak'", "uses '!!!'",
    "writes 'yg'") used to explain which habits two accounts share.

    >>> v, labels = style_features(Account("a", bio="Halo kak!!! yg ready langsung order 🙏"))
    >>> v.shape == (len(STYLE_FEATURES),), "opens with 'halo kak'" in labels, "ends with '🙏'" in labels
    (True, True, True)
    """
    return _style(_prepare(account))


def _style(p: _Prepared) -> tuple[np.ndarray, tuple[str, ...]]:
    if not p.sentences:
        return np.zeros(len(STYLE_FEATURES), dtype=np.float32), ()
    # a list of Python floats (IEEE doubles, like the float64 it becomes): element updates
    # are several times cheaper than on a numpy array, and the values are the same
    f = [0.0] * len(STYLE_FEATURES)
    labels: set[str] = set()
    n_texts = len(p.sentences)
    n_sent = sum(len(s) for s in p.sentences)
    text_low = [" ".join(fs) for fs in p.folded]
    low = "\n".join(text_low)
    cased = "\n".join(s for sents in p.sentences for s in sents)
    n_chars = len(low) - (n_texts - 1)

    # openings and endings of each text
    for t in text_low:
        m = _GREET_RE.match(t)
        if m:
            kind = next(k for k, v in m.groupdict().items() if v is not None and k.startswith("greet_"))
            f[_FIDX[kind]] += 1
            labels.add(f"opens with '{_SPACE.sub(' ', m.group('opening'))}'")
        te = _TRAILING_EMOJI.search(t)
        if te:
            labels.add(f"ends with '{te.group(1)[-1]}'")
        if _EMOJI.match(t):
            f[_FIDX["emoji_start"]] += 1
            labels.add(f"starts with '{t[0]}'")
    # every sign-off, phrase, abbreviation and addressee in one pass
    for m in _VOCAB_RE.finditer(low):
        group = m.lastgroup or ""
        f[_FIDX[group]] += 1
        verb = "signs off with" if group.startswith("sign_") else "uses"
        labels.add(f"{verb} '{_SPACE.sub(' ', m.group(0))}'")
    for fam in filter(None, map(_WORD_FAMILY.get, _WORD.findall(low))):
        f[_FIDX[fam]] += 1
        if fam[1] == "b":  # "abbr_..."
            labels.add(f"writes '{fam[5:]}'")
    for name, n in _counters(cased).items():
        f[_FIDX[name]] += n
    # "kakkk", "yaaa": a letter three times in a row (counted once per run)
    cp = np.frombuffer(low.encode("utf-32-le"), dtype="<u4")
    if len(cp) >= 3:
        triple = (cp[:-2] == cp[1:-1]) & (cp[1:-1] == cp[2:]) & (cp[:-2] >= 97) & (cp[:-2] <= 122)
        f[_FIDX["elongation"]] = int(np.count_nonzero(triple[1:] & ~triple[:-1])) + int(triple[0])
    # "baju2": a word of 2+ letters with the plural "2" glued on
    if "2" in low:  # (a scan of the text otherwise; ~1 in 5 texts has no "2")
        f[_FIDX["redup2"]] = sum(1 for t in _REDUP_CANDIDATE.findall(low) if t[:-1].isalpha())
    f[_FIDX["double_space"]] = sum(r.count("  ") for r in p.raw)
    for c in _PUNCT_CHARS:
        f[_FIDX[f"punct_{c}"]] = low.count(c)
    f[_FIDX["digit_rate"]] = len(_DIGIT.findall(low))
    # sentence ends and starts
    for sents in p.sentences:
        for s in sents:
            last_ch = s[-1]
            if _EMOJI.match(last_ch):
                f[_FIDX["emoji_end"]] += 1
            elif last_ch == "!":
                f[_FIDX["end_excl"]] += 1
            elif last_ch == ".":
                f[_FIDX["end_period"]] += 1
            elif last_ch == "?":
                f[_FIDX["end_quest"]] += 1
            elif last_ch.isalnum():
                f[_FIDX["end_bare"]] += 1
            m = _WORD.search(s)
            if m and m.group(0)[0].islower():
                f[_FIDX["lower_start"]] += 1
    # casing
    words = _WORD.findall(cased)
    n_words = len(words)
    n_letters = sum(map(len, words))
    n_upper = _count_upper(cased)
    # words of 2+ letters: every word, minus the one-letter ones (C-level maps; picking the
    # one-letter words out of the list is cheaper than a regex scan of the text for them)
    singles = [w for w in words if len(w) == 1]
    n_allcaps = sum(map(str.isupper, words)) - sum(map(str.isupper, singles))
    n_title = sum(map(str.istitle, words)) - sum(map(str.istitle, singles))
    # emoji
    emoji_counts: dict[str, int] = {}
    for ch in _EMOJI.findall(low):
        emoji_counts[ch] = emoji_counts.get(ch, 0) + 1

    # -- counts to rates ----------------------------------------------------------------------
    for name in _PER_TEXT:
        f[_FIDX[name]] /= n_texts
    for name in _PER_SENTENCE:
        f[_FIDX[name]] /= n_sent
    chars100 = max(n_chars, 1) / 100.0
    words100 = max(n_words, 1) / 100.0
    for name in _PER_100_WORDS:
        f[_FIDX[name]] /= words100
    for c in _PUNCT_CHARS:
        f[_FIDX[f"punct_{c}"]] /= chars100
    f[_FIDX["digit_rate"]] /= chars100
    n_emoji = sum(emoji_counts.values())
    f[_FIDX["emoji_rate"]] = n_emoji / chars100
    f[_FIDX["emoji_distinct"]] = math.log1p(len(emoji_counts))
    for emo, cnt in emoji_counts.items():
        f[_FIDX[f"emoji_bin{_emoji_bin(emo)}"]] += cnt / n_emoji
    for ch, _c in sorted(emoji_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]:
        labels.add(f"uses '{ch}'")
    f[_FIDX["caps_ratio"]] = n_upper / max(n_letters, 1)
    f[_FIDX["allcaps_words"]] = n_allcaps / max(n_words, 1)
    f[_FIDX["title_words"]] = n_title / max(n_words, 1)
    if p.titles:
        tw = [_WORD.findall(t) for t in p.titles]
        allcaps = sum(1 for w in tw if w and all(x.isupper() for x in w if len(x) > 1))
        titlec = sum(1 for w in tw if w and all(x[0].isupper() for x in w) and not all(x.isupper() for x in w))
        f[_FIDX["allcaps_titles"]] = allcaps / len(p.titles)
        f[_FIDX["title_titles"]] = titlec / len(p.titles)
        if allcaps * 2 > len(p.titles):
            labels.add("writes titles in ALL CAPS")
        elif titlec * 2 > len(p.titles):
            labels.add("writes titles in Title Case")
    f[_FIDX["sentence_words"]] = math.log1p(n_words / n_sent)
    f[_FIDX["word_length"]] = n_letters / max(n_words, 1)
    f[_FIDX["text_sentences"]] = math.log1p(n_sent / n_texts)
    f[_FIDX["text_chars"]] = math.log1p(n_chars / n_texts)
    for name, label in _COUNT_LABELS:
        if f[_FIDX[name]] > 0:
            labels.add(label)
    if f[_FIDX["lower_start"]] > 0.8:
        labels.add("starts sentences in lower case")
    if f[_FIDX["caps_ratio"]] > 0.6:
        labels.add("writes in ALL CAPS")
    # interned: a few hundred distinct labels, repeated by every account (at 100k accounts
    # the tuples' own copies of the strings were ~100 MB)
    return np.array(f, dtype=np.float64).astype(np.float32), tuple(sorted(sys.intern(x) for x in labels))


# ---------------------------------------------------------------------------------------
# the table


@dataclass(frozen=True, eq=False)
class PhrasingTable:
    """Columnar phrasing fingerprints, row ``i`` for ``accounts[i]``.

    Shingles and sentences are stored CSR-style: row ``i`` owns
    ``sh_ids[sh_offsets[i]:sh_offsets[i+1]]`` (sorted indices into ``vocab``).

    Attributes:
        account_ids: ``object`` array of account ids.
        vocab: sorted unique ``uint64`` shingle hashes over the batch.
        vocab_df: ``int64`` number of accounts holding each vocab shingle.
        idf: ``float64`` weight of each vocab shingle, ``max(0, log(common_df / df))``.
        sh_offsets, sh_ids: CSR of each account's shingles (ids sorted; ``int32`` while the
            vocabulary allows, 4 bytes an entry: ~125 entries an account).
        sh_capped: ``bool`` per row: the shingle set was cut to the bottom ``max_shingles``.
        sh_rowsum: ``float64`` per row: the summed ``idf`` of the row's shingles. (Per-entry
            weights and keys are derived per chunk of pairs in :meth:`PhrasingSignal.compare`
            rather than stored: at 1M accounts each such array was another gigabyte.)
        minhash: ``(n, num_perm)`` ``uint64`` sketches (all ``2**64-1`` for no text).
        style: ``(n, len(STYLE_FEATURES))`` ``float32`` raw style features.
        style_unit: the same standardised over the batch (z-scores clipped to +-4) and
            scaled to unit length (zero rows for accounts without text).
        sent_offsets, sent_hashes: CSR of each account's distinct sentence hashes (sorted).
        sent_df: ``int64`` per sentence entry: how many accounts use that sentence.
        sent_ids: dense sentence ids (sorted per row, as for shingles).
        sent_rare: ``float64`` per sentence id: 1 if at most ``rare_df`` accounts use it.
        sent_text: ``object`` per sentence entry: the sentence as first written by the account
            (``None`` unless 2..``rare_df`` accounts use it: only those are ever explained).
        habits: ``object`` per row: tuple of habit labels; ``habit_df`` maps label -> count
            (over the batch's rows, or a rarity context's count when it counted every one of
            its accounts' habits; never below the batch's).
        num_perm, seed: the MinHash parameters.
        common_df, rare_df, key_df: the cut-offs for this collection's size
            (:func:`effective_cutoffs`, :func:`effective_key_df`).
    """

    account_ids: np.ndarray
    vocab: np.ndarray
    vocab_df: np.ndarray
    idf: np.ndarray
    sh_offsets: np.ndarray
    sh_ids: np.ndarray
    sh_capped: np.ndarray
    sh_rowsum: np.ndarray
    minhash: np.ndarray
    style: np.ndarray
    style_unit: np.ndarray
    sent_offsets: np.ndarray
    sent_hashes: np.ndarray
    sent_df: np.ndarray
    sent_ids: np.ndarray
    sent_rare: np.ndarray
    sent_text: np.ndarray
    habits: np.ndarray
    habit_df: dict[str, int]
    num_perm: int
    seed: int
    common_df: float = 50.0
    rare_df: int = 5
    key_df: int = 10

    def __len__(self) -> int:
        return len(self.account_ids)

    def minhash_of(self, i: int) -> MinHash:
        """Row ``i``'s sketch as a :class:`MinHash` value."""
        return MinHash(self.minhash[i], self.seed)

    @functools.cached_property
    def sh_weighted(self) -> tuple[np.ndarray, np.ndarray]:
        """``(offsets, ids)``: the shingle CSR without the shingles of ``idf`` 0, made on first
        use and kept (the 1M link: ~22% of the 146M entries, ~0.14 GB). What
        :meth:`PhrasingSignal.compare` intersects: a shingle of weight 0 adds nothing to a
        pair's sum, and common shingles were ~78% of the entries it searched."""
        return _nonzero_csr(self.sh_offsets, self.sh_ids, self.idf)

    @functools.cached_property
    def sent_weighted(self) -> tuple[np.ndarray, np.ndarray]:
        """``(offsets, ids)``: the sentence CSR with only the rare sentences (``sent_rare``
        not 0), as :attr:`sh_weighted`."""
        return _nonzero_csr(self.sent_offsets, self.sent_ids, self.sent_rare)


def _nonzero_csr(
    offsets: np.ndarray, ids: np.ndarray, weights: np.ndarray, block: int = 1 << 22
) -> tuple[np.ndarray, np.ndarray]:
    """A CSR's rows without their ids of weight 0 (order kept), built ``block`` entries at a
    time (a whole-table mask and running count would be 9 bytes an entry at once); the CSR
    itself when no id weighs 0."""
    nonzero = weights != 0
    if nonzero.all():
        return offsets, ids
    new_offsets = np.empty(len(offsets), dtype=np.int64)
    parts: list[np.ndarray] = []
    kept = 0
    row = 0  # the first row not yet given its new offset
    for a in range(0, len(ids), block):
        b = min(a + block, len(ids))
        part = ids[a:b]
        keep = nonzero[part]
        before = np.zeros(b - a + 1, dtype=np.int64)  # kept entries before each position
        np.cumsum(keep, out=before[1:])
        upto = int(np.searchsorted(offsets, b, side="left"))  # the rows starting in this block
        new_offsets[row:upto] = kept + before[offsets[row:upto] - a]
        kept += int(before[-1])
        parts.append(part[keep])
        row = upto
    new_offsets[row:] = kept  # rows starting at the end: empty ones, and the closing offset
    return new_offsets, (np.concatenate(parts) if parts else ids[:0])


def _row_offsets(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """CSR offsets of ``arrays`` as rows: ``int64``, one more than there are rows."""
    lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    return offsets


def _csr(arrays: Sequence[np.ndarray], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    offsets = _row_offsets(arrays)
    flat = np.concatenate(arrays).astype(dtype, copy=False) if arrays and offsets[-1] else np.empty(0, dtype=dtype)
    return offsets, flat


_ASSEMBLE_CHUNK = 4096
_NO_U64 = np.zeros(0, dtype=np.uint64)
_NO_U64.setflags(write=False)


def _packed_rows(chunk: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The parts of ``chunk`` (emptied) with their shingle, sentence and style arrays as views of
    one array each."""
    if not chunk:
        return []
    cols = []
    for j in (0, 2, 4):
        arrs = [p[j] for p in chunk]
        offsets, flat = _csr(arrs, np.result_type(*arrs))
        flat.setflags(write=False)
        cols.append([flat[a:b] for a, b in itertools.pairwise(offsets.tolist())])
    out = [(sh, p[1], sent, p[3], style, p[5]) for p, sh, sent, style in zip(chunk, *cols)]
    chunk.clear()
    return out


def _row_of(offsets: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))


# Pairs per block where compare gathers a per-row vector for both sides of each pair (MinHash
# sketches, style vectors): 16k pairs x 128 uint64 x 2 sides is 32 MB, whatever the batch size.
_PAIR_BLOCK = 16384
_STYLE_ROWS = 65536  # rows standardised at a time (see _assemble)
_KEY_ROWS = 16384  # rows whose candidate keys are drawn at a time (see PhrasingSignal.candidate_keys)


def _column_mean_std(x: np.ndarray, rows: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """``x[rows]`` as float64: the columns' ``mean(axis=0)`` and ``std(axis=0)``, the same
    values, read ``block`` rows at a time. numpy's ``std`` held three float64 copies of all
    the rows at once (~1 GB each for 1M accounts' style features). Each block is summed with
    the running sum as its first row: the rows are added one after another, in order, as in
    numpy's sum over the first axis of the whole array (of two columns or more: a single
    column is summed pairwise)."""
    n = len(rows)

    def column_sum(part: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        total: np.ndarray | None = None
        for s in range(0, n, block):
            y = part(x[rows[s : s + block]].astype(np.float64))
            total = np.add.reduce(y if total is None else np.concatenate([total[None], y]), axis=0)
        assert total is not None
        return total

    mu = np.true_divide(column_sum(lambda y: y), n)

    def squared_deviation(y: np.ndarray) -> np.ndarray:
        np.subtract(y, mu, out=y)
        return np.square(y, out=y)

    return mu, np.sqrt(np.true_divide(column_sum(squared_deviation), n))


def _id_dtype(space: int) -> Any:
    """The narrowest of ``int32`` / ``int64`` that holds ids below ``space``."""
    return np.int32 if space < 2**31 else np.int64


def _vocabulary(values: np.ndarray | list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True, return_counts=True)``, the inverse in the
    narrowest id type, in a third of the memory: numpy's keeps five arrays of the input's
    length at once (~6 GB for the 146M shingles of 1M accounts), this two (and a bool array)
    and drops each as soon as it is used. ``values`` given as a one-item list is taken out
    of it and sorted in place, so that no copy is ever made (the caller must hold no other
    reference: at 1M accounts that copy, beside the sort order, was phrasing's peak)."""
    if isinstance(values, list) and not (len(values) == 1 and isinstance(values[0], np.ndarray)):
        raise ValueError("_vocabulary takes an array, or a list holding exactly one array to consume")
    ordered = values.pop() if isinstance(values, list) else np.array(values, copy=True)
    order = np.argsort(ordered)
    ordered.sort()  # (the same values as ordered[order]: equal keys are equal)
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    uniq = ordered[starts]
    del ordered
    counts = np.diff(np.append(starts, len(first))).astype(np.int64)
    dtype = _id_dtype(len(uniq))
    ranks = np.cumsum(first, dtype=dtype)
    del first
    ranks -= 1
    inverse = np.empty(len(order), dtype=dtype)
    inverse[order] = ranks
    return uniq, inverse, counts


def _row_vocabulary(
    rows: list[np.ndarray], block: int = _ASSEMBLE_CHUNK
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows' values as CSR offsets, and :func:`_vocabulary` of all of them (the distinct
    values, each entry's id, each value's count), without ever joining the rows into one array.

    ``rows`` is consumed: a block's arrays are let go as soon as its ids are written. Its
    ``block``-row runs are expected to share one array each (``assemble``'s packed chunks),
    so that letting a run go frees it. At 1M accounts (146M shingle entries) joining every
    row and sorting the join held ~17 bytes an entry at once; this holds the rows (8), each
    block's distinct values with their counts (~1.8 at ~15% distinct per block), and the
    vocabulary of those (its :func:`_vocabulary`: ~17 bytes a block-distinct value).
    """
    n = len(rows)
    offsets = _row_offsets(rows)
    if n <= block or not offsets[-1]:
        flat = [np.concatenate(rows).astype(np.uint64, copy=False) if offsets[-1] else np.empty(0, dtype=np.uint64)]
        rows.clear()
        uniq, ids, counts = _vocabulary(flat)
        return offsets, uniq, ids, counts
    firsts: list[np.ndarray] = []  # each block's distinct values, sorted
    tallies: list[np.ndarray] = []  # and how many of the block's entries hold each
    for a in range(0, n, block):
        if offsets[min(a + block, n)] > offsets[a]:
            u, c = np.unique(np.concatenate(rows[a : a + block]).astype(np.uint64, copy=False), return_counts=True)
            firsts.append(u)
            tallies.append(c.astype(np.int32))  # (at most one entry a row: a row's values are distinct)
    merged = [np.concatenate(firsts)]
    firsts.clear()
    uniq, which, _ = _vocabulary(merged)
    counts = np.bincount(which, weights=np.concatenate(tallies), minlength=len(uniq)).astype(np.int64)
    del which
    tallies.clear()
    ids = np.empty(int(offsets[-1]), dtype=_id_dtype(len(uniq)))
    trim = n >= TRIM_MIN
    for k, a in enumerate(range(0, n, block)):
        b = min(a + block, n)
        lo, hi = int(offsets[a]), int(offsets[b])
        if hi > lo:
            ids[lo:hi] = np.searchsorted(uniq, np.concatenate(rows[a:b]).astype(np.uint64, copy=False))
        rows[a:b] = [_NO_U64] * (b - a)
        if trim and k % 16 == 15:  # a block's array (4 MB) is under glibc's mmap threshold: freed, it stays on the heap
            release_freed_heap()
    rows.clear()
    if trim:
        release_freed_heap()
    return offsets, uniq, ids, counts


def _row_sums(offsets: np.ndarray, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per row, ``weights[id]`` summed over the row's entries, each row on its own (not as a
    difference of one running sum, whose rounding would depend on the rows before it, i.e.
    on the input order). Computed a block of rows at a time, to bound the per-entry copy."""
    n = len(offsets) - 1
    out = np.zeros(n, dtype=np.float64)
    step = 1 << 16
    for a in range(0, n, step):
        b = min(a + step, n)
        lo, hi = int(offsets[a]), int(offsets[b])
        if hi == lo:
            continue
        local = offsets[a : b + 1] - lo
        nz = np.flatnonzero(np.diff(local) > 0)
        out[a + nz] = np.add.reduceat(weights[ids[lo:hi]], local[:-1][nz])
    return out


def _row_sums_upto(
    offsets: np.ndarray, ids: np.ndarray, weights: np.ndarray, rowsum: np.ndarray, rows: np.ndarray, limit: np.ndarray
) -> np.ndarray:
    """Per pair side: ``weights[id]`` summed over the entries of ``rows[k]`` with ``id <= limit[k]``.

    ``rowsum`` answers every row whose largest id is within the limit; only the others (rows
    cut at a smaller shared bottom-k, rare) are gathered and summed.
    """
    out = rowsum[rows]
    if len(ids) == 0:
        return out
    lens = offsets[rows + 1] - offsets[rows]
    need = np.flatnonzero((lens > 0) & (ids[np.maximum(offsets[rows + 1] - 1, 0)] > limit))
    if len(need):
        idx, owner = gather_ranges(offsets, rows[need])
        e = ids[idx]
        keep = e <= limit[need][owner]
        out[need] = np.bincount(owner[keep], weights=weights[e[keep]], minlength=len(need))
    return out


def _pair_intersections(
    offsets: np.ndarray,
    ids: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    weights: np.ndarray,
    limit: np.ndarray | None = None,
    chunk: int = 1 << 21,
) -> np.ndarray:
    """For each pair, the sum of ``weights[id]`` over the ids both rows hold (every id is
    below ``len(weights)``).

    Vectorised over a chunk of pairs: the pairs are ordered by their longer row, whose
    entries are gathered once per chunk as ``rank * space + id`` keys. Rows hold sorted ids,
    so the keys come out sorted and one ``searchsorted`` of the shorter rows' entries answers
    membership for every pair of the chunk. (The keys are built per chunk, not stored for the
    whole table: at 1M accounts a stored key per entry was a gigabyte, and searching the
    chunk's few megabytes stays in cache.) ``limit`` (per pair) ignores ids above it
    (consistent bottom-k samples).
    """
    n_pairs = len(left)
    out = np.zeros(n_pairs, dtype=np.float64)
    if n_pairs == 0 or len(ids) == 0:
        return out
    space = np.int64(len(weights))  # not ids.max(): a pass over every entry, per chunk of pairs
    # per pair, not np.diff over the whole table: this runs once per chunk of pairs
    len_l = offsets[left + 1] - offsets[left]
    len_r = offsets[right + 1] - offsets[right]
    swap = len_l > len_r
    small = np.where(swap, right, left)
    big = np.where(swap, left, right)
    order = np.argsort(big, kind="stable")
    small, big = small[order], big[order]
    lim = None if limit is None else limit[order]
    cost = np.cumsum((len_l + len_r)[order])
    start = 0
    while start < n_pairs:
        stop = int(np.searchsorted(cost, (cost[start - 1] if start else 0) + chunk, side="right"))
        stop = max(stop, start + 1)
        sl = slice(start, stop)
        b = big[sl]
        first = np.ones(len(b), dtype=bool)
        first[1:] = b[1:] != b[:-1]
        rank = np.cumsum(first) - 1
        b_idx, b_owner = gather_ranges(offsets, b[first])
        idx, owner = gather_ranges(offsets, small[sl])
        if len(idx) and len(b_idx):
            keys = b_owner * space + ids[b_idx]
            e_ids = ids[idx]
            q = rank[owner] * space + e_ids
            pos = np.searchsorted(keys, q)
            pos[pos >= len(keys)] = len(keys) - 1
            hit = keys[pos] == q
            if lim is not None:
                hit &= e_ids <= lim[sl][owner]
            out[order[sl]] = np.bincount(owner[hit], weights=weights[e_ids[hit]], minlength=stop - start)
        start = stop
    return out


_PLURAL_VERBS = {"opens": "open", "ends": "end", "starts": "start", "signs": "sign", "uses": "use",
                 "writes": "write", "puts": "put", "types": "type", "stretches": "stretch"}  # fmt: skip


def _plural(label: str) -> str:
    """ "opens with 'halo kak'" -> "open with 'halo kak'" (for "both ...")."""
    verb, _, rest = label.partition(" ")
    return f"{_PLURAL_VERBS[verb]} {rest}" if verb in _PLURAL_VERBS else label


def _sentence_keys(sent_hashes: np.ndarray) -> np.ndarray:
    return _mix64(np.asarray(sent_hashes, dtype=np.uint64) ^ _U64(0x73656E74656E6365))


def _shingle_keys(shingles: np.ndarray) -> np.ndarray:
    return _mix64(np.asarray(shingles, dtype=np.uint64) ^ _U64(0x7368696E676C6573))


def _habit_keys(labels: Sequence[str]) -> np.ndarray:
    """The keys of habit labels ("uses '!!!'") whose counts a context is asked for."""
    return stable_hash64_many(labels, "phrasing.habit")


def _habits_counted(rarity: RarityContext, name: str) -> bool:
    """Whether ``rarity`` counted the habits of every one of its accounts (``habit_n``)."""
    counted = rarity.stat(name, "habit_n")
    return counted is not None and len(counted) == 1 and round(float(counted[0])) == rarity.n_accounts


def _habit_df(habits: np.ndarray, name: str, rarity: RarityContext | None,
              wanted: np.ndarray | None = None) -> dict[str, int]:  # fmt: skip
    """label -> how many accounts carry it: the batch's rows, or the context's count for the
    labels of the ``wanted`` rows (all rows if None; the others' labels keep the batch's
    count: only pairs among the wanted rows are explained) when the context counted the
    habits of every one of its accounts (its ``habit_n`` stat, see
    :meth:`PhrasingSignal.stats_to_context`; an index written before habits were counted,
    or added to since, has not). Never less than the batch's own count."""
    batch = collections.Counter(itertools.chain.from_iterable(habits))
    if rarity is None or not batch or not _habits_counted(rarity, name):
        return dict(batch)
    held = habits if wanted is None else habits[wanted]
    labels = sorted(set(itertools.chain.from_iterable(held)))
    out = dict(batch)
    if labels:
        held_by = np.asarray(rarity.counts(name, _habit_keys(labels)), dtype=np.int64)
        out.update({lab: max(int(c), batch[lab]) for lab, c in zip(labels, held_by.tolist())})
    return out


def _rarest_per_row(
    offsets: np.ndarray, df: np.ndarray, tiebreak: np.ndarray, max_df: int, per_row: int
) -> tuple[np.ndarray, np.ndarray]:
    """Entries with ``2 <= df <= max_df``, at most ``per_row`` per row, rarest first: (entry index, row)."""
    row = _row_of(offsets)
    idx = np.flatnonzero((df >= 2) & (df <= max_df))
    idx = idx[np.lexsort((tiebreak[idx], df[idx], row[idx]))]
    r = row[idx]
    rank = np.arange(len(r)) - np.searchsorted(r, r, side="left")
    keep = rank < per_row
    return idx[keep], r[keep]


# ---------------------------------------------------------------------------------------
# the signal


def effective_cutoffs(common_df: float, rare_df: int, n_accounts: int) -> tuple[float, int]:
    """The weight and rarity cut-offs for a collection of ``n_accounts``.

    A shingle held by ``common_df`` accounts weighs 0 and a sentence counts as rare up to
    ``rare_df`` accounts, but in a small collection these shrink to 5% and 1% of it (at
    least 8 and 2): four sellers out of 120 sharing a phrase is boilerplate, not a habit.

    >>> effective_cutoffs(50, 5, 120), effective_cutoffs(50, 5, 100_000)
    ((8.0, 2), (50.0, 5))
    """
    n = max(int(n_accounts), 1)
    return float(min(common_df, max(8.0, 0.05 * n))), int(min(rare_df, max(2, round(0.01 * n))))


#: ``key_df`` is the rare-key cut-off per this many accounts in the collection (see :func:`effective_key_df`).
KEY_DF_PER = 50_000


def effective_key_df(key_df: int, n_accounts: int) -> int:
    """The rare-key cut-off for a collection of ``n_accounts``: ``key_df`` per 50,000 accounts,
    never below ``key_df``.

    A rare sentence or shingle key finds a reworded comeback through a phrase the seller
    kept. Those phrases come from an idiom many sellers share, so the number of accounts
    holding one grows with the market: a fixed count turns the keys off as the market grows
    (a pair loses its last key once its phrases pass ``key_df`` holders). The pairs the keys
    propose per account grow with the cut-off until it reaches the pipeline's ``max_block``,
    which drops any larger key: from there on they stay bounded.

    >>> effective_key_df(10, 1_000), effective_key_df(10, 11_729), effective_key_df(10, 117_158)
    (10, 10, 23)
    """
    n = max(int(n_accounts), 0)
    return max(int(key_df), round(key_df * n / KEY_DF_PER))


def _split_texts(texts: list[str] | str) -> list[str]:
    """A part's sentence texts: a list, or (from :func:`_parse_state`) NUL-joined."""
    if not isinstance(texts, str):
        return texts
    return texts.split("\x00") if texts else []


@functools.lru_cache(maxsize=256)
def _parse_state(st: bytes) -> tuple[tuple[Any, ...], np.ndarray | None, list[Any]]:
    """One stored state -> (the part ``_assemble`` takes, the sketch or None, the settings it
    was made with). Remembered: an index query assembles its candidates twice (a bound, then
    exact counts for the few it keeps); the arrays are read-only, being shared."""
    arrs, meta = unpack(st, copy=False)  # (read-only views: this sets them so anyway)
    try:
        capped, texts, habits, settings = meta
        style = arrs["style"]
        if style.shape != (len(STYLE_FEATURES),) or len(texts) != len(arrs["sent"]):
            raise ValueError("corrupt phrasing state")
        written = list(map(str, texts))
        # one string a row instead of ~16 (their object headers were ~1 KB an account):
        # _assemble splits it again (sentences are never empty and never hold a NUL)
        joined = "\x00".join(written)
        if not all(written) or joined.count("\x00") != max(len(written) - 1, 0):
            joined = written  # type: ignore[assignment]
        part = (arrs["sh"], bool(capped), arrs["sent"], joined, style, tuple(map(sys.intern, map(str, habits))))
    except (TypeError, KeyError) as exc:
        raise ValueError(f"corrupt phrasing state: {exc}") from exc
    for a in arrs.values():
        a.setflags(write=False)
    # the sketch is per record; states written before it was stored lack it
    return part, arrs.get("mh"), list(settings) if isinstance(settings, list) else settings


def _style_units(signal: str, styles: np.ndarray, has_text: np.ndarray, rarity: RarityContext | None) -> np.ndarray:
    """The rows' style vectors standardised (by the context's statistics, else those of the
    rows with text), clipped and of unit length; 0 for rows without text. What ``style_sim``
    takes the cosine of (one function for a table and :meth:`PhrasingSignal.compare_one`, so
    that both round alike)."""
    style_unit = np.zeros_like(styles)
    if has_text.any():
        if rarity is not None and rarity.stat(signal, "style_mean") is not None:
            mu = np.asarray(rarity.stat(signal, "style_mean"), dtype=np.float64)
            sd = np.asarray(rarity.stat(signal, "style_std"), dtype=np.float64)
        else:
            mu, sd = _column_mean_std(styles, np.flatnonzero(has_text), _STYLE_ROWS)
        # row by row the same arithmetic, _STYLE_ROWS rows at a time: over all rows at
        # once its five float64 temporaries were the peak of a link's phrasing stage
        # (~1 GB each at 1M accounts)
        with_text = np.flatnonzero(has_text)
        spread = np.where(sd > 1e-9, sd, 1.0)
        for s in range(0, len(with_text), _STYLE_ROWS):
            rows_s = with_text[s : s + _STYLE_ROWS]
            z = np.where(sd > 1e-9, (styles[rows_s].astype(np.float64) - mu) / spread, 0.0)
            z = np.clip(z, -4.0, 4.0)
            norm = np.linalg.norm(z, axis=1, keepdims=True)
            style_unit[rows_s] = (z / np.where(norm > 0, norm, 1.0)).astype(np.float32)
    return style_unit


def _both_have_text(table: PhrasingTable, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Per pair, whether both rows hold shingles (the pairs every feature is 0 without)."""
    offs = table.sh_offsets
    return (offs[left + 1] > offs[left]) & (offs[right + 1] > offs[right])


def _style_sim(table: PhrasingTable, left: np.ndarray, right: np.ndarray, has: np.ndarray | None = None) -> np.ndarray:
    """Cosine of the pairs' standardised style vectors, clipped to 0..1; 0 unless both rows have
    text (``has``: :func:`_both_have_text`, when the caller has it already)."""
    has = _both_have_text(table, left, right) if has is None else has
    return _unit_cosines(table.style_unit, left, right, has)


def _unit_cosines(su: np.ndarray, left: np.ndarray, right: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Per pair, the cosine of rows ``left`` and ``right`` of ``su`` (unit vectors), clipped to
    0..1; 0 where not ``has``."""
    style_sim = np.empty(len(left), dtype=np.float64)
    for s in range(0, len(left), _PAIR_BLOCK):  # bounded memory: 16k pairs x style features, in float64
        sl = slice(s, s + _PAIR_BLOCK)
        style_sim[sl] = np.einsum("ij,ij->i", su[left[sl]].astype(np.float64), su[right[sl]].astype(np.float64))
    return np.where(has, np.clip(style_sim, 0.0, 1.0), 0.0)


class PhrasingSignal:
    """The phrasing signal (see the module docstring). Implements :class:`~sellerlink.signals.base.Signal`.

    Args:
        num_perm: MinHash permutations.
        bands: LSH bands; ``num_perm`` must be divisible by it (rows per band = ``num_perm // bands``).
        seed: MinHash seed.
        shingle: ``"word"`` (word ``k``-shingles, default k=3; punctuation and emoji runs
            count as words) or ``"char"`` (character ``k``-shingles, k=5). Word shingles
            separate comebacks from boilerplate better (see the module notes).
        k: shingle size; ``None`` picks 3 for ``"word"`` and 5 for ``"char"``.
        max_shingles: cap on shingles kept per account (bottom-k by hash).
        rare_df: a sentence used by at most this many accounts counts as rare
            (``sentence_shared`` and :meth:`explain`).
        key_df: sentences and shingles held by 2..``key_df`` accounts per 50,000 in the
            collection (at least ``key_df``; :func:`effective_key_df`) may become
            candidate keys (the rarest first).
        max_sentence_keys: at most this many rare-sentence candidate keys per account.
        max_shingle_keys: at most this many rare-shingle candidate keys per account.
        common_df: a shingle held by this many accounts or more weighs 0 in ``text_sim``
            and ``text_info``; below, its weight is ``log(common_df / df)``.

    Example:
        >>> sig = PhrasingSignal(num_perm=64, bands=16)
        >>> sig.name, sig.feature_names[0]
        ('phrasing', 'text_sim')
    """

    name = "phrasing"
    feature_names: tuple[str, ...] = ("text_sim", "text_jaccard", "sentence_shared", "style_sim", "text_info")
    # a shingle only the candidate holds can only add to the union of text_sim, and a
    # sentence only it holds is not shared: with those weighing nothing, every feature
    # of a pair is at least the exact one (see signals.base)
    bound_by_own_counts = True
    extract_in_processes = True  # pure per-record work (signals.base)

    def __init__(
        self,
        num_perm: int = 128,
        bands: int = 32,
        seed: int = 1,
        shingle: str = "word",
        k: int | None = None,
        max_shingles: int = 4000,
        rare_df: int = 5,
        key_df: int = 10,
        max_sentence_keys: int = 16,
        max_shingle_keys: int = 16,
        common_df: int = 50,
    ) -> None:
        self.num_perm = num_perm
        self.bands = bands
        self.seed = seed
        self.shingle = shingle
        self.k = k
        self.max_shingles = max_shingles
        self.rare_df = rare_df
        self.key_df = key_df
        self.max_sentence_keys = max_sentence_keys
        self.max_shingle_keys = max_shingle_keys
        self.common_df = common_df

    # -- validation --------------------------------------------------------------------------
    def _validate(self) -> None:
        _check_perm_seed(self.num_perm, self.seed)
        if not isinstance(self.bands, int) or self.bands < 1 or self.num_perm % self.bands:
            raise ValueError(f"bands must be a positive divisor of num_perm={self.num_perm}, got {self.bands!r}")
        if self.shingle not in ("char", "word"):
            raise ValueError(f"shingle must be 'char' or 'word', got {self.shingle!r}")
        if self.k is not None and (not isinstance(self.k, int) or self.k < 1):
            raise ValueError(f"k must be a positive integer or None, got {self.k!r}")
        for name in ("max_shingles", "rare_df", "key_df", "common_df"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        for name in ("max_sentence_keys", "max_shingle_keys"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")

    # -- 1. fingerprint ----------------------------------------------------------------------
    def fingerprint(self, accounts: Sequence[Account], *, rarity: RarityContext | None = None) -> PhrasingTable:
        """Fingerprint a batch of accounts into a :class:`PhrasingTable` (row ``i`` = ``accounts[i]``).

        With ``rarity``, shingle and sentence counts come from the context (keys as in
        :meth:`rarity_keys`; habit counts too when it counted every account's, see
        :meth:`stats_to_context`) and the style vectors are standardised with the context's
        ``style_mean`` / ``style_std`` (see :meth:`rarity_stats`) instead of this batch's.
        """
        self._validate()
        parts = []
        for i, acc in enumerate(accounts):
            if not isinstance(acc, Account):
                raise TypeError(f"accounts[{i}] is a {type(acc).__name__}, expected sellerlink.Account")
            parts.append(self._row(acc))
        return self._assemble([a.account_id for a in accounts], parts, rarity)

    def _row(self, acc: Account) -> tuple[np.ndarray, bool, np.ndarray, list[str], np.ndarray, tuple[str, ...]]:
        """The per-record part: shingles, capped flag, sentence hashes and texts, style, habits."""
        prep = _prepare(acc)
        folded = [s for fs in prep.folded for s in fs]
        written = [s for ws in prep.sentences for s in ws]
        # one regex pass per account: sentences joined by NUL (clean_text removed any NUL)
        norms = _normalize_folded("\x00".join(folded)).split("\x00") if folded else []
        tokens = [_WORD_SHINGLE_TOKEN.findall(x) for x in norms]
        seen: dict[int, str] = {}
        for toks, norm, sent in zip(tokens, norms, written):
            key = _sentence_key_fast(toks, norm)
            if key is not None:
                seen.setdefault(stable_hash64(key, "phrasing.sentence"), sent)
        if self.shingle == "word":
            sh = _word_shingles_from_tokens([t for t in tokens if t], self.k or 3)
        else:
            sh = char_shingles([x for x in norms if x], self.k or 5)
        capped = False
        if len(sh) > self.max_shingles:
            sh = sh[: self.max_shingles]  # already sorted: bottom-k by hash
            capped = True
        hs = np.fromiter(seen.keys(), dtype=np.uint64, count=len(seen))
        order = np.argsort(hs)
        texts = list(seen.values())
        style, habits = _style(prep)
        return sh.astype(np.uint64), capped, hs[order], [texts[o] for o in order], style, habits

    # -- index hooks (see signals.base) ------------------------------------------------------
    def extract(self, accounts: Sequence[Account]) -> list[bytes]:
        """Per account, the per-record part of :meth:`fingerprint` as packed bytes."""
        self._validate()
        rows = []
        for i, acc in enumerate(accounts):
            if not isinstance(acc, Account):
                raise TypeError(f"accounts[{i}] is a {type(acc).__name__}, expected sellerlink.Account")
            rows.append(self._row(acc))
        sketches = minhash_batch([r[0] for r in rows], self.num_perm, self.seed)
        return [
            pack(
                {"sh": sh, "sent": hs, "style": np.asarray(style, dtype=np.float32), "mh": mh},
                [bool(capped), texts, list(habits), self._settings()],
            )
            for (sh, capped, hs, texts, style, habits), mh in zip(rows, sketches)
        ]

    def _settings(self) -> list[Any]:
        # everything the stored per-record part depends on (the sketch: num_perm and seed)
        return [self.shingle, self.k, self.max_shingles, int(self.num_perm), int(self.seed)]

    def assemble(
        self,
        account_ids: Sequence[str],
        states: Iterable[bytes],
        *,
        rarity: RarityContext | None = None,
        rows: Sequence[int] | np.ndarray | None = None,
    ) -> PhrasingTable:
        """The table :meth:`fingerprint` would build from the accounts :meth:`extract` saw.

        ``rows`` (optional): only pairs among these rows will be compared or explained. The
        other rows keep their style and habits (what the table's batch-wide values come
        from) but not their shingles and sentences, which are neither counted nor asked
        about; features and evidence of the pairs among ``rows`` are those of the whole
        table. Only with ``rarity``: without it the counts are the batch's own, and rows
        left out would change them (``rows`` is then ignored). An index query's exact pass
        needs its own row and the few candidates that its first pass kept.
        """
        self._validate()
        n = len(account_ids)
        wanted: np.ndarray | None = None
        if rows is not None and rarity is not None:
            picked = row_numbers(rows, n, "rows")
            wanted = np.zeros(n, dtype=bool)
            wanted[picked] = True
        had_text: list[bool] = []
        parts = []
        # the sketches go straight into one array (states may be a stream: at 1M accounts a
        # list of per-row sketches beside the stacked copy was another 1 GB)
        minhash: np.ndarray | None = np.empty((n, self.num_perm), dtype=np.uint64)
        settings = self._settings()
        # each chunk's per-row arrays are copied into one array per chunk, and the rows keep
        # views of it: a row's own small arrays, held to the end, left their freed heap with the
        # process (at 117k accounts the table was 0.35 GB and the process 1.1 GB after it)
        chunk: list[tuple[Any, ...]] = []
        for i, st in enumerate(states):
            part, mh = self._state(st, settings)
            if wanted is not None:
                had_text.append(len(part[0]) > 0)
                if i < n and not wanted[i]:
                    part = (_NO_U64, part[1], _NO_U64, "", part[4], part[5])
            chunk.append(part)
            if len(chunk) == _ASSEMBLE_CHUNK:
                parts.extend(_packed_rows(chunk))
            if mh is None:  # stored before the sketch was: every sketch is computed again
                minhash = None
            elif minhash is not None and i < n:
                minhash[i] = mh
        if parts:
            parts.extend(_packed_rows(chunk))
        else:  # a batch within one chunk (an index query's) keeps its rows' own arrays: the
            parts = chunk  # copy only saved the heap a large batch left behind
        if len(parts) != n:
            raise ValueError(f"{len(parts)} phrasing states for {n} accounts")
        has_text = np.array(had_text, dtype=bool) if wanted is not None else None
        return self._assemble(list(account_ids), parts, rarity, minhash if n else None, has_text, wanted)

    def _state(self, st: bytes, settings: list[Any]) -> tuple[tuple[Any, ...], np.ndarray | None]:
        """A stored state's part and sketch (None: stored before the sketch was), checked:
        ``ValueError`` when made with other settings or corrupt."""
        part, mh, made_with = _parse_state(st)
        if made_with != settings:
            raise ValueError(f"phrasing state was made with settings {made_with}, not {settings}")
        if mh is not None and mh.shape != (self.num_perm,):
            raise ValueError("corrupt phrasing state")
        return part, mh

    def rarity_keys(self, table: PhrasingTable) -> tuple[np.ndarray, np.ndarray]:
        """(rows, keys): each row's shingles and sentences, in the candidate-key hash space,
        and its habit labels (how many accounts share a habit is evidence's ``shared_by``)."""
        r1 = _row_of(table.sh_offsets)
        # each distinct shingle's key once, then one gather per entry (a build hashed every
        # entry, with the hash's temporaries, beside all the others)
        k1 = _shingle_keys(table.vocab)[table.sh_ids] if len(table.sh_ids) else np.zeros(0, np.uint64)
        r2 = _row_of(table.sent_offsets)
        k2 = _sentence_keys(table.sent_hashes)
        # labels: a few hundred distinct ones, each hashed once, then one gather per label held
        per_row = [h or () for h in table.habits]
        flat = list(itertools.chain.from_iterable(per_row))
        labels = sorted(set(flat))
        code = {lab: i for i, lab in enumerate(labels)}
        r3 = np.repeat(np.arange(len(per_row), dtype=np.int64), list(map(len, per_row)))
        k3 = _habit_keys(labels)[np.fromiter(map(code.__getitem__, flat), dtype=np.int64, count=len(flat))]
        return np.concatenate([r1, r2, r3]), np.concatenate([k1, k2, k3]).astype(np.uint64, copy=False)

    def index_keys(self, table: PhrasingTable) -> tuple[np.ndarray, np.ndarray]:
        """Band keys, every sentence and the ``4 * max_shingle_keys`` smallest shingles of each row.

        A sentence or shingle key becomes a candidate key only once 2..``key_df``
        accounts hold it, which an index cannot know when it stores the account, so it
        stores every sentence; shingles are sampled (bottom-k by hash: similar texts draw
        the same ones).
        """
        has_text = np.diff(table.sh_offsets) > 0
        rows_t = np.flatnonzero(has_text).astype(np.int64)
        # (no copy of the sketches when every row has text, nor an index of every shingle entry:
        # these were the transient gigabytes of a large build's keys)
        bk = self.band_keys(table.minhash if len(rows_t) == len(has_text) else table.minhash[rows_t])
        rows = [np.repeat(rows_t, self.bands), _row_of(table.sent_offsets)]
        keys = [bk.ravel(), _sentence_keys(table.sent_hashes)]
        if self.max_shingle_keys and len(table.sh_ids):
            cnt = np.minimum(np.diff(table.sh_offsets), 4 * self.max_shingle_keys)
            r = np.repeat(np.arange(len(cnt), dtype=np.int64), cnt)
            pos = table.sh_offsets[:-1][r] + (np.arange(len(r)) - (np.cumsum(cnt) - cnt)[r])
            rows.append(r)
            keys.append(_shingle_keys(table.vocab[table.sh_ids[pos]]))
        return np.concatenate(rows).astype(np.int64, copy=False), np.concatenate(keys).astype(np.uint64, copy=False)

    def rarity_stats(self, table: PhrasingTable, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Additive statistics of the raw style vectors of rows with text (all rows, or ``rows``):
        count, sum, sum of squares; and ``habit_n``, the rows whose habit labels are counted
        with their :meth:`rarity_keys` (all of them). With ``rows``, the work is theirs only:
        an index writes each account's share, and a pass over the whole table per account was
        quadratic (~4 ms an account at 1.17M)."""
        if rows is None:
            x = table.style[np.diff(table.sh_offsets) > 0].astype(np.float64)
            n_rows = len(table.style)
        else:
            r = row_numbers(rows, len(table.style), "rows")  # (ascending: the sums add in row order)
            x = table.style[r[table.sh_offsets[r + 1] > table.sh_offsets[r]]].astype(np.float64)
            n_rows = len(r)
        return {"style_n": np.array([len(x)], dtype=np.float64), "style_sum": x.sum(axis=0),
                "style_sumsq": (x * x).sum(axis=0), "habit_n": np.array([n_rows], dtype=np.float64)}  # fmt: skip

    def rows_independent(self, rarity: RarityContext | None) -> bool:
        """Whether a table assembled with ``rarity`` gives a pair the same features and evidence
        whatever other rows it holds: when the context carries the style statistics and counted
        every account's habits (else the table's rows supply them). An index query then
        explains a pair from a table of the pair's rows and its own."""
        return (rarity is not None and rarity.stat(self.name, "style_mean") is not None
                and _habits_counted(rarity, self.name))  # fmt: skip

    @staticmethod
    def stats_to_context(stats: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Summed :meth:`rarity_stats` -> the ``style_mean`` / ``style_std`` a context carries, and
        ``habit_n`` (how many of its accounts had their habits counted: a file written before
        habits were counted has fewer than its accounts, and its habit counts are not used)."""
        habit_n = {"habit_n": np.asarray(stats.get("habit_n", np.zeros(1)), dtype=np.float64)}
        n = float(stats["style_n"][0]) if len(stats.get("style_n", ())) else 0.0
        if n <= 0:
            z = np.zeros(len(STYLE_FEATURES))
            return {"style_mean": z, "style_std": z, **habit_n}
        mu = stats["style_sum"] / n
        var = stats["style_sumsq"] / n - mu * mu
        var = np.where(var > 1e-12 * np.maximum(1.0, mu * mu), var, 0.0)
        return {"style_mean": mu, "style_std": np.sqrt(var), **habit_n}

    def _assemble(self, account_ids: Sequence[str], parts: Sequence[tuple[Any, ...]],
                  rarity: RarityContext | None, minhash: np.ndarray | None = None,
                  has_text: np.ndarray | None = None, wanted: np.ndarray | None = None) -> PhrasingTable:  # fmt: skip
        # has_text: the rows with shingles before ``assemble(rows=)`` dropped some (the batch's
        # style statistics are over those); wanted: the rows it kept (None: all)
        n = len(parts)
        sh_list: list[np.ndarray] = [p[0] for p in parts]
        capped = np.array([p[1] for p in parts], dtype=bool)
        sent_hash_list: list[np.ndarray] = [p[2] for p in parts]
        sent_text_list: list[list[str] | str] = [p[3] for p in parts]  # a row's texts, or NUL-joined
        styles = np.zeros((n, len(STYLE_FEATURES)), dtype=np.float32)
        habits = np.empty(n, dtype=object)
        for i, p in enumerate(parts):
            styles[i], habits[i] = p[4], p[5]
        if minhash is None:
            minhash = minhash_batch(sh_list, self.num_perm, self.seed)
        if isinstance(parts, list):
            parts.clear()  # (the caller's list): from here on only the columns above hold the rows

        # In a small collection a phrase used by 4 sellers out of 120 is common, not rare:
        # the cut-offs scale down with the collection (N) and never exceed the settings.
        n_total = rarity.n_accounts if rarity is not None else n
        common_df, rare_df = effective_cutoffs(self.common_df, self.rare_df, n_total)

        # shingle vocabulary and document frequencies over the batch
        sh_offsets, vocab, sh_ids, vocab_df = _row_vocabulary(sh_list)  # (consumes sh_list)
        idf = np.maximum(np.log(common_df / np.maximum(vocab_df, 1)), 0.0) if len(vocab) else np.empty(0)
        if rarity is not None and len(vocab):
            vocab_df = rarity.df(self.name, _shingle_keys(vocab))
            idf = np.maximum(np.log(common_df / np.maximum(vocab_df, 1)), 0.0)
        sh_rowsum = _row_sums(sh_offsets, sh_ids, idf)

        sent_offsets, sent_hashes = _csr(sent_hash_list, np.uint64)
        sent_hash_list.clear()
        if len(sent_hashes):
            _, s_inv, s_cnt = _vocabulary(sent_hashes)  # (np.unique's: ~40 bytes an entry at once, this ~17)
            sent_df = s_cnt[s_inv.ravel()].astype(np.int64)
            if rarity is not None:
                sent_df = rarity.df(self.name, _sentence_keys(sent_hashes))
            # hashes are sorted per row and np.unique maps them monotonically to dense ids,
            # so ids stay sorted per row (as _pair_intersections needs)
            sent_ids = s_inv.ravel().astype(_id_dtype(len(sent_hashes)), copy=False)
        else:
            sent_df = np.empty(0, dtype=np.int64)
            sent_ids = np.empty(0, dtype=np.int32)
        sent_rare = np.zeros(int(sent_ids.max()) + 1 if len(sent_ids) else 0, dtype=np.float64)
        sent_rare[sent_ids] = sent_df <= rare_df  # an id's entries share one count
        # the text is kept only where explain() can show it: sentences 2..rare_df accounts share
        # (split only for the rows holding one: a string for every sentence, dropped at once,
        # was another heap of freed objects left with the process)
        sent_text = np.full(len(sent_hashes), None, dtype=object)
        shown = np.flatnonzero((sent_df >= 2) & (sent_df <= rare_df))
        if len(shown):
            row = np.searchsorted(sent_offsets, shown, side="right") - 1
            texts, last = [], -1
            for e, r in zip(shown.tolist(), row.tolist()):
                if r != last:
                    texts, last = _split_texts(sent_text_list[r]), r
                sent_text[e] = texts[e - int(sent_offsets[r])]
        sent_text_list.clear()

        # style: standardise over the batch, clip, unit length
        if has_text is None:
            has_text = np.diff(sh_offsets) > 0
        style_unit = _style_units(self.name, styles, has_text, rarity)

        habit_df = _habit_df(habits, self.name, rarity, wanted)

        ids = np.empty(n, dtype=object)
        ids[:] = list(account_ids)
        logger.debug("phrasing: %d accounts, %d shingles (%d distinct), %d sentences", n, len(sh_ids), len(vocab),
                     len(sent_hashes))  # fmt: skip
        return PhrasingTable(
            account_ids=ids,
            vocab=vocab,
            vocab_df=vocab_df.astype(np.int64),
            idf=idf,
            sh_offsets=sh_offsets,
            sh_ids=sh_ids,
            sh_capped=capped,
            sh_rowsum=sh_rowsum,
            minhash=minhash,
            style=styles,
            style_unit=style_unit,
            sent_offsets=sent_offsets,
            sent_hashes=sent_hashes,
            sent_df=sent_df,
            sent_ids=sent_ids,
            sent_rare=sent_rare,
            sent_text=sent_text,
            habits=habits,
            habit_df=habit_df,
            num_perm=int(self.num_perm),
            seed=int(self.seed),
            common_df=float(common_df),
            rare_df=int(rare_df),
            key_df=effective_key_df(self.key_df, n_total),
        )

    # -- 2. candidate keys -------------------------------------------------------------------
    def band_keys(self, minhash: np.ndarray) -> np.ndarray:
        """LSH band keys ``(n, bands)`` ``uint64`` of MinHash rows (a band's key mixes its rows and index)."""
        self._validate()
        mh = np.asarray(minhash, dtype=np.uint64)
        if mh.ndim != 2 or mh.shape[1] != self.num_perm:
            raise ValueError(f"minhash must have shape (n, {self.num_perm}), got {mh.shape}")
        r = self.num_perm // self.bands
        bands = mh.reshape(len(mh), self.bands, r)
        h = np.broadcast_to(
            _mix64(np.arange(self.bands, dtype=np.uint64) ^ _U64(0x7068726173696E67)), (len(mh), self.bands)
        ).copy()
        for j in range(r):
            h = _mix64(h ^ bands[:, :, j])
        return h

    def candidate_keys(self, table: PhrasingTable) -> tuple[np.ndarray, np.ndarray]:
        """``(rows int64, keys uint64)``: MinHash LSH band keys, rare sentences and rare shingles.

        Accounts without text get no keys. Sentence and shingle keys are taken for values
        held by 2..``table.key_df`` accounts (:func:`effective_key_df` of the collection's
        size), rarest first, at most ``max_sentence_keys`` and ``max_shingle_keys`` per account; so an account has at most
        ``bands + max_sentence_keys + max_shingle_keys`` keys. The band keys find copies
        with a high plain Jaccard; the rare keys find reworded copies that kept a few
        of the seller's own phrases (most of the recall on reworded comebacks).
        """
        self._validate()
        n = len(table)
        offs, s_offs = table.sh_offsets, table.sent_offsets
        # _KEY_ROWS rows at a time, each kind's keys in row order as over the whole table at
        # once: that made, per shingle entry, its row and its count as int64 and masks
        # beside them, and copied every row's sketch (1 KB a row) for the band keys (a probe
        # at 300k accounts: +1,059 MB in this step; by count ~3.6 GB at 1M)
        found: list[list[tuple[np.ndarray, np.ndarray]]] = [[], [], []]  # bands, sentences, shingles
        for r0 in range(0, n, _KEY_ROWS):
            r1 = min(r0 + _KEY_ROWS, n)
            rows_t = r0 + np.flatnonzero(offs[r0 + 1 : r1 + 1] > offs[r0:r1])
            bk = self.band_keys(table.minhash[rows_t])
            found[0].append((np.repeat(rows_t, self.bands), bk.ravel()))
            e0, e1 = int(s_offs[r0]), int(s_offs[r1])
            if self.max_sentence_keys and e1 > e0:
                hashes = table.sent_hashes[e0:e1]
                idx, r = _rarest_per_row(s_offs[r0 : r1 + 1] - e0, table.sent_df[e0:e1], hashes,
                                         table.key_df, self.max_sentence_keys)  # fmt: skip
                found[1].append((r + r0, _sentence_keys(hashes[idx])))
            e0, e1 = int(offs[r0]), int(offs[r1])
            if self.max_shingle_keys and e1 > e0:
                ids = table.sh_ids[e0:e1]
                idx, r = _rarest_per_row(offs[r0 : r1 + 1] - e0, table.vocab_df[ids], ids,
                                         table.key_df, self.max_shingle_keys)  # fmt: skip
                found[2].append((r + r0, _shingle_keys(table.vocab[ids[idx]])))
        # the rows joined and their parts let go before the keys are joined
        row_parts = [r for kind in found for r, _ in kind]
        key_parts = [k for kind in found for _, k in kind]
        found.clear()
        out_rows = np.concatenate(row_parts).astype(np.int64, copy=False) if row_parts else np.zeros(0, np.int64)
        row_parts.clear()
        out_keys = np.concatenate(key_parts).astype(np.uint64, copy=False) if key_parts else np.zeros(0, np.uint64)
        key_parts.clear()
        logger.debug("phrasing: %d candidate keys for %d rows", len(out_keys), n)
        return out_rows, out_keys

    # -- 3. compare --------------------------------------------------------------------------
    def compare(self, table: PhrasingTable, left: np.ndarray, right: np.ndarray) -> PairFeatures:
        """Features for candidate pairs (aligned row arrays), vectorised over the pairs.

        * ``text_sim``: IDF-weighted Jaccard of the shingle sets,
          ``sum(w(shared)) / sum(w(union))`` with ``w = max(0, log(common_df / df))``, i.e.
          ``log(N / df)`` shifted so that a shingle held by ``common_df`` accounts or more
          weighs exactly 0: boilerplate drops out of numerator and denominator alike.
          Jaccard, not containment: a short all-boilerplate text would be "contained" in
          every account that uses the template; ``text_info`` carries the absolute mass.
        * ``text_jaccard``: MinHash estimate of the plain Jaccard similarity.
        * ``sentence_shared``: number of distinct normalised sentences both use that at
          most ``rare_df`` accounts use.
        * ``style_sim``: cosine of the standardised style vectors, clipped to 0..1.
        * ``text_info``: ``sum(idf(shared))``, the evidence mass behind ``text_sim``.

        Pairs where either side has no text get 0 everywhere.
        """
        left, right = self._check_pairs(table, left, right)
        n_pairs = len(left)
        if n_pairs == 0:
            return PairFeatures({name: np.empty(0, dtype=np.float64) for name in self.feature_names})
        offs, ids = table.sh_offsets, table.sh_ids
        has = _both_have_text(table, left, right)
        # consistent bottom-k: if either side was capped, only ids <= the smaller max count
        limit = None
        capped = table.sh_capped
        if capped.any():
            cl, cr = capped[left], capped[right]
            if cl.any() or cr.any():
                # (an int64 bound: beside an int32 array a Python int would be cast down)
                top = np.int64(np.iinfo(np.int64).max)  # a capped row is never empty
                last_l = np.where(cl, ids[np.maximum(offs[left + 1] - 1, 0)].astype(np.int64), top)
                last_r = np.where(cr, ids[np.maximum(offs[right + 1] - 1, 0)].astype(np.int64), top)
                limit = np.minimum(last_l, last_r)
        # (the limit above comes from the full rows: a capped row's bottom-k ends at its last id)
        inter = _pair_intersections(*table.sh_weighted, left, right, table.idf, limit)
        if limit is None:
            wl = table.sh_rowsum[left]
            wr = table.sh_rowsum[right]
        else:
            wl = _row_sums_upto(offs, ids, table.idf, table.sh_rowsum, left, limit)
            wr = _row_sums_upto(offs, ids, table.idf, table.sh_rowsum, right, limit)
        union = wl + wr - inter
        text_sim = np.where(has & (union > 1e-12), inter / np.where(union > 1e-12, union, 1.0), 0.0)
        text_sim = np.clip(text_sim, 0.0, 1.0)

        text_jaccard = np.zeros(n_pairs, dtype=np.float64)
        for s in range(0, n_pairs, _PAIR_BLOCK):  # bounded memory: 16k pairs x num_perm
            sl = slice(s, s + _PAIR_BLOCK)
            # an int32 count of equal slots (exact: k/num_perm either way); a bool mean
            # went through float64 and cost a third more
            same = np.take(table.minhash, left[sl], axis=0) == np.take(table.minhash, right[sl], axis=0)
            text_jaccard[sl] = same.sum(axis=1, dtype=np.int32) / table.minhash.shape[1]
        text_jaccard[~has] = 0.0

        sentence_shared = _pair_intersections(*table.sent_weighted, left, right, table.sent_rare)

        style_sim = _style_sim(table, left, right, has)
        return PairFeatures(
            {
                "text_sim": text_sim,
                "text_jaccard": text_jaccard,
                "sentence_shared": sentence_shared,
                "style_sim": style_sim,
                "text_info": np.where(has, inter, 0.0),
            }
        )

    def compare_one(self, states: Sequence[bytes], one: bytes, *, rarity: RarityContext) -> PairFeatures:
        """Features of the pairs ``(one, states[j])``: exactly what :meth:`compare` gives for the
        pairs ``(n, j)`` of ``assemble(ids, [*states, one], rarity=rarity)`` (``n = len(states)``),
        without the table: no vocabulary of the batch, no CSR of it, no sentence texts.

        An index query's first pass (one account against its ~33 candidates, with a context
        in which the values only a candidate holds weigh nothing): its features came from a
        table of the 34 rows, built for the pairs of one row. Every number here is made by the
        same operations on the same values in the same order as there (row sums by the same
        ``reduceat`` over each row's entries, zero weights kept; shared weights summed by
        ``bincount`` in hash order, as the table's sorted ids; style by the same function),
        so that the two agree to the last bit (a property test holds them to it).
        """
        self._validate()
        n = len(states)
        settings = self._settings()
        parts = []
        minhash = np.empty((n + 1, self.num_perm), dtype=np.uint64)
        for i, st in enumerate([*states, one]):
            part, mh = self._state(st, settings)
            if mh is None:  # stored before the sketch was: the table's way computes every sketch
                table = self.assemble([str(j) for j in range(n + 1)], [*states, one], rarity=rarity)
                return self.compare(table, np.full(n, n, dtype=np.int64), np.arange(n, dtype=np.int64))
            minhash[i] = mh
            parts.append(part)
        if n == 0:
            return PairFeatures({name: np.empty(0, dtype=np.float64) for name in self.feature_names})
        common_df, rare_df = effective_cutoffs(self.common_df, self.rare_df, rarity.n_accounts)

        # every row's shingle entries with their weights (the table: per vocabulary id, the
        # same function of the same count)
        sh_offsets, sh = _csr([p[0] for p in parts], np.uint64)
        lens = np.diff(sh_offsets)
        if len(sh):
            idf = np.maximum(np.log(common_df / np.maximum(rarity.df(self.name, _shingle_keys(sh)), 1)), 0.0)
        else:
            idf = np.empty(0, dtype=np.float64)
        entry = np.arange(len(sh), dtype=np.int64)  # (the table's ids: see the row sums cut below)
        rowsum = _row_sums(sh_offsets, entry, idf)
        q0, q1 = int(sh_offsets[n]), int(sh_offsets[n + 1])
        q_sh = sh[q0:q1]
        has = (lens[:n] > 0) & (lens[n] > 0)

        # consistent bottom-k: if either side was capped, only hashes up to the smaller of the
        # capped sides' largest (the table's ids are its vocabulary's ranks, in hash order)
        capped = np.array([p[1] for p in parts], dtype=bool)
        last = sh[np.maximum(sh_offsets[1:] - 1, 0)] if len(sh) else np.zeros(n + 1, dtype=np.uint64)
        limited = (capped[:n] | capped[n]) & has
        limit = np.where(capped[:n], np.minimum(last[:n], last[n]), last[n]) if capped[n] else last[:n]
        # the other rows' entries (each row in its hash order) and which of them the one holds
        row, o_sh, o_idf = np.repeat(np.arange(n), lens[:n]), sh[:q0], idf[:q0]
        pos = np.minimum(np.searchsorted(q_sh, o_sh), max(len(q_sh) - 1, 0))
        # (a shared hash is within both rows' largest, so within the limit: only the sums of
        # the rows on their own are cut by it)
        hit = (q_sh[pos] == o_sh) if len(q_sh) else np.zeros(q0, dtype=bool)
        inter = np.bincount(row[hit], weights=o_idf[hit], minlength=n)
        # each side's own weight, cut at the limit by the table's _row_sums_upto: its ids here
        # are the entries' positions (in hash order within a row, as the table's ids), the
        # limit the last position within it (no limit: past every position)
        lim_l = np.full(n, np.iinfo(np.int64).max)
        lim_r = lim_l.copy()
        if limited.any():
            within = np.bincount(row[limited[row] & (o_sh <= limit[row])], minlength=n)
            lim_r[limited] = (sh_offsets[:n] + within - 1)[limited]
            lim_l[limited] = (q0 + np.searchsorted(q_sh, limit, side="right") - 1)[limited]
        wl = _row_sums_upto(sh_offsets, entry, idf, rowsum, np.full(n, n, dtype=np.int64), lim_l)
        wr = _row_sums_upto(sh_offsets, entry, idf, rowsum, np.arange(n, dtype=np.int64), lim_r)
        union = wl + wr - inter
        text_sim = np.where(has & (union > 1e-12), inter / np.where(union > 1e-12, union, 1.0), 0.0)
        text_sim = np.clip(text_sim, 0.0, 1.0)

        same = minhash[:n] == minhash[n]
        text_jaccard = same.sum(axis=1, dtype=np.int32) / self.num_perm
        text_jaccard[~has] = 0.0

        # rare sentences both hold (a sentence's count: the table's, of its vocabulary entry)
        s_offsets, sent = _csr([p[2] for p in parts], np.uint64)
        s0, s1 = int(s_offsets[n]), int(s_offsets[n + 1])
        q_sent = sent[s0:s1]
        sentence_shared = np.zeros(n, dtype=np.float64)
        if len(q_sent) and s0:
            q_rare = np.asarray(rarity.df(self.name, _sentence_keys(q_sent))) <= rare_df
            spos = np.minimum(np.searchsorted(q_sent, sent[:s0]), len(q_sent) - 1)
            shit = (q_sent[spos] == sent[:s0]) & q_rare[spos]
            srow = np.repeat(np.arange(n + 1), np.diff(s_offsets))[:s0]
            sentence_shared = np.bincount(srow[shit], minlength=n).astype(np.float64)

        styles = np.array([p[4] for p in parts], dtype=np.float32).reshape(n + 1, len(STYLE_FEATURES))
        su = _style_units(self.name, styles, lens > 0, rarity)
        style_sim = _unit_cosines(su, np.full(n, n, dtype=np.int64), np.arange(n, dtype=np.int64), has)
        return PairFeatures(
            {
                "text_sim": text_sim,
                "text_jaccard": text_jaccard,
                "sentence_shared": sentence_shared,
                "style_sim": style_sim,
                "text_info": np.where(has, inter, 0.0),
            }
        )

    def _check_pairs(self, table: PhrasingTable, left: Any, right: Any) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(table, PhrasingTable):
            raise TypeError(f"table must be a PhrasingTable from PhrasingSignal.fingerprint, got {type(table).__name__}")
        left = np.asarray(left)
        right = np.asarray(right)
        if left.ndim != 1 or right.ndim != 1 or len(left) != len(right):
            raise ValueError(f"left and right must be 1-D arrays of equal length, got {left.shape} and {right.shape}")
        if len(left) and (left.dtype.kind not in "iu" or right.dtype.kind not in "iu"):
            raise ValueError(f"left and right must hold integer row numbers, got {left.dtype} and {right.dtype}")
        left = left.astype(np.int64)
        right = right.astype(np.int64)
        n = len(table)
        if len(left) and (left.min() < 0 or right.min() < 0 or left.max() >= n or right.max() >= n):
            raise ValueError(f"row numbers must be in [0, {n})")
        return left, right

    # -- 4. explain --------------------------------------------------------------------------
    def explain(self, table: PhrasingTable, i: int, j: int, max_items: int = 10) -> list[Evidence]:
        """Shared rare sentences (kind ``"sentence"``, as written on each side) and shared habits (``"style"``).

        Sentences used by at most ``rare_df`` accounts are listed rarest first; at most
        ``max_items`` of them. The style item
        lists the shared habit labels, rarest first: by the context's counts when the table was
        made with one that counted every account's habits (an index's: all it holds), else by
        the batch's.
        """
        left, right = self._check_pairs(table, np.array([i]), np.array([j]))
        i, j = int(left[0]), int(right[0])
        out: list[Evidence] = []
        si = slice(table.sent_offsets[i], table.sent_offsets[i + 1])
        sj = slice(table.sent_offsets[j], table.sent_offsets[j + 1])
        hi, hj = table.sent_hashes[si], table.sent_hashes[sj]
        common, ai, aj = np.intersect1d(hi, hj, assume_unique=True, return_indices=True)
        dfs = table.sent_df[si][ai]
        rare = np.flatnonzero(dfs <= table.rare_df)  # the sentences ``sentence_shared`` counts
        for o in rare[np.argsort(dfs[rare], kind="stable")][:max_items]:
            out.append(
                Evidence(
                    signal=self.name,
                    kind="sentence",
                    left=str(table.sent_text[si][ai[o]]),
                    right=str(table.sent_text[sj][aj[o]]),
                    key=f"{int(common[o]):016x}",
                    similarity=1.0,
                    shared_by=int(dfs[o]),
                )
            )
        shared = sorted(set(table.habits[i] or ()) & set(table.habits[j] or ()),
                        key=lambda lab: (table.habit_df.get(lab, 0), lab))  # fmt: skip
        if shared:
            text = ", ".join("both " + _plural(lab) for lab in shared[:8])
            out.append(
                Evidence(
                    signal=self.name,
                    kind="style",
                    left="; ".join(table.habits[i]),
                    right="; ".join(table.habits[j]),
                    key=text,
                    similarity=float(_style_sim(table, left, right)[0]),  # (as compare's)
                    shared_by=int(table.habit_df.get(shared[0], 0)),
                    extra={"shared_habits": shared, "description": text},
                )
            )
        return out
