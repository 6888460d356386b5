"""The contract every signal module follows.

A signal owns one kind of evidence (names, contacts, photos, phrasing) from end to end:

1. ``fingerprint(accounts)`` turns a batch of accounts into a columnar table
   (row ``i`` belongs to ``accounts[i]``). Per-record work only, so it can run over
   partitions of the data.
2. ``candidate_keys(table)`` returns aligned arrays ``(rows, keys)``: every pair of
   rows that share a key is a candidate pair. Keys are ``uint64``. The pipeline drops
   keys held by more than ``max_block`` rows (they are too common to mean anything and
   would make blocking quadratic), so a signal never has to enumerate pairs itself.
3. ``compare(table, left, right)`` scores a batch of candidate pairs (aligned int
   arrays of row numbers) and returns :class:`PairFeatures`: named float arrays
   aligned with the pairs. Features are raw measurements (similarities, counts,
   how many accounts share the matched value); turning them into evidence weights is
   the scorer's job, so that calibration lives in one place.
4. ``explain(table, i, j)`` returns the human-checkable evidence for one pair as a list
   of :class:`Evidence` items (what matched: the two values or photo paths). It is only
   called for the pairs that are kept, so it may be slow.

Frequencies ("how many accounts share this value") are computed over the table that
``fingerprint`` produced, i.e. over every account the signal has seen -- unless a
:class:`RarityContext` is passed (``fingerprint(accounts, rarity=ctx)``): then they come
from the context, so a small batch (one query account and its candidates) is scored as
if it were part of a much larger collection (:class:`sellerlink.index.Index`).

Optional hooks for a persistent index (signals without them are re-fingerprinted from
the stored record):

- ``rarity_keys(table) -> (rows, keys)``: each row's distinct ``uint64`` keys whose
  counts the signal's rarity uses (the same keys it will ask the context about);
- ``extract(accounts) -> list[bytes]`` / ``assemble(account_ids, states, *, rarity)``:
  the per-record part of ``fingerprint`` as bytes (numpy arrays with explicit dtype and
  JSON, see :func:`pack`; never pickle), and the rest, so that
  ``assemble(ids, extract(accounts), rarity=r)`` equals ``fingerprint(accounts, rarity=r)``;
- ``index_keys(table) -> (rows, keys)``: keys to store per account so that a later
  query's ``probe_keys`` find it whatever the counts are by then;
- ``probe_keys(table) -> (rows, keys)``: keys a row looks up among the stored
  ``index_keys`` to find indexed accounts it may match (default: ``candidate_keys``).
  A signal whose candidate keys name pairs within one table (photos) stores exact
  pieces of its values and probes with every piece within reach of the row's own;
- ``rarity_stats(table) -> dict[str, ndarray]``: additive batch statistics (phrasing's
  style sums), turned into context values by ``stats_to_context``;
- ``extract_in_processes = True``: ``extract`` is pure per-record CPU work that warns
  nothing (a warning raised in another process would not reach the caller), so
  :meth:`sellerlink.Linker.fingerprint` with ``workers > 1`` may run it in worker processes
  (the signal object is pickled to them once), chunk by chunk, and ``assemble`` the states
  in the calling process;
- ``bound_by_own_counts = True``: the signal promises that when the context answers with a
  huge count (a value weighing nothing) for every value the ``focus`` rows do not hold,
  each feature it returns for a pair with a ``focus`` row is at least the exact one. An
  index query then scores its candidates without looking up the values only they hold,
  and looks them up only for the candidates that this bound cannot rule out (phrasing:
  ``text_sim`` becomes shared weight / the query's own weight).
- ``shared_counts_only = True``: the stronger promise that every feature and every
  :class:`Evidence` item for a pair depends only on the counts of values both of its rows
  hold (names: matched keys and shared tokens; contacts: shared values). A context that
  answers exactly for the ``focus`` rows' own values (and with anything for the rest) then
  gives the exact features of every pair with a ``focus`` row, so an index query never
  looks up the values only its candidates hold. Their ``assemble(focus=)`` goes one step
  further and asks the context (and hashes) only the focus rows' values.
- ``compare_one(states, one, *, rarity) -> PairFeatures``: the features of the pairs
  ``(one, states[j])`` without a table, **exactly** (to the last bit) those ``compare``
  gives for the pairs ``(n, j)`` of ``assemble(ids, [*states, one], rarity=rarity)``
  (with ``focus=[n]`` for a ``shared_counts_only`` signal). An index query's first pass
  uses it for the signals above (phrasing, names, contacts) and makes their tables later,
  only for the pairs it explains: a table of ~34 rows cost more than the comparison.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import orjson

from ..records import Account

__all__ = [
    "Evidence",
    "PairFeatures",
    "RarityContext",
    "Signal",
    "pack",
    "stable_hash64",
    "stable_hash64_many",
    "unpack",
]


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence for a pair, readable by a program and by a person.

    Attributes:
        signal: "names", "contacts", "photos" or "phrasing".
        kind: what matched within the signal, e.g. "phone", "email", "bank", "photo",
            "display_name", "sentence", "style".
        left: the value as it appears on the left account (raw, as written).
        right: the value as it appears on the right account.
        key: the normalised value both reduce to (E.164 phone, hash hex...), if any.
        similarity: 0..1, how close the two values are (1 = identical after normalising).
        shared_by: how many accounts carry this value (rarity); 0 when not applicable.
        weight: the evidence weight (natural-log likelihood ratio) the scorer gave it;
            signals leave it at 0.0 and the scorer fills it in.
    """

    signal: str
    kind: str
    left: str
    right: str
    key: str = ""
    similarity: float = 1.0
    shared_by: int = 0
    weight: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class PairFeatures:
    """Named float64 arrays aligned with a batch of candidate pairs."""

    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        for v in self.values.values():
            return len(v)
        return 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


