"""Perceptual photo hashes that survive crops: one reduced decode, many windows, numpy pHash.

A comeback seller re-uploads the old product photos re-encoded, resized, mirrored, framed,
brightened, watermarked, slightly rotated and - the hard case - cropped by up to ~12% per
side. A single pHash of the whole image misses crops (a 10% crop is found ~0-20% of the time
at a useful false-positive rate), so each photo gets a *set* of hashes:

* the image is decoded once at reduced size (JPEG ``draft``, ~100-200 px), in YCbCr;
* uniform borders (added frames, square padding) are trimmed from the luma;
* a pHash is computed for each of :data:`N_WINDOWS` sub-windows: every combination of
  removing 0, 6 or 12% from each of the four sides (window 0 is the whole image);
* the whole image is also hashed mirrored (for a mirrored DCT this is a sign flip of the
  odd horizontal frequencies, so it costs nothing);
* a 16x16 chroma thumbnail is kept to veto matches between same-shaped photos of
  different colour (the t-shirt-on-a-bed problem).

Two photos match when the whole-image (or mirrored) hash of one is within a Hamming radius
of *any* window hash of the other: a crop of photo B is close to the B-window that removes
about the same margins. All windows come from matrix products of the luma with
precomputed (area-resampling x DCT) matrices: ``C_w = Ay_w @ Y @ Ax_w``, so the 81 window
hashes cost about as much as one decode: the nine right products are one BLAS call, the 81
left products another.

Hash version 2 (:data:`HASH_VERSION`): the products run in float32 (version 1 used float64),
on one OpenBLAS thread. float32 moves a coefficient by ~1e-5 of the window's largest, which
flips a bit only when the coefficient sits that close to its hash's median - a bit any
re-encode flips anyway: on the 3,068 clothing photos 2 bits of one of the 248,508 window
hashes changed (no mirrored hash), 31 of the 7.1 million thumbnail pixels and 5 of the 1.6
million chroma values moved by one level, and ``benchmarks/photo_robustness.py`` measured
the same TPR and FPR on every transformation; the products cost about half. Hashes of the two
versions are never compared: the photo state records the version.

pHash convention (pinned by tests against ``imagehash.phash``): resample to 32x32, 2-D
DCT-II (unnormalised, as ``scipy.fftpack.dct``), keep the 8x8 lowest frequencies, bit set
where the coefficient is above their median; bit 63 of the ``uint64`` is coefficient
(0, 0), read row by row, so ``format(h, "016x")`` equals ``str(imagehash.phash(img))``.

Example:
    >>> import io, numpy as np
    >>> from PIL import Image
    >>> rng = np.random.default_rng(0)
    >>> img = Image.fromarray((rng.random((60, 80, 3)) * 255).astype(np.uint8))
    >>> buf = io.BytesIO(); img.save(buf, "PNG")
    >>> fp = hash_photo(buf.getvalue())
    >>> fp.windows.shape, fp.hash.distance(fp.hash)
    ((81,), 0)
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import logging
import os
import stat
import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
from PIL import Image, ImageOps

from ...config import DEFAULT_LIMITS, Limits, PhotoWarning

__all__ = [
    "HASH_VERSION",
    "MIRROR_VARIANT",
    "N_WINDOWS",
    "WINDOWS",
    "PhotoFingerprint",
    "PhotoHash",
    "hash_photo",
    "hash_photos",
    "phash_from_pixels",
    "window_label",
]

logger = logging.getLogger(__name__)

PhotoSource = Union[str, os.PathLike, bytes, bytearray, memoryview]

HASH_VERSION = 2
"""Version of the fingerprint algorithm: 2 = float32 products (1 = float64). Photo states
record it, so hashes of different versions are never compared."""

DECODE_SIZE = 64
"""JPEG draft target: the decoder picks the largest 1/2^k scale with both sides >= this."""

HASH_SIZE = 8
RESAMPLE = 32
CHROMA_SIZE = 16
THUMB_SIZE = 48
"""Side of the grayscale thumbnail kept for verifying candidate matches (2.3 KiB per photo)."""
TRIM_TOLERANCE = 10.0
"""A border row/column is 'uniform' when its luma range (max - min) is at most this."""
TRIM_KEEP = 0.5
"""Trimming never removes more than half of the height or the width."""

SIDE_CUTS: tuple[float, ...] = (0.0, 0.06, 0.12)
"""Fractions removed from each side to form the windows (grid step 6%: a crop of c% per side
is within 3% of a window, which pHash tolerates)."""

_AXIS_WINDOWS: tuple[tuple[float, float], ...] = tuple(itertools.product(SIDE_CUTS, SIDE_CUTS))
WINDOWS: tuple[tuple[float, float, float, float], ...] = tuple(
    (lft, rgt, top, bot) for (top, bot) in _AXIS_WINDOWS for (lft, rgt) in _AXIS_WINDOWS
)
"""Window ``w`` removes ``(left, right, top, bottom)`` fractions; window 0 is the whole image."""
N_WINDOWS = len(WINDOWS)
MIRROR_VARIANT = N_WINDOWS
"""Variant id of the mirrored whole-image hash (variants 0..N_WINDOWS-1 are windows)."""

_MIRROR_SIGN = ((-1.0) ** np.arange(HASH_SIZE))[None, :].astype(np.float32)


def window_label(variant: int) -> str:
    """A readable name of a hash variant: "full", "mirrored" or "crop l=6% r=0% t=12% b=0%"."""
    if variant == MIRROR_VARIANT:
        return "mirrored"
    if not 0 <= variant < N_WINDOWS:
        raise ValueError(f"variant must be in 0..{MIRROR_VARIANT}, got {variant}")
    if variant == 0:
        return "full"
    lft, rgt, top, bot = WINDOWS[variant]
    return f"crop l={lft:.0%} r={rgt:.0%} t={top:.0%} b={bot:.0%}"


# =======================================================================================
# the hash value


class PhotoHash:
    """A perceptual hash as a value: equality, Hamming ``distance``, hex round trip.

    >>> h = PhotoHash.from_hex("e9f5c6006deb2658")
    >>> h.to_hex(), h.distance(PhotoHash.from_hex("e9f5c6006deb2659")), len(h)
    ('e9f5c6006deb2658', 1, 64)
    """

    __slots__ = ("bits", "value")

    def __init__(self, value: int, bits: int = 64) -> None:
        value = int(value)
        if bits <= 0 or bits % 4:
            raise ValueError(f"bits must be a positive multiple of 4, got {bits}")
        if value < 0 or value >> bits:
            raise ValueError(f"hash value does not fit in {bits} bits: {value:#x}")
        self.value = value
        self.bits = bits

    @classmethod
    def from_hex(cls, text: str) -> PhotoHash:
        """Parse a hex string; its length gives the number of bits (4 per digit)."""
        if not isinstance(text, str):
            raise TypeError(f"expected a hex string, got {type(text).__name__}")
        s = text.strip().lower()
        if not s or any(c not in "0123456789abcdef" for c in s):
            raise ValueError(f"not a hex hash: {text!r}")
        return cls(int(s, 16), 4 * len(s))

    def to_hex(self) -> str:
        return format(self.value, f"0{self.bits // 4}x")

    def distance(self, other: PhotoHash) -> int:
        """Hamming distance; ValueError when the two hashes have different lengths."""
        if not isinstance(other, PhotoHash):
            raise TypeError(f"expected a PhotoHash, got {type(other).__name__}")
        if other.bits != self.bits:
            raise ValueError(f"cannot compare a {self.bits}-bit hash with a {other.bits}-bit hash")
        return (self.value ^ other.value).bit_count()

    def __sub__(self, other: PhotoHash) -> int:
        return self.distance(other)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PhotoHash) and other.bits == self.bits and other.value == self.value

    def __hash__(self) -> int:
        return hash((self.value, self.bits))

    def __len__(self) -> int:
        return self.bits

    def __str__(self) -> str:
        return self.to_hex()

    def __repr__(self) -> str:
        return f"PhotoHash({self.to_hex()!r})"


@dataclass(frozen=True, eq=False)
class PhotoFingerprint:
    """Everything kept about one photo.

    Attributes:
        path: the file path ("" when hashed from bytes).
        windows: ``uint64[N_WINDOWS]`` pHash of each window (:data:`WINDOWS`); ``windows[0]``
            is the whole (border-trimmed) image.
        mirrored: pHash of the whole image mirrored left-right.
        chroma: ``uint8[16, 16, 2]`` Cb/Cr thumbnail of the trimmed image.
        size: (width, height) of the photo as stored.
        thumb: ``uint8[48, 48]`` luma thumbnail of the trimmed image (area-resampled), used
            to verify candidate matches by alignment; ``None`` skips verification.
        aspect: height / width of the trimmed image (rotations are searched in pixel space).
    """

    path: str
    windows: np.ndarray
    mirrored: int
    chroma: np.ndarray = field(repr=False)
    size: tuple[int, int] = (0, 0)
    thumb: np.ndarray | None = field(default=None, repr=False)
    aspect: float = 1.0

    @property
    def hash(self) -> PhotoHash:
        """The whole-image pHash."""
        return PhotoHash(int(self.windows[0]))

    def variants(self) -> np.ndarray:
        """``uint64[N_WINDOWS + 1]``: the window hashes, then the mirrored hash."""
        return np.append(self.windows, np.uint64(self.mirrored))

    def distance(self, other: PhotoFingerprint) -> int:
        """Smallest Hamming distance between one photo's whole/mirrored hash and any window of
        the other, both ways (the matching rule of :class:`PhotosSignal`, without the colour check)."""
        qa = np.array([self.windows[0], self.mirrored], dtype=np.uint64)
        qb = np.array([other.windows[0], other.mirrored], dtype=np.uint64)
        d1 = np.bitwise_count(qa[:, None] ^ other.windows[None, :]).min()
        d2 = np.bitwise_count(qb[:, None] ^ self.windows[None, :]).min()
        return int(min(d1, d2))


# =======================================================================================
# numpy pHash


def _dct_matrix(n: int = RESAMPLE, k: int = HASH_SIZE) -> np.ndarray:
    """Rows of the unnormalised DCT-II (``scipy.fftpack.dct`` convention), first ``k`` only."""
    nn = np.arange(n)
    kk = np.arange(k)[:, None]
    return 2.0 * np.cos(np.pi * kk * (2 * nn + 1) / (2 * n))


_DCT = _dct_matrix()


def _box_matrices(n_in: int, cuts: Sequence[tuple[float, float]], n_out: int) -> np.ndarray:
    """Area-resampling matrices ``(len(cuts), n_out, n_in)``: output k of window (a, b) averages
    the input over its share of ``[a*n, n - b*n]``, with fractional pixel coverage."""
    c = np.asarray(cuts, dtype=np.float64)
    lo = c[:, 0] * n_in
    hi = n_in - c[:, 1] * n_in
    edges = lo[:, None] + (hi - lo)[:, None] * (np.arange(n_out + 1) / n_out)[None, :]
    a = edges[:, :-1, None]
    b = edges[:, 1:, None]
    i = np.arange(n_in, dtype=np.float64)[None, None, :]
    w = np.clip(np.minimum(i + 1, b) - np.maximum(i, a), 0.0, None)
    return w / (b - a)


@functools.lru_cache(maxsize=2048)
def _axis_matrices(n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For an axis of ``n_in`` pixels: DCT-of-resample matrices ``(n_axis_windows, 8, n_in)``,
    the chroma resample matrix ``(16, n_in)`` and the thumbnail one ``(48, n_in)`` of the whole axis."""
    box = _box_matrices(n_in, _AXIS_WINDOWS, RESAMPLE)
    dct = np.einsum("kr,wri->wki", _DCT, box)
    chroma = _box_matrices(n_in, [(0.0, 0.0)], CHROMA_SIZE)[0]
    thumb = box[0] if THUMB_SIZE == RESAMPLE else _box_matrices(n_in, [(0.0, 0.0)], THUMB_SIZE)[0]
    for m in (dct, chroma, thumb):
        m.setflags(write=False)
    return dct, chroma, thumb


