"""Candidate pairs from blocking keys, without ever enumerating all pairs.

Each signal emits ``(rows, keys)``: every pair of rows that share a key is a candidate.
Keys held by more than ``max_block`` rows are dropped (a phone on 500 accounts or the
token "thrift" says nothing about any one pair, and keeping them would make the pair
count grow with the square of the data). The work is a sort plus vectorised pair
generation, linear in the number of keys plus the number of pairs produced.

Memory: a pair of similar accounts shares many keys (name tokens, 4-grams, MinHash
bands), so the pairs generated before de-duplication can outnumber the distinct pairs
several times over. They are therefore generated a bounded number at a time (whole key
blocks, about ``chunk_pairs`` pairs per step), each pair packed into one ``uint64`` code
``(lo << 32) | hi`` (rows relative to the smallest row), de-duplicated with a 1-D
``np.unique`` and folded into a running union of codes. Peak memory is a few times
the distinct pairs plus a fixed working set, not the raw pair count.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ._arrays import distinct_in_place, unique_sorted
from ._memory import release_freed_heap

__all__ = ["DEFAULT_CHUNK_PAIRS", "PairUnion", "merge_pairs", "pair_codes_from_keys", "pairs_from_keys",
           "pairs_from_keys_reference"]

#: Pairs generated per step inside :func:`pairs_from_keys` (about 60 bytes of working memory each).
DEFAULT_CHUNK_PAIRS = 1 << 21
#: bytes of pending codes copied into a growing union between two hand-backs of the freed heap,
#: and the block by which a merge copies the union so far (shrinking it behind the copy)
_MERGE_TRIM = 64 << 20

_SHIFT = np.uint64(32)
_SPAN = 1 << 32  # rows relative to the smallest must fit in 32 bits to be packed


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)


def _dedupe_sorted(rows: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((rows, keys))
    k = keys[order]
    r = rows[order]
    del order
    if len(k) == 0:
        return r, k
    keep = np.ones(len(k), dtype=bool)
    keep[1:] = (k[1:] != k[:-1]) | (r[1:] != r[:-1])
    if keep.all():  # (the usual case: a signal draws distinct keys per row) no second copy of both
        return r, k
    return r[keep], k[keep]


def _check_span(lo_min: int, hi_max: int) -> None:
    if hi_max - lo_min >= _SPAN:
        raise ValueError(f"row numbers must span less than 2**32, got {lo_min}..{hi_max}")


def _encode(lo: np.ndarray, hi: np.ndarray, base: int) -> np.ndarray:
    """``((lo - base) << 32) | (hi - base)`` as ``uint64``: sorting codes sorts by (lo, hi)."""
    b = np.int64(base)
    code = (lo - b).astype(np.uint64) << _SHIFT
    code |= (hi - b).astype(np.uint64)
    return code


def _decode(codes: np.ndarray, base: int, *, reuse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` ``int64`` rows of the codes. ``reuse``: the codes are the caller's to give
    up, and ``hi`` is computed in their array. Each side is finished in place after its one
    new array: the cast and the added base each made another, so that making ``hi`` held four
    arrays of 8 bytes a pair at once (by count: 4.5 GB for the 1M link's 140.7M pairs); now
    two with ``reuse``, three without."""
    lo = (codes >> _SHIFT).view(np.int64)  # (the same values: each half is below 2**32)
    hi = np.bitwise_and(codes, np.uint64(_SPAN - 1), out=codes if reuse else None).view(np.int64)
    if base:
        lo += np.int64(base)
        hi += np.int64(base)
    return lo, hi


