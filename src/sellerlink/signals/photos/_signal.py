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

Hooks for the persistent index (:mod:`sellerlink.index`; see :mod:`sellerlink.signals.base`):

- ``extract`` packs per account every usable photo's 81 window hashes + mirrored hash, chroma
  and 48x48 verification thumbnail (uint8), aspect, size, path and a stable photo key
  (:data:`STATE_BYTES_PER_PHOTO` = 3,513 bytes a photo plus its path); ``assemble`` rebuilds
  exactly the table ``fingerprint`` builds, without reading a photo again.
- Rarity is per photo: the collection counts, under each photo's key, the accounts holding it
  or a near-duplicate (its df). ``rarity_updates(table, rows)`` gives the count changes when
  ``rows`` join (negate them to leave); ``assemble(..., rarity=ctx)`` reads raw counts
  (``ctx.counts``; 0 = not stored, i.e. the query). There is deliberately no ``rarity_keys``:
  a per-key "+1 per account" is not how photo counts move.
- Index keys (multi-index hashing with 2 pieces): a stored photo posts the exact 32-bit halves
  of 50 of its hash variants (:data:`INDEX_VARIANTS`; ~93 distinct keys a photo on real
  photos, at most 100); a query photo probes every half within 2 bits of a half of its whole
  and mirrored hash (2 x 2 x 529) plus the exact halves of its 81 windows (~2,270 keys a
  photo). Guarantee: a stored variant within :data:`INDEX_RADIUS` = 5 bits of the query's
  whole/mirrored hash shares a key. The batch rule accepts up to 10 (verified), so recall
  beyond 5 relies on uneven error splits and on the many near windows; measured on 300 real
  clothing photos per edit (fraction of the batch's matches found with the original stored
  and the copy probing / the other way round): crop 10%/side 0.93 / 0.61, asymmetric crop
  0.98 / 0.92, mirror 1.00 / 1.00, re-encode q60 1.00 / 1.00, watermark band 0.99 / 0.99,
  rotate 3 deg 0.95 / 0.95, crop 12% 1.00 / 0.91, crop+mirror+watermark 0.79 / 0.25, rotate
  5 deg 0.72 / 0.77; all 14 edits 0.97 / 0.91 (3,728 batch matches).
  Cost of 32-bit pieces on homogeneous product photos: among 3,068 real clothing photos a
  query photo's probes hit 9 unrelated photos on average (median 2; the batch rule itself
  has 14.5 within radius 10 before verification), 68% of them through a single key, while
  true copies share a median 4-7 (crops) to 80+ (re-encodes) keys. Linearly that is ~15,000
  random candidates a query photo at 5M photos: the index's per-key cap and its ranking by
  shared keys are what bound it.

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

import functools
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._arrays import unique_sorted
from ...config import DEFAULT_LIMITS, Limits
from ...records import Account
from ..base import Evidence, PairFeatures, RarityContext, pack, stable_hash64, unpack
from ._hashing import (
    _AXIS_WINDOWS,
    CHROMA_SIZE,
    MIRROR_VARIANT,
    N_WINDOWS,
    THUMB_SIZE,
    WINDOWS,
    PhotoFingerprint,
    PhotoHash,
    _box_matrices,
    hash_photos,
    window_label,
)
from ._mih import MultiIndexHash
from ._verify import verify_pairs

__all__ = ["FEATURE_NAMES", "PhotosSignal", "PhotosTable", "match_fingerprints"]

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
    if len(fps) < 2:
        return _match_arrays(np.zeros((len(fps), N_WINDOWS), np.uint64), np.zeros(len(fps), np.uint64),
                             np.zeros((len(fps), CHROMA_SIZE, CHROMA_SIZE, 2), np.uint8), None, None, None,
                             radius=radius, chroma_tolerance=chroma_tolerance, groups=groups, verify=verify)
    has_thumb = np.array([fp.thumb is not None for fp in fps], dtype=bool)
    blank = np.zeros((THUMB_SIZE, THUMB_SIZE), np.uint8)
    return _match_arrays(
        np.stack([fp.windows for fp in fps]),
        np.array([fp.mirrored for fp in fps], dtype=np.uint64),
        np.stack([fp.chroma for fp in fps]),
        np.stack([fp.thumb if fp.thumb is not None else blank for fp in fps]) if has_thumb.any() else None,
        has_thumb,
        np.array([fp.aspect for fp in fps], dtype=np.float64),
        radius=radius, chroma_tolerance=chroma_tolerance, groups=groups, verify=verify,
    )


