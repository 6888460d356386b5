"""The photos signal: near-duplicate product photos between accounts, discounted by how many
accounts carry them (supplier stock photos on 20-50 accounts prove little).

Pipeline inside the signal:

1. ``fingerprint`` hashes every photo once (:func:`hash_photos`; 81 window hashes + a
   mirrored hash + a chroma thumbnail each), then finds every pair of near-duplicate photos
   on *different* accounts in one batch: the whole/mirrored hash of one photo within
   ``radius`` (10) of any window hash of the other (exact multi-index hashing, never all
   pairs), a colour check, then verification: the two 48x48 thumbnails are aligned (rotation,
   per-axis scale, shift) and the pair is kept when their similarity reaches
   :data:`SIM_THRESHOLDS` at its hash distance (:mod:`._verify`). On real clothing photos this
   cuts false pairs from 2.4e-4 to ~9e-5 per photo pair while finding more watermarked,
   rotated and re-cropped copies than the hash alone at radius 6. Per photo, ``df`` = number of distinct accounts holding it or
   a near-duplicate of it (computed per photo, not per connected component, so chains of
   look-alikes do not inflate it).
2. ``candidate_keys`` emits one key per pair of accounts that share a matched photo whose
   ``df <= key_max_df``. Candidates are therefore exactly the pairs ``compare`` would score as
   matching (recall 100% by construction), each key held by two rows, so the pipeline's
   over-full-block filter never drops them; photos on more than ``key_max_df`` accounts are
   left to other signals, as an over-full block would be.
3. ``compare`` looks the candidate pairs up in the precomputed match list (vectorised).

Example:
    >>> import io, numpy as np
    >>> from PIL import Image
    >>> from sellerlink.records import Account
    >>> rng = np.random.default_rng(1)
    >>> img = Image.fromarray((rng.random((24, 32, 3)) * 255).astype(np.uint8)).resize((320, 240))
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> img.save(os.path.join(d, "a.jpg"), quality=90)
    >>> img.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(os.path.join(d, "b.jpg"), quality=50)
    >>> sig = PhotosSignal()
    >>> t = sig.fingerprint([Account("a", photos=(os.path.join(d, "a.jpg"),)),
    ...                      Account("b", photos=(os.path.join(d, "b.jpg"),))])
    >>> sig.compare(t, np.array([0]), np.array([1]))["photo_matches"]
    array([1.])
    >>> sig.explain(t, 0, 1)[0].extra["transform"]
    'mirrored'
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...config import DEFAULT_LIMITS, Limits
from ...records import Account
from ..base import Evidence, PairFeatures
from ._hashing import (
    _AXIS_WINDOWS,
    CHROMA_SIZE,
    THUMB_SIZE,
    MIRROR_VARIANT,
    N_WINDOWS,
    PhotoFingerprint,
    PhotoHash,
    _box_matrices,
    hash_photos,
    window_label,
)
from ._mih import MultiIndexHash
from ._verify import verify_pairs

__all__ = ["PhotosSignal", "PhotosTable", "FEATURE_NAMES", "match_fingerprints"]

logger = logging.getLogger(__name__)

FEATURE_NAMES: tuple[str, ...] = (
    "photo_matches",
    "photo_best_dist",
    "photo_min_df",
    "photo_rare_matches",
    "photo_n_left",
    "photo_n_right",
    "photo_best_sim",
)

DEFAULT_RADIUS = 10
"""Candidate Hamming radius; candidates are then verified on thumbnails (see ``SIM_THRESHOLDS``
and benchmarks/photo_robustness.py for the trade-off)."""
UNVERIFIED_RADIUS = 6
"""Radius used without verification (``verify=False`` or fingerprints without a thumbnail)."""
SIM_THRESHOLDS: dict[int, float] = {0: -np.inf, 2: 0.77, 4: 0.77, 6: 0.85, 8: 0.88, 10: 0.90}
"""Least thumbnail similarity accepted at each hash distance (pHash distances are even; a
distance beyond the table uses its last entry, up to 12). Fitted on real clothing photos
(benchmarks/photo_robustness.py): FPR ~9e-5 per photo pair against 2.4e-4 for radius 6 alone."""
DEFAULT_CHROMA_TOLERANCE = 10.0
"""Largest mean absolute Cb/Cr difference (0-255 scale, after a gain fit) between matched windows."""

_CHROMA_OUT = 8
_CHROMA_AY = _box_matrices(CHROMA_SIZE, _AXIS_WINDOWS, _CHROMA_OUT)  # (9, 8, 16), same for x
_CHUNK = 1 << 14


# =======================================================================================
# photo-level matching


def _chroma_distance(
    chroma: np.ndarray, q_photo: np.ndarray, q_mirrored: np.ndarray, i_photo: np.ndarray, i_window: np.ndarray
) -> np.ndarray:
    """Colour distance between the whole query photo (mirrored if asked) and a window of the other."""
    out = np.empty(len(q_photo), dtype=np.float64)
    n_axis = len(_AXIS_WINDOWS)
    full = _CHROMA_AY[0]
    for s in range(0, len(q_photo), _CHUNK):
        sl = slice(s, s + _CHUNK)
        cq = np.einsum("yh,khwc,xw->kyxc", full, chroma[q_photo[sl]].astype(np.float64), full, optimize=True)
        m = q_mirrored[sl]
        cq[m] = cq[m][:, :, ::-1]
        yi, xi = np.divmod(i_window[sl], n_axis)
        ci = np.einsum(
            "kyh,khwc,kxw->kyxc", _CHROMA_AY[yi], chroma[i_photo[sl]].astype(np.float64), _CHROMA_AY[xi], optimize=True
        )
        x = (cq - 128.0).reshape(len(cq), -1)
        y = (ci - 128.0).reshape(len(ci), -1)
        gain = np.clip((x * y).sum(1) / np.maximum((y * y).sum(1), 1e-9), 0.7, 1.4)
        out[sl] = np.abs(x - gain[:, None] * y).mean(1)
    return out


def match_fingerprints(
    fps: Sequence[PhotoFingerprint],
    *,
    radius: int = DEFAULT_RADIUS,
    chroma_tolerance: float = DEFAULT_CHROMA_TOLERANCE,
    groups: np.ndarray | None = None,
    verify: bool = True,
) -> dict[str, np.ndarray]:
    """All near-duplicate pairs among fingerprints, as aligned arrays (each unordered pair once).

    A pair ``(a, b)`` is a candidate when the whole or mirrored hash of one is within
    ``radius`` of any window hash of the other and their colours agree within
    ``chroma_tolerance``. With ``verify`` (default) each candidate's thumbnails are aligned
    (:func:`~sellerlink.signals.photos._verify.verify_pairs`) and it is kept when the
    similarity reaches :data:`SIM_THRESHOLDS` at its hash distance (a pair whose fingerprints
    lack a thumbnail is kept at distance <= ``min(radius, UNVERIFIED_RADIUS)``); without
    ``verify`` every candidate is kept (the hash-only rule; use ``radius=6`` for it). Pairs with equal ``groups`` values (same account)
    are skipped when ``groups`` is given.

    Returns ``a``, ``b`` (``a < b``), ``dist``, ``query_is_a`` (a's whole hash matched a window
    of b), ``mirrored``, ``window`` (the window id on the other photo) and ``sim`` (thumbnail
    similarity; NaN when not verified).
    """
    n = len(fps)
    empty_i = np.empty(0, dtype=np.int64)
    empty = {"a": empty_i, "b": empty_i, "dist": empty_i, "query_is_a": np.empty(0, bool),
             "mirrored": np.empty(0, bool), "window": empty_i, "sim": np.empty(0)}
    if n < 2:
        return empty
    windows = np.stack([fp.windows for fp in fps])  # (n, W)
    queries = np.stack([windows[:, 0], np.array([fp.mirrored for fp in fps], dtype=np.uint64)], axis=1)
    chroma = np.stack([fp.chroma for fp in fps])
    index = MultiIndexHash()
    index.add(windows.reshape(-1))
    qi, ids, dist = index.query_many(queries.reshape(-1), radius)
    q_photo, q_mirr = np.divmod(qi, 2)
    i_photo, i_window = np.divmod(ids, N_WINDOWS)
    keep = q_photo != i_photo
    if groups is not None:
        g = np.asarray(groups)
        keep &= g[q_photo] != g[i_photo]
    q_photo, q_mirr, i_photo, i_window, dist = q_photo[keep], q_mirr[keep].astype(bool), i_photo[keep], i_window[keep], dist[keep]
    if len(q_photo):
        cd = _chroma_distance(chroma, q_photo, q_mirr, i_photo, i_window)
        ok = cd <= chroma_tolerance
        q_photo, q_mirr, i_photo, i_window, dist = q_photo[ok], q_mirr[ok], i_photo[ok], i_window[ok], dist[ok]
    a = np.minimum(q_photo, i_photo)
    b = np.maximum(q_photo, i_photo)
    # best (smallest distance; then whole-image, unmirrored) evidence per unordered pair
    order = np.lexsort((i_window, q_mirr, dist, b, a))
    a, b = a[order], b[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(a) else np.empty(0, bool)
    out = {
        "a": a[first].astype(np.int64),
        "b": b[first].astype(np.int64),
        "dist": dist[order][first].astype(np.int64),
        "query_is_a": (q_photo[order] == a)[first],
        "mirrored": q_mirr[order][first],
        "window": i_window[order][first].astype(np.int64),
    }
    sim = np.full(len(out["a"]), np.nan)
    has_thumb = np.array([fp.thumb is not None for fp in fps], dtype=bool)
    if verify and len(sim):
        q = np.where(out["query_is_a"], out["a"], out["b"])
        o = np.where(out["query_is_a"], out["b"], out["a"])
        can = has_thumb[q] & has_thumb[o]
        if can.any():
            blank = np.zeros((THUMB_SIZE, THUMB_SIZE), np.uint8)
            thumbs = np.stack([fp.thumb if fp.thumb is not None else blank for fp in fps])
            aspects = np.array([fp.aspect for fp in fps], dtype=np.float64)
            sim[can] = verify_pairs(thumbs, aspects, q[can], o[can], out["mirrored"][can], out["window"][can])
    out["sim"] = sim
    need = _threshold_at(out["dist"])
    if not verify:
        return out
    ok = np.where(np.isnan(sim), out["dist"] <= min(radius, UNVERIFIED_RADIUS), sim >= need)
    return {k: v[ok] for k, v in out.items()}


_THRESH = np.full(65, np.inf)
for _d, _t in SIM_THRESHOLDS.items():
    _THRESH[_d] = _t
for _d in range(1, 13):  # odd distances (hashes with unequal bit counts) and 12 use the next-lower entry
    if _d not in SIM_THRESHOLDS:
        _THRESH[_d] = _THRESH[_d - 1]


def _threshold_at(dist: np.ndarray) -> np.ndarray:
    """Least similarity accepted at each hash distance (``inf`` beyond 12)."""
    return _THRESH[np.clip(np.asarray(dist, dtype=np.int64), 0, 64)]


# =======================================================================================
# the table


@dataclass
class PhotosTable:
    """Columnar photo fingerprints of a batch of accounts (account row ``i`` = ``accounts[i]``).

    Per usable photo ``p``: ``photo_account[p]``, ``photo_path[p]``, ``photo_hash[p]`` (whole
    image pHash), ``photo_df[p]`` and ``chroma[p]``. All hashes, one row per (photo, variant):
    ``hash_photo``, ``hash_account``, ``hash_variant`` (window id, or ``MIRROR_VARIANT``),
    ``hash_value``. Matches between photos of different accounts: ``match_*`` arrays with
    ``match_a < match_b`` (photo rows); ``match_df`` = max df of the two photos.
    """

    n_accounts: int
    photo_account: np.ndarray
    photo_path: tuple[str, ...]
    photo_hash: np.ndarray
    photo_df: np.ndarray
    chroma: np.ndarray
    n_photos: np.ndarray
    hash_photo: np.ndarray
    hash_account: np.ndarray
    hash_variant: np.ndarray
    hash_value: np.ndarray
    match_a: np.ndarray
    match_b: np.ndarray
    match_dist: np.ndarray
    match_df: np.ndarray
    match_query_is_a: np.ndarray
    match_mirrored: np.ndarray
    match_window: np.ndarray
    n_skipped: int = 0
    match_sim: np.ndarray | None = None

    def __len__(self) -> int:
        return self.n_accounts

    def _directed(self) -> dict[str, np.ndarray]:
        """Matches in both orientations, sorted by (left account, right account); cached."""
        cached = getattr(self, "_directed_cache", None)
        if cached is not None:
            return cached
        a, b = self.match_a, self.match_b
        acc_a, acc_b = self.photo_account[a], self.photo_account[b]
        left = np.r_[a, b]
        right = np.r_[b, a]
        key = np.r_[acc_a, acc_b].astype(np.int64) * max(1, self.n_accounts) + np.r_[acc_b, acc_a]
        rec = np.r_[np.arange(len(a)), np.arange(len(a))]
        order = np.argsort(key, kind="stable")
        d = {"key": key[order], "left": left[order], "right": right[order], "rec": rec[order],
             "left_is_a": np.r_[np.ones(len(a), bool), np.zeros(len(a), bool)][order]}
        object.__setattr__(self, "_directed_cache", d)
        return d


def _empty_table(n_accounts: int, n_skipped: int) -> PhotosTable:
    i = np.empty(0, dtype=np.int64)
    return PhotosTable(
        n_accounts=n_accounts, photo_account=i, photo_path=(), photo_hash=np.empty(0, np.uint64), photo_df=i,
        chroma=np.empty((0, CHROMA_SIZE, CHROMA_SIZE, 2), np.uint8), n_photos=np.zeros(n_accounts, np.int64),
        hash_photo=i, hash_account=i, hash_variant=np.empty(0, np.int16), hash_value=np.empty(0, np.uint64),
        match_a=i, match_b=i, match_dist=i, match_df=i, match_query_is_a=np.empty(0, bool),
        match_mirrored=np.empty(0, bool), match_window=i, n_skipped=n_skipped, match_sim=np.empty(0),
    )


# =======================================================================================
# the signal


class PhotosSignal:
    """Shared product photos as evidence, robust to crop, mirror, border, re-encode, resize,
    brightness, watermark and small rotations.

    Args:
        radius: Hamming radius for a match (whole/mirrored hash vs any window hash).
        chroma_tolerance: colour veto (mean |dCb|, |dCr| on 0-255 after a gain fit).
        limits: input limits (bytes, pixels, photos per account).
        workers: threads for hashing.
        rare_df: a matched photo counts in ``photo_rare_matches`` when at most this many
            accounts hold it.
        key_max_df: photos held by more accounts than this propose no candidate pairs.
        progress: show a progress bar while hashing.
        verify: check hash candidates by aligning thumbnails (see :func:`match_fingerprints`);
            ``False`` is the hash-only rule at ``min(radius, 6)`` (the previous default).

    ``compare`` features (float64): ``photo_matches`` (distinct photos of the left account
    matching some photo of the right), ``photo_best_dist`` (64 if none), ``photo_min_df``
    (accounts holding the rarest matched photo; 0 if none), ``photo_rare_matches`` (matched
    left photos with df <= rare_df), ``photo_n_left``, ``photo_n_right`` (usable photos),
    ``photo_best_sim`` (highest thumbnail similarity of a matched photo pair, 0..1; 0 if none,
    1 for matches accepted without verification).
    """

    name = "photos"
    feature_names: tuple[str, ...] = FEATURE_NAMES

    def __init__(
        self,
        radius: int = DEFAULT_RADIUS,
        chroma_tolerance: float = DEFAULT_CHROMA_TOLERANCE,
        limits: Limits = DEFAULT_LIMITS,
        workers: int = 1,
        rare_df: int = 3,
        key_max_df: int = 64,
        progress: bool = False,
        verify: bool = True,
    ) -> None:
        self.radius = radius
        self.verify = verify
        self.chroma_tolerance = chroma_tolerance
        self.limits = limits
        self.workers = workers
        self.rare_df = rare_df
        self.key_max_df = key_max_df
        self.progress = progress

    def _check(self) -> None:
        if isinstance(self.radius, bool) or not isinstance(self.radius, (int, np.integer)) or not 0 <= self.radius <= 32:
            raise ValueError(f"radius must be an integer in 0..32, got {self.radius!r}")
        if not self.chroma_tolerance >= 0:
            raise ValueError(f"chroma_tolerance must be >= 0, got {self.chroma_tolerance!r}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers!r}")

    # -- fingerprint -----------------------------------------------------------------
    def fingerprint(self, accounts: Sequence[Account]) -> PhotosTable:
        """Hash every photo of every account and find near-duplicates across accounts."""
        self._check()
        owners: list[int] = []
        paths: list[str] = []
        for row, acc in enumerate(accounts):
            for p in acc.all_photos[: self.limits.max_photos_per_account]:
                owners.append(row)
                paths.append(p)
        n_acc = len(accounts)
        fps = hash_photos(paths, limits=self.limits, workers=self.workers, progress=self.progress)
        good = [k for k, fp in enumerate(fps) if fp is not None]
        n_skipped = len(fps) - len(good)
        if not good:
            return _empty_table(n_acc, n_skipped)
        usable: list[PhotoFingerprint] = [fps[k] for k in good]  # type: ignore[misc]
        photo_account = np.array([owners[k] for k in good], dtype=np.int64)
        photo_path = tuple(paths[k] for k in good)
        n_ph = len(usable)
        radius = int(self.radius) if self.verify else min(int(self.radius), UNVERIFIED_RADIUS)
        m = match_fingerprints(usable, radius=radius, chroma_tolerance=float(self.chroma_tolerance),
                               groups=photo_account, verify=self.verify)
        # df per photo: its own account plus every other account holding a near-duplicate
        other = np.r_[photo_account[m["b"]], photo_account[m["a"]]]
        mine = np.r_[m["a"], m["b"]]
        uniq = np.unique(mine * max(1, n_acc) + other)
        photo_df = 1 + np.bincount(uniq // max(1, n_acc), minlength=n_ph).astype(np.int64)
        variants = np.stack([fp.variants() for fp in usable])  # (n, W + 1)
        nv = variants.shape[1]
        hash_photo = np.repeat(np.arange(n_ph, dtype=np.int64), nv)
        logger.debug("photos: %d usable, %d skipped, %d near-duplicate pairs", n_ph, n_skipped, len(m["a"]))
        return PhotosTable(
            n_accounts=n_acc,
            photo_account=photo_account,
            photo_path=photo_path,
            photo_hash=variants[:, 0].copy(),
            photo_df=photo_df,
            chroma=np.stack([fp.chroma for fp in usable]),
            n_photos=np.bincount(photo_account, minlength=n_acc).astype(np.int64),
            hash_photo=hash_photo,
            hash_account=photo_account[hash_photo],
            hash_variant=np.tile(np.arange(nv, dtype=np.int16), n_ph),
            hash_value=variants.reshape(-1),
            match_a=m["a"],
            match_b=m["b"],
            match_dist=m["dist"],
            match_df=np.maximum(photo_df[m["a"]], photo_df[m["b"]]),
            match_query_is_a=m["query_is_a"],
            match_mirrored=m["mirrored"],
            match_window=m["window"],
            n_skipped=n_skipped,
            match_sim=m["sim"],
        )

    # -- candidates --------------------------------------------------------------------
    def candidate_keys(self, table: PhotosTable) -> tuple[np.ndarray, np.ndarray]:
        """One key per pair of accounts sharing a matched photo held by <= ``key_max_df`` accounts."""
        ok = table.match_df <= self.key_max_df
        ra = table.photo_account[table.match_a[ok]]
        rb = table.photo_account[table.match_b[ok]]
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        pair = np.unique(lo.astype(np.uint64) << np.uint64(32) | hi.astype(np.uint64))
        lo = (pair >> np.uint64(32)).astype(np.int64)
        hi = (pair & np.uint64(0xFFFFFFFF)).astype(np.int64)
        return np.r_[lo, hi], np.r_[pair, pair]

    # -- compare -----------------------------------------------------------------------
    def _lookup(self, table: PhotosTable, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pair index, directed match position) for every match between left[k] and right[k]."""
        d = table._directed()
        key = left * max(1, table.n_accounts) + right
        lo = np.searchsorted(d["key"], key, side="left")
        hi = np.searchsorted(d["key"], key, side="right")
        cnt = hi - lo
        total = int(cnt.sum())
        owner = np.repeat(np.arange(len(left)), cnt)
        pos = np.repeat(lo, cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        return owner, pos

    def compare(self, table: PhotosTable, left: np.ndarray, right: np.ndarray) -> PairFeatures:
        """Photo features for each candidate pair ``(left[k], right[k])`` (account rows)."""
        left = np.asarray(left, dtype=np.int64).reshape(-1)
        right = np.asarray(right, dtype=np.int64).reshape(-1)
        if left.shape != right.shape:
            raise ValueError(f"left and right must be aligned, got {left.shape} and {right.shape}")
        n = len(left)
        if n and (min(left.min(), right.min()) < 0 or max(left.max(), right.max()) >= table.n_accounts):
            raise ValueError(f"account rows must be in 0..{table.n_accounts - 1}")
        matches = np.zeros(n)
        best = np.full(n, 64.0)
        min_df = np.zeros(n)
        rare = np.zeros(n)
        best_sim = np.zeros(n)
        if n and len(table.match_a):
            owner, pos = self._lookup(table, left, right)
            if len(owner):
                d = table._directed()
                rec = d["rec"][pos]
                photo_l = d["left"][pos]
                dist = table.match_dist[rec].astype(np.float64)
                df = table.match_df[rec].astype(np.float64)
                np.minimum.at(best, owner, dist)
                if table.match_sim is not None:
                    sim = np.clip(np.nan_to_num(table.match_sim[rec], nan=1.0), 0.0, 1.0)
                else:
                    sim = np.ones(len(rec))
                np.maximum.at(best_sim, owner, sim)
                min_df[:] = np.inf
                np.minimum.at(min_df, owner, df)
                min_df[np.isinf(min_df)] = 0.0
                # distinct left photos per pair, each with its rarest match
                k = owner * max(1, len(table.photo_account)) + photo_l
                order = np.lexsort((df, k))
                k_sorted = k[order]
                first = np.r_[True, k_sorted[1:] != k_sorted[:-1]]
                own = owner[order][first]
                matches = np.bincount(own, minlength=n).astype(np.float64)
                rare = np.bincount(own, weights=(df[order][first] <= self.rare_df), minlength=n)
        return PairFeatures(
            {
                "photo_matches": matches,
                "photo_best_dist": best,
                "photo_min_df": min_df,
                "photo_rare_matches": rare.astype(np.float64),
                "photo_n_left": table.n_photos[left].astype(np.float64) if n else np.zeros(0),
                "photo_n_right": table.n_photos[right].astype(np.float64) if n else np.zeros(0),
                "photo_best_sim": best_sim,
            }
        )

    # -- explain -----------------------------------------------------------------------
    def explain(self, table: PhotosTable, i: int, j: int) -> list[Evidence]:
        """One :class:`Evidence` per matched photo pair between accounts ``i`` and ``j``, closest first."""
        i, j = int(i), int(j)
        for r in (i, j):
            if not 0 <= r < table.n_accounts:
                raise ValueError(f"account row {r} out of range 0..{table.n_accounts - 1}")
        if not len(table.match_a):
            return []
        _, pos = self._lookup(table, np.array([i]), np.array([j]))
        d = table._directed()
        out: list[tuple[int, str, str, Evidence]] = []
        for p in pos:
            rec = int(d["rec"][p])
            pl, pr = int(d["left"][p]), int(d["right"][p])
            dist = int(table.match_dist[rec])
            df = int(table.match_df[rec])
            window = int(table.match_window[rec])
            mirrored = bool(table.match_mirrored[rec])
            query_left = bool(table.match_query_is_a[rec]) == bool(d["left_is_a"][p])
            transform = _transform_guess(dist, window, mirrored)
            extra: dict[str, Any] = {
                "distance": dist,
                "transform": transform,
                "window": window_label(window),
                "window_on": "right" if query_left else "left",
                "right_hash": PhotoHash(int(table.photo_hash[pr])).to_hex(),
                "verified_sim": float(table.match_sim[rec]) if table.match_sim is not None else float("nan"),
            }
            ev = Evidence(
                signal="photos",
                kind="photo",
                left=table.photo_path[pl],
                right=table.photo_path[pr],
                key=PhotoHash(int(table.photo_hash[pl])).to_hex(),
                similarity=1.0 - dist / 64.0,
                shared_by=df,
                extra=extra,
            )
            out.append((dist, table.photo_path[pl], table.photo_path[pr], ev))
        out.sort(key=lambda t: t[:3])
        return [t[3] for t in out]


def _transform_guess(dist: int, window: int, mirrored: bool) -> str:
    parts = []
    if mirrored:
        parts.append("mirrored")
    if window not in (0, MIRROR_VARIANT):
        parts.append("cropped")
    if not parts:
        return "identical" if dist == 0 else "re-encoded or edited"
    return "+".join(parts)