@dataclass(frozen=True)
class RarityContext:
    """Counts from outside the batch: how many accounts hold each value, over a whole collection.

    Attributes:
        n_accounts: accounts in the collection (the ``N`` of ``log(N / df)``).
        counts: ``counts(signal_name, keys) -> int64 array``: for each ``uint64`` key (as
            listed by the signal's ``rarity_keys``), the number of accounts in the
            collection holding it, the batch's own accounts included. A signal clamps
            the answer to at least 1 for a key its batch holds.
        stats: per signal, extra global values (e.g. ``{"phrasing": {"style_mean": ...,
            "style_std": ...}}``).

    Example:
        >>> ctx = RarityContext(10, lambda sig, keys: np.full(len(keys), 3, dtype=np.int64))
        >>> ctx.df("names", np.array([1, 2], dtype=np.uint64)).tolist()
        [3, 3]
    """

    n_accounts: int
    counts: Callable[[str, np.ndarray], np.ndarray]
    stats: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)

    def df(self, signal: str, keys: np.ndarray) -> np.ndarray:
        """Counts for ``keys`` (at least 1 each: the batch holds them)."""
        keys = np.asarray(keys, dtype=np.uint64)
        if len(keys) == 0:
            return np.zeros(0, dtype=np.int64)
        out = np.asarray(self.counts(signal, keys), dtype=np.int64)
        if out.shape != keys.shape:
            raise ValueError(f"RarityContext.counts returned shape {out.shape} for {keys.shape} keys")
        return np.maximum(out, 1)

    def stat(self, signal: str, name: str) -> np.ndarray | None:
        return self.stats.get(signal, {}).get(name)


def row_numbers(values: Sequence[int] | np.ndarray | None, n: int, what: str) -> np.ndarray | None:
    """``values`` (row numbers of an ``n``-row table; None passes through) as distinct sorted
    int64; ``ValueError`` naming ``what`` when one is out of range."""
    if values is None:
        return None
    given = np.asarray(values)
    if given.size and given.dtype.kind not in "iu":  # (a boolean mask would become rows 0 and 1)
        raise ValueError(f"{what} must be row numbers (integers), got {given.dtype}")
    rows = np.unique(given.astype(np.int64).ravel())
    if len(rows) and (rows[0] < 0 or rows[-1] >= n):
        raise ValueError(f"{what} must be row numbers in [0, {n})")
    return rows


_PACK_DTYPES = frozenset({"<u8", "<i8", "<f8", "<f4", "|b1", "|u1", "<i4", "|i1"})
_DTYPES = {d: np.dtype(d) for d in _PACK_DTYPES}


