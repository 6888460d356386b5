"""Candidate pairs from blocking keys, without ever enumerating all pairs.

Each signal emits ``(rows, keys)``: every pair of rows that share a key is a candidate.
Keys held by more than ``max_block`` rows are dropped (a phone on 500 accounts or the
token "thrift" says nothing about any one pair, and keeping them would make the pair
count grow with the square of the data). The work is a sort plus vectorised pair
generation, linear in the number of keys plus the number of pairs produced.
"""

from __future__ import annotations

import numpy as np

__all__ = ["merge_pairs", "pairs_from_keys", "pairs_from_keys_reference"]


def _dedupe_sorted(rows: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((rows, keys))
    k = keys[order]
    r = rows[order]
    if len(k) == 0:
        return r, k
    keep = np.ones(len(k), dtype=bool)
    keep[1:] = (k[1:] != k[:-1]) | (r[1:] != r[:-1])
    return r[keep], k[keep]


def pairs_from_keys(
    rows: np.ndarray, keys: np.ndarray, *, max_block: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``(i, j)``, ``i < j``, of rows sharing a key held by at most ``max_block`` rows.

    Returns two aligned ``int64`` arrays, sorted and without repeats.

    >>> import numpy as np
    >>> pairs_from_keys(np.array([0, 1, 2, 3]), np.array([7, 7, 7, 9], dtype=np.uint64))
    (array([0, 0, 1]), array([1, 2, 2]))
    """
    rows = np.asarray(rows, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.uint64)
    if rows.shape != keys.shape:
        raise ValueError(f"rows and keys must be aligned, got {rows.shape} and {keys.shape}")
    if max_block < 2:
        raise ValueError(f"max_block must be at least 2, got {max_block}")
    r, k = _dedupe_sorted(rows, keys)
    if len(k) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    ok = (sizes >= 2) & (sizes <= max_block)
    starts, sizes = starts[ok], sizes[ok]
    if len(starts) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    # Position of each element inside its (kept) group, and how many later partners it has.
    first = np.repeat(starts, sizes)
    elem = first + (np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes))
    pos = elem - first
    partners = np.repeat(sizes, sizes) - 1 - pos
    total = int(partners.sum())
    left_elem = np.repeat(elem, partners)
    run_start = np.repeat(np.cumsum(partners) - partners, partners)
    right_elem = left_elem + 1 + (np.arange(total) - run_start)
    a = r[left_elem]
    b = r[right_elem]
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    return merge_pairs([(lo, hi)])


def merge_pairs(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Union of several pair lists (each ``lo < hi``), sorted, without repeats or self-pairs."""
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    lo = np.concatenate([np.asarray(p[0], dtype=np.int64) for p in parts])
    hi = np.concatenate([np.asarray(p[1], dtype=np.int64) for p in parts])
    a = np.minimum(lo, hi)
    b = np.maximum(lo, hi)
    keep = a != b
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return a, b
    both = np.unique(np.stack([a, b], axis=1), axis=0)
    return both[:, 0].copy(), both[:, 1].copy()


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
