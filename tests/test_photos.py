"""Tests of the photos signal: invariance to a comeback seller's photo edits, no false matches
among distinct photos, a hostile-photo corpus that never raises, golden hashes, and exact
multi-index hashing against brute force."""

from __future__ import annotations

import io
import itertools
import struct
import warnings
import zlib
from pathlib import Path

import imagehash
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from sellerlink.blocking import pairs_from_keys
from sellerlink.config import Limits, PhotoWarning
from sellerlink.records import Account, Listing
from sellerlink.signals.base import Signal
from sellerlink.signals.photos import (
    FEATURE_NAMES,
    MIRROR_VARIANT,
    N_WINDOWS,
    MultiIndexHash,
    PhotoFingerprint,
    PhotoHash,
    PhotosSignal,
    hash_photo,
    hash_photos,
    match_fingerprints,
    pairs_within,
    phash_from_pixels,
)

# ---------------------------------------------------------------------------------------
# generated photos: smooth colour blobs + shapes + sensor noise (flat colours hash degenerate)


def textured(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32) + rng.uniform(40, 200, 3)
    for _ in range(8):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        s = rng.uniform(0.05, 0.3) * w
        g = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s * s))
        img += g[..., None] * rng.uniform(-120, 120, 3)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    for _ in range(6):
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        x1, y1 = x0 + rng.uniform(10, w / 2), y0 + rng.uniform(10, h / 2)
        col = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            d.ellipse((x0, y0, x1, y1), fill=col)
        else:
            d.rectangle((x0, y0, x1, y1), fill=col)
    arr = np.asarray(im, np.float32) + rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def jpeg(img: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def crop(img: Image.Image, left: float, right: float, top: float, bottom: float) -> Image.Image:
    w, h = img.size
    return img.crop((round(left * w), round(top * h), round(w - right * w), round(h - bottom * h)))


def watermark(img: Image.Image, y_frac: float = 0.45) -> Image.Image:
    img = img.convert("RGB")
    w, h = img.size
    band = int(h * 0.12)
    y0 = int(h * y_frac)
    over = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(over)
    d.rectangle((0, y0, w, y0 + band), fill=(0, 0, 0, 150))
    try:
        font = ImageFont.load_default(size=int(band * 0.6))
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    d.text((8, y0 + band * 0.2), "TOKO BARU THRIFT", fill=(255, 255, 255, 235), font=font)
    return Image.alpha_composite(img.convert("RGBA"), over).convert("RGB")


TRANSFORMS = {
    "reencode q40": lambda im: Image.open(io.BytesIO(jpeg(im, 40))),
    "reencode q90": lambda im: Image.open(io.BytesIO(jpeg(im, 90))),
    "resize 0.6": lambda im: im.resize((int(im.width * 0.6), int(im.height * 0.6)), Image.BILINEAR),
    "resize 1.4": lambda im: im.resize((int(im.width * 1.4), int(im.height * 1.4)), Image.BICUBIC),
    "crop 5%": lambda im: crop(im, 0.05, 0.05, 0.05, 0.05),
    "crop 10%": lambda im: crop(im, 0.10, 0.10, 0.10, 0.10),
    "crop 12%": lambda im: crop(im, 0.12, 0.12, 0.12, 0.12),
    "crop asymmetric": lambda im: crop(im, 0.11, 0.0, 0.03, 0.09),
    "crop one side": lambda im: crop(im, 0.0, 0.12, 0.0, 0.0),
    "crop + resize back": lambda im: crop(im, 0.02, 0.08, 0.10, 0.0).resize(im.size, Image.BICUBIC),
    "mirror": ImageOps.mirror,
    "mirror + crop": lambda im: ImageOps.mirror(crop(im, 0.08, 0.0, 0.0, 0.06)),
    "border black": lambda im: ImageOps.expand(im, border=20, fill=(0, 0, 0)),
    "border white": lambda im: ImageOps.expand(im, border=12, fill=(255, 255, 255)),
    "brightness": lambda im: ImageEnhance.Brightness(im).enhance(1.15),
    "contrast": lambda im: ImageEnhance.Contrast(im).enhance(0.75),
}
# Edits the window set only partly absorbs: the hash alone (radius 6) finds ~70% of watermark
# bands and ~40% of 3-degree rotations on real photos; verified candidates at radius 10 ~85%
# and ~70% (benchmarks/photo_robustness.py). Here at least four of six must match.
PARTIAL = {
    "watermark band": watermark,
    "rotate 3deg": lambda im: im.rotate(3, resample=Image.BICUBIC, fillcolor=(255, 255, 255)),
}


@pytest.fixture(scope="module")
def originals() -> list[Image.Image]:
    return [textured(1000 + k) for k in range(6)]


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transformed_copy_matches(name: str, originals: list[Image.Image]) -> None:
    """Each edit keeps the copy matched at the operating radius (at most one miss in six: pHash
    is statistical, real-photo rates are in benchmarks/photo_robustness.py) and always close."""
    tr = TRANSFORMS[name]
    missed = []
    for img in originals:
        a = hash_photo(jpeg(img, 85))
        b = hash_photo(jpeg(tr(img), 70))
        assert a is not None and b is not None
        if len(match_fingerprints([a, b])["a"]) != 1:
            missed.append(a.distance(b))
        assert len(match_fingerprints([a, b], radius=10)["a"]) == 1, f"{name}: distance {a.distance(b)}"
    assert len(missed) <= 1, f"{name}: missed at distances {missed}"


@pytest.mark.parametrize("name", list(PARTIAL))
def test_partially_absorbed_edits_stay_close(name: str, originals: list[Image.Image]) -> None:
    found = 0
    for img in originals:
        a = hash_photo(jpeg(img, 85))
        b = hash_photo(jpeg(PARTIAL[name](img), 70))
        assert a is not None and b is not None
        found += len(match_fingerprints([a, b])["a"]) == 1
        other = hash_photo(jpeg(textured(9999)))
        assert other is not None and len(match_fingerprints([other, b])["a"]) == 0
    assert found >= 4, f"{name}: {found}/6 matched"


def test_verification_scores() -> None:
    """Thumbnail verification: a copy scores near 1 whatever the hash said, a mirrored copy
    only when told it is mirrored, a different photo low; a rotated copy is re-aligned."""
    from sellerlink.signals.photos import verify_pairs

    imgs = [textured(7000 + k) for k in range(3)]
    fps = [hash_photo(jpeg(im)) for im in imgs]
    fps.append(hash_photo(jpeg(ImageOps.mirror(imgs[0]), 60)))
    fps.append(hash_photo(jpeg(imgs[1].rotate(4, resample=Image.BICUBIC, fillcolor=(255, 255, 255)), 60)))
    assert all(fp is not None and fp.thumb is not None and fp.thumb.shape == (48, 48) for fp in fps)
    thumbs = np.stack([fp.thumb for fp in fps])  # type: ignore[union-attr]
    asp = np.array([fp.aspect for fp in fps])  # type: ignore[union-attr]
    q = np.array([3, 3, 0, 4, 0])
    o = np.array([0, 0, 1, 1, 0])
    mir = np.array([True, False, False, False, False])
    sim = verify_pairs(thumbs, asp, q, o, mir, np.zeros(5, dtype=np.int64))
    assert sim[0] > 0.9 and sim[1] < 0.6 and sim[2] < 0.5 and sim[4] > 0.99
    assert sim[3] > 0.8
    with pytest.raises(ValueError):
        verify_pairs(thumbs, asp, q, o[:2], mir, np.zeros(5, dtype=np.int64))
    with pytest.raises(ValueError):
        verify_pairs(thumbs[:, :32, :32], asp, q, o, mir, np.zeros(5, dtype=np.int64))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(1, 3))
