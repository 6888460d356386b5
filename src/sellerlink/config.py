"""Settings shared by every stage: input limits and the warning classes.

The limits bound the time and memory one hostile record can cost. They are plain
frozen dataclasses so a caller can build one, compare it, and print it.

Example:
    >>> from sellerlink import Limits
    >>> tight = Limits(max_text_length=2_000, max_photo_pixels=12_000_000)
    >>> tight.max_text_length, tight.max_photos_per_account
    (2000, 64)
    >>> Limits(max_text_length=0)
    Traceback (most recent call last):
    ...
    ValueError: Limits.max_text_length must be a positive integer, got 0
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "PhotoWarning",
    "RecordWarning",
    "SellerlinkWarning",
]


class SellerlinkWarning(UserWarning):
    """Base class of every warning sellerlink emits."""


class RecordWarning(SellerlinkWarning):
    """A record was accepted with part of it dropped or truncated, or a record was skipped.

    ``source``, ``line`` and ``field`` say where, as on :class:`~sellerlink.RecordError`
    (``None`` when the warning was raised with a bare message).

    Example:
        >>> w = RecordWarning("bad", source="a.jsonl", line=3, field="bio")
        >>> (str(w), w.line, w.field)
        ('bad', 3, 'bio')
    """

    def __init__(
        self, message: str = "", *, source: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.field = field


class PhotoWarning(SellerlinkWarning):
    """A photo could not be used (missing, unreadable, too large); the account is kept."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one record may cost, in time and memory.

    Every limit is a positive integer. Input beyond a limit is never an exception in the
    default (non-strict) mode: it is cut or skipped with a :class:`RecordWarning` or
    :class:`PhotoWarning` naming the record and field, and the run goes on. With
    ``strict=True`` the loaders raise :class:`~sellerlink.RecordError` instead.

    Attributes:
        max_photo_pixels: photos whose declared width x height exceeds this are
            skipped with a :class:`PhotoWarning` before any pixel is decoded
            (decompression bombs: a 50 kB PNG can declare 50 000 x 50 000 pixels).
            Default 40 million (e.g. 8000 x 5000).
        max_photo_bytes: photo files larger than this are skipped unread. Default 50 MB.
        max_text_length: each free-text field (bio, display name, listing title and
            description...) is cut to this many characters, with a warning. Default
            20 000 (a very long bio is ~2 000); a 10 MB bio costs one slice.
        max_photos_per_account: photos beyond this many per account are ignored, with
            a warning (profile photos first, then listing photos in order). Default 64.
        max_listings_per_account: listings beyond this many per account are ignored,
            with a warning. Default 500.
        max_list_items: items beyond this many in a list field (phones, emails, links,
            bank accounts, addresses, a listing's photos) are ignored, with a warning.
            Default 50.
        max_text_per_account: the bio plus every listing's title and description of one
            account may hold at most this many characters in total; text beyond it is cut
            (later listings first) with a warning. This bounds the time the text signals
            spend on one account (phrasing costs ~3.5 us per character: ~2 s at the
            default of 500 000; a seller with 500 listings of 600 characters is at 300 000).
        max_record_bytes: one JSON Lines line or one CSV field longer than this is
            rejected unparsed (the reader never holds more than this much of it in
            memory). Default 32 MB, so a 10 MB bio still loads and is then cut to
            ``max_text_length``.
        max_id_length: an ``account_id`` longer than this many characters rejects the
            record (an id is never silently truncated: two ids could collide).
            Default 1 000.

    Example:
        >>> Limits().max_text_length
        20000
    """

    max_photo_pixels: int = 40_000_000
    max_photo_bytes: int = 50_000_000
    max_text_length: int = 20_000
    max_photos_per_account: int = 64
    max_listings_per_account: int = 500
    max_list_items: int = 50
    max_text_per_account: int = 500_000
    max_record_bytes: int = 32_000_000
    max_id_length: int = 1_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{f.name} must be a positive integer, got {value!r}")


DEFAULT_LIMITS = Limits()
"""The limits used when none are given."""
