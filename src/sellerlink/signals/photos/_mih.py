"""Exact Hamming-radius search over 64-bit hashes by multi-index hashing (Norouzi et al.).

Each hash is cut into four 16-bit pieces. If two hashes differ in at most ``r`` bits, one of
the four pieces differs in at most ``r // 4`` bits (pigeonhole), so probing every value
within ``r // 4`` of each query piece in four sorted piece tables finds every true
neighbour; candidates are then checked with a full popcount (``np.bitwise_count``).
Probing is vectorised: all queries x all probe masks go through one ``searchsorted``.

Radius 0-3 probes 1 value per piece, 4-7 probes 17, 8-11 probes 137, 12-15 probes 697;
beyond 15 the index falls back to a brute-force scan (still exact).

Example:
    >>> import numpy as np
    >>> idx = MultiIndexHash()
    >>> idx.add(np.array([0b1011, 0xFFFF_0000_0000_0000, 0b1000], dtype=np.uint64), np.array([10, 11, 12]))
    >>> idx.query(0b1001, radius=1)
    (array([10, 12]), array([1, 1]))
    >>> pairs_within(np.array([0, 1, 3, 2**64 - 1], dtype=np.uint64), 2)
    (array([0, 0, 1]), array([1, 2, 2]), array([1, 2, 1]))
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

__all__ = ["MultiIndexHash", "hamming", "pairs_within"]

N_PIECES = 4
PIECE_BITS = 16
MAX_PROBE_RADIUS = 3  # per piece; total radius <= 15 uses the index, more scans everything
_CHUNK = 1 << 22  # max candidate pairs materialised at once


def hamming(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Elementwise Hamming distance of ``uint64`` arrays (broadcasting)."""
    return np.bitwise_count(np.asarray(a, dtype=np.uint64) ^ np.asarray(b, dtype=np.uint64)).astype(np.int64)


@functools.lru_cache(maxsize=8)
def _masks(piece_radius: int) -> np.ndarray:
    """All 16-bit masks with at most ``piece_radius`` bits set."""
    out = [0]
    for k in range(1, piece_radius + 1):
        for bits in itertools.combinations(range(PIECE_BITS), k):
            out.append(sum(1 << b for b in bits))
    arr = np.array(out, dtype=np.uint64)
    arr.setflags(write=False)
    return arr


def _pieces(h: np.ndarray) -> np.ndarray:
    """``(N_PIECES, n)`` 16-bit pieces of ``uint64`` hashes."""
    shifts = np.arange(N_PIECES, dtype=np.uint64) * np.uint64(PIECE_BITS)
    return (h[None, :] >> shifts[:, None]) & np.uint64(0xFFFF)


def _check_radius(radius: int) -> int:
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or not 0 <= radius <= 64:
        raise ValueError(f"radius must be an integer in 0..64, got {radius!r}")
    return int(radius)


def _as_hashes(hashes: object, name: str = "hashes") -> np.ndarray:
    arr = np.asarray(hashes)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if arr.dtype != np.uint64:
        if arr.size and arr.dtype.kind not in "iu":
            raise ValueError(f"{name} must be unsigned 64-bit integers, got dtype {arr.dtype}")
        if arr.size and arr.dtype.kind == "i" and arr.min() < 0:
            raise ValueError(f"{name} must be non-negative")
        arr = arr.astype(np.uint64)
    return arr