def pack(arrays: Mapping[str, np.ndarray] | None = None, meta: Any = None) -> bytes:
    """Serialise named numpy arrays (explicit dtype and shape) and a JSON value; no pickle.

    >>> a = {"x": np.arange(3, dtype=np.uint64)}
    >>> arrs, meta = unpack(pack(a, {"k": 1}))
    >>> arrs["x"].tolist(), meta
    ([0, 1, 2], {'k': 1})
    """
    head: dict[str, Any] = {"meta": meta, "arrays": []}
    blobs = []
    for name, arr in (arrays or {}).items():
        a = np.asarray(arr)
        if not a.flags.c_contiguous:  # (ascontiguousarray would also turn a 0-d array into 1-d)
            a = np.ascontiguousarray(a)
        dt = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
        a = a.astype(dt, copy=False)
        if a.dtype.str not in _PACK_DTYPES:
            raise ValueError(f"cannot pack array {name!r} of dtype {a.dtype}")
        head["arrays"].append([name, a.dtype.str, list(a.shape)])
        blobs.append(a.tobytes())
    _check_ints(meta)
    h = json.dumps(head, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return len(h).to_bytes(4, "little") + h + b"".join(blobs)


def _check_ints(value: Any) -> None:
    """``ValueError`` for an integer outside [-2**63, 2**64) anywhere in ``value``: orjson (what
    :func:`unpack` reads with) would give it back as a float."""
    t = type(value)
    if t is int:
        if not -(1 << 63) <= value < 1 << 64:
            raise ValueError(f"cannot pack the integer {value}: beyond 64 bits")
    elif t is list or t is tuple:
        for v in value:
            if type(v) is not str:
                _check_ints(v)
    elif t is dict:
        for v in value.values():
            _check_ints(v)


def _loads(raw: bytes | memoryview) -> Any:
    """``json.loads`` of UTF-8 bytes, by orjson (2-3x faster: an index query unpacks ~100
    states). orjson refuses NaN and infinities, which ``json.dumps`` writes: those take the
    standard library's path. (Integers beyond 64 bits, which orjson would turn into floats,
    are refused by :func:`pack`.) ``raw`` may be a view into a larger blob (no copy)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(bytes(raw).decode("utf-8"))


def unpack(data: bytes, *, copy: bool = True) -> tuple[dict[str, np.ndarray], Any]:
    """Inverse of :func:`pack`. A malformed blob raises ``ValueError`` (never runs code).

    ``copy=False``: the arrays are read-only views of ``data`` (which they keep alive), for a
    reader that never writes to them (an index query unpacks ~100 states)."""
    try:
        n = int.from_bytes(data[:4], "little")
        # the header read in place: a phrasing state's header holds its sentences, and its
        # copy was a third of the unpacking
        head = _loads(memoryview(data)[4 : 4 + n])
        pos, end = 4 + n, len(data)
        out: dict[str, np.ndarray] = {}
        for name, dt, shape in head["arrays"]:
            dtype = _DTYPES.get(dt)
            if dtype is None:
                raise ValueError(f"dtype {dt!r} not allowed")
            if len(shape) == 1 and type(shape[0]) is int:  # most arrays: no product, no reshape
                count = shape[0]
                if count < 0 or pos + count * dtype.itemsize > end:
                    raise ValueError("truncated array data")
                arr = np.frombuffer(data, dtype=dtype, count=count, offset=pos)
            else:
                count = math.prod(int(d) for d in shape)
                if count < 0 or min(shape, default=0) < 0 or pos + count * dtype.itemsize > end:
                    raise ValueError("truncated array data")
                arr = np.frombuffer(data, dtype=dtype, count=count, offset=pos).reshape(shape)
            out[str(name)] = arr.copy() if copy else arr
            pos += count * dtype.itemsize
        return out, head.get("meta")
    except (KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a packed sellerlink fingerprint state: {exc}") from exc


@runtime_checkable
class Signal(Protocol):
    """What the pipeline needs from a signal module (see the module docstring)."""

    name: str
    feature_names: tuple[str, ...]

    def fingerprint(self, accounts: Sequence[Account]) -> Any: ...  # optional keyword: rarity

    def candidate_keys(self, table: Any) -> tuple[np.ndarray, np.ndarray]: ...

    def compare(self, table: Any, left: np.ndarray, right: np.ndarray) -> PairFeatures: ...

    def explain(self, table: Any, i: int, j: int) -> list[Evidence]: ...


_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3


def stable_hash64(text: str, salt: str = "") -> int:
    """A 64-bit hash of ``salt + text`` that is the same in every process (unlike ``hash``).

    Used for blocking keys. blake2b is in the standard library and fast enough for keys;
    the last 65,536 answers for short texts (names, tokens, contact values) are remembered:
    an index query hashes its candidates' values, which earlier queries hashed too. Long
    texts (whole sentences) are not kept alive by the cache.
    """
    if len(text) <= _CACHED_TEXT:
        return _stable_hash64_cached(text, salt)
    return _stable_hash64(text, salt)


_CACHED_TEXT = 64


def _stable_hash64(text: str, salt: str) -> int:
    digest = hashlib.blake2b((salt + "\x1f" + text).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


_stable_hash64_cached = functools.lru_cache(maxsize=1 << 16)(_stable_hash64)


def stable_hash64_many(texts: Sequence[str], salt: str = "") -> np.ndarray:
    """:func:`stable_hash64` over a sequence, as a ``uint64`` array."""
    return np.fromiter((stable_hash64(t, salt) for t in texts), dtype=np.uint64, count=len(texts))
