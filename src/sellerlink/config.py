"""Settings shared by every stage: input limits and the warning classes.

The limits bound the time and memory one hostile record can cost. They are plain
frozen dataclasses so a caller can build one, compare it, and print it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Limits",
    "DEFAULT_LIMITS",
    "SellerlinkWarning",
    "RecordWarning",
    "PhotoWarning",
]


class SellerlinkWarning(UserWarning):
    """Base class of every warning sellerlink emits."""


class RecordWarning(SellerlinkWarning):
    """A record was accepted, but part of it was dropped or truncated."""


class PhotoWarning(SellerlinkWarning):
    """A photo could not be used (missing, unreadable, too large); the account is kept."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one record may cost.

    Attributes:
        max_photo_pixels: photos whose declared width x height exceeds this are
            skipped with a warning before any pixel is decoded (decompression bombs).
        max_photo_bytes: photo files larger than this are skipped unread.
        max_text_length: each free-text field (bio, title, description, name) is cut
            to this many characters, with a warning.
        max_photos_per_account: photos beyond this many per account are ignored.
        max_listings_per_account: listings beyond this many per account are ignored.
        max_list_items: items beyond this many in a list field (phones, emails...)
            are ignored.
    """

    max_photo_pixels: int = 40_000_000
    max_photo_bytes: int = 50_000_000
    max_text_length: int = 20_000
    max_photos_per_account: int = 64
    max_listings_per_account: int = 500
    max_list_items: int = 50

    def __post_init__(self) -> None:
        for name in (
            "max_photo_pixels",
            "max_photo_bytes",
            "max_text_length",
            "max_photos_per_account",
            "max_listings_per_account",
            "max_list_items",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}")


DEFAULT_LIMITS = Limits()
