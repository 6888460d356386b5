"""Verification of candidate photo pairs by aligning their grayscale thumbnails.

Hashes find candidates; a loose Hamming radius finds crops + watermarks + small rotations,
but also many look-alike product shots (shirts on a white bed). Each candidate pair is
therefore checked on the 48x48 luma thumbnails kept in :class:`PhotoFingerprint`:

* the query photo (the whole image, mirrored if the hash match was mirrored) is laid over
  the window of the other photo that its hash matched (the crop estimate);
* a small alignment grid is searched in two stages: :data:`ROTATIONS` (in pixel space, using
  each photo's aspect ratio) at the window's scale, then :data:`SCALES` (per axis) at the best
  rotation, each with every integer shift of up to :data:`MAX_SHIFT` pixels (~6%). The
  shifts come from one FFT cross-correlation per (rotation, scale) and integral images of
  the other side (normalised cross-correlation, NCC, for every shift at once);
* the best alignment is scored by a *trimmed* NCC: after standardising both sides, the
  :data:`DROP_ROWS` rows that disagree most are dropped (a watermark band, a caption, the
  white corners a rotation brings in); the similarity is the mean of the NCC of what is left
  and the NCC of its detail (the image minus a 5x5 blur). The detail term is what tells two
  different t-shirts laid on the same blanket apart: their silhouettes correlate at 0.9+,
  their prints do not.

Everything is vectorised over chunks of pairs.

Example:
    >>> import numpy as np
    >>> y, x = np.mgrid[0:48, 0:48]
    >>> img = 127 + 60 * np.sin(x / 5.0) * np.cos(y / 7.0) + 30 * (x > y)
    >>> t = np.stack([img, img[:, ::-1]]).astype(np.uint8)  # a photo and its mirror image
    >>> sim = verify_pairs(t, np.ones(2), np.array([1, 1]), np.array([0, 0]), np.array([True, False]), np.array([0, 0]))
    >>> bool(sim[0] > 0.95), bool(sim[1] < sim[0] - 0.2)
    (True, True)
"""

from __future__ import annotations

import numpy as np

from ._hashing import THUMB_SIZE, WINDOWS, _box_matrices

__all__ = ["DROP_ROWS", "MAX_SHIFT", "ROTATIONS", "SCALES", "verify_pairs"]

ROTATIONS: tuple[float, ...] = (-4.0, 0.0, 4.0)
"""Rotations searched, in degrees."""
SCALES: tuple[tuple[float, float], ...] = tuple((sx, sy) for sy in (0.95, 1.0, 1.05) for sx in (0.95, 1.0, 1.05))
"""(horizontal, vertical) scale factors searched around the matched window (a window is within
3% of a crop on each side, so each axis may be off by a few percent on its own)."""
MAX_SHIFT = 2
"""Shifts of -MAX_SHIFT..MAX_SHIFT thumbnail pixels (3% each) searched on both axes."""
DROP_ROWS = 5
"""Rows (of 32) ignored by the trimmed NCC: the worst-agreeing band (a watermark covers 8-14%)."""
MIN_OVERLAP = 0.6
"""An alignment needs at least this fraction of the query grid inside the other photo."""

_S = 32
"""Side of the comparison grid; the stored thumbnails are larger (:data:`THUMB_SIZE`), so the
other photo's window is always sampled at or above the query's resolution."""
_T = THUMB_SIZE
_DOWN = _box_matrices(_T, [(0.0, 0.0)], _S)[0].astype(np.float32)  # (S, T) area resampling
_E = _S + 2 * MAX_SHIFT
_CHUNK = 96
_WIN = np.asarray(WINDOWS, dtype=np.float64)  # (W, 4): left, right, top, bottom
_ROT = np.deg2rad(np.asarray(ROTATIONS)).astype(np.float32)
_SCX = np.asarray(SCALES, dtype=np.float32)[:, 0]
_SCY = np.asarray(SCALES, dtype=np.float32)[:, 1]
_GRID = ((np.arange(_E) - MAX_SHIFT + 0.5) / _S).astype(np.float32)  # query coordinates of the extended grid, 0..1 inside


