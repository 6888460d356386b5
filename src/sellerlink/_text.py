"""Text normalisation shared by the signals. Never raises on any ``str``.

``clean_text`` is the common first step: NFKC, drop control / zero-width / bidi
override characters, strip combining marks, casefold, collapse white space.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_text", "strip_marks", "INVISIBLE"]

# Zero-width and bidi controls, BOM, soft hyphen, variation selectors, NUL and C0/C1 controls
INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def strip_marks(text: str) -> str:
    """Remove combining marks after NFKD (``é`` -> ``e``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_text(text: str, *, casefold: bool = True, marks: bool = True) -> str:
    """NFKC, remove invisible characters, optionally strip marks and casefold.

    >>> clean_text("  Ｔｏｋｏ\u200b  BUDI\u202e ")
    'toko budi'
    """
    if not text:
        return ""
    text = _SURROGATE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = INVISIBLE.sub("", text)
    if marks:
        text = strip_marks(text)
    if casefold:
        text = text.casefold()
    return _SPACE.sub(" ", text).strip()
