"""Product photos: drawn procedurally or taken from a folder of real photos, and the
transformations a comeback seller applies when re-uploading them.

Drawn photos are "garment-like": a silhouette (shirt, trousers, dress, jacket, bag) filled
with a smooth random colour field, stripes, checks or prints, on a gradient background with
fold shading and sensor noise. Different seeds give perceptual hashes far apart (tested).
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

__all__ = ["PHOTO_TACTICS", "decode", "draw_photo", "encode", "list_photo_files", "load_photo", "transform"]

PHOTO_TACTICS = (
    "photo_crop",
    "photo_mirror",
    "photo_reencode",
    "photo_resize",
    "photo_border",
    "photo_brightness",
    "photo_watermark",
    "photo_rotate",
)

# silhouettes in unit coordinates (x, y), centred on (0.5, 0.5)
_SHAPES = {
    "tshirt": [(0.30, 0.12), (0.42, 0.08), (0.5, 0.13), (0.58, 0.08), (0.70, 0.12), (0.92, 0.30), (0.80, 0.40),
               (0.72, 0.33), (0.72, 0.90), (0.28, 0.90), (0.28, 0.33), (0.20, 0.40), (0.08, 0.30)],
    "longsleeve": [(0.30, 0.10), (0.42, 0.07), (0.5, 0.12), (0.58, 0.07), (0.70, 0.10), (0.86, 0.35), (0.95, 0.80),
                   (0.85, 0.82), (0.74, 0.45), (0.72, 0.92), (0.28, 0.92), (0.26, 0.45), (0.15, 0.82),
                   (0.05, 0.80), (0.14, 0.35)],
    "pants": [(0.30, 0.06), (0.70, 0.06), (0.74, 0.95), (0.56, 0.95), (0.50, 0.35), (0.44, 0.95), (0.26, 0.95)],
    "dress": [(0.38, 0.06), (0.62, 0.06), (0.64, 0.30), (0.86, 0.94), (0.14, 0.94), (0.36, 0.30)],
    "jacket": [(0.28, 0.10), (0.44, 0.06), (0.5, 0.20), (0.56, 0.06), (0.72, 0.10), (0.90, 0.40), (0.92, 0.85),
               (0.80, 0.86), (0.76, 0.50), (0.76, 0.92), (0.24, 0.92), (0.24, 0.50), (0.20, 0.86), (0.08, 0.85),
               (0.10, 0.40)],
    "skirt": [(0.32, 0.20), (0.68, 0.20), (0.86, 0.85), (0.14, 0.85)],
    "bag": [(0.20, 0.35), (0.80, 0.35), (0.86, 0.88), (0.14, 0.88)],
}
_SHAPE_NAMES = tuple(sorted(_SHAPES))


def list_photo_files(folder: str | os.PathLike[str]) -> list[str]:
    """All JPEG/PNG files under ``folder``, sorted (so a seed gives the same allocation)."""
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"photos_dir is not a folder: {root}")
    files = sorted(
        str(p) for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
    )
    if not files:
        raise ValueError(f"photos_dir has no .jpg/.png files: {root}")
    return files


@lru_cache(maxsize=64)
def _interp(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) weights of a smooth (smoothstep) interpolation between grid nodes."""
    pos = np.linspace(0.0, n_in - 1, n_out)
    i0 = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
    frac = pos - i0
    frac = frac * frac * (3 - 2 * frac)
    w = np.zeros((n_out, n_in), np.float32)
    rows = np.arange(n_out)
    w[rows, i0] += (1 - frac).astype(np.float32)
    w[rows, np.minimum(i0 + 1, n_in - 1)] += frac.astype(np.float32)
    return w


def _smooth_field(rng: np.random.Generator, h: int, w: int, cells: tuple[int, int], channels: int) -> np.ndarray:
    """A smooth random field in [0, 1], shape (h, w, channels): a coarse random grid
    interpolated with two small matrix products (far cheaper than an image resize)."""
    grid = rng.random((cells[0], cells[1], channels), dtype=np.float32)
    tmp = np.tensordot(_interp(h, cells[0]), grid, axes=(1, 0))  # (h, cx, c)
    out = np.tensordot(tmp, _interp(w, cells[1]), axes=(1, 1))  # (h, c, w)
    return np.ascontiguousarray(out.transpose(0, 2, 1))