class _CodeUnion:
    """A running sorted union of ``uint64`` codes, merged whenever the pending parts outgrow it
    (so every code is re-sorted O(log) times and at most about twice the union is held)."""

    def __init__(self) -> None:
        self.merged = np.empty(0, dtype=np.uint64)
        self.pending: list[np.ndarray] = []
        self.n_pending = 0

    def add(self, codes: np.ndarray) -> None:
        if len(codes) == 0:
            return
        self.pending.append(codes)
        self.n_pending += len(codes)
        if self.n_pending >= max(len(self.merged), DEFAULT_CHUNK_PAIRS):
            self._merge()

    def _merge(self) -> None:
        if not self.pending:
            return
        pending, self.pending, self.n_pending = self.pending, [], 0
        if not len(self.merged) and len(pending) == 1:  # a caller's array: sorted into a copy
            self.merged = distinct_in_place(np.sort(pending[0]))
            return
        # A new array takes the pending codes, each part let go once copied, then the union
        # so far, copied from its end and shrunk as it goes (a realloc: a large array's tail
        # goes back to the system). Copying the union whole held it twice until it was
        # copied, and the pending parts (under glibc's mmap threshold: 16 MB each) stayed
        # resident once freed, so their heap is handed back every _MERGE_TRIM bytes. A probe
        # of 60 parts of 2M codes drawn with repeats (a 304 MB union): peak +834 -> +656 MB.
        merged, self.merged = self.merged, np.empty(0, dtype=np.uint64)
        m = len(merged)
        both = np.empty(m + sum(len(p) for p in pending), dtype=np.uint64)
        at, freed = m, 0
        pending.reverse()
        while pending:
            part = pending.pop()
            both[at : at + len(part)] = part
            at += len(part)
            freed += part.nbytes
            del part
            if freed >= _MERGE_TRIM:
                release_freed_heap()
                freed = 0
        while m:  # (the union is ours, and never handed out while it can still grow)
            a = max(m - _MERGE_TRIM // merged.itemsize, 0)
            both[a:m] = merged[a:m]
            merged.resize(a, refcheck=False)
            m = a
        del merged
        both.sort()  # in place: this concatenation is ours (a sorted copy was another 8 bytes a pair)
        # and the distinct codes written over its front (a distinct copy beside it was the
        # size of the union again)
        self.merged = distinct_in_place(both)

    def result(self) -> np.ndarray:
        self._merge()
        return self.merged


def _block_pair_codes(r: np.ndarray, starts: np.ndarray, sizes: np.ndarray, base: int) -> np.ndarray:
    """Codes of every pair inside each block ``r[starts[g] : starts[g] + sizes[g]]``.

    Rows inside a block are sorted and distinct, so the earlier element is the smaller row.
    """
    ends = np.cumsum(sizes)
    first = np.repeat(starts, sizes)
    elem = first + (np.arange(int(ends[-1]), dtype=np.int64) - np.repeat(ends - sizes, sizes))
    partners = np.repeat(sizes, sizes) - 1 - (elem - first)
    del first
    total = int(partners.sum())
    left_elem = np.repeat(elem, partners)
    run_start = np.repeat(np.cumsum(partners) - partners, partners)
    del elem, partners
    right_elem = left_elem + 1 + (np.arange(total, dtype=np.int64) - run_start)
    del run_start
    codes = _encode(r[left_elem], r[right_elem], base)
    return codes


def pairs_from_keys(
    rows: np.ndarray, keys: np.ndarray, *, max_block: int = 200, chunk_pairs: int = DEFAULT_CHUNK_PAIRS
) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``(i, j)``, ``i < j``, of rows sharing a key held by at most ``max_block`` rows.

    Returns two aligned ``int64`` arrays, sorted and without repeats. Pairs are generated
    about ``chunk_pairs`` at a time (whole key blocks per step; see the module docstring),
    so the working memory does not grow with the number of repeated pairs. Row numbers
    must span less than ``2**32``.

    >>> import numpy as np
    >>> pairs_from_keys(np.array([0, 1, 2, 3]), np.array([7, 7, 7, 9], dtype=np.uint64))
    (array([0, 0, 1]), array([1, 2, 2]))
    """
    rows = np.asarray(rows, dtype=np.int64)
    base = int(rows.min()) if len(rows) else 0
    return _decode(pair_codes_from_keys(rows, keys, max_block=max_block, chunk_pairs=chunk_pairs, base=base), base,
                   reuse=True)


def pair_codes_from_keys(
    rows: np.ndarray, keys: np.ndarray, *, max_block: int = 200, chunk_pairs: int = DEFAULT_CHUNK_PAIRS,
    base: int = 0,
) -> np.ndarray:  # fmt: skip
    """:func:`pairs_from_keys` as sorted distinct ``uint64`` codes ``((i - base) << 32) | (j - base)``
    (rows must be at least ``base`` and span less than ``2**32``): half the memory of two
    ``int64`` arrays, and codes of several signals merge without decoding (:class:`PairUnion`).
    """
    rows = np.asarray(rows, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.uint64)
    if rows.shape != keys.shape or rows.ndim != 1:
        raise ValueError(f"rows and keys must be aligned 1-D arrays, got {rows.shape} and {keys.shape}")
    if max_block < 2:
        raise ValueError(f"max_block must be at least 2, got {max_block}")
    if chunk_pairs < 1:
        raise ValueError(f"chunk_pairs must be positive, got {chunk_pairs}")
    r, k = _dedupe_sorted(rows, keys)
    if len(k) < 2:
        return np.empty(0, dtype=np.uint64)
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    del k
    ok = (sizes >= 2) & (sizes <= max_block)
    starts, sizes = starts[ok], sizes[ok]
    if len(starts) == 0:
        return np.empty(0, dtype=np.uint64)
    if int(r.min()) < base:
        raise ValueError(f"row numbers must be at least base={base}, got {int(r.min())}")
    _check_span(base, int(r.max()))
    n_pairs = sizes * (sizes - 1) // 2
    cum = np.cumsum(n_pairs)
    union = _CodeUnion()
    g0, done = 0, 0
    while g0 < len(starts):
        # whole blocks, about chunk_pairs pairs (a single larger block goes alone)
        g1 = max(int(np.searchsorted(cum, done + chunk_pairs, side="right")), g0 + 1)
        codes = _block_pair_codes(r, starts[g0:g1], sizes[g0:g1], base)
        union.add(unique_sorted(codes))
        del codes
        done = int(cum[g1 - 1])
        g0 = g1
    return union.result()


class PairUnion:
    """The union of pair lists given as codes of :func:`pair_codes_from_keys` (same ``base``),
    folded in one at a time: only the running union and the part being added are held.

    >>> import numpy as np
    >>> u = PairUnion()
    >>> u.add(pair_codes_from_keys(np.array([0, 1, 2]), np.array([5, 5, 6], dtype=np.uint64)))
    >>> u.add(pair_codes_from_keys(np.array([0, 1, 2]), np.array([7, 8, 7], dtype=np.uint64)))
    >>> u.pairs()
    (array([0, 0]), array([1, 2]))
    """

    def __init__(self, base: int = 0) -> None:
        self.base = int(base)
        self._union = _CodeUnion()

    def add(self, codes: np.ndarray) -> None:
        codes = np.asarray(codes)
        if codes.dtype != np.uint64 or codes.ndim != 1:
            raise ValueError(f"codes must be a 1-D uint64 array, got {codes.dtype} {codes.shape}")
        self._union.add(codes)

    def pairs(self, *, consume: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)``: aligned ``int64`` arrays, sorted, without repeats. ``consume=True``
        empties the union and decodes into its own array (one array of 8 bytes a pair less
        at once)."""
        codes = self._union.result()
        if consume:
            self._union = _CodeUnion()
        return _decode(codes, self.base, reuse=consume)


def merge_pairs(parts: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Union of several pair lists (each ``lo < hi``), sorted, without repeats or self-pairs.

    Pairs are packed into ``uint64`` codes (see the module docstring) and merged as 1-D
    arrays; row numbers must span less than ``2**32``.

    >>> import numpy as np
    >>> merge_pairs([(np.array([2, 0]), np.array([3, 1])), (np.array([1]), np.array([0]))])
    (array([0, 2]), array([1, 3]))
    """
    clean: list[tuple[np.ndarray, np.ndarray]] = []
    for p in parts:
        lo = np.asarray(p[0], dtype=np.int64)
        hi = np.asarray(p[1], dtype=np.int64)
        if lo.shape != hi.shape or lo.ndim != 1:
            raise ValueError(f"each part must be two aligned 1-D arrays, got {lo.shape} and {hi.shape}")
        a, b = np.minimum(lo, hi), np.maximum(lo, hi)
        keep = a != b
        if not keep.all():
            a, b = a[keep], b[keep]
        if len(a):
            clean.append((a, b))
    if not clean:
        return _empty()
    base = min(int(a.min()) for a, _ in clean)
    _check_span(base, max(int(b.max()) for _, b in clean))
    union = _CodeUnion()
    while clean:
        a, b = clean.pop(0)
        union.add(_encode(a, b, base))
        del a, b
    return _decode(union.result(), base, reuse=True)


def pairs_from_keys_reference(rows: np.ndarray, keys: np.ndarray, *, max_block: int = 200) -> set[tuple[int, int]]:
    """The obvious slow version, for tests."""
    groups: dict[int, set[int]] = {}
    for r, k in zip(rows.tolist(), keys.tolist()):
        groups.setdefault(k, set()).add(r)
    out: set[tuple[int, int]] = set()
    for members in groups.values():
        if 2 <= len(members) <= max_block:
            m = sorted(members)
            for x in range(len(m)):
                for y in range(x + 1, len(m)):
                    out.add((m[x], m[y]))
    return out