class MultiIndexHash:
    """An index of 64-bit hashes answering exact Hamming-radius queries.

    ``add`` accepts more hashes at any time (the piece tables are rebuilt lazily on the next
    query), ``remove`` drops ids. Ids are any int64 labels (photo rows, window ids...).
    """

    def __init__(self) -> None:
        self._chunks_h: list[np.ndarray] = []
        self._chunks_id: list[np.ndarray] = []
        self._hashes = np.empty(0, dtype=np.uint64)
        self._ids = np.empty(0, dtype=np.int64)
        self._tables: list[tuple[np.ndarray, np.ndarray]] | None = None

    def __len__(self) -> int:
        self._consolidate()
        return len(self._hashes)

    def add(self, hashes: np.ndarray, ids: np.ndarray | None = None) -> None:
        """Add hashes with their ids (default: running positions)."""
        h = _as_hashes(hashes)
        if ids is None:
            start = len(self)
            i = np.arange(start, start + len(h), dtype=np.int64)
        else:
            i = np.asarray(ids, dtype=np.int64).reshape(-1)
            if i.shape != h.shape:
                raise ValueError(f"hashes and ids must be aligned, got {h.shape} and {i.shape}")
        self._chunks_h.append(h.copy())
        self._chunks_id.append(i.copy())
        self._tables = None

    def remove(self, ids: np.ndarray) -> None:
        """Remove every entry whose id is in ``ids``."""
        self._consolidate()
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        self._hashes, self._ids = self._hashes[keep], self._ids[keep]
        self._tables = None

    def _consolidate(self) -> None:
        if self._chunks_h:
            self._hashes = np.concatenate([self._hashes, *self._chunks_h])
            self._ids = np.concatenate([self._ids, *self._chunks_id])
            self._chunks_h, self._chunks_id = [], []
            self._tables = None

    def _build(self) -> list[tuple[np.ndarray, np.ndarray]]:
        self._consolidate()
        if self._tables is None:
            tables = []
            for p in _pieces(self._hashes):
                order = np.argsort(p, kind="stable")
                tables.append((p[order], order))
            self._tables = tables
        return self._tables

    def query(self, hash_value: int | np.integer, radius: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and distances of every entry within ``radius`` of one hash, nearest first."""
        _, pos, dist = self._search(np.array([hash_value], dtype=np.uint64), radius)
        order = np.lexsort((self._ids[pos], dist))
        return self._ids[pos][order], dist[order]

    def query_many(self, hashes: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All ``(query_index, id, distance)`` within ``radius``, for a batch of query hashes."""
        q, pos, dist = self._search(_as_hashes(hashes), radius)
        return q, self._ids[pos], dist

    def _search(self, q: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, entry position, distance), each pair once."""
        radius = _check_radius(radius)
        tables = self._build()
        n = len(self._hashes)
        empty = np.empty(0, dtype=np.int64)
        if n == 0 or len(q) == 0:
            return empty, empty, empty
        piece_radius = radius // N_PIECES
        if piece_radius > MAX_PROBE_RADIUS:
            return self._scan(q, radius)
        masks = _masks(piece_radius)
        qp = _pieces(q)
        out_q: list[np.ndarray] = []
        out_p: list[np.ndarray] = []
        out_d: list[np.ndarray] = []
        step = max(1, _CHUNK // (len(masks) * N_PIECES * 4))
        for s in range(0, len(q), step):
            qs = np.arange(s, min(len(q), s + step))
            cq: list[np.ndarray] = []
            cp: list[np.ndarray] = []
            for k, (sorted_vals, order) in enumerate(tables):
                probes = (qp[k, qs][:, None] ^ masks[None, :]).reshape(-1)
                lo = np.searchsorted(sorted_vals, probes, side="left")
                hi = np.searchsorted(sorted_vals, probes, side="right")
                cnt = hi - lo
                total = int(cnt.sum())
                if total == 0:
                    continue
                owner = np.repeat(np.repeat(qs, len(masks)), cnt)
                offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
                cq.append(owner)
                cp.append(order[np.repeat(lo, cnt) + offs])
            if not cq:
                continue
            qq = np.concatenate(cq)
            pp = np.concatenate(cp)
            d = hamming(q[qq], self._hashes[pp])
            ok = d <= radius
            qq, pp, d = qq[ok], pp[ok], d[ok]
            # the same pair may be found through several pieces: keep it once
            key = qq.astype(np.int64) * n + pp
            _, first = np.unique(key, return_index=True)
            out_q.append(qq[first])
            out_p.append(pp[first])
            out_d.append(d[first])
        if not out_q:
            return empty, empty, empty
        return np.concatenate(out_q), np.concatenate(out_p), np.concatenate(out_d)

    def _scan(self, q: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out_q, out_p, out_d = [], [], []
        n = len(self._hashes)
        step = max(1, _CHUNK // max(1, n))
        for s in range(0, len(q), step):
            d = hamming(q[s : s + step, None], self._hashes[None, :])
            qi, pi = np.nonzero(d <= radius)
            out_q.append(qi + s)
            out_p.append(pi)
            out_d.append(d[qi, pi])
        return (
            np.concatenate(out_q).astype(np.int64),
            np.concatenate(out_p).astype(np.int64),
            np.concatenate(out_d).astype(np.int64),
        )

    @staticmethod
    def pairs_within(hashes: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """See :func:`pairs_within`."""
        return pairs_within(hashes, radius)


def pairs_within(hashes: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ``(i, j, distance)`` with ``i < j`` and ``hamming(hashes[i], hashes[j]) <= radius``,
    sorted by ``(i, j)``. Exact; never enumerates all pairs when ``radius <= 15``."""
    h = _as_hashes(hashes)
    idx = MultiIndexHash()
    idx.add(h)
    qi, pi, d = idx._search(h, _check_radius(radius))
    keep = qi < pi
    i, j, d = qi[keep], pi[keep], d[keep]
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64), d[order].astype(np.int64)