@functools.lru_cache(maxsize=2048)
def _axis_plan(n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The float32 matrices the hashing multiplies by, each C-contiguous: the 9 axis windows'
    8 DCT-of-resample rows of :func:`_axis_matrices` stacked into one ``(72, n_in)`` matrix
    (one BLAS call for all windows), the chroma ``(16, n_in)`` and thumbnail ``(48, n_in)`` ones."""
    dct, chroma, thumb = _axis_matrices(n_in)
    out = tuple(np.ascontiguousarray(m.reshape(-1, n_in), dtype=np.float32) for m in (dct, chroma, thumb))
    for m in out:
        m.setflags(write=False)
    return out  # type: ignore[return-value]


def _bits(coefs: np.ndarray) -> np.ndarray:
    """``(..., 8, 8)`` DCT coefficients to ``uint64`` hashes (above-median bits, row-major, MSB first)."""
    flat = coefs.reshape(-1, HASH_SIZE * HASH_SIZE)
    half = flat.shape[-1] // 2
    srt = np.sort(flat, axis=-1)  # (a full sort of 64 beats np.partition here)
    med = 0.5 * (srt[:, half - 1 : half] + srt[:, half : half + 1])
    packed = np.packbits(flat > med, axis=-1)  # MSB first: bit 63 is coefficient (0, 0)
    return packed.view(">u8").astype(np.uint64).reshape(coefs.shape[:-2])


def phash_from_pixels(pixels: np.ndarray) -> int:
    """pHash of a 32x32 grayscale array, exactly as ``imagehash.phash`` of that 32x32 image.

    >>> phash_from_pixels(np.zeros((32, 32)))  # only the DC term differs from the median... none here
    0
    """
    a = np.asarray(pixels, dtype=np.float64)
    if a.shape != (RESAMPLE, RESAMPLE):
        raise ValueError(f"expected a {RESAMPLE}x{RESAMPLE} array, got shape {a.shape}")
    return int(_bits(_DCT @ a @ _DCT.T))


def _clamp_pair(a: int, b: int, allowed: int) -> tuple[int, int]:
    """Scale two trims down so they remove at most ``allowed`` pixels together."""
    allowed = max(0, allowed)
    if a + b <= allowed:
        return a, b
    f = allowed / (a + b)
    return int(a * f), int(b * f)


def _leading(flags: np.ndarray) -> int:
    """Number of leading True values."""
    return len(flags) if flags.all() else int(np.argmin(flags))


def _flat_lines(y: np.ndarray, axis: int) -> np.ndarray:
    """Per row (``axis=1``) or column (``axis=0``) of ``y``: is its luma range at most the tolerance?"""
    return (y.max(axis=axis) - y.min(axis=axis)) <= TRIM_TOLERANCE  # uint8: max >= min, no wrap


def _edges_flat(y: np.ndarray, axis: int) -> bool:
    """Is the first or the last row (``axis=1``) / column (``axis=0``) uniform? (Two lines read,
    not the whole image: when neither edge is uniform nothing is trimmed on that axis.)"""
    h, w = y.shape
    # the two columns as a (2, h) copy: numpy reduces a strided (h, 2) view of the interleaved
    # YCbCr bytes along axis 0 ~5x slower (25 us) than it copies and reduces these h pixels
    e = y[:: max(h - 1, 1)] if axis == 1 else y[:, :: max(w - 1, 1)].T.copy()
    return bool(_flat_lines(e, 1).any())


def _any_edge_flat(y: np.ndarray) -> bool:
    """Is any of the four edge lines of ``y`` uniform? (One gather of the four lines and one
    range per line: ~5 us, where checking rows, then columns, costs ~12 us.)"""
    h, w = y.shape
    e = np.concatenate((y[0], y[-1], y[:, 0], y[:, -1]))
    starts = np.array([0, w, 2 * w, 2 * w + h])
    return bool(((np.maximum.reduceat(e, starts) - np.minimum.reduceat(e, starts)) <= TRIM_TOLERANCE).any())


def _trim_box(y: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) after removing uniform border rows/columns (frames, padding).

    A row is uniform when its luma range is at most :data:`TRIM_TOLERANCE`; at most half of
    each dimension is removed. A flat image is left as it is. The whole-image range vectors
    are only computed when an edge line is uniform (most photos have no border).
    """
    h, w = y.shape
    if not _any_edge_flat(y):  # (the loop below would find the same, in twice the numpy calls)
        return 0, h, 0, w
    top, bot, lft, rgt = 0, h, 0, w
    min_h = int(np.ceil(h * TRIM_KEEP))
    min_w = int(np.ceil(w * TRIM_KEEP))
    for _ in range(2):
        sub = y[top:bot, lft:rgt]
        n_t = n_b = n_l = n_r = 0
        if _edges_flat(sub, 1):
            flat = _flat_lines(sub, 1)
            if flat.all():
                break
            n_t, n_b = _clamp_pair(_leading(flat), _leading(flat[::-1]), (bot - top) - min_h)
            top, bot = top + n_t, bot - n_b
            sub = y[top:bot, lft:rgt]
        if _edges_flat(sub, 0):
            flat = _flat_lines(sub, 0)
            if flat.all():
                break
            n_l, n_r = _clamp_pair(_leading(flat), _leading(flat[::-1]), (rgt - lft) - min_w)
            lft, rgt = lft + n_l, rgt - n_r
        if n_t == n_b == n_l == n_r == 0:
            break
    return top, bot, lft, rgt


# The BLAS thread pool, limited while photos are hashed. Every product here is tiny (the
# largest, the nine window right products, is ~1e6 multiply-adds): OpenBLAS splits the ones above
# its threading cut over its pool, and on a busy machine each hand-off costs more than the product
# (measured at load ~4 on 2 cores: hash_photos 1.4x the bare decode on one BLAS thread, 12.7x on
# OpenBLAS's pool). numpy has no API for this; threadpoolctl (a dependency for this alone) sets
# the thread count of the BLAS numpy loaded, whichever it is. One thread also makes the products'
# last bits - so the rare coefficient at its hash's median, and a thumbnail value at a rounding
# tie - independent of the machine's core count and OPENBLAS_NUM_THREADS (a pool splits a product
# into blocks whose shapes depend on the thread count, and OpenBLAS's kernels round per shape).
_blas_depth = 0  # nesting of _one_blas_thread in the main thread (the only one that sets limits)
_blas_limiter: Any = None


@functools.lru_cache(maxsize=1)
def _blas_controller() -> Any:
    """threadpoolctl's controller of the BLAS libraries loaded (found once: ~1 ms)."""
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController().select(user_api="blas")


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """While the main thread hashes photos, the BLAS runs every product on its calling thread.

    A BLAS thread count is one number for the whole process (OpenBLAS's pool, MKL's), and
    threadpoolctl lets a single Python thread set OpenBLAS's (the first to set it; others'
    settings are ignored). So only the main thread limits it - the outermost scope sets one
    thread, ~10 us, and restores the counts it found on exit - and the limit covers the worker
    threads of :func:`hash_photos`, which it calls from the main thread. A scope in another
    thread changes nothing: its products may run on the pool (slower under load, and their
    last bits may differ, which can move a coefficient sitting at its hash's median). Other
    threads' numpy products run on one BLAS thread meanwhile, as under
    ``threadpoolctl.threadpool_limits``.

    >>> with _one_blas_thread():
    ...     pass
    """
    global _blas_depth, _blas_limiter
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _blas_depth == 0:
        _blas_limiter = _blas_controller().limit(limits=1)
    _blas_depth += 1
    try:
        yield
    finally:
        _blas_depth -= 1
        if _blas_depth == 0:
            limiter, _blas_limiter = _blas_limiter, None
            limiter.restore_original_limits()


def _window_coefs(y: np.ndarray) -> np.ndarray:
    """``(N_WINDOWS, 8, 8)`` DCT coefficients of every window of a float32 luma array.

    The per-window ``Ay_w @ (Y @ Ax_w.T)`` (the tests keep that loop, in float64, as the
    reference) in two BLAS calls: the nine right products side by side, ``(h, w) @ (w, 72)``,
    then all 81 left products, ``(72, h) @ (h, 72)``, whose ``8x8`` blocks are the windows.
    Called inside :func:`_one_blas_thread` (as :func:`_fingerprint_array` does).
    """
    n_axis = len(_AXIS_WINDOWS)
    right = y @ _axis_plan(y.shape[1])[0].T  # (h, 72): column block i is Y @ Ax_i.T
    coefs = _axis_plan(y.shape[0])[0] @ right  # (72, 72): block (iy, ix) is window iy*n_axis + ix
    return coefs.reshape(n_axis, HASH_SIZE, n_axis, HASH_SIZE).transpose(0, 2, 1, 3).reshape(
        N_WINDOWS, HASH_SIZE, HASH_SIZE)


_THUMB_LEN = THUMB_SIZE * THUMB_SIZE
_CHROMA_LEN = 2 * CHROMA_SIZE * CHROMA_SIZE


def _fingerprint_array(ycc: np.ndarray, path: str, size: tuple[int, int]) -> PhotoFingerprint:
    """Hashes of a decoded ``(h, w, 3)`` YCbCr array (``uint8``, or float for high-bit modes)."""
    with _one_blas_thread():  # (nested in hash_photos' scope it is a counter: ~1 us)
        return _fingerprint_one_thread(ycc, path, size)


def _fingerprint_one_thread(ycc: np.ndarray, path: str, size: tuple[int, int]) -> PhotoFingerprint:
    """:func:`_fingerprint_array`, inside :func:`_one_blas_thread`."""
    top, bot, lft, rgt = _trim_box(ycc[..., 0])
    sub = ycc[top:bot, lft:rgt]
    h, w = sub.shape[:2]
    planes = sub.transpose(2, 0, 1).astype(np.float32, order="C")  # (3, h, w): each plane C-contiguous
    y, cbcr = planes[0], planes[1:]
    _, cy, ty = _axis_plan(h)
    _, cx, tx = _axis_plan(w)
    stacked = np.empty((N_WINDOWS + 1, HASH_SIZE, HASH_SIZE), dtype=np.float32)
    stacked[:N_WINDOWS] = _window_coefs(y)
    np.multiply(stacked[0], _MIRROR_SIGN, out=stacked[N_WINDOWS])
    hashes = _bits(stacked)
    # thumbnail and chroma products into one buffer, rounded and converted in one go
    small = np.empty(_THUMB_LEN + _CHROMA_LEN, dtype=np.float32)
    np.matmul(ty @ y, tx.T, out=small[:_THUMB_LEN].reshape(THUMB_SIZE, THUMB_SIZE))
    np.matmul(cy @ cbcr, cx.T, out=small[_THUMB_LEN:].reshape(2, CHROMA_SIZE, CHROMA_SIZE))
    np.rint(small, out=small)
    np.clip(small, 0, 255, out=small)
    small8 = small.astype(np.uint8)
    thumb = small8[:_THUMB_LEN].reshape(THUMB_SIZE, THUMB_SIZE)
    chroma = small8[_THUMB_LEN:].reshape(2, CHROMA_SIZE, CHROMA_SIZE).transpose(1, 2, 0)  # (16, 16, 2)
    windows = hashes[:N_WINDOWS].copy()
    for arr in (windows, chroma, thumb):
        arr.setflags(write=False)
    return PhotoFingerprint(path=path, windows=windows, mirrored=int(hashes[N_WINDOWS]), chroma=chroma, size=size,
                            thumb=thumb, aspect=h / w)


# =======================================================================================
# decoding


_EXIF_ORIENTATION = 0x0112
_TRANSPOSED = frozenset(range(2, 9))
"""EXIF orientations other than upright (1): the ones ``ImageOps.exif_transpose`` acts on."""


class _BadPhoto(Exception):
    """Internal: a photo that is skipped, with the reason."""


def _to_ycbcr(im: Image.Image) -> np.ndarray:
    """Any PIL mode to an ``(h, w, 3)`` YCbCr array, alpha composited on white: ``uint8`` as
    decoded (no float copy of the whole image), ``float32`` for 16-bit and float modes."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        a = np.asarray(im, dtype=np.float32)
        if a.ndim != 2:
            raise _BadPhoto(f"unsupported {mode} layout")
        top = float(a.max()) if a.size else 0.0
        if top > 255.0:
            a = a * (255.0 / (max(65535.0, top)))
        a = np.clip(a, 0.0, 255.0)
        out = np.empty((*a.shape, 3), dtype=np.float32)
        out[..., 0] = a
        out[..., 1:] = 128.0
        return out
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    if has_alpha:
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, rgba).convert("RGB")
    if im.mode != "YCbCr":
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        im = im.convert("YCbCr")
    return np.asarray(im)


def _describe(source: Any) -> str:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source)} bytes>"
    return str(source)


def _open_bytes(source: PhotoSource, limits: Limits) -> tuple[bytes | str, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) == 0:
            raise _BadPhoto("empty (0 bytes)")
        if len(data) > limits.max_photo_bytes:
            raise _BadPhoto(f"{len(data):,} bytes > Limits.max_photo_bytes={limits.max_photo_bytes:,}")
        return data, ""
    if not isinstance(source, (str, os.PathLike)):
        raise _BadPhoto(f"expected a path or bytes, got {type(source).__name__}")
    path = os.fspath(source)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _BadPhoto("no such file") from None
    except OSError as exc:
        raise _BadPhoto(f"cannot stat: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):  # (os.path.isfile would stat the file a second time)
        raise _BadPhoto("not a regular file")
    if st.st_size == 0:
        raise _BadPhoto("empty file (0 bytes)")
    if st.st_size > limits.max_photo_bytes:
        raise _BadPhoto(f"{st.st_size:,} bytes > Limits.max_photo_bytes={limits.max_photo_bytes:,}")
    return path, str(path)


def _decode(src: bytes | str, limits: Limits) -> tuple[np.ndarray, tuple[int, int]]:
    fh: Any = io.BytesIO(src) if isinstance(src, bytes) else src
    if threading.current_thread() is threading.main_thread():
        # PIL's own bomb warning becomes an error reported as a PhotoWarning. (Warning filters
        # are process-global, so worker threads leave them alone: there our own pixel limit,
        # below PIL's by default, reports the bomb.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                im = Image.open(fh)
            except Image.DecompressionBombWarning as exc:
                raise _BadPhoto(f"decompression bomb ({exc})") from None
    else:
        im = Image.open(fh)
    with im:
        w, h = im.size
        if w <= 0 or h <= 0:
            raise _BadPhoto(f"empty image {w}x{h}")
        if w * h > limits.max_photo_pixels:
            raise _BadPhoto(
                f"decompression bomb: {w}x{h} = {w * h:,} pixels > Limits.max_photo_pixels={limits.max_photo_pixels:,}"
            )
        if getattr(im, "is_animated", False):
            im.seek(0)
        if im.format == "JPEG" and im.mode in ("RGB", "YCbCr", "L"):
            im.draft("YCbCr" if im.mode != "L" else "L", (DECODE_SIZE, DECODE_SIZE))
        im.load()
        out: Image.Image = im
        if im.getexif().get(_EXIF_ORIENTATION, 1) in _TRANSPOSED:  # (exif_transpose would copy even when upright)
            out = ImageOps.exif_transpose(im) or im
        short = min(out.size)
        if short >= 2 * DECODE_SIZE * 2:  # big non-JPEG (PNG/WebP/GIF): shrink before converting
            factor = short // (2 * DECODE_SIZE)
            if out.mode == "P":
                out = out.convert("RGBA" if "transparency" in out.info else "RGB")
            try:
                out = out.reduce(factor)
            except (ValueError, NotImplementedError):
                pass
        arr = _to_ycbcr(out)
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise _BadPhoto(f"too small to hash ({w}x{h})")
    return arr, (w, h)


def _skip_message(source: Any, exc: Exception) -> str:
    """The warning text of a photo that could not be fingerprinted."""
    if isinstance(exc, _BadPhoto):
        reason = str(exc)
    elif isinstance(exc, Image.DecompressionBombError):
        reason = f"decompression bomb ({exc})"
    else:  # a hostile file must never stop a batch
        reason = f"unreadable ({type(exc).__name__}: {exc})"
    return f"photo skipped: {_describe(source)}: {reason}"


BATCH_CHUNK = 32
""":func:`hash_photos` decodes this many photos, then fingerprints them, rather than
alternating per photo: the JPEG decoder's and the matrix products' working sets each stay
in cache for a run (measured ~10-20% faster per photo on the clothing photos)."""


def _hash_chunk(sources: Sequence[PhotoSource], limits: Limits) -> list[tuple[PhotoFingerprint | None, str]]:
    """``(fingerprint, "")`` or ``(None, reason)`` per source: all decoded first, then all
    hashed. Emits no warning (safe in worker threads); never raises for a bad photo."""
    decoded: list[tuple[np.ndarray, tuple[int, int], str] | str] = []
    for source in sources:
        try:
            src, path = _open_bytes(source, limits)
            arr, size = _decode(src, limits)
            decoded.append((arr, size, path))
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            decoded.append(_skip_message(source, exc))
    out: list[tuple[PhotoFingerprint | None, str]] = []
    for source, d in zip(sources, decoded):
        if isinstance(d, str):
            out.append((None, d))
            continue
        try:
            out.append((_fingerprint_array(d[0], d[2], d[1]), ""))
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001
            out.append((None, _skip_message(source, exc)))
    return out


def _hash_quiet(source: PhotoSource, limits: Limits) -> tuple[PhotoFingerprint | None, str]:
    """Fingerprint or ``(None, reason)``; emits no warning (safe in worker threads)."""
    return _hash_chunk([source], limits)[0]


def hash_photo(source: PhotoSource, *, limits: Limits = DEFAULT_LIMITS) -> PhotoFingerprint | None:
    """Fingerprint one photo (a path or the file's bytes), or ``None`` with a :class:`PhotoWarning`.

    Never raises for a bad photo: a missing, empty, oversized, truncated, non-image or
    decompression-bomb file is reported with its path and the reason, and skipped.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     hash_photo("/no/such/photo.jpg") is None, "no such file" in str(w[0].message)
    (True, True)
    """
    fp, message = _hash_quiet(source, limits)
    if fp is None:
        warnings.warn(message, PhotoWarning, stacklevel=2)
        logger.debug(message)
    return fp


def _hash_job(args: tuple[Sequence[PhotoSource], Limits]) -> list[tuple[PhotoFingerprint | None, str]]:
    """Pool worker over one chunk: no warnings here (filters are process-global); the caller reports them."""
    return _hash_chunk(args[0], args[1])


def hash_photos(
    paths: Iterable[PhotoSource],
    *,
    limits: Limits = DEFAULT_LIMITS,
    workers: int = 1,
    executor: str = "thread",
    progress: bool = False,
) -> list[PhotoFingerprint | None]:
    """:func:`hash_photo` over many photos, aligned with ``paths``; each distinct path is hashed once.

    Args:
        workers: >1 uses a ``concurrent.futures`` pool (decoding releases the GIL, so threads
            scale; ``executor="process"`` for CPU-bound Python overhead).
        progress: show a tqdm bar.

    >>> hash_photos([])
    []
    """
    items = list(paths)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if executor not in ("thread", "process"):
        raise ValueError(f"executor must be 'thread' or 'process', got {executor!r}")
    if not items:  # (an account without photos: no BLAS scope to set up, ~0.1 ms of a query)
        return []
    slot: list[int] = []  # item -> index of its distinct source
    distinct: dict[Any, int] = {}
    order: list[Any] = []
    for p in items:
        k: Any = bytes(p) if isinstance(p, (bytearray, memoryview)) else p
        if isinstance(k, os.PathLike):
            k = os.fspath(k)
        try:
            idx = distinct.setdefault(k, len(order))
        except TypeError:  # unhashable junk: hashed alone (and reported as bad)
            idx = len(order)
        if idx == len(order):
            order.append(k)
        slot.append(idx)
    if workers == 1 or len(order) < 2:
        size = BATCH_CHUNK
    else:  # enough chunks to keep every worker busy to the end
        size = max(1, min(BATCH_CHUNK, -(-len(order) // (4 * workers))))
    jobs = [(order[i : i + size], limits) for i in range(0, len(order), size)]
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(order), desc="hashing photos", unit="photo")
    done: list[tuple[PhotoFingerprint | None, str]] = []
    # one BLAS scope for the whole call (the chunks' own scopes nest in it: no set/restore per chunk)
    with contextlib.ExitStack() as stack, _one_blas_thread():
        if bar is not None:
            stack.callback(bar.close)
        if workers == 1 or len(jobs) < 2:
            for part in map(_hash_job, jobs):
                done.extend(part)
                if bar is not None:
                    bar.update(len(part))
        else:
            from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

            pool_cls = ThreadPoolExecutor if executor == "thread" else ProcessPoolExecutor
            with pool_cls(max_workers=workers) as pool:
                for part in pool.map(_hash_job, jobs):
                    done.extend(part)
                    if bar is not None:
                        bar.update(len(part))
    results: list[PhotoFingerprint | None] = []
    for fp, message in done:
        if fp is None:
            warnings.warn(message, PhotoWarning, stacklevel=2)
            logger.debug(message)
        results.append(fp)
    return [results[i] for i in slot]