def test_alignment_search_equals_slow_ncc(seed: int, p: int, k: int) -> None:
    """The FFT + integral-image NCC over all shifts equals a direct NCC at each shift."""
    from sellerlink.signals.photos import _verify as V

    rng = np.random.default_rng(seed)
    S, E, ns = V._S, V._E, 2 * V.MAX_SHIFT + 1
    a = (rng.random((p, S, S)) * 255).astype(np.float32)
    bv = (rng.random((p, k, E, E)) * 255).astype(np.float32)
    bv[:, :, : E // 2] += a[:, None, : E // 2, :1] * 0.5  # some correlation
    w = (rng.random((p, k, E, E)) < 0.9).astype(np.float32)
    fast = V._search_ncc(a, bv, w)
    for i in range(p):
        for kk in range(k):
            for sy in range(ns):
                for sx in range(ns):
                    b = bv[i, kk, sy : sy + S, sx : sx + S].astype(np.float64)
                    if w[i, kk, sy : sy + S, sx : sx + S].sum() < V.MIN_OVERLAP * S * S:
                        assert fast[i, kk, sy, sx] == -1.0
                        continue
                    ref = np.corrcoef(a[i].ravel().astype(np.float64), b.ravel())[0, 1]
                    assert fast[i, kk, sy, sx] == pytest.approx(ref, abs=1e-4)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_verify_pairs_is_per_pair(seed: int) -> None:
    """Batching (chunks of pairs) and order do not change any pair's similarity."""
    from sellerlink.signals.photos import _verify as V

    rng = np.random.default_rng(seed)
    n = 6
    thumbs = (rng.random((n, 48, 48)) * 255).astype(np.uint8)
    asp = rng.uniform(0.7, 1.4, n)
    m = V._CHUNK + 7
    q, o = rng.integers(0, n, m), rng.integers(0, n, m)
    mir, win = rng.random(m) < 0.5, rng.integers(0, N_WINDOWS, m)
    sim = V.verify_pairs(thumbs, asp, q, o, mir, win)
    perm = rng.permutation(m)
    assert np.allclose(V.verify_pairs(thumbs, asp, q[perm], o[perm], mir[perm], win[perm]), sim[perm], atol=1e-9)
    one = V.verify_pairs(thumbs, asp, q[:1], o[:1], mir[:1], win[:1])
    assert one[0] == pytest.approx(sim[0], abs=1e-9)



def test_crops_fail_without_windows(originals: list[Image.Image]) -> None:
    """The window set is what catches crops: the whole-image hash alone does not."""
    far = 0
    for img in originals:
        a = hash_photo(jpeg(img))
        b = hash_photo(jpeg(crop(img, 0.12, 0.12, 0.12, 0.12)))
        assert a is not None and b is not None
        far += a.hash.distance(b.hash) > 6
        assert a.distance(b) <= 6
    assert far >= len(originals) // 2


def test_distinct_photos_do_not_match() -> None:
    fps = [hash_photo(jpeg(textured(k, (160, 120)))) for k in range(200)]
    assert all(fp is not None for fp in fps)
    m = match_fingerprints(fps)  # type: ignore[arg-type]
    assert len(m["a"]) == 0, list(zip(m["a"], m["b"], m["dist"]))


def test_match_reports_mirror_and_window(originals: list[Image.Image]) -> None:
    img = originals[0]
    a = hash_photo(jpeg(img))
    b = hash_photo(jpeg(ImageOps.mirror(crop(img, 0.0, 0.12, 0.0, 0.0))))
    assert a is not None and b is not None
    m = match_fingerprints([a, b])
    assert len(m["a"]) == 1 and m["mirrored"][0] and m["window"][0] != 0


# ---------------------------------------------------------------------------------------
# hashing details


def test_numpy_phash_equals_imagehash_on_32x32() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        a = (rng.random((32, 32)) * 255).astype(np.uint8)
        assert format(phash_from_pixels(a), "016x") == str(imagehash.phash(Image.fromarray(a)))
    with pytest.raises(ValueError):
        phash_from_pixels(np.zeros((8, 8)))


def test_whole_image_hash_close_to_imagehash() -> None:
    for k in range(10):
        img = textured(50 + k)
        fp = hash_photo(png(img))
        assert fp is not None
        ref = PhotoHash.from_hex(str(imagehash.phash(img)))
        assert fp.hash.distance(ref) <= 8


def test_mirrored_hash_is_hash_of_mirrored_image() -> None:
    for k in range(5):
        img = textured(70 + k)
        a = hash_photo(png(img))
        b = hash_photo(png(ImageOps.mirror(img)))
        assert a is not None and b is not None
        assert bin(a.mirrored ^ int(b.windows[0])).count("1") <= 2
        assert a.mirrored != int(a.windows[0])


def test_golden_hashes() -> None:
    """These values pin the algorithm (decode size, trimming, windows, DCT, median rule).
    If a deliberate change alters them, every stored fingerprint must be recomputed."""
    fp = hash_photo(png(textured(12345)))
    assert fp is not None
    assert fp.hash.to_hex() == GOLDEN_FULL
    assert format(fp.mirrored, "016x") == GOLDEN_MIRRORED
    assert format(int(fp.windows[N_WINDOWS - 1]), "016x") == GOLDEN_LAST_WINDOW
    assert fp.windows.shape == (N_WINDOWS,) and fp.windows.dtype == np.uint64
    assert fp.chroma.shape == (16, 16, 2)
    # the verification thumbnail (48x48 area-resampled luma of the trimmed image)
    assert fp.thumb is not None and fp.thumb.shape == (48, 48) and fp.thumb.dtype == np.uint8
    t = fp.thumb.astype(np.int64)
    # hash version 2 (float32 products) moved two thumbnail pixels of this image that sit at a
    # rounding tie by one level (the sum was 266510 with version 1's float64); the hashes held.
    # The thumbnail and chroma are box averages rounded to whole levels, and the float32
    # products' last bit depends on the BLAS kernel the CPU gets (OpenBLAS picks one per CPU
    # family): a value at a tie may land one level apart on another CPU (the chroma sum here
    # was 61383 on the CPU of the runs that set these values, 61382 on an AMD EPYC with AVX2).
    # So those are pinned to within a level each: a change of the algorithm moves them by far
    # more, and the hashes above stay exact.
    assert abs(int(t.sum()) - 266512) <= 4
    assert np.abs(t[0, :6] - [144, 147, 150, 153, 155, 155]).max() <= 1
    assert np.abs(t[24, 20:26] - [136, 133, 130, 147, 166, 166]).max() <= 1
    assert abs(int(fp.chroma.astype(np.int64).sum()) - 61383) <= 4
    assert fp.aspect == 0.75


GOLDEN_FULL = "da63342de12e929b"
GOLDEN_MIRRORED = "8d366178347bc6c6"
GOLDEN_LAST_WINDOW = "def11449696c6cd1"


def test_border_is_trimmed() -> None:
    img = textured(3)
    a = hash_photo(png(img))
    b = hash_photo(png(ImageOps.expand(img, border=30, fill=(0, 0, 0))))
    assert a is not None and b is not None
    assert a.hash.distance(b.hash) <= 4


# ---------------------------------------------------------------------------------------
# PhotoHash value


def test_photohash_value_semantics() -> None:
    h = PhotoHash.from_hex("e9f5c6006deb2658")
    assert h == PhotoHash(0xE9F5C6006DEB2658)
    assert h != PhotoHash.from_hex("e9f5c6006deb2659")
    assert PhotoHash.from_hex(h.to_hex()) == h and str(h) == h.to_hex()
    assert h.distance(PhotoHash.from_hex("e9f5c6006deb2659")) == 1
    assert h - h == 0 and len(h) == 64
    assert hash(h) == hash(PhotoHash.from_hex("E9F5C6006DEB2658"))
    with pytest.raises(ValueError):
        h.distance(PhotoHash.from_hex("e9f5c600"))
    with pytest.raises(ValueError):
        PhotoHash.from_hex("xyz")
    with pytest.raises(ValueError):
        PhotoHash(1 << 64)


# ---------------------------------------------------------------------------------------
# hostile and unusual photos


def _bomb_png() -> bytes:
    """A tiny PNG whose header declares 100000 x 100000 pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("photos")
    img = textured(42)
    files: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        files[name] = d / name
        files[name].write_bytes(data)

    put("ok.jpg", jpeg(img))
    put("zero.jpg", b"")
    put("truncated.jpg", jpeg(img)[:600])
    put("text.jpg", b"this is not an image, just text\n" * 20)
    put("bomb.png", _bomb_png())
    buf = io.BytesIO()
    img.convert("CMYK").save(buf, "JPEG")
    put("cmyk.jpg", buf.getvalue())
    g16 = (np.asarray(img.convert("L"), np.uint16) * 257).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(g16).save(buf, "PNG")
    put("gray16.png", buf.getvalue())
    pal = img.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    buf = io.BytesIO()
    pal.save(buf, "PNG", transparency=0)
    put("palette_transparent.png", buf.getvalue())
    buf = io.BytesIO()
    img.convert("LA").save(buf, "PNG")
    put("la.png", buf.getvalue())
    rgba = img.convert("RGBA")
    rgba.putalpha(200)
    buf = io.BytesIO()
    rgba.save(buf, "PNG")
    put("rgba.png", buf.getvalue())
    buf = io.BytesIO()
    img.save(buf, "GIF", save_all=True, append_images=[textured(43)], duration=100, loop=0)
    put("animated.gif", buf.getvalue())
    buf = io.BytesIO()
    try:
        img.save(buf, "WEBP", quality=80)
        put("photo.webp", buf.getvalue())
    except (OSError, KeyError):  # Pillow built without WebP
        pass
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    buf = io.BytesIO()
    img.transpose(Image.Transpose.ROTATE_90).save(buf, "JPEG", exif=exif.tobytes(), quality=90)
    put("exif_rotated.jpg", buf.getvalue())
    return files


BAD = {
    "zero.jpg": "empty",
    "truncated.jpg": "unreadable",
    "text.jpg": "unreadable",
    "bomb.png": "decompression bomb",
}
GOOD = ("ok.jpg", "cmyk.jpg", "gray16.png", "palette_transparent.png", "la.png", "rgba.png", "animated.gif",
        "photo.webp", "exif_rotated.jpg")


def test_bad_photos_warn_and_return_none(corpus: dict[str, Path], tmp_path: Path) -> None:
    cases = {**{n: corpus[n] for n in BAD}, "missing.jpg": tmp_path / "missing.jpg"}
    reasons = {**BAD, "missing.jpg": "no such file"}
    for name, path in cases.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert hash_photo(path) is None, name
        msgs = [str(w.message) for w in caught if issubclass(w.category, PhotoWarning)]
        assert len(msgs) == 1, (name, [str(w.message) for w in caught])
        assert str(path) in msgs[0] and reasons[name] in msgs[0], msgs[0]
        assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_unusual_modes_fingerprint(corpus: dict[str, Path]) -> None:
    ref = hash_photo(corpus["ok.jpg"])
    assert ref is not None
    for name in GOOD:
        if name not in corpus:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fp = hash_photo(corpus[name])
        assert isinstance(fp, PhotoFingerprint), name
        if name in ("cmyk.jpg", "gray16.png", "exif_rotated.jpg", "photo.webp", "animated.gif", "la.png"):
            assert fp.distance(ref) <= 8, (name, fp.distance(ref))


def test_limits_bytes_and_pixels(corpus: dict[str, Path]) -> None:
    with pytest.warns(PhotoWarning, match="max_photo_bytes"):
        assert hash_photo(corpus["ok.jpg"], limits=Limits(max_photo_bytes=100)) is None
    with pytest.warns(PhotoWarning, match="decompression bomb"):
        assert hash_photo(corpus["ok.jpg"], limits=Limits(max_photo_pixels=1000)) is None
    data = corpus["ok.jpg"].read_bytes()
    with pytest.warns(PhotoWarning, match="max_photo_bytes"):
        assert hash_photo(data, limits=Limits(max_photo_bytes=100)) is None
    assert hash_photo(data) is not None


def test_never_raises_on_junk() -> None:
    for junk in (b"\xff\xd8\xff", b"GIF89a", b"\x89PNG\r\n\x1a\n", bytearray(b"RIFF0000WEBP"), 12345):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert hash_photo(junk) is None  # type: ignore[arg-type]
        assert any(issubclass(w.category, PhotoWarning) for w in caught)


def test_hash_photos_dedupes_and_threads(corpus: dict[str, Path]) -> None:
    paths = [str(corpus["ok.jpg"]), str(corpus["cmyk.jpg"]), str(corpus["ok.jpg"]), str(corpus["zero.jpg"])]
    with pytest.warns(PhotoWarning) as rec:
        one = hash_photos(paths)
    assert len([w for w in rec if "zero.jpg" in str(w.message)]) == 1
    assert one[0] is one[2] and one[3] is None
    with pytest.warns(PhotoWarning):
        two = hash_photos(paths, workers=2)
    assert [None if f is None else f.hash for f in two] == [None if f is None else f.hash for f in one]
    with pytest.raises(ValueError):
        hash_photos(paths, workers=0)


# ---------------------------------------------------------------------------------------
# multi-index hashing vs brute force


def _brute_pairs(h: np.ndarray, r: int) -> set[tuple[int, int, int]]:
    out = set()
    for i, j in itertools.combinations(range(len(h)), 2):
        d = bin(int(h[i]) ^ int(h[j])).count("1")
        if d <= r:
            out.add((i, j, d))
    return out


hash_sets = st.integers(0, 2**32 - 1).flatmap(
    lambda seed: st.tuples(st.just(seed), st.integers(1, 60), st.integers(0, 20))
)


@settings(max_examples=60, deadline=None)
@given(hash_sets)
def test_mih_pairs_within_equals_brute_force(params: tuple[int, int, int]) -> None:
    seed, n, radius = params
    rng = np.random.default_rng(seed)
    # clustered hashes: a few bases with a handful of flipped bits, so near pairs exist
    bases = rng.integers(0, 2**63, size=max(1, n // 6), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    h = bases[rng.integers(0, len(bases), n)]
    flips = rng.integers(0, 64, size=(n, 6))
    for k in range(n):
        for b in flips[k, : rng.integers(0, 7)]:
            h[k] ^= np.uint64(1) << np.uint64(b)
    i, j, d = pairs_within(h, radius)
    assert set(zip(i.tolist(), j.tolist(), d.tolist())) == _brute_pairs(h, radius)
    assert len(i) == len(set(zip(i.tolist(), j.tolist())))
    idx = MultiIndexHash()
    idx.add(h[: n // 2], np.arange(n // 2) + 100)
    idx.add(h[n // 2 :], np.arange(n // 2, n) + 100)
    q = h[0]
    ids, dists = idx.query(q, radius)
    want = sorted((bin(int(q) ^ int(x)).count("1"), k + 100) for k, x in enumerate(h) if bin(int(q) ^ int(x)).count("1") <= radius)
    assert sorted(zip(dists.tolist(), ids.tolist())) == want
    idx.remove(np.array([100]))
    ids2, _ = idx.query(q, radius)
    assert 100 not in ids2.tolist() and len(ids2) == len(ids) - 1


def test_mih_rejects_bad_input() -> None:
    idx = MultiIndexHash()
    with pytest.raises(ValueError):
        idx.add(np.array([1, 2], dtype=np.uint64), np.array([1]))
    with pytest.raises(ValueError):
        pairs_within(np.array([1, 2], dtype=np.uint64), 65)
    with pytest.raises(ValueError):
        pairs_within(np.array([-1]), 2)
    assert idx.query(5, 3)[0].size == 0


# ---------------------------------------------------------------------------------------
# the signal


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Account], Path]:
    d = tmp_path_factory.mktemp("world")

    def save(name: str, img: Image.Image, q: int = 85) -> str:
        p = d / name
        p.write_bytes(jpeg(img, q))
        return str(p)

    own = [textured(2000 + k) for k in range(3)]
    stock = textured(3000)
    old = Account("old", photos=(save("old0.jpg", own[0]),),
                  listings=(Listing("a", photos=(save("old1.jpg", own[1]), save("old2.jpg", own[2]),
                                                 save("oldstock.jpg", stock))),))
    comeback = Account("new", photos=(save("new0.jpg", crop(own[0], 0.1, 0.05, 0.12, 0.0), 60),),
                       listings=(Listing("b", photos=(save("new1.jpg", ImageOps.mirror(crop(own[1], 0.0, 0.05, 0.04, 0.0)), 50),
                                                      save("new9.jpg", textured(2999)))),))
    others = [
        Account(f"shop{k}", photos=(save(f"stock{k}.jpg", stock, 60 + k), save(f"own{k}.jpg", textured(4000 + k))))
        for k in range(12)
    ]
    bad = Account("bad", photos=(str(d / "missing.jpg"),))
    return [old, comeback, *others, bad], d


def test_signal_protocol_and_features(world: tuple[list[Account], Path]) -> None:
    accounts, _ = world
    sig = PhotosSignal()
    assert isinstance(sig, Signal) and sig.name == "photos"
    assert sig.feature_names == FEATURE_NAMES
    with pytest.warns(PhotoWarning, match="missing.jpg"):
        t = sig.fingerprint(accounts)
    assert t.n_skipped == 1 and len(t) == len(accounts)
    assert t.hash_value.dtype == np.uint64 and len(t.hash_value) == len(t.photo_path) * (N_WINDOWS + 1)
    assert set(np.unique(t.hash_variant).tolist()) == set(range(MIRROR_VARIANT + 1))
    left = np.array([0, 0, 0, 1, 2])
    right = np.array([1, 2, 14, 0, 3])
    f = sig.compare(t, left, right)
    assert tuple(f.values) == FEATURE_NAMES and all(v.dtype == np.float64 and len(v) == 5 for v in f.values.values())
    # old vs comeback: two of its own photos, rare
    assert f["photo_matches"][0] == 2 and f["photo_rare_matches"][0] == 2 and f["photo_min_df"][0] == 2
    assert f["photo_best_dist"][0] <= 6
    # old vs a stock-photo shop: one match, held by 13 accounts, not rare
    assert f["photo_matches"][1] == 1 and f["photo_min_df"][1] == 13 and f["photo_rare_matches"][1] == 0
    # nothing shared with the account whose photo is missing
    assert f["photo_matches"][2] == 0 and f["photo_best_dist"][2] == 64 and f["photo_min_df"][2] == 0
    assert f["photo_n_left"][2] == 4 and f["photo_n_right"][2] == 0
    assert f["photo_matches"][3] == 2  # symmetric
    assert f["photo_best_sim"][0] >= 0.77 and f["photo_best_sim"][2] == 0.0  # verified match / none
    # the hash-only rule (verify=False) still finds the comeback's two photos
    with pytest.warns(PhotoWarning):
        t0 = PhotosSignal(verify=False).fingerprint(accounts)
    assert PhotosSignal(verify=False).compare(t0, left[:1], right[:1])["photo_matches"][0] == 2
    with pytest.raises(ValueError):
        sig.compare(t, np.array([0]), np.array([99]))


def test_candidate_keys_cover_matches(world: tuple[list[Account], Path]) -> None:
    accounts, _ = world
    with pytest.warns(PhotoWarning):
        t = PhotosSignal().fingerprint(accounts)
    rows, keys = PhotosSignal().candidate_keys(t)
    assert keys.dtype == np.uint64 and rows.shape == keys.shape
    i, j = pairs_from_keys(rows, keys, max_block=200)
    pairs = set(zip(i.tolist(), j.tolist()))
    assert (0, 1) in pairs
    f = PhotosSignal().compare(t, i, j)
    assert (f["photo_matches"] > 0).all()  # every candidate is a real match
    # every matching pair is a candidate (the stock photo: 13 accounts, all pairs)
    n = len(accounts)
    ai, aj = np.triu_indices(n, 1)
    g = PhotosSignal().compare(t, ai, aj)
    assert set(zip(ai[g["photo_matches"] > 0].tolist(), aj[g["photo_matches"] > 0].tolist())) == pairs
    # photos above key_max_df propose nothing
    rows2, _ = PhotosSignal(key_max_df=5).candidate_keys(t)
    i2, j2 = pairs_from_keys(rows2, _, max_block=200)
    assert set(zip(i2.tolist(), j2.tolist())) == {(0, 1)}


def test_explain(world: tuple[list[Account], Path]) -> None:
    accounts, _ = world
    sig = PhotosSignal()
    with pytest.warns(PhotoWarning):
        t = sig.fingerprint(accounts)
    ev = sig.explain(t, 0, 1)
    assert len(ev) == 2
    by_left = {Path(e.left).name: e for e in ev}
    assert set(by_left) == {"old0.jpg", "old1.jpg"}
    assert Path(by_left["old0.jpg"].right).name == "new0.jpg"
    assert "cropped" in by_left["old0.jpg"].extra["transform"]
    assert by_left["old1.jpg"].extra["transform"].startswith("mirrored")
    for e in ev:
        assert e.signal == "photos" and e.kind == "photo" and e.shared_by == 2
        assert e.similarity == pytest.approx(1 - e.extra["distance"] / 64)
        assert len(e.key) == 16
    rev = sig.explain(t, 1, 0)
    assert {Path(e.left).name for e in rev} == {"new0.jpg", "new1.jpg"}
    assert sig.explain(t, 0, 14) == []


def test_empty_and_photoless_accounts() -> None:
    sig = PhotosSignal()
    t = sig.fingerprint([Account("a"), Account("b")])
    rows, keys = sig.candidate_keys(t)
    assert len(rows) == 0 and keys.dtype == np.uint64
    f = sig.compare(t, np.array([0]), np.array([1]))
    assert f["photo_matches"].tolist() == [0.0] and f["photo_best_dist"].tolist() == [64.0]
    assert sig.explain(t, 0, 1) == []
    with pytest.raises(ValueError):
        PhotosSignal(radius=99).fingerprint([])


# ---------------------------------------------------------------------------------------
# the optimised hashing path against simple references (bit for bit)


def _trim_box_reference(y: np.ndarray) -> tuple[int, int, int, int]:
    """The border trim as first written: whole-image range vectors on every pass, float32."""
    from sellerlink.signals.photos._hashing import (
        TRIM_KEEP,
        TRIM_TOLERANCE,
        _clamp_pair,
        _leading,
    )

    y = y.astype(np.float32)
    h, w = y.shape
    top, bot, lft, rgt = 0, h, 0, w
    min_h, min_w = int(np.ceil(h * TRIM_KEEP)), int(np.ceil(w * TRIM_KEEP))
    for _ in range(2):
        sub = y[top:bot, lft:rgt]
        flat = (sub.max(axis=1) - sub.min(axis=1)) <= TRIM_TOLERANCE
        if flat.all():
            break
        n_t, n_b = _clamp_pair(_leading(flat), _leading(flat[::-1]), (bot - top) - min_h)
        top, bot = top + n_t, bot - n_b
        sub = y[top:bot, lft:rgt]
        flat = (sub.max(axis=0) - sub.min(axis=0)) <= TRIM_TOLERANCE
        if flat.all():
            break
        n_l, n_r = _clamp_pair(_leading(flat), _leading(flat[::-1]), (rgt - lft) - min_w)
        lft, rgt = lft + n_l, rgt - n_r
        if n_t == n_b == n_l == n_r == 0:
            break
    return top, bot, lft, rgt


def _window_coefs_reference(y: np.ndarray) -> np.ndarray:
    """One window at a time: ``Ay_i @ (Y @ Ax_j.T)`` (the product order of the batched path)."""
    from sellerlink.signals.photos._hashing import _axis_matrices

    ay, ax = _axis_matrices(y.shape[0])[0], _axis_matrices(y.shape[1])[0]
    return np.stack([ay[i] @ (y @ ax[j].T) for i in range(len(ay)) for j in range(len(ax))])


def _bits_reference(coefs: np.ndarray) -> list[int]:
    """Median rule one hash at a time with Python ints: bit 63 is coefficient (0, 0)."""
    out = []
    for c in coefs.reshape(-1, 64):
        s = np.sort(c)
        med = 0.5 * (s[31] + s[32])
        out.append(sum(1 << (63 - k) for k in range(64) if c[k] > med))
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 260), st.integers(2, 260), st.integers(0, 2**32 - 1))
def test_batched_window_dcts_equal_per_window_loop(h: int, w: int, seed: int) -> None:
    """All 81 window DCTs from the two batched float32 products equal the per-window float64
    loop up to float32 rounding (a wrong block, order or matrix would be off by the size of a
    coefficient), the hash bits agree wherever a coefficient is not within that rounding of
    its median, and the packed hashes equal the bit-by-bit median rule on the same numbers."""
    from sellerlink.signals.photos._hashing import (
        _bits,
        _one_blas_thread,
        _window_coefs,
    )

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 256, (h, w)).astype(np.float64)
    if seed % 3 == 0:  # smooth content: many coefficients close to each other
        y = np.cumsum(np.cumsum(rng.normal(size=(h, w)), 0), 1)
        y = (y - y.min()) * (255.0 / max(float(np.ptp(y)), 1e-9))  # pixel range, as decoded
    with _one_blas_thread():
        coefs = _window_coefs(y.astype(np.float32))
    ref = _window_coefs_reference(y)
    assert coefs.shape == (N_WINDOWS, 8, 8) and coefs.dtype == np.float32
    # float32 rounding: ~1e-7 relative per term over (h + w) terms; a generous bound
    tol = 1e-5 * np.abs(ref).reshape(N_WINDOWS, -1).max(axis=1)[:, None, None] + 1e-3
    assert (np.abs(coefs - ref) <= tol).all()
    got, want = _bits(coefs).tolist(), _bits_reference(ref)
    assert got == _bits_reference(coefs)
    flat, flat_tol = ref.reshape(N_WINDOWS, 64), tol.reshape(N_WINDOWS, 1)
    srt = np.sort(flat, axis=1)
    clear = np.abs(flat - 0.5 * (srt[:, 31:32] + srt[:, 32:33])) > 2 * flat_tol  # bits float32 cannot flip
    for k in range(N_WINDOWS):
        mask = sum(1 << (63 - b) for b in range(64) if clear[k, b])
        assert (got[k] ^ want[k]) & mask == 0


@st.composite
def bordered_luma(draw: st.DrawFn) -> np.ndarray:
    """Random luma with random uniform (or nearly uniform) frames on each side."""
    h, w = draw(st.integers(2, 90)), draw(st.integers(2, 90))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 256, (h, w)).astype(np.uint8)
    for side in range(4):
        n = draw(st.integers(0, 40))
        val = int(rng.integers(0, 256))
        jitter = draw(st.sampled_from([0, 10, 11]))  # range 10 is still "uniform", 11 is not
        band = np.clip(val + rng.integers(0, jitter + 1, (n, y.shape[1])), 0, 255).astype(np.uint8)
        if jitter and n:
            band[0, 0], band[0, -1] = min(val, 244), min(val, 244) + jitter
        y = np.concatenate([band, y]) if side % 2 == 0 else np.concatenate([y, band])
        y = np.ascontiguousarray(y.T)  # next side
    return y


@settings(max_examples=150, deadline=None)
@given(bordered_luma())
def test_trim_box_equals_full_scan_reference(y: np.ndarray) -> None:
    """The edge-first trim equals the whole-image scan, on uint8 and float32 luma and on a
    strided view (the luma plane of an interleaved YCbCr array)."""
    from sellerlink.signals.photos._hashing import _trim_box

    ref = _trim_box_reference(y)
    assert _trim_box(y) == ref
    assert _trim_box(y.astype(np.float32)) == ref
    ycc = np.stack([y, y[::-1], y[:, ::-1]], axis=-1)
    assert _trim_box(ycc[..., 0]) == ref


def test_fingerprint_same_from_uint8_and_float32() -> None:
    """The decoded array's dtype (uint8 for 8-bit photos, float32 for 16-bit) changes nothing."""
    from sellerlink.signals.photos._hashing import _fingerprint_array

    rng = np.random.default_rng(5)
    img = np.asarray(textured(9, (200, 150)).convert("YCbCr"))
    img = np.pad(img, ((7, 3), (0, 12), (0, 0)), constant_values=16)  # a frame to trim
    for arr in (img, img[:, ::-1].copy(), rng.integers(0, 256, (33, 41, 3)).astype(np.uint8)):
        a = _fingerprint_array(arr, "", (1, 1))
        b = _fingerprint_array(arr.astype(np.float32), "", (1, 1))
        assert np.array_equal(a.windows, b.windows) and a.mirrored == b.mirrored
        assert np.array_equal(a.chroma, b.chroma) and np.array_equal(a.thumb, b.thumb)
        assert a.aspect == b.aspect


@pytest.mark.parametrize("workers,executor", [(1, "thread"), (2, "thread"), (2, "process")])
def test_hash_photos_chunks_equal_hash_photo(
    corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch, workers: int, executor: str
) -> None:
    """Decoding a chunk, then hashing it, gives each photo exactly what hash_photo gives it, with
    bad photos anywhere in a chunk, duplicates, and chunk boundaries between good and bad."""
    from sellerlink.signals.photos import _hashing as Hm

    monkeypatch.setattr(Hm, "BATCH_CHUNK", 3)
    names = [*GOOD[:5], *BAD, "ok.jpg", *GOOD[5:], "truncated.jpg"]
    paths = [corpus[n] for n in names if n in corpus] + [corpus["ok.jpg"].parent / "missing.jpg", 12345]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ref = [hash_photo(p) for p in paths]  # type: ignore[arg-type]
        got = hash_photos(paths, workers=workers, executor=executor)  # type: ignore[arg-type]
    n_bad = sum(r is None for r in ref)
    assert n_bad == len(BAD) + 3  # the bad files, truncated.jpg again, the missing file, the junk
    # hash_photo warned once per bad item, hash_photos once per distinct bad source
    assert len([w for w in caught if issubclass(w.category, PhotoWarning)]) == n_bad + (n_bad - 1)
    for r, g in zip(ref, got):
        assert (r is None) == (g is None)
        if r is not None and g is not None:
            assert np.array_equal(r.windows, g.windows) and r.mirrored == g.mirrored
            assert np.array_equal(r.chroma, g.chroma) and np.array_equal(r.thumb, g.thumb)
            assert (r.path, r.size, r.aspect) == (g.path, g.size, g.aspect)


# ---------------------------------------------------------------------------------------
# OpenBLAS on one thread while hashing


@pytest.fixture()
def blas_two_threads() -> object:
    """A function reading the thread count of the BLAS libraries the hashing limits (those
    loaded with numpy; scipy may load another), set to 2 threads for the test (so a scope
    that did nothing would be seen)."""
    from sellerlink.signals.photos import _hashing as Hm

    ctl = Hm._blas_controller()
    if not ctl.lib_controllers:
        pytest.skip("no BLAS library that threadpoolctl controls")

    def getter() -> int:
        counts = {lib["num_threads"] for lib in ctl.info()}
        assert len(counts) == 1
        return counts.pop()

    limiter = ctl.limit(limits=2)
    if getter() != 2:
        limiter.restore_original_limits()
        pytest.skip("the BLAS does not accept 2 threads here")
    yield getter
    limiter.restore_original_limits()


def test_one_blas_thread_scope_nests_and_restores(blas_two_threads: object) -> None:
    import threading

    from sellerlink.signals.photos import _hashing as Hm

    getter = blas_two_threads
    with Hm._one_blas_thread():
        assert getter() == 1
        with Hm._one_blas_thread():
            assert getter() == 1
        assert getter() == 1  # the inner scope does not restore under the outer one
    assert getter() == 2
    with pytest.raises(RuntimeError), Hm._one_blas_thread():
        raise RuntimeError("boom")
    assert getter() == 2 and Hm._blas_depth == 0
    # only the main thread sets the (process-wide) count: its scope covers worker threads,
    # whose own scopes change nothing - neither while it holds nor after it ends
    seen: list[int] = []

    def worker() -> None:
        with Hm._one_blas_thread():
            seen.append(getter())
        seen.append(getter())

    with Hm._one_blas_thread():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert getter() == 1
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [1, 1, 2, 2] and getter() == 2 and Hm._blas_depth == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_hashing_runs_on_one_blas_thread_with_same_bytes(
    corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch, blas_two_threads: object, workers: int
) -> None:
    """hash_photo / hash_photos run every product on one OpenBLAS thread (whatever the pool
    size, so the products round the same on every machine) and restore the count after."""
    import contextlib

    from sellerlink.signals.photos import _hashing as Hm

    getter = blas_two_threads
    paths = [corpus[n] for n in GOOD]
    seen: list[int] = []
    real = Hm._fingerprint_one_thread

    def spy(*args: object, **kw: object) -> PhotoFingerprint:
        seen.append(getter())
        return real(*args, **kw)  # type: ignore[arg-type]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monkeypatch.setattr(Hm, "_fingerprint_one_thread", spy)
        got = hash_photos(paths, workers=workers) + [hash_photo(paths[0])]
        assert seen and set(seen) == {1} and getter() == 2
        seen.clear()
        monkeypatch.setattr(Hm, "_one_blas_thread", contextlib.nullcontext)  # the spy itself can fail
        pooled = hash_photos(paths, workers=workers)
        assert set(seen) == {2}
    assert all(fp is not None for fp in got + pooled) and len(got) == len(paths) + 1