def _match_arrays(
    windows: np.ndarray,
    mirrored: np.ndarray,
    chroma: np.ndarray,
    thumbs: np.ndarray | None,
    has_thumb: np.ndarray | None,
    aspects: np.ndarray | None,
    *,
    radius: int,
    chroma_tolerance: float,
    groups: np.ndarray | None,
    verify: bool,
    focus: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """:func:`match_fingerprints` on stacked arrays (``windows (n, W)``, ``mirrored (n,)``,
    ``chroma (n, 16, 16, 2)``, ``thumbs (n, 48, 48)`` or None, ``has_thumb (n,)``, ``aspects (n,)``).

    ``focus``: a boolean mask of photos; when given, only pairs with at least one focus photo are
    searched (each such pair comes out exactly as without ``focus``)."""
    n = len(windows)
    empty_i = np.empty(0, dtype=np.int64)
    empty = {"a": empty_i, "b": empty_i, "dist": empty_i, "query_is_a": np.empty(0, bool),
             "mirrored": np.empty(0, bool), "window": empty_i, "sim": np.empty(0)}
    if n < 2:
        return empty
    queries = np.stack([windows[:, 0], np.asarray(mirrored, dtype=np.uint64)], axis=1)
    if focus is None:
        index = MultiIndexHash()
        index.add(windows.reshape(-1))
        qi, ids, dist = index.query_many(queries.reshape(-1), radius)
    else:
        # focus queries against every window, and every query against the focus windows
        fp = np.flatnonzero(np.asarray(focus, dtype=bool))
        if not len(fp):
            return empty
        index = MultiIndexHash()
        index.add(windows.reshape(-1))
        fq = (fp[:, None] * 2 + np.arange(2)[None, :]).reshape(-1)
        q1, ids1, d1 = index.query_many(queries.reshape(-1)[fq], radius)
        index = MultiIndexHash()
        index.add(windows[fp].reshape(-1), (fp[:, None] * N_WINDOWS + np.arange(N_WINDOWS)[None, :]).reshape(-1))
        q2, ids2, d2 = index.query_many(queries.reshape(-1), radius)
        qi, ids, dist = np.r_[fq[q1], q2], np.r_[ids1, ids2], np.r_[d1, d2]
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
    order = np.lexsort((q_photo, i_window, q_mirr, dist, b, a))  # ties: the lower photo as query
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
    if has_thumb is None or thumbs is None or aspects is None:
        has_thumb = np.zeros(n, dtype=bool)
    if verify and len(sim):
        q = np.where(out["query_is_a"], out["a"], out["b"])
        o = np.where(out["query_is_a"], out["b"], out["a"])
        can = has_thumb[q] & has_thumb[o]
        if can.any():
            assert thumbs is not None and aspects is not None  # has_thumb is all False otherwise
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
# per-photo state (extract / assemble) and the index key layout

STATE_VERSION = 2
"""Version of a packed photo state: 2 holds hashes of :data:`HASH_VERSION` 2 (float32
products). A state of version 1 (float64 hashes, same layout) is refused with a clear error,
never compared with new hashes: its index must be rebuilt (its accounts added again)."""
_STATE_ARRAYS: dict[str, tuple[str, tuple[int, ...]]] = {
    # name: (dtype, shape after the photo axis)
    "windows": ("<u8", (N_WINDOWS,)),
    "mirrored": ("<u8", ()),
    "chroma": ("|u1", (CHROMA_SIZE, CHROMA_SIZE, 2)),
    "thumb": ("|u1", (THUMB_SIZE, THUMB_SIZE)),
    "has_thumb": ("|b1", ()),
    "aspect": ("<f8", ()),
    "size": ("<i8", (2,)),
    "key": ("<u8", ()),
    "pos": ("<i8", ()),
}
_OLD_STATE_VERSIONS = {1: "hash version 1, float64 products"}
STATE_BYTES_PER_PHOTO = sum(
    np.dtype(dt).itemsize * int(np.prod(shape)) for dt, shape in _STATE_ARRAYS.values()
)
"""Bytes of a packed photo state per photo, plus its path and ~150 bytes of header per account
(3,513: the 81 window hashes 648, mirror 8, chroma 512, thumbnail 2,304, the rest 41)."""

INDEX_PIECE_RADIUS = 2
"""Probe radius per 32-bit half (529 probe values per half)."""
INDEX_RADIUS = 2 * INDEX_PIECE_RADIUS + 1
"""Guaranteed radius (5) of the index keys: see :meth:`PhotosSignal.probe_keys`."""
INDEX_VARIANTS: np.ndarray = np.array(
    [w for w, (lft, rgt, top, bot) in enumerate(WINDOWS) if abs(lft - rgt) < 0.1 and abs(top - bot) < 0.1]
    + [MIRROR_VARIANT],
    dtype=np.int16,
)
"""Hash variants stored as index keys: the 49 windows whose cuts on opposite sides differ by at
most 6% (the 0%/12% pairs are left out), plus the mirrored hash (50 variants)."""
_IS_INDEX_VARIANT = np.isin(np.arange(N_WINDOWS + 1), INDEX_VARIANTS)
_HALF = np.uint64(0xFFFFFFFF)
_KEY_SALT = np.uint64(stable_hash64("half", "sellerlink.photos.index"))


def _ball32(r: int) -> np.ndarray:
    """All 32-bit masks with at most ``r`` bits set (``uint64``)."""
    out = [0]
    for k in range(1, r + 1):
        out.extend(sum(1 << b for b in bits) for bits in itertools.combinations(range(32), k))
    arr = np.array(out, dtype=np.uint64)
    arr.setflags(write=False)
    return arr


_BALL = _ball32(INDEX_PIECE_RADIUS)


def _half_keys(values: np.ndarray, half: int) -> np.ndarray:
    """Keys of 32-bit half values (``half`` 0 = low bits, 1 = high bits): a splitmix64 of
    (half, value), so that keys spread over ``uint64`` and never collide between halves."""
    x = (np.asarray(values, dtype=np.uint64) & _HALF) | np.uint64(half << 32)
    x = x ^ _KEY_SALT
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _halves(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = np.asarray(h, dtype=np.uint64)
    return h & _HALF, h >> np.uint64(32)


def _distinct_pairs(rows: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, keys)`` with repeated pairs dropped, sorted by row then key."""
    rows = np.asarray(rows, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.uint64)
    if not len(rows):
        return rows, keys
    order = np.lexsort((keys, rows))
    rows, keys = rows[order], keys[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (keys[1:] != keys[:-1])]
    return rows[first], keys[first]


def _photo_keys(account_ids: Sequence[str], positions: Sequence[int]) -> np.ndarray:
    """``stable_hash64(f"{account_id}\\x1f{k}", "sellerlink.photos.key")`` per photo (``k``: its
    position in ``Account.all_photos``)."""
    return np.fromiter(
        (stable_hash64(f"{a}\x1f{k}", "sellerlink.photos.key") for a, k in zip(account_ids, positions)),
        dtype=np.uint64, count=len(positions),
    )


def _stack_fingerprints(fps: Sequence[PhotoFingerprint]) -> dict[str, np.ndarray]:
    """Per-photo arrays of fingerprints (thumbnail zeros and ``has_thumb`` False where missing)."""
    n = len(fps)
    thumb = np.zeros((n, THUMB_SIZE, THUMB_SIZE), np.uint8)
    has = np.zeros(n, bool)
    for i, fp in enumerate(fps):
        if fp.thumb is not None:
            thumb[i] = fp.thumb
            has[i] = True
    return {
        "windows": np.stack([fp.windows for fp in fps]).astype(np.uint64) if n else np.zeros((0, N_WINDOWS), np.uint64),
        "mirrored": np.array([fp.mirrored for fp in fps], dtype=np.uint64),
        "chroma": np.stack([fp.chroma for fp in fps]).astype(np.uint8) if n
        else np.zeros((0, CHROMA_SIZE, CHROMA_SIZE, 2), np.uint8),
        "thumb": thumb,
        "has_thumb": has,
        "aspect": np.array([fp.aspect for fp in fps], dtype=np.float64),
        "size": np.array([fp.size for fp in fps], dtype=np.int64).reshape(n, 2),
    }


def _photo_df(
    m: dict[str, np.ndarray],
    photo_account: np.ndarray,
    n_acc: int,
    keys: np.ndarray,
    rarity: RarityContext | None,
    signal: str,
) -> np.ndarray:
    """Accounts holding each photo or a near-duplicate of it.

    Batch rule: 1 + distinct other accounts of the table with a match. With ``rarity``: a
    photo whose raw count ``c`` is > 0 is stored in the collection, df = ``c`` + distinct
    accounts of the table that are not stored (all their photos have count 0) with a match;
    a photo with count 0 keeps the batch rule.
    """
    n_ph = len(photo_account)
    nn = max(1, n_acc)
    mine = np.r_[m["a"], m["b"]]
    other = np.r_[photo_account[m["b"]], photo_account[m["a"]]]
    base = np.ones(n_ph, dtype=np.int64)
    if rarity is not None:
        c = np.asarray(rarity.counts(signal, np.asarray(keys, dtype=np.uint64)))
        if c.shape != (n_ph,):
            raise ValueError(f"RarityContext.counts returned shape {c.shape} for {n_ph} photo keys")
        c = c.astype(np.int64)
        if (c < 0).any():
            raise ValueError("RarityContext.counts returned a negative photo count")
        stored = c > 0
        acc_stored = np.zeros(n_acc, dtype=bool)
        acc_stored[photo_account[stored]] = True
        sel = ~stored[mine] | ~acc_stored[other]
        mine, other = mine[sel], other[sel]
        base = np.where(stored, c, 1)
    uniq = unique_sorted(mine * nn + other)
    return base + np.bincount(uniq // nn, minlength=n_ph).astype(np.int64)


def _parse_state(blob: bytes) -> tuple[dict[str, np.ndarray], list[str], int]:
    """Arrays, paths and skipped count of one packed account state; ``ValueError`` if malformed."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise ValueError(f"photos state must be bytes, got {type(blob).__name__}")  # noqa: TRY004 - a bad state
    if len(blob) <= _SMALL_STATE:  # accounts without photos: one shared, read-only answer
        return _parse_small_state(bytes(blob))
    return _parse_state_bytes(blob)


_SMALL_STATE = 1024


@functools.lru_cache(maxsize=256)
def _parse_small_state(blob: bytes) -> tuple[dict[str, np.ndarray], list[str], int]:
    arrs, paths, skipped = _parse_state_bytes(blob)
    for a in arrs.values():
        a.setflags(write=False)
    return arrs, paths, skipped


def _parse_state_bytes(blob: bytes) -> tuple[dict[str, np.ndarray], list[str], int]:
    try:
        arrs, meta = unpack(bytes(blob))
    except ValueError as exc:
        raise ValueError(f"corrupt photos state: {exc}") from exc
    except Exception as exc:  # struct/JSON oddities of a damaged blob
        raise ValueError(f"corrupt photos state: {type(exc).__name__}: {exc}") from exc
    if isinstance(meta, dict) and meta.get("v") in _OLD_STATE_VERSIONS and meta.get("paths") == []:
        # no photo hashed: nothing of the old algorithm is in it (an index of accounts
        # without photos stays usable)
        meta = {**meta, "v": STATE_VERSION}
    if isinstance(meta, dict) and meta.get("v") in _OLD_STATE_VERSIONS:
        raise ValueError(
            f"photos state of version {meta['v']}: its photo hashes were computed by an older "
            f"sellerlink ({_OLD_STATE_VERSIONS[meta['v']]}); this sellerlink writes version "
            f"{STATE_VERSION} and never compares hashes of different versions. Rebuild the index "
            "(add its accounts again) to fingerprint their photos with this version."
        )
    if not isinstance(meta, dict) or meta.get("v") != STATE_VERSION:
        raise ValueError(f"corrupt photos state: expected version {STATE_VERSION} metadata")
    paths, skipped = meta.get("paths"), meta.get("skipped")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ValueError("corrupt photos state: paths")
    if isinstance(skipped, bool) or not isinstance(skipped, int) or skipped < 0:
        raise ValueError("corrupt photos state: skipped count")
    n = len(paths)
    out: dict[str, np.ndarray] = {}
    for name, (dt, shape) in _STATE_ARRAYS.items():
        a = arrs.get(name)
        if a is None or a.dtype.str != dt or a.shape != (n, *shape):
            raise ValueError(f"corrupt photos state: array {name!r}")
        out[name] = a
    if not np.isfinite(out["aspect"]).all():
        raise ValueError("corrupt photos state: aspect")
    return out, paths, skipped


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
    ``photo_key[p]``: the photo's stable ``uint64`` key (account id and position in
    ``Account.all_photos``), under which the index counts it. Thumbnails are used for matching
    and not kept (2.3 KB a photo).
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
    photo_key: np.ndarray | None = None

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
        photo_key=np.empty(0, np.uint64),
    )