def draw_photo(seed: Sequence[int], size: tuple[int, int] = (320, 400)) -> Image.Image:
    """A garment-like product photo, fully determined by ``seed`` (a tuple of ints)."""
    rng = np.random.default_rng(list(seed))
    full = size
    # drawn at half resolution in float32, then upscaled: 4x cheaper, and garments are smooth anyway
    w, h = max(16, size[0] // 2), max(16, size[1] // 2)
    # background: gradient between two colours, light or dark, plus a faint smooth field
    c1, c2 = rng.random(3, dtype=np.float32), rng.random(3, dtype=np.float32)
    if rng.random() < 0.7:
        c1, c2 = 0.55 + 0.45 * c1, 0.5 + 0.5 * c2
    angle = np.float32(rng.uniform(0, 2 * np.pi))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    bg = c1[None, None, :] * (1 - t[..., None]) + c2[None, None, :] * t[..., None]
    bg = bg * 0.8 + 0.2 * _smooth_field(rng, h, w, (3, 3), 3)

    # garment texture
    base = _smooth_field(rng, h, w, (int(rng.integers(2, 6)), int(rng.integers(2, 6))), 3)
    hue = rng.random(3, dtype=np.float32)
    tex = 0.55 * hue[None, None, :] + 0.45 * base
    kind = int(rng.integers(0, 5))
    if kind in (1, 2):  # stripes or checks
        freq = np.float32(rng.uniform(6, 30))
        th = np.float32(rng.uniform(0, np.pi))
        u = (np.cos(th) * xx + np.sin(th) * yy) / w * freq
        stripe = (np.sin(u * 2 * np.pi) > rng.uniform(-0.5, 0.5)).astype(np.float32)
        if kind == 2:
            v = (-np.sin(th) * xx + np.cos(th) * yy) / w * freq
            stripe = 0.5 * stripe + 0.5 * (np.sin(v * 2 * np.pi) > 0).astype(np.float32)
        c3 = rng.random(3, dtype=np.float32)
        tex = tex * (1 - 0.6 * stripe[..., None]) + 0.6 * stripe[..., None] * c3[None, None, :]
    elif kind == 3:  # denim-like fine noise
        tex = tex * (0.8 + 0.4 * rng.random((h, w, 1), dtype=np.float32))
    # fold shading
    shade = _smooth_field(rng, h, w, (int(rng.integers(3, 7)), int(rng.integers(3, 7))), 1)
    tex = tex * (0.65 + 0.6 * shade)

    # silhouette
    shape = _SHAPES[_SHAPE_NAMES[int(rng.integers(0, len(_SHAPE_NAMES)))]]
    scale = rng.uniform(0.65, 1.0)
    cx, cy = rng.uniform(0.38, 0.62), rng.uniform(0.4, 0.6)
    rot = rng.uniform(-0.35, 0.35)
    cr, sr = np.cos(rot), np.sin(rot)
    pts = []
    for x, y in shape:
        dx, dy = (x - 0.5) * scale, (y - 0.5) * scale
        pts.append(((cx + cr * dx - sr * dy) * w, (cy + sr * dx + cr * dy) * h))
    mask_img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask_img)
    draw.polygon(pts, fill=255)
    # prints: a few shapes on the garment
    prints = Image.new("RGB", (w, h), (0, 0, 0))
    pmask = Image.new("L", (w, h), 0)
    pd, pm = ImageDraw.Draw(prints), ImageDraw.Draw(pmask)
    for _ in range(int(rng.integers(0, 4))):
        x0, y0 = rng.uniform(0.25, 0.7) * w, rng.uniform(0.2, 0.7) * h
        x1, y1 = x0 + rng.uniform(0.05, 0.25) * w, y0 + rng.uniform(0.04, 0.2) * h
        col = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            pd.ellipse((x0, y0, x1, y1), fill=col)
            pm.ellipse((x0, y0, x1, y1), fill=255)
        else:
            pd.rectangle((x0, y0, x1, y1), fill=col)
            pm.rectangle((x0, y0, x1, y1), fill=255)
    pmask_a = (np.asarray(pmask, dtype=np.float32) / 255.0) * (np.asarray(mask_img, dtype=np.float32) / 255.0)
    tex = tex * (1 - pmask_a[..., None]) + (np.asarray(prints, dtype=np.float32) / 255.0) * pmask_a[..., None]
    mask = np.asarray(mask_img.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)[..., None] / 255.0
    # soft shadow
    shadow = np.asarray(mask_img.filter(ImageFilter.GaussianBlur(4)), dtype=np.float32)[..., None] / 255.0
    out = bg * (1 - 0.25 * shadow) * (1 - mask) + tex * mask
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(0.005)
    arr = (np.clip(out, 0, 1) * 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB").resize(full, Image.Resampling.BICUBIC)


def load_photo(path: str, size: tuple[int, int]) -> Image.Image:
    """A real photo, fitted (centre-cropped and resized) to ``size``."""
    with Image.open(path) as im:
        im.draft("RGB", (size[0], size[1]))
        rgb = ImageOps.exif_transpose(im).convert("RGB")
        return ImageOps.fit(rgb, size, Image.Resampling.BICUBIC)


def encode(img: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")


_FONT_CACHE: dict[int, Any] = {}


def _font(size: int) -> Any:
    if size not in _FONT_CACHE:
        try:
            _FONT_CACHE[size] = ImageFont.load_default(size=size)
        except TypeError:  # Pillow < 10.1
            _FONT_CACHE[size] = ImageFont.load_default()
    return _FONT_CACHE[size]


def transform(
    img: Image.Image, tactics: Sequence[str], rng: random.Random, *, watermark: str = ""
) -> tuple[Image.Image, int, list[dict[str, Any]]]:
    """Apply the photo tactics in a fixed, realistic order. Returns the image, the JPEG
    quality to save it with, and the parameters used (for the truth file)."""
    w, h = img.size
    applied: list[dict[str, Any]] = []
    quality = 85
    if "photo_rotate" in tactics:
        angle = rng.choice((-1, 1)) * rng.uniform(1.5, 6.0)
        img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(255, 255, 255))
        applied.append({"op": "rotate", "degrees": round(angle, 2)})
    if "photo_crop" in tactics:
        sides = [rng.uniform(0.0, 0.12) for _ in range(4)]
        k = rng.randrange(4)
        sides[k] = max(sides[k], rng.uniform(0.05, 0.12))
        left, top, right, bottom = sides
        box = (int(left * w), int(top * h), w - int(right * w), h - int(bottom * h))
        img = img.crop(box)
        if rng.random() < 0.5:
            img = img.resize((w, h), Image.Resampling.BICUBIC)
        applied.append({"op": "crop", "left": round(left, 3), "top": round(top, 3), "right": round(right, 3),
                        "bottom": round(bottom, 3)})
    if "photo_mirror" in tactics:
        img = ImageOps.mirror(img)
        applied.append({"op": "mirror"})
    if "photo_brightness" in tactics:
        b, c = rng.uniform(0.75, 1.25), rng.uniform(0.75, 1.3)
        img = ImageEnhance.Contrast(ImageEnhance.Brightness(img).enhance(b)).enhance(c)
        applied.append({"op": "brightness_contrast", "brightness": round(b, 3), "contrast": round(c, 3)})
    if "photo_border" in tactics:
        width = rng.randrange(6, 32)
        fill = rng.choice(((255, 255, 255), (0, 0, 0), (240, 240, 235),
                           (rng.randrange(256), rng.randrange(256), rng.randrange(256))))
        if rng.random() < 0.3:  # pad to a square, the way many apps do
            side = max(img.size)
            canvas = Image.new("RGB", (side, side), fill)
            canvas.paste(img, ((side - img.size[0]) // 2, (side - img.size[1]) // 2))
            img = canvas
            applied.append({"op": "pad_square", "fill": list(fill)})
        else:
            img = ImageOps.expand(img, border=width, fill=fill)
            applied.append({"op": "border", "width": width, "fill": list(fill)})
    if "photo_watermark" in tactics and watermark:
        iw, ih = img.size
        band = max(12, int(ih * rng.uniform(0.08, 0.14)))
        y0 = rng.choice((0, ih - band, (ih - band) // 2, int(ih * 0.7)))
        over = Image.new("RGBA", img.size, (0, 0, 0, 0))
        d = ImageDraw.Draw(over)
        col = rng.choice(((0, 0, 0), (255, 255, 255), (200, 30, 30)))
        d.rectangle((0, y0, iw, y0 + band), fill=(*col, rng.randrange(110, 200)))
        text_col = (255, 255, 255, 235) if col != (255, 255, 255) else (20, 20, 20, 235)
        font = _font(max(10, int(band * 0.6)))
        d.text((rng.randrange(4, max(5, iw // 4)), y0 + band * 0.18), watermark, fill=text_col, font=font)
        img = Image.alpha_composite(img.convert("RGBA"), over).convert("RGB")
        applied.append({"op": "watermark", "band_top": round(y0 / ih, 3), "band_height": round(band / ih, 3)})
    if "photo_resize" in tactics:
        s = rng.choice((rng.uniform(0.55, 0.9), rng.uniform(1.1, 1.5)))
        iw, ih = img.size
        img = img.resize((max(16, int(iw * s)), max(16, int(ih * s))), Image.Resampling.BILINEAR)
        applied.append({"op": "resize", "scale": round(s, 3)})
    if "photo_reencode" in tactics:
        quality = rng.randrange(35, 75)
        applied.append({"op": "reencode", "quality": quality})
    return img, quality, applied
