"""Photo signal robustness and cost on real photos: TPR per transformation, FPR over pairs of
distinct photos, and hashing speed against a bare reduced-size decode, in one run.

Usage (from the repository root):

    .venv/bin/python benchmarks/photo_robustness.py [--photos DIR] [--positives 300] [--negatives 1500]

``--photos`` defaults to ``../shared/data/photos/clothing`` relative to the repository root
(3,068 real clothing photos, CC0). When the folder is absent the script says so and exits 0.

What is measured:

* TPR: each of ``--positives`` photos is transformed the way a comeback seller does
  (re-encode, resize, crops of 5/10/12% per side and asymmetric ones, mirror, border, square
  padding, brightness/contrast, a text watermark band, rotation 3 and 5 degrees, and a
  combination), re-saved as JPEG at quality 40-90, and matched against its original with
  :func:`sellerlink.signals.photos.match_fingerprints`. Three rules side by side:
  "verified" (the signal's default: candidates at radius 10 checked by thumbnail alignment,
  accepted per ``SIM_THRESHOLDS``), "hash r=..." (the previous rule: windows + colour at a
  radius, no verification) and "full only" (the whole-image pHash alone at ``--radius``).
* FPR: every pair among ``--negatives`` distinct photos (the data set's own near-duplicates,
  if any, count as false positives: a conservative estimate).
* Speed: photos/s of ``hash_photo`` on in-memory JPEG bytes vs a bare ``Image.draft`` decode
  of the same bytes (same run, same files).
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from sellerlink.signals.photos import hash_photo, match_fingerprints
from sellerlink.signals.photos._hashing import DECODE_SIZE
from sellerlink.signals.photos._signal import DEFAULT_RADIUS

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PHOTOS = REPO.parent / "shared" / "data" / "photos" / "clothing"
RADII = (4, 6, 8, 10)


def _encode(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _crop(img: Image.Image, left: float, right: float, top: float, bottom: float) -> Image.Image:
    w, h = img.size
    return img.crop((round(left * w), round(top * h), round(w - right * w), round(h - bottom * h)))


def _asym(img: Image.Image, rng: random.Random) -> Image.Image:
    sides = [rng.uniform(0.0, 0.12) for _ in range(4)]
    k = rng.randrange(4)
    sides[k] = max(sides[k], rng.uniform(0.05, 0.12))
    return _crop(img, *sides)


def _watermark(img: Image.Image, rng: random.Random) -> Image.Image:
    img = img.convert("RGB")
    w, h = img.size
    band = max(12, int(h * rng.uniform(0.08, 0.14)))
    y0 = rng.choice((0, h - band, (h - band) // 2, int(h * 0.7)))
    over = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(over)
    col = rng.choice(((0, 0, 0), (255, 255, 255), (200, 30, 30)))
    d.rectangle((0, y0, w, y0 + band), fill=(*col, rng.randrange(110, 200)))
    text_col = (255, 255, 255, 235) if col != (255, 255, 255) else (20, 20, 20, 235)
    try:
        font = ImageFont.load_default(size=max(10, int(band * 0.6)))
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    d.text((rng.randrange(4, max(5, w // 4)), y0 + band * 0.18), "THRIFT BARU JKT", fill=text_col, font=font)
    return Image.alpha_composite(img.convert("RGBA"), over).convert("RGB")


def _border(img: Image.Image, rng: random.Random) -> Image.Image:
    fill = rng.choice(((255, 255, 255), (0, 0, 0), (240, 240, 235), tuple(rng.randrange(256) for _ in range(3))))
    return ImageOps.expand(img, border=rng.randrange(6, 32), fill=fill)


def _pad_square(img: Image.Image, rng: random.Random) -> Image.Image:
    side = max(img.size)
    canvas = Image.new("RGB", (side, side), rng.choice(((255, 255, 255), (0, 0, 0))))
    canvas.paste(img, ((side - img.size[0]) // 2, (side - img.size[1]) // 2))
    return canvas


def _rotate(img: Image.Image, deg: float, rng: random.Random) -> Image.Image:
    return img.rotate(rng.choice((-1, 1)) * deg, resample=Image.BICUBIC, expand=False, fillcolor=(255, 255, 255))


def _bright(img: Image.Image, rng: random.Random) -> Image.Image:
    b, c = rng.choice((rng.uniform(0.75, 0.9), rng.uniform(1.1, 1.25))), rng.uniform(0.75, 1.3)
    return ImageEnhance.Contrast(ImageEnhance.Brightness(img).enhance(b)).enhance(c)


def _resize(img: Image.Image, rng: random.Random) -> Image.Image:
    s = rng.choice((rng.uniform(0.5, 0.8), rng.uniform(1.2, 1.5)))
    return img.resize((max(16, int(img.width * s)), max(16, int(img.height * s))), Image.BILINEAR)


def _combo(img: Image.Image, rng: random.Random) -> Image.Image:
    return _watermark(ImageOps.mirror(_asym(img, rng)), rng)


TRANSFORMS: dict[str, Callable[[Image.Image, random.Random], Image.Image]] = {
    "reencode": lambda im, r: im,
    "resize": _resize,
    "crop 5%/side": lambda im, r: _crop(im, 0.05, 0.05, 0.05, 0.05),
    "crop 10%/side": lambda im, r: _crop(im, 0.10, 0.10, 0.10, 0.10),
    "crop 12%/side": lambda im, r: _crop(im, 0.12, 0.12, 0.12, 0.12),
    "crop 10% one side": lambda im, r: _crop(im, *r.choice(((0.1, 0, 0, 0), (0, 0.1, 0, 0), (0, 0, 0.1, 0), (0, 0, 0, 0.1)))),
    "crop asymmetric": _asym,
    "crop asym + resize back": lambda im, r: _asym(im, r).resize(im.size, Image.BICUBIC),
    "mirror": lambda im, r: ImageOps.mirror(im),
    "border": _border,
    "pad to square": _pad_square,
    "brightness/contrast": _bright,
    "watermark band": _watermark,
    "rotate 3deg": lambda im, r: _rotate(im, 3.0, r),
    "rotate 5deg": lambda im, r: _rotate(im, 5.0, r),
    "crop+mirror+watermark": _combo,
}


def _best_dist(m: dict[str, np.ndarray], n_pairs_hint: int = 1) -> int:
    return int(m["dist"].min()) if len(m["dist"]) else 99


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS, help="folder of real photos (searched recursively)")
    ap.add_argument("--positives", type=int, default=300, help="photos transformed per transformation")
    ap.add_argument("--negatives", type=int, default=1500, help="distinct photos for the all-pairs FPR")
    ap.add_argument("--timing", type=int, default=500, help="photos for the speed measurement")
    ap.add_argument("--radius", type=int, default=6, help="operating Hamming radius")
    ap.add_argument("--chroma", type=float, default=10.0, help="colour tolerance")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    if not args.photos.is_dir():
        print(f"photo folder not found: {args.photos} - nothing to measure (pass --photos DIR).")
        return 0
    files = sorted(str(p) for p in args.photos.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"))
    if len(files) < 10:
        print(f"only {len(files)} photos under {args.photos} - need at least 10; nothing measured.")
        return 0
    rng = random.Random(args.seed)
    rng.shuffle(files)
    print(f"photos: {args.photos} ({len(files)} files); radius={args.radius} chroma={args.chroma}")

    # ---- speed ------------------------------------------------------------------------
    timing = [Path(f).read_bytes() for f in files[: args.timing]]
    for _ in range(2):  # warm caches, then measure
        t0 = time.perf_counter()
        for data in timing:
            with Image.open(io.BytesIO(data)) as im:
                im.draft("YCbCr", (DECODE_SIZE, DECODE_SIZE))
                im.load()
        t_draft = time.perf_counter() - t0
        t0 = time.perf_counter()
        for data in timing:
            with Image.open(io.BytesIO(data)) as im:
                im.draft("L", (im.width // 8, im.height // 8))
                im.load()
        t_draft8 = time.perf_counter() - t0
        t0 = time.perf_counter()
        for data in timing:
            hash_photo(data)
        t_hash = time.perf_counter() - t0
    n = len(timing)
    print(f"\nspeed over {n} in-memory JPEGs (single thread):")
    print(f"  bare draft decode (YCbCr, >= {DECODE_SIZE}px): {n / t_draft:8.0f} photos/s  {1e3 * t_draft / n:.2f} ms")
    print(f"  bare draft decode (L, 1/8 scale):        {n / t_draft8:8.0f} photos/s  {1e3 * t_draft8 / n:.2f} ms")
    print(f"  hash_photo (81 windows + mirror + chroma): {n / t_hash:6.0f} photos/s  {1e3 * t_hash / n:.2f} ms"
          f"  ({t_hash / t_draft:.2f}x the draft decode)")

    # ---- FPR over distinct photos --------------------------------------------------------
    neg_files = files[: args.negatives]
    neg = [fp for fp in (hash_photo(f) for f in neg_files) if fp is not None]
    n_pairs = len(neg) * (len(neg) - 1) // 2
    t0 = time.perf_counter()
    m_neg = match_fingerprints(neg, radius=max(RADII), chroma_tolerance=args.chroma, verify=False)
    t_match = time.perf_counter() - t0
    m_neg_nc = match_fingerprints(neg, radius=max(RADII), chroma_tolerance=np.inf, verify=False)
    t0 = time.perf_counter()
    m_ver = match_fingerprints(neg, chroma_tolerance=args.chroma)
    t_ver = time.perf_counter() - t0
    full = np.array([fp.windows[0] for fp in neg], dtype=np.uint64)
    mir = np.array([fp.mirrored for fp in neg], dtype=np.uint64)
    d_full = np.minimum(
        np.bitwise_count(full[:, None] ^ full[None, :]), np.bitwise_count(mir[:, None] ^ full[None, :])
    )[np.triu_indices(len(neg), 1)]
    print(f"\nFPR over {n_pairs:,} pairs of {len(neg)} distinct photos "
          f"(match_fingerprints at radius {max(RADII)} took {t_match:.2f} s):")
    print("  radius  windows+colour  windows only  full+mirror only")
    fpr = {}
    for r in RADII:
        fpr[r] = (m_neg["dist"] <= r).sum() / n_pairs
        print(f"  {r:6d}  {fpr[r]:14.1e}  {(m_neg_nc['dist'] <= r).sum() / n_pairs:12.1e}  {(d_full <= r).mean():16.1e}")
    fpr_ver = len(m_ver["a"]) / n_pairs
    print(f"  verified (candidates r={DEFAULT_RADIUS}, thumbnail check): {fpr_ver:.1e}  "
          f"({len(m_ver['a'])} pairs; match + verify took {t_ver:.2f} s)")

    # ---- TPR per transformation -------------------------------------------------------------
    pos_files = files[args.negatives : args.negatives + args.positives]
    if len(pos_files) < args.positives:
        pos_files = files[: args.positives]
    originals = []
    for f in pos_files:
        with Image.open(f) as im:
            originals.append((f, ImageOps.exif_transpose(im).convert("RGB")))
    orig_fp = {f: hash_photo(f) for f, _ in originals}
    print(f"\nTPR over {len(originals)} photos per transformation (re-saved as JPEG q40-90):")
    header = "  ".join(f"r={r:<2d}" for r in RADII)
    print(f"  {'transformation':24s} verified   hash {header}   full-only r={args.radius}")
    trng = random.Random(args.seed + 1)
    tpr_at, tpr_ver = {}, {}
    for name, tr in TRANSFORMS.items():
        dists, base, ver = [], [], []
        for f, img in originals:
            a = orig_fp[f]
            b = hash_photo(_encode(tr(img, trng), trng.randint(40, 90)))
            if a is None or b is None:
                dists.append(99)
                base.append(99)
                ver.append(False)
                continue
            dists.append(_best_dist(match_fingerprints([a, b], radius=max(RADII), chroma_tolerance=args.chroma,
                                                       verify=False)))
            ver.append(len(match_fingerprints([a, b], chroma_tolerance=args.chroma)["a"]) == 1)
            base.append(min(a.hash.distance(b.hash), int(np.bitwise_count(np.uint64(a.mirrored) ^ b.windows[0]))))
        d = np.array(dists)
        tpr_at[name] = (d <= args.radius).mean()
        tpr_ver[name] = float(np.mean(ver))
        cells = "  ".join(f"{(d <= r).mean():.2f}" for r in RADII)
        print(f"  {name:24s} {tpr_ver[name]:8.2f}   hash {cells}   {(np.array(base) <= args.radius).mean():.2f}")
    print(f"\nold operating point (hash, radius={args.radius}): FPR per photo pair "
          f"{fpr.get(args.radius, float('nan')):.1e}; lowest TPR {min(tpr_at.values()):.2f} ({min(tpr_at, key=tpr_at.get)})")
    print(f"new operating point (verified, candidates radius={DEFAULT_RADIUS}): FPR per photo pair {fpr_ver:.1e}; "
          f"lowest TPR {min(tpr_ver.values()):.2f} ({min(tpr_ver, key=tpr_ver.get)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