# =======================================================================================
# the signal


@functools.lru_cache(maxsize=1)
def _empty_state() -> bytes:
    """The state of an account without photos (nothing in it depends on the account)."""
    parts = _stack_fingerprints([])
    parts["key"] = _photo_keys([], [])
    parts["pos"] = np.zeros(0, dtype=np.int64)
    return pack({name: parts[name] for name in _STATE_ARRAYS}, {"v": STATE_VERSION, "paths": [], "skipped": 0})


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
    def fingerprint(self, accounts: Sequence[Account], *, rarity: RarityContext | None = None) -> PhotosTable:
        """Hash every photo of every account and find near-duplicates across accounts.

        ``rarity``: photo document frequencies from a collection (see :meth:`assemble`).
        """
        self._check()
        owners: list[int] = []
        paths: list[str] = []
        positions: list[int] = []
        for row, acc in enumerate(accounts):
            for k, p in enumerate(acc.all_photos[: self.limits.max_photos_per_account]):
                owners.append(row)
                paths.append(p)
                positions.append(k)
        fps = hash_photos(paths, limits=self.limits, workers=self.workers, progress=self.progress)
        good = [k for k, fp in enumerate(fps) if fp is not None]
        usable: list[PhotoFingerprint] = [fps[k] for k in good]  # type: ignore[misc]
        ids = [accounts[owners[k]].account_id for k in good]
        parts = _stack_fingerprints(usable)
        parts["key"] = _photo_keys(ids, [positions[k] for k in good])
        return self._build(
            len(accounts), np.array([owners[k] for k in good], dtype=np.int64), tuple(paths[k] for k in good),
            parts, len(fps) - len(good), rarity,
        )

    def _build(
        self,
        n_acc: int,
        photo_account: np.ndarray,
        photo_path: tuple[str, ...],
        parts: dict[str, np.ndarray],
        n_skipped: int,
        rarity: RarityContext | None,
        focus: np.ndarray | None = None,
    ) -> PhotosTable:
        """The table from per-photo arrays (:func:`_stack_fingerprints` plus ``key``)."""
        n_ph = len(photo_account)
        if not n_ph:
            return _empty_table(n_acc, n_skipped)
        radius = int(self.radius) if self.verify else min(int(self.radius), UNVERIFIED_RADIUS)
        m = _match_arrays(
            parts["windows"], parts["mirrored"], parts["chroma"], parts["thumb"], parts["has_thumb"],
            parts["aspect"], radius=radius, chroma_tolerance=float(self.chroma_tolerance), groups=photo_account,
            verify=self.verify, focus=None if focus is None else focus[photo_account],
        )
        photo_df = _photo_df(m, photo_account, n_acc, parts["key"], rarity, self.name)
        variants = np.concatenate([parts["windows"], parts["mirrored"][:, None]], axis=1)  # (n, W + 1)
        nv = variants.shape[1]
        hash_photo = np.repeat(np.arange(n_ph, dtype=np.int64), nv)
        logger.debug("photos: %d usable, %d skipped, %d near-duplicate pairs", n_ph, n_skipped, len(m["a"]))
        return PhotosTable(
            n_accounts=n_acc,
            photo_account=photo_account,
            photo_path=photo_path,
            photo_hash=variants[:, 0].copy(),
            photo_df=photo_df,
            chroma=parts["chroma"],
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
            photo_key=parts["key"],
        )

    # -- index hooks (see signals.base) -------------------------------------------------------
    def extract(self, accounts: Sequence[Account]) -> list[bytes]:
        """Per account, everything the table needs about its usable photos, as packed bytes.

        Per photo: the 81 window hashes and the mirrored hash, the chroma and verification
        thumbnails, aspect, size, its stable key and position in ``Account.all_photos`` (arrays),
        and its path (JSON); per account, how many of its photos were skipped. About
        :data:`STATE_BYTES_PER_PHOTO` (3.5 KB) per photo plus the path; nothing is read from disk
        again. Photos are hashed once per distinct path for the whole batch.

        >>> PhotosSignal().assemble(["a"], PhotosSignal().extract([Account("a")])).n_photos.tolist()
        [0]
        """
        self._check()
        owners: list[int] = []
        paths: list[str] = []
        positions: list[int] = []
        for row, acc in enumerate(accounts):
            if not isinstance(acc, Account):
                raise TypeError(f"accounts[{row}] is {type(acc).__name__}, expected Account")
            for k, p in enumerate(acc.all_photos[: self.limits.max_photos_per_account]):
                owners.append(row)
                paths.append(p)
                positions.append(k)
        fps = hash_photos(paths, limits=self.limits, workers=self.workers, progress=self.progress)
        per: list[list[int]] = [[] for _ in accounts]
        skipped = [0] * len(accounts)
        for k, fp in enumerate(fps):
            if fp is None:
                skipped[owners[k]] += 1
            else:
                per[owners[k]].append(k)
        out = []
        for row, acc in enumerate(accounts):
            ks = per[row]
            if not ks and not skipped[row]:  # no photo: the same bytes for every account
                out.append(_empty_state())
                continue
            parts = _stack_fingerprints([fps[k] for k in ks])  # type: ignore[misc]
            pos = [positions[k] for k in ks]
            parts["key"] = _photo_keys([acc.account_id] * len(ks), pos)
            parts["pos"] = np.asarray(pos, dtype=np.int64)
            meta = {"v": STATE_VERSION, "paths": [paths[k] for k in ks], "skipped": skipped[row]}
            out.append(pack({name: parts[name] for name in _STATE_ARRAYS}, meta))
        return out

    def assemble(
        self,
        account_ids: Sequence[str],
        states: Sequence[bytes],
        *,
        rarity: RarityContext | None = None,
        focus: Sequence[int] | np.ndarray | None = None,
    ) -> PhotosTable:
        """The table :meth:`fingerprint` builds from the accounts :meth:`extract` saw (row ``i`` =
        ``states[i]``); malformed states raise ``ValueError``.

        Without ``rarity`` every array equals ``fingerprint(accounts)``'s. With a
        :class:`~sellerlink.signals.base.RarityContext`, each photo's ``photo_df`` (hence
        ``match_df``, ``photo_min_df``, ``photo_rare_matches`` and the ``key_max_df`` filter of
        candidate keys) comes from the collection: ``c = rarity.counts("photos", photo_key)``
        (raw counts, as :meth:`rarity_updates` maintains them). A photo with ``c > 0`` is stored
        and its df is ``c`` plus the distinct accounts of the table that are not stored (every
        photo count 0: a query) and match it; a photo with ``c == 0`` belongs to an account
        outside the collection and gets the batch rule (1 + distinct other accounts of the
        table with a match). Matches themselves never depend on ``rarity``.

        ``focus`` (account rows, optional): only matches involving these rows are searched and
        verified -- a query against 2,000 candidates needs its own matches, not the quadratic
        number among the candidates (matching dominates: ~0.7 s for 500 photos, ~23 s for 3,000
        in full). Matches touching ``focus`` are exactly the full table's, so are ``compare``
        features of pairs with a focus row, :meth:`rarity_updates` for ``rows`` within
        ``focus``, and with ``rarity`` the df of every photo when ``focus`` holds every account
        that is not stored (the query). Without ``rarity`` the df of photos outside ``focus``
        misses their other matches.
        """
        self._check()
        if len(account_ids) != len(states):
            raise ValueError(f"{len(account_ids)} account ids for {len(states)} states")
        chunks: dict[str, list[np.ndarray]] = {name: [] for name in _STATE_ARRAYS}
        owners: list[np.ndarray] = []
        all_paths: list[str] = []
        n_skipped = 0
        for row, blob in enumerate(states):
            arrs, paths, skipped = _parse_state(blob)
            for name in _STATE_ARRAYS:
                chunks[name].append(arrs[name])
            owners.append(np.full(len(paths), row, dtype=np.int64))
            all_paths.extend(paths)
            n_skipped += skipped
        if not all_paths:
            return _empty_table(len(states), n_skipped)
        parts = {name: np.concatenate(v) for name, v in chunks.items()}
        mask = None
        if focus is not None:
            f = np.asarray(focus, dtype=np.int64).reshape(-1)
            if len(f) and (f.min() < 0 or f.max() >= len(states)):
                raise ValueError(f"focus must be account rows in 0..{len(states) - 1}")
            mask = np.zeros(len(states), dtype=bool)
            mask[f] = True
        return self._build(len(states), np.concatenate(owners), tuple(all_paths), parts, n_skipped, rarity, mask)

    def rarity_updates(self, table: PhotosTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(keys uint64, deltas int64)``: how the collection's photo counts change when the
        accounts at table rows ``rows`` join it (the table's other accounts being members).

        Each photo of ``rows`` gets its df (1 + distinct other accounts of the table, new or
        stored, with a match); each photo of the other accounts gets + the number of distinct
        ``rows`` accounts with a match to it (photos with nothing to add are left out). Negate
        the deltas of the same call to take ``rows`` out again. The table must hold every
        account whose photos match those of ``rows`` (the new accounts' candidates), or counts
        come out too low.

        >>> sig = PhotosSignal()
        >>> sig.rarity_updates(sig.fingerprint([Account("a")]), np.array([0]))[0].tolist()
        []
        """
        _check_photos_table(table)
        rows = unique_sorted(np.asarray(rows, dtype=np.int64).reshape(-1))
        if len(rows) and (rows[0] < 0 or rows[-1] >= table.n_accounts):
            raise ValueError(f"rows must be account rows in 0..{table.n_accounts - 1}")
        n_ph = len(table.photo_account)
        if not n_ph or not len(rows):
            return np.zeros(0, np.uint64), np.zeros(0, np.int64)
        nn = max(1, table.n_accounts)
        is_new = np.zeros(table.n_accounts, dtype=bool)
        is_new[rows] = True
        photo_new = is_new[table.photo_account]
        mine = np.r_[table.match_a, table.match_b]
        other = np.r_[table.photo_account[table.match_b], table.photo_account[table.match_a]]
        sel = photo_new[mine] | is_new[other]
        uniq = unique_sorted(mine[sel] * nn + other[sel])
        delta = np.bincount(uniq // nn, minlength=n_ph).astype(np.int64) + photo_new
        keep = delta != 0
        return np.asarray(table.photo_key, dtype=np.uint64)[keep], delta[keep]

    def own_keys(self, table: PhotosTable, rows: np.ndarray) -> np.ndarray:
        """The count keys of the photos of account rows ``rows`` (an index deletes them when the
        accounts leave, whatever their count had become)."""
        _check_photos_table(table)
        sel = np.isin(table.photo_account, np.asarray(rows, dtype=np.int64))
        return np.asarray(table.photo_key, dtype=np.uint64)[sel]

    def linked_rows(self, table: PhotosTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(a, b)`` account rows, ``a`` in ``rows``, ``b`` another account, with matching photos:
        the accounts whose counts :meth:`rarity_updates` for ``rows`` touches (an index keeps
        them, to take the same share back when ``a`` leaves)."""
        _check_photos_table(table)
        is_row = np.zeros(table.n_accounts, dtype=bool)
        is_row[np.asarray(rows, dtype=np.int64)] = True
        pa, pb = table.photo_account[table.match_a], table.photo_account[table.match_b]
        a = np.r_[pa[is_row[pa]], pb[is_row[pb]]]
        b = np.r_[pb[is_row[pa]], pa[is_row[pb]]]
        keep = a != b
        nn = max(1, table.n_accounts)
        u = unique_sorted(a[keep] * nn + b[keep])
        return u // nn, u % nn

    def index_keys(self, table: PhotosTable) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, keys)``: exact 32-bit halves of each photo's stored hash variants
        (:data:`INDEX_VARIANTS`: 49 windows + the mirrored hash), distinct per row.

        About 93 keys per photo on real clothing photos (the halves of nearby windows often
        coincide). They do not depend on counts.
        """
        _check_photos_table(table)
        sel = _IS_INDEX_VARIANT[table.hash_variant.astype(np.int64)]
        lo, hi = _halves(table.hash_value[sel])
        acc = table.hash_account[sel]
        return _distinct_pairs(np.r_[acc, acc], np.r_[_half_keys(lo, 0), _half_keys(hi, 1)])

    def probe_keys(self, table: PhotosTable) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, keys)`` to look up among stored :meth:`index_keys` (multi-index hashing, 2 pieces).

        - every 32-bit half within :data:`INDEX_PIECE_RADIUS` (2) bits of a half of the
          photo's whole or mirrored hash (2 hashes x 2 halves x 529): by pigeonhole a stored
          variant within :data:`INDEX_RADIUS` (5) bits of either hash shares a half within 2
          bits, so every stored photo whose *windows* the batch rule matches to this photo's
          whole/mirror at distance <= 5 is found (the query is a crop / edit of the stored
          photo, the comeback case), and many at 6-10 (errors rarely split evenly);
        - the exact halves of the photo's 81 window hashes: finds stored photos whose whole or
          mirrored hash (or a window) shares a half with one of them (the stored photo is a crop
          of the query): guaranteed at distance <= 1 only, measured well beyond (see the module
          docs for recall per transformation).

        At most 2,116 + 162 keys per photo (~2,270 on real photos).
        """
        _check_photos_table(table)
        v = table.hash_variant.astype(np.int64)
        acc = table.hash_account
        rows_l: list[np.ndarray] = []
        keys_l: list[np.ndarray] = []
        whole = (v == 0) | (v == MIRROR_VARIANT)
        lo, hi = _halves(table.hash_value[whole])
        a = table.hash_account[whole]
        for half, vals in ((0, lo), (1, hi)):
            rows_l.append(np.repeat(a, len(_BALL)))
            keys_l.append(_half_keys((vals[:, None] ^ _BALL[None, :]).reshape(-1), half))
        win = v < N_WINDOWS
        lo, hi = _halves(table.hash_value[win])
        rows_l += [acc[win], acc[win]]
        keys_l += [_half_keys(lo, 0), _half_keys(hi, 1)]
        return _distinct_pairs(np.concatenate(rows_l), np.concatenate(keys_l))

    # -- candidates --------------------------------------------------------------------
    def candidate_keys(self, table: PhotosTable) -> tuple[np.ndarray, np.ndarray]:
        """One key per pair of accounts sharing a matched photo held by <= ``key_max_df`` accounts."""
        ok = table.match_df <= self.key_max_df
        ra = table.photo_account[table.match_a[ok]]
        rb = table.photo_account[table.match_b[ok]]
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        pair = unique_sorted(lo.astype(np.uint64) << np.uint64(32) | hi.astype(np.uint64))
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


def _check_photos_table(table: Any, *, keys: bool = False) -> None:
    if not isinstance(table, PhotosTable):
        raise TypeError(f"expected a PhotosTable, got {type(table).__name__}")
    if keys and table.photo_key is None:
        raise ValueError("this PhotosTable has no photo keys (build it with fingerprint or assemble)")


def _transform_guess(dist: int, window: int, mirrored: bool) -> str:
    parts = []
    if mirrored:
        parts.append("mirrored")
    if window not in (0, MIRROR_VARIANT):
        parts.append("cropped")
    if not parts:
        return "identical" if dist == 0 else "re-encoded or edited"
    return "+".join(parts)