def _sample(img: np.ndarray, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear samples of ``img`` (P, S, S) at pixel coordinates (P, K, E, E); and the inside mask."""
    n = img.shape[-1]
    inside = (px >= -0.5) & (px <= n - 0.5) & (py >= -0.5) & (py <= n - 0.5)
    px = np.clip(px, 0.0, n - 1.0)
    py = np.clip(py, 0.0, n - 1.0)
    x0 = np.minimum(px.astype(np.int64), n - 2)
    y0 = np.minimum(py.astype(np.int64), n - 2)
    fx = (px - x0).astype(np.float32)
    fy = (py - y0).astype(np.float32)
    flat = img.reshape(-1)
    pid = np.arange(img.shape[0], dtype=np.int64).reshape((-1,) + (1,) * (px.ndim - 1)) * (n * n)
    base = pid + y0 * n + x0

    def at(off: int) -> np.ndarray:
        return flat.take(base + off)

    top = at(0) * (1 - fx) + at(1) * fx
    bot = at(n) * (1 - fx) + at(n + 1) * fx
    return top * (1 - fy) + bot * fy, inside


def _boxsum(x: np.ndarray) -> np.ndarray:
    """Sums of ``x`` (..., E, E) over the S x S windows at shifts 0..2*MAX_SHIFT (integral image)."""
    return _axis_window_sums(_axis_window_sums(x, -2), -1)


def _axis_window_sums(x: np.ndarray, axis: int) -> np.ndarray:
    """Sums over S consecutive entries of ``axis`` (length E) starting at 0..2*MAX_SHIFT."""
    x = np.moveaxis(x, axis, -1)
    m2 = 2 * MAX_SHIFT
    core = x[..., m2:_S].sum(-1, dtype=np.float64)
    zero = np.zeros((*x.shape[:-1], 1), np.float64)
    head = np.concatenate([np.cumsum(x[..., m2 - 1 :: -1], -1, dtype=np.float64)[..., ::-1], zero], -1)
    tail = np.concatenate([zero, np.cumsum(x[..., _S:], -1, dtype=np.float64)], -1)
    return np.moveaxis(core[..., None] + head + tail, -1, axis)


def _corr(fa: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Cross-correlation of the padded query spectrum ``fa`` (P, 1, E, E//2+1) with ``x`` (P, K, E, E)
    at shifts 0..2*MAX_SHIFT: ``out[..., sy, sx] = sum_ij a[i, j] x[i + sy, j + sx]``."""
    out = np.fft.irfft2(np.conj(fa) * np.fft.rfft2(x), s=(_E, _E))
    return out[..., : 2 * MAX_SHIFT + 1, : 2 * MAX_SHIFT + 1]


def _trimmed_ncc(a: np.ndarray, b: np.ndarray, w: np.ndarray, drop: int) -> np.ndarray:
    """NCC of (P, S, S) arrays over weights ``w`` after dropping the ``drop`` worst rows."""

    def ncc(ww: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = np.maximum(ww.sum((1, 2)), 1.0)[:, None, None]
        ma = (ww * a).sum((1, 2))[:, None, None] / n
        mb = (ww * b).sum((1, 2))[:, None, None] / n
        da, db = a - ma, b - mb
        va = (ww * da * da).sum((1, 2)) / n[:, 0, 0]
        vb = (ww * db * db).sum((1, 2)) / n[:, 0, 0]
        cov = (ww * da * db).sum((1, 2)) / n[:, 0, 0]
        return cov / np.sqrt(np.maximum(va * vb, 1e-6)), da / np.sqrt(np.maximum(va, 1e-6))[:, None, None], \
            db / np.sqrt(np.maximum(vb, 1e-6))[:, None, None]

    _, za, zb = ncc(w)
    row_n = np.maximum(w.sum(2), 1e-9)
    row_err = (w * (za - zb) ** 2).sum(2) / row_n
    row_err[w.sum(2) < 1.0] = np.inf  # rows outside the other photo are dropped first
    if drop > 0:
        worst = np.argsort(-row_err, axis=1)[:, :drop]
        keep = np.ones(row_err.shape, dtype=bool)
        np.put_along_axis(keep, worst, False, axis=1)
        w = w * keep[:, :, None]
    sim, _, _ = ncc(w)
    a, b = _highpass(a), _highpass(b)
    detail, _, _ = ncc(w)
    return np.stack([sim, detail])


def _box(x: np.ndarray, r: int) -> np.ndarray:
    """(2r+1)-square box blur of (P, S, S) arrays, edges replicated."""
    pad = np.pad(x, ((0, 0), (r, r), (r, r)), mode="edge")
    c = np.pad(pad.cumsum(1).cumsum(2), ((0, 0), (1, 0), (1, 0)))
    k = 2 * r + 1
    n = x.shape[1]
    return (c[:, k : k + n, k : k + n] - c[:, :n, k : k + n] - c[:, k : k + n, :n] + c[:, :n, :n]) / (k * k)


def _highpass(x: np.ndarray) -> np.ndarray:
    """``x`` minus its 5x5 box blur: the detail the silhouette does not carry."""
    return x - _box(x, 2)


def _search_ncc(a: np.ndarray, bv: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Plain NCC of the query ``a`` (P, S, S) against every S x S window of the sampled other
    side ``bv`` (P, K, E, E) at shifts 0..2*MAX_SHIFT: ``(P, K, ns, ns)``; -1 where less than
    :data:`MIN_OVERLAP` of the window lies inside the other photo (``w``). Points outside take
    the other photo's edge values. One FFT correlation per (pair, alignment), integral sums."""
    p = a.shape[0]
    apad = np.zeros((p, 1, _E, _E), np.float32)
    apad[:, 0, :_S, :_S] = a
    nn = float(_S * _S)
    sa = a.sum((1, 2), dtype=np.float64)[:, None, None, None]
    saa = (a.astype(np.float64) ** 2).sum((1, 2))[:, None, None, None]
    sb, sbb = _boxsum(bv), _boxsum(bv.astype(np.float64) ** 2)
    sab = _corr(np.fft.rfft2(apad), bv)
    cov = sab - sa * sb / nn
    va = np.maximum(saa - sa * sa / nn, 1e-3)
    vb = np.maximum(sbb - sb * sb / nn, 1e-3)
    ncc = cov / np.sqrt(va * vb)
    ncc[_boxsum(w) < MIN_OVERLAP * nn] = -1.0
    return ncc


def verify_pairs(
    thumbs: np.ndarray,
    aspects: np.ndarray,
    query: np.ndarray,
    other: np.ndarray,
    mirrored: np.ndarray,
    window: np.ndarray,
) -> np.ndarray:
    """Similarity (-1..1: mean of trimmed NCC and detail NCC) of each candidate pair after the best alignment.

    Args:
        thumbs: ``uint8[n, 48, 48]`` thumbnails (:attr:`PhotoFingerprint.thumb`).
        aspects: ``float[n]`` height / width of each trimmed photo.
        query, other: aligned photo indices; the whole ``query`` photo is laid over window
            ``window`` of ``other`` (mirrored left-right first where ``mirrored``).
    """
    query = np.asarray(query, dtype=np.int64)
    other = np.asarray(other, dtype=np.int64)
    mirrored = np.asarray(mirrored, dtype=bool)
    window = np.asarray(window, dtype=np.int64)
    if not (query.shape == other.shape == mirrored.shape == window.shape):
        raise ValueError("query, other, mirrored and window must be aligned")
    if thumbs.ndim != 3 or thumbs.shape[1:] != (_T, _T):
        raise ValueError(f"thumbs must have shape (n, {_T}, {_T}), got {thumbs.shape}")
    return _verify_parts(thumbs, aspects, query, other, mirrored, window).mean(0)


def _align(
    a: np.ndarray, geo: tuple[np.ndarray, ...], th: np.ndarray, scx: np.ndarray, scy: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Search ``K`` alignments per pair (rotation ``th`` radians, scales ``scx``, ``scy``: (P, K))
    and every shift: ``(ncc (P, K, ns, ns), sampled other side (P, K, E, E), inside mask)``."""
    b, asp, cx, cy, ww, hh = geo
    du = (_GRID - 0.5)[None, None, None, :] * (ww[:, None] * scx)[:, :, None, None]
    dv = (_GRID - 0.5)[None, None, :, None] * (hh[:, None] * scy)[:, :, None, None]
    cos = np.cos(th).astype(np.float32)[:, :, None, None]
    sin = np.sin(th).astype(np.float32)[:, :, None, None]
    ar = asp[:, None, None, None]
    xs = cx[:, None, None, None] + cos * du - sin * ar * dv
    ys = cy[:, None, None, None] + sin / ar * du + cos * dv
    bv, inside = _sample(b, xs * _T - 0.5, ys * _T - 0.5)
    w = inside.astype(np.float32)
    return _search_ncc(a, bv, w), bv, w


def _verify_parts(
    thumbs: np.ndarray, aspects: np.ndarray, query: np.ndarray, other: np.ndarray, mirrored: np.ndarray,
    window: np.ndarray,
) -> np.ndarray:
    """``(2, n)``: trimmed NCC and detail NCC of each pair (see :func:`verify_pairs`)."""
    out = np.empty((2, len(query)), dtype=np.float64)
    ns = 2 * MAX_SHIFT + 1
    for s in range(0, len(query), _CHUNK):
        q, o = query[s : s + _CHUNK], other[s : s + _CHUNK]
        p = len(q)
        a = _DOWN @ thumbs[q].astype(np.float32) @ _DOWN.T
        m = mirrored[s : s + _CHUNK]
        a[m] = a[m][:, :, ::-1]
        b = thumbs[o].astype(np.float32)
        lft, rgt, top, bot = _WIN[window[s : s + _CHUNK]].T.astype(np.float32)
        cx, cy = (lft + 1 - rgt) / 2, (top + 1 - bot) / 2
        ww, hh = 1 - lft - rgt, 1 - top - bot
        asp = np.asarray(aspects, dtype=np.float32)[o]
        geo = (b, asp, cx, cy, ww, hh)
        # stage 1: rotations at the window's scale; stage 2: per-axis scales at the best rotation
        ones = np.ones((p, len(ROTATIONS)), np.float32)
        ncc1, _, _ = _align(a, geo, np.broadcast_to(_ROT, (p, len(ROTATIONS))), ones, ones)
        th = _ROT[ncc1.reshape(p, len(ROTATIONS), -1).max(-1).argmax(1)][:, None]
        ncc, bv, w = _align(a, geo, np.broadcast_to(th, (p, len(SCALES))), np.broadcast_to(_SCX, (p, len(SCALES))),
                            np.broadcast_to(_SCY, (p, len(SCALES))))
        best = ncc.reshape(p, -1).argmax(1)
        k, rest = np.divmod(best, ns * ns)
        sy, sx = np.divmod(rest, ns)
        # the aligned window of the best alignment: rows sy.., cols sx.. of the extended grid
        ii = np.arange(_S)
        rows = (sy[:, None] + ii[None, :])[:, :, None]
        cols = (sx[:, None] + ii[None, :])[:, None, :]
        pi = np.arange(p)[:, None, None]
        bb = bv[pi, k[:, None, None], rows, cols]
        wk = w[pi, k[:, None, None], rows, cols]
        out[:, s : s + _CHUNK] = _trimmed_ncc(a, bb, wk, DROP_ROWS)
    return out
