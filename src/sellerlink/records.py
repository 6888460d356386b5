"""The account record: validation and loading from JSON Lines, CSV, DataFrames and dicts.

One account per record. Every field but ``account_id`` is optional; unknown fields are
kept in ``Account.extra`` and otherwise ignored.

Two kinds of problem are told apart, and every report names its source, line (or row)
and field (:class:`RecordError` carries them as attributes, and so does the
:class:`~sellerlink.RecordWarning` issued for it):

- **The record is unusable**: the line is not JSON, the CSV row has the wrong number of
  columns, the record is not an object, ``account_id`` is missing, empty, of the wrong
  type, too long or repeated. The record is skipped with a ``RecordWarning`` and the
  other records are still loaded.
- **A field is unusable** (a dict where a list of phones belongs, a number where a
  listing belongs) or was cut (text over :attr:`Limits.max_text_length`, too many
  photos, invalid UTF-8 replaced, NUL characters removed). The account is kept without
  that value, with a ``RecordWarning``.

With ``strict=True`` both kinds raise :class:`RecordError` at the first problem.
The loaders accept text as found in the wild: a UTF-8 BOM, CRLF line endings, numbers
where strings belong (``"phones": [6281234567890]``), a bare string where a list belongs
(``"phones": "0812...|0813..."``, the CSV convention), numbers with thousands of digits.

Example:
    >>> acc = Account.from_dict({"account_id": "a1", "display_name": "Toko Budi",
    ...                          "phones": ["0812-3456-7890"]})
    >>> acc.account_id, acc.phones
    ('a1', ('0812-3456-7890',))
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     accs = load_accounts([{"account_id": "a"}, {"bio": "no id"}, {"account_id": "c"}])
    >>> [a.account_id for a in accs], str(caught[0].message)
    (['a', 'c'], "skipped record: record 2, field 'account_id': missing account_id")
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import logging
import math
import numbers
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

from .config import DEFAULT_LIMITS, Limits, RecordWarning

__all__ = [
    "LIST_FIELDS",
    "TEXT_FIELDS",
    "Account",
    "Listing",
    "RecordError",
    "dumps_jsonl",
    "iter_accounts",
    "load_accounts",
]

log = logging.getLogger(__name__)

TEXT_FIELDS = ("platform", "created_at", "display_name", "username", "bio")
LIST_FIELDS = ("photos", "phones", "emails", "links", "bank_accounts", "addresses")
KNOWN_FIELDS = frozenset(("account_id", "listings", *TEXT_FIELDS, *LIST_FIELDS))
CSV_LIST_SEPARATOR = "|"

#: At most this many problems per load are issued as individual warnings; the rest go to
#: the log (level INFO) and one summary warning, so a file of a million bad lines cannot
#: flood the caller or grow the warnings registry without bound.
MAX_WARNINGS_PER_LOAD = 100
#: Integer literals longer than this many digits are kept as their digit string (Python
#: refuses to convert more than 4300 digits to ``int``; a phone never has that many).
_MAX_INT_DIGITS = 1_000
#: Unknown fields nested deeper than this are dropped (they could not be written back out).
_MAX_EXTRA_DEPTH = 32


class RecordError(ValueError):
    """A record that cannot be used. ``source``, ``line`` and ``field`` say where.

    ``reason`` is the message without the location.

    Example:
        >>> e = RecordError("missing account_id", source="a.jsonl", line=7, field="account_id")
        >>> str(e), e.line
        ("a.jsonl, line 7, field 'account_id': missing account_id", 7)
    """

    def __init__(
        self, message: str, *, source: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if _is_file_source(source):
            where.append(str(source))
            if line is not None:
                where.append(f"line {line}")
        elif line is not None:
            where.append(f"{_unit(source)} {line}")
        if field:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)

    def __reduce__(self) -> Any:  # keep the attributes across copy / multiprocessing
        return (_rebuild_error, (self.reason, self.source, self.line, self.field))


def _rebuild_error(reason: str, source: str | None, line: int | None, fld: str | None) -> RecordError:
    return RecordError(reason, source=source, line=line, field=fld)


_NON_FILE_SOURCES = ("record", "DataFrame")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _is_file_source(source: str | None) -> bool:
    return bool(source) and source not in _NON_FILE_SOURCES


#: per dataclass, a getter of its ``__init__`` fields' values (see :func:`_reduce_fields`)
_FIELD_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _reduce_fields(obj: Any) -> tuple[Any, tuple[Any, ...]]:
    """``__reduce__`` of :class:`Account` and :class:`Listing`: the class and its fields'
    values, each non-ASCII string as its UTF-8 bytes (no field is ``bytes``).

    What pickle does by default costs the sender memory for as long as the object lives, and
    the linker pickles every account to its fingerprinting workers (117k-account market):

    - it pickles ``obj.__dict__``, and asking for it makes Python (3.11+) build a dict for
      the object and keep it (~30 MB);
    - it writes a non-ASCII string through the UTF-8 copy that Python then caches on the
      string (``PyUnicode_AsUTF8AndSize``): 43% of the texts there (emoji, accents), 0.9 KB
      an account, ~107 MB. ``str.encode`` makes a copy that goes with the pickle.
    """
    cls = type(obj)
    get = _FIELD_GETTERS.get(cls)
    if get is None:
        get = _FIELD_GETTERS[cls] = attrgetter(*[f.name for f in fields(cls) if f.init])  # (several: a tuple)
    values = tuple(v.encode("utf-8", "surrogatepass") if type(v) is str and not v.isascii() else v for v in get(obj))
    return _from_fields, (cls, values)


def _from_fields(cls: type, values: tuple[Any, ...]) -> Any:
    return cls(*(v.decode("utf-8", "surrogatepass") if type(v) is bytes else v for v in values))


def _unit(source: str | None) -> str:
    return "DataFrame row" if source == "DataFrame" else "record"


@dataclass(frozen=True)
class Listing:
    """One product listing of an account."""

    title: str = ""
    description: str = ""
    photos: tuple[str, ...] = ()

    __reduce__ = _reduce_fields


#: the listing every text-less, photo-less listing of :meth:`Account.without_text` shares
_NO_TEXT = Listing()


@dataclass(frozen=True)
class Account:
    """A seller account, validated. Lists are tuples so an account is hashable-ish and immutable."""

    account_id: str
    platform: str = ""
    created_at: str = ""
    display_name: str = ""
    username: str = ""
    bio: str = ""
    listings: tuple[Listing, ...] = ()
    photos: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    bank_accounts: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    __reduce__ = _reduce_fields

    # -- convenience views used by the signals -------------------------------------------
    @property
    def all_photos(self) -> tuple[str, ...]:
        """Profile photos first, then listing photos, without repeats, in order."""
        seen: dict[str, None] = {}
        for p in self.photos:
            seen.setdefault(p, None)
        for lst in self.listings:
            for p in lst.photos:
                seen.setdefault(p, None)
        return tuple(seen)

    @property
    def texts(self) -> tuple[str, ...]:
        """Bio, then each listing's title and description (non-empty only)."""
        out = [self.bio] if self.bio else []
        for lst in self.listings:
            if lst.title:
                out.append(lst.title)
            if lst.description:
                out.append(lst.description)
        return tuple(out)

    def without_text(self) -> Account:
        """A copy without the bio and the listings' titles and descriptions (photos kept).

        What reports and exports still show of an account after linking: names, contacts,
        photos, the number of listings. The texts are ~80% of an account's memory (~4 KB of
        ~5 KB on the synthetic markets), so ``Linker(keep_text=False)`` keeps these copies.

        >>> a = Account("a", bio="halo kak", listings=(Listing("kaos", "bekas impor", ("p.jpg",)),))
        >>> b = a.without_text()
        >>> (b.bio, b.listings[0].title, b.listings[0].photos, b.texts)
        ('', '', ('p.jpg',), ())
        """
        if not self.bio and all(not x.title and not x.description for x in self.listings):
            return self  # nothing to drop (and calling it twice copies nothing)
        listings = tuple(_NO_TEXT if not x.photos else Listing(photos=x.photos) for x in self.listings)
        return replace(self, bio="", listings=listings)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-able data (unknown fields included)."""
        d: dict[str, Any] = dict(self.extra)
        d["account_id"] = self.account_id
        for name in TEXT_FIELDS:
            d[name] = getattr(self, name)
        d["listings"] = [
            {"title": x.title, "description": x.description, "photos": list(x.photos)} for x in self.listings
        ]
        for name in LIST_FIELDS:
            d[name] = list(getattr(self, name))
        return d

    @classmethod
    def from_dict(
        cls,
        record: Mapping[str, Any],
        *,
        base_dir: str | os.PathLike[str] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        source: str | None = None,
        line: int | None = None,
        strict: bool = False,
    ) -> Account:
        """Validate one record.

        Raises :class:`RecordError` (naming the field) when the record cannot be used at
        all: not a mapping, or a missing / invalid ``account_id``. A bad or over-long
        field is dropped or cut with a :class:`~sellerlink.RecordWarning`
        (``strict=True``: a ``RecordError``). Relative photo paths are resolved against
        ``base_dir`` when it is given.

        >>> Account.from_dict({"account_id": 42, "bio": "halo"}).account_id
        '42'
        """
        report = _Reporter(source, line, strict, _warn_now)
        return _parse_record(record, base_dir=base_dir, limits=limits, report=report)


# ---------------------------------------------------------------------------------------
# problem reporting


def _warn_now(problem: RecordError) -> None:
    warnings.warn(
        RecordWarning(str(problem), source=problem.source, line=problem.line, field=problem.field), stacklevel=4
    )


class _Reporter:
    """Where one record's field-level problems go: raised (strict) or handed to ``sink``."""

    __slots__ = ("line", "sink", "source", "strict")

    def __init__(
        self, source: str | None, line: int | None, strict: bool, sink: Callable[[RecordError], None]
    ) -> None:
        self.source = source
        self.line = line
        self.strict = strict
        self.sink = sink

    def error(self, message: str, fld: str | None = None) -> RecordError:
        """A record-level problem, for the caller to raise."""
        return RecordError(message, source=self.source, line=self.line, field=fld)

    def warn(self, message: str, fld: str | None) -> None:
        """A field-level problem: raise when strict, else report it and go on."""
        problem = RecordError(message, source=self.source, line=self.line, field=fld)
        if self.strict:
            raise problem
        self.sink(problem)


class _WarningBudget:
    """Issue the first ``limit`` problems of one load as warnings, log the rest."""

    def __init__(self, limit: int = MAX_WARNINGS_PER_LOAD) -> None:
        self.limit = limit
        self.count = 0

    def __call__(self, problem: RecordError, prefix: str = "") -> None:
        self.count += 1
        text = f"{prefix}{problem}"
        if self.count <= self.limit:
            warnings.warn(
                RecordWarning(text, source=problem.source, line=problem.line, field=problem.field), stacklevel=4
            )
        else:
            log.info("%s", text)

    def skipped(self, problem: RecordError) -> None:
        self(problem, "skipped record: ")

    def finish(self) -> None:
        if self.count > self.limit:
            warnings.warn(
                RecordWarning(
                    f"{self.count - self.limit} more record problems not shown as warnings "
                    f"(logged at INFO level by {__name__!r})"
                ),
                stacklevel=3,
            )


# ---------------------------------------------------------------------------------------
# validation


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    # pandas.NA / pandas.NaT without importing pandas
    return type(value).__name__ in ("NAType", "NaTType")


def _scalar_text(value: Any) -> str | None:
    """A scalar as text, or None when it is not a scalar that can stand for text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is True or value is False:
        return None
    if isinstance(value, numbers.Integral):
        v = int(value)
        return str(v) if v.bit_length() <= 3_000 else None  # str() refuses > 4300 digits
    if isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f):
            return None
        # 6281234567890.0 (a phone column read as float by pandas) -> "6281234567890"
        return str(int(f)) if f.is_integer() and abs(f) < 1e18 else repr(f)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "surrogateescape")
    return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, numbers.Integral):
        return f"an integer of about {int(value).bit_length() * 30103 // 100000 + 1} digits"
    if isinstance(value, float) and not math.isfinite(value):
        return f"the number {value!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _clean(s: str, name: str, limits: Limits, report: _Reporter) -> str:
    """Cut to the text limit, remove NUL, replace lone surrogates; report what changed."""
    if len(s) > limits.max_text_length:
        report.warn(
            f"text of {len(s):,} characters cut to {limits.max_text_length:,} (Limits.max_text_length)", name
        )
        s = s[: limits.max_text_length]
    if "\x00" in s:
        report.warn(f"{s.count(chr(0))} NUL characters removed", name)
        s = s.replace("\x00", "")
    # Invalid UTF-8 bytes (kept as surrogate escapes while reading) and lone surrogates
    # cannot be encoded downstream (SQLite, CSV, HTML): replace each by U+FFFD.
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        report.warn("invalid UTF-8 or lone surrogate characters replaced by U+FFFD", name)
        s = _SURROGATE.sub("\ufffd", s)
    return s


def _text(value: Any, name: str, limits: Limits, report: _Reporter) -> str:
    if _is_missing(value):
        return ""
    s = _scalar_text(value)
    if s is None:
        report.warn(f"expected a string, got {_kind(value)}; field ignored", name)
        return ""
    return _clean(s, name, limits, report)


def _as_list(value: Any) -> list[Any] | None:
    """A list-like value as a list (sets sorted, for a stable order), else None."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if type(value).__name__ == "ndarray" and hasattr(value, "tolist"):  # numpy, without importing it
        out = value.tolist()
        return out if isinstance(out, list) else [out]
    return None


def _str_list(value: Any, name: str, limits: Limits, report: _Reporter) -> tuple[str, ...]:
    if _is_missing(value):
        return ()
    items = _as_list(value)
    if items is None:
        s = _scalar_text(value)
        if s is None:
            report.warn(f"expected a list of strings, got {_kind(value)}; field ignored", name)
            return ()
        # A bare string where a list belongs: "|"-separated items (CSV cells, sloppy JSON).
        if len(s) > limits.max_record_bytes:
            s = s[: limits.max_record_bytes]
        items = s.split(CSV_LIST_SEPARATOR) if s else []
    out: list[str] = []
    extra = 0
    for i, item in enumerate(items):
        if _is_missing(item):
            continue
        if len(out) >= limits.max_list_items:
            extra += 1  # counted, not cleaned: a million phones cost one pass
            continue
        s = _scalar_text(item)
        if s is None:
            report.warn(f"expected a string, got {_kind(item)}; item ignored", f"{name}[{i}]")
            continue
        s = _clean(s, f"{name}[{i}]", limits, report).strip()
        if s:
            out.append(s)
    if extra:
        report.warn(
            f"{len(out) + extra} items, only the first {limits.max_list_items} kept (Limits.max_list_items)", name
        )
    return tuple(out)


_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|[^\\/])")


class _PhotoPaths:
    """Resolves photo paths against ``base_dir``; with ``confine`` drops any path that
    leaves it (absolute, ``..``, a symlink pointing out, a URL), with a warning."""

    def __init__(self, base_dir: str | os.PathLike[str] | None, confine: bool) -> None:
        if confine and base_dir is None:
            raise ValueError("confine_photos=True needs base_dir (or a file source, whose folder is used)")
        self.base = Path(base_dir) if base_dir is not None else None
        self.confine = confine
        self.root = os.path.realpath(self.base) if confine and self.base is not None else ""

    def __call__(self, paths: tuple[str, ...], name: str, report: _Reporter) -> tuple[str, ...]:
        if self.base is None:
            return paths
        out = []
        for i, p in enumerate(paths):
            full = p if os.path.isabs(p) else str(self.base / p)
            if self.confine:
                real = os.path.realpath(full)
                if _URL_SCHEME.match(p) or os.path.commonpath([self.root, real]) != self.root:
                    report.warn(
                        f"photo path {p[:200]!r} is outside {self.root!r}; ignored (confine_photos=True)",
                        f"{name}[{i}]",
                    )
                    continue
            out.append(full)
        return tuple(out)


def _depth_ok(value: Any, limit: int) -> bool:
    """True when ``value`` nests lists / objects at most ``limit`` deep (iterative: no recursion)."""
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, Mapping):
            children: Iterable[Any] = v.values()
        elif isinstance(v, (list, tuple)):
            children = v
        else:
            continue
        if d >= limit:
            return False
        stack.extend((c, d + 1) for c in children)
    return True


def _account_id(record: Mapping[str, Any], limits: Limits, report: _Reporter) -> str:
    raw = record.get("account_id")
    if _is_missing(raw):
        raise report.error("missing account_id", "account_id")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # ids read as float by pandas when the column has gaps: 17.0 -> "17"
    if isinstance(raw, bool) or not isinstance(raw, (str, numbers.Integral)):
        raise report.error(f"account_id must be a string, got {_kind(raw)}", "account_id")
    s = _scalar_text(raw)
    if s is None:
        raise report.error(f"account_id must be a string, got {_kind(raw)}", "account_id")
    if len(s) > limits.max_id_length:
        raise report.error(
            f"account_id of {len(s):,} characters is longer than Limits.max_id_length ({limits.max_id_length:,})",
            "account_id",
        )
    s = _clean(s, "account_id", limits, report).strip()
    if not s:
        raise report.error("missing account_id (empty after removing white space and NUL)", "account_id")
    return s


def _listings(raw: Any, limits: Limits, report: _Reporter, resolve: _PhotoPaths) -> list[Listing]:
    if isinstance(raw, str):
        if not raw.strip():
            return []
        # CSV cells carry listings as a JSON array.
        try:
            raw = _json_loads(raw)
        except (ValueError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            report.warn(f"listings is not a JSON array ({msg}); field ignored", "listings")
            return []
    if _is_missing(raw):
        return []
    items = _as_list(raw)
    if items is None:
        report.warn(f"expected a list of listings, got {_kind(raw)}; field ignored", "listings")
        return []
    if len(items) > limits.max_listings_per_account:
        report.warn(
            f"{len(items)} listings, only the first {limits.max_listings_per_account} kept "
            "(Limits.max_listings_per_account)",
            "listings",
        )
        items = items[: limits.max_listings_per_account]
    out: list[Listing] = []
    for i, item in enumerate(items):
        fname = f"listings[{i}]"
        if _is_missing(item):
            continue
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, Mapping):
            report.warn(f"expected a listing object, got {_kind(item)}; listing ignored", fname)
            continue
        out.append(
            Listing(
                title=_text(item.get("title"), f"{fname}.title", limits, report),
                description=_text(item.get("description"), f"{fname}.description", limits, report),
                photos=resolve(
                    _str_list(item.get("photos"), f"{fname}.photos", limits, report), f"{fname}.photos", report
                ),
            )
        )
    return out


def _cap_account_text(
    texts: dict[str, str], listings: list[Listing], limits: Limits, report: _Reporter
) -> list[Listing]:
    """Cut the bio and listing texts to ``limits.max_text_per_account`` characters in total."""
    budget = limits.max_text_per_account
    total = len(texts["bio"]) + sum(len(x.title) + len(x.description) for x in listings)
    if total <= budget:
        return listings
    report.warn(
        f"{total:,} characters of bio and listing text, only the first {budget:,} kept "
        "(Limits.max_text_per_account)",
        "listings",
    )
    texts["bio"] = texts["bio"][:budget]
    budget -= len(texts["bio"])
    out: list[Listing] = []
    for x in listings:
        title = x.title[: max(budget, 0)]
        budget -= len(title)
        description = x.description[: max(budget, 0)]
        budget -= len(description)
        out.append(Listing(title, description, x.photos))
    return out


def _parse_record(
    record: Any,
    *,
    base_dir: str | os.PathLike[str] | None,
    limits: Limits,
    report: _Reporter,
    photo_paths: _PhotoPaths | None = None,
) -> Account:
    if not isinstance(record, Mapping):
        raise report.error(f"expected an object, got {_kind(record)}")
    account_id = _account_id(record, limits, report)
    texts = {name: _text(record.get(name), name, limits, report) for name in TEXT_FIELDS}
    lists = {name: _str_list(record.get(name), name, limits, report) for name in LIST_FIELDS}
    resolve = photo_paths if photo_paths is not None else _PhotoPaths(base_dir, False)
    listings = _listings(record.get("listings"), limits, report, resolve)

    listings = _cap_account_text(texts, listings, limits, report)

    # Photos per account are capped in order: profile photos first.
    photos = resolve(lists.pop("photos"), "photos", report)
    total = len(photos) + sum(len(x.photos) for x in listings)
    if total > limits.max_photos_per_account:
        report.warn(
            f"{total} photos, only the first {limits.max_photos_per_account} used (Limits.max_photos_per_account)",
            "photos",
        )
        budget = limits.max_photos_per_account
        photos = photos[:budget]
        budget -= len(photos)
        capped: list[Listing] = []
        for x in listings:
            keep = x.photos[: max(budget, 0)]
            budget -= len(keep)
            capped.append(Listing(x.title, x.description, keep))
        listings = capped

    extra: dict[str, Any] = {}
    for k, v in record.items():
        if k in KNOWN_FIELDS:
            continue
        if not isinstance(k, str):
            report.warn(f"field name of type {type(k).__name__} ignored", repr(k)[:50])
            continue
        if not _depth_ok(v, _MAX_EXTRA_DEPTH):
            report.warn(f"unknown field nested more than {_MAX_EXTRA_DEPTH} levels deep; ignored", k[:200])
            continue
        extra[k] = v
    return Account(
        account_id=account_id,
        listings=tuple(listings),
        photos=photos,
        extra=extra,
        **texts,
        **lists,
    )


# ---------------------------------------------------------------------------------------
# reading


def _parse_int(digits: str) -> int | str:
    # Keep absurdly long integer literals as text instead of failing the whole line.
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else digits


def _json_loads(text: str) -> Any:
    return json.loads(text, parse_int=_parse_int)


_Parsed = Iterator[tuple[int, Any, "str | None"]]


def _read_line(fh: IO[bytes], limit: int) -> tuple[bytes, bool]:
    """One line of at most ``limit`` bytes; longer lines are consumed and flagged, never held."""
    raw = fh.readline(limit + 1)
    if len(raw) <= limit or raw.endswith(b"\n"):
        return raw, False
    while True:  # skip the rest of the over-long line in bounded chunks
        chunk = fh.readline(1 << 20)
        if not chunk or chunk.endswith(b"\n"):
            return b"", True


def _iter_jsonl_stream(fh: IO[bytes], limits: Limits) -> _Parsed:
    lineno = 0
    while True:
        raw, too_long = _read_line(fh, limits.max_record_bytes)
        if not raw and not too_long:
            return
        lineno += 1
        if too_long:
            yield lineno, None, (
                f"line longer than Limits.max_record_bytes ({limits.max_record_bytes:,} bytes); not read"
            )
            continue
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # UTF-8 byte order mark
        if not raw.strip():
            continue
        # Invalid bytes survive as surrogate escapes and are reported per field.
        text = raw.decode("utf-8", "surrogateescape")
        try:
            yield lineno, _json_loads(text), None
        except json.JSONDecodeError as exc:
            yield lineno, None, f"invalid JSON ({exc.msg} at column {exc.colno})"
        except RecursionError:
            yield lineno, None, "invalid JSON (nested too deeply)"
        except ValueError as exc:  # e.g. numbers Python refuses to convert
            yield lineno, None, f"invalid JSON ({exc})"


def _iter_jsonl(path: Path, limits: Limits) -> _Parsed:
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"[") and path.suffix.lower() == ".json":
            raise RecordError(
                "a JSON array file is not supported: write one account object per line (JSON Lines)",
                source=str(path),
                line=1,
            )
        fh.seek(0)
        yield from _iter_jsonl_stream(fh, limits)


def _iter_csv(path: Path, limits: Limits, delimiter: str) -> _Parsed:
    # The csv module's field limit is process-wide; only ever raise it.
    if csv.field_size_limit() < limits.max_record_bytes:
        csv.field_size_limit(limits.max_record_bytes)
    source = str(path)
    # utf-8-sig drops a BOM; invalid bytes survive as surrogate escapes, reported per field.
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RecordError(f"unreadable CSV header ({exc})", source=source, line=1) from None
        header = [h.strip() for h in header]
        if "account_id" not in header:
            raise RecordError(
                "CSV header has no account_id column (columns: " + ", ".join(header[:20])[:500] + ")",
                source=source,
                line=1,
                field="account_id",
            )
        dupes = sorted({h for h in header if h and header.count(h) > 1})
        if "account_id" in dupes:
            raise RecordError("CSV header has two account_id columns", source=source, line=1, field="account_id")
        first_col = {h: header.index(h) for h in header if h}
        if dupes:
            warnings.warn(
                RecordWarning(
                    f"{source}, line 1: repeated CSV columns {dupes}; the first of each is used",
                    source=source,
                    line=1,
                    field=dupes[0],
                ),
                stacklevel=3,
            )
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, None, f"unreadable CSV row ({exc})"
                if reader.line_num < start:  # the reader cannot move on
                    return
                continue
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield start, None, f"row has {len(row)} columns, header has {len(header)}"
                continue
            longest = max(len(cell) for cell in row)
            if longest > limits.max_record_bytes:
                yield start, None, (
                    f"a field of {longest:,} characters is longer than Limits.max_record_bytes "
                    f"({limits.max_record_bytes:,})"
                )
                continue
            rec = {h: (row[i] if row[i] != "" else None) for h, i in first_col.items()}
            yield start, rec, None


def _records_from(source: Any, limits: Limits) -> tuple[_Parsed, str | None, Path | None]:
    """Return (iterator of (line, record, parse_error)), a source name and a base dir."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no such accounts file: {path}")
        if path.is_dir():
            raise IsADirectoryError(f"expected a .jsonl or .csv file, got a folder: {path}")
        suffix = path.suffix.lower()
        if suffix in (".csv", ".tsv"):
            return _iter_csv(path, limits, "\t" if suffix == ".tsv" else ","), str(path), path.parent
        if suffix in (".jsonl", ".ndjson", ".json"):
            return _iter_jsonl(path, limits), str(path), path.parent
        raise ValueError(f"unknown accounts file type {suffix!r} for {path}: use .jsonl or .csv")
    if isinstance(source, (bytes, bytearray)):
        return _iter_jsonl_stream(io.BytesIO(bytes(source)), limits), "bytes", None
    if hasattr(source, "read"):  # an open file: JSON Lines
        name = str(getattr(source, "name", "stream"))
        buf = getattr(source, "buffer", source)  # text file -> its bytes
        if isinstance(buf, io.TextIOBase):
            buf = io.BytesIO(buf.read().encode("utf-8", "surrogateescape"))
        return _iter_jsonl_stream(buf, limits), name, None
    if hasattr(source, "to_dict") and hasattr(source, "columns"):  # a pandas DataFrame
        recs = source.to_dict(orient="records")
        return ((i + 1, r, None) for i, r in enumerate(recs)), "DataFrame", None
    if isinstance(source, Mapping):
        return iter([(1, source, None)]), "record", None
    if isinstance(source, Iterable):
        return ((i + 1, r, None) for i, r in enumerate(source)), "record", None
    raise TypeError(f"cannot read accounts from {type(source).__name__}")


def iter_accounts(
    source: Any,
    *,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    base_dir: str | os.PathLike[str] | None = None,
    confine_photos: bool = False,
) -> Iterator[Account]:
    """Yield validated accounts from a path (.jsonl / .csv / .tsv), an open JSON Lines
    file, a DataFrame, dicts or :class:`Account` objects.

    With ``strict=False`` an unusable record is skipped and a bad field dropped, each
    with a :class:`~sellerlink.RecordWarning`; with ``strict=True`` the first problem
    raises :class:`RecordError`. A repeated ``account_id`` is an unusable record (the
    first one wins). Line numbers count every physical line of a file, from 1; rows of
    a DataFrame and items of a list count from 1 as well.

    Relative photo paths are resolved against ``base_dir`` (default: the folder of the
    file). With ``confine_photos=True`` (recommended for files from strangers) a photo path
    that leads outside that folder (absolute, ``..``, a symlink out, a URL) is dropped with
    a warning, so a record cannot make sellerlink read, and show in a report, an image
    from elsewhere on your disk.

    >>> [a.account_id for a in iter_accounts([{"account_id": "x"}, {"account_id": 7}])]
    ['x', '7']
    """
    it, name, file_dir = _records_from(source, limits)
    base = base_dir if base_dir is not None else file_dir
    photo_paths = _PhotoPaths(base, confine_photos)
    seen: dict[str, int] = {}
    budget = _WarningBudget()
    for lineno, rec, err in it:
        report = _Reporter(name, lineno, strict, budget)
        try:
            if err is not None:
                raise report.error(err)
            if isinstance(rec, Account):
                acc = rec
            else:
                acc = _parse_record(rec, base_dir=base, limits=limits, report=report, photo_paths=photo_paths)
            if acc.account_id in seen:
                raise report.error(
                    f"duplicate account_id {acc.account_id[:100]!r} (first seen at {_unit_of(name)} "
                    f"{seen[acc.account_id]})",
                    "account_id",
                )
            seen[acc.account_id] = lineno
        except RecordError as exc:
            if strict:
                raise
            budget.skipped(exc)
            continue
        yield acc
    budget.finish()


def _unit_of(name: str | None) -> str:
    return "line" if _is_file_source(name) else _unit(name)


def load_accounts(
    source: Any,
    *,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    base_dir: str | os.PathLike[str] | None = None,
    confine_photos: bool = False,
) -> list[Account]:
    """Load and validate accounts into a list. See :func:`iter_accounts`.

    >>> len(load_accounts([{"account_id": "a", "bio": "x" * 50}]))
    1
    """
    if isinstance(source, Account):
        return [source]
    if isinstance(source, (list, tuple)) and source and all(isinstance(a, Account) for a in source):
        if len({a.account_id for a in source}) == len(source):
            return list(source)
    return list(
        iter_accounts(source, strict=strict, limits=limits, base_dir=base_dir, confine_photos=confine_photos)
    )


def dumps_jsonl(accounts: Iterable[Account]) -> str:
    """Accounts as JSON Lines text (for writing examples and tests).

    >>> dumps_jsonl([Account("a")]).startswith('{"account_id": "a"')
    True
    """
    buf = io.StringIO()
    for a in accounts:
        buf.write(json.dumps(a.to_dict(), ensure_ascii=False))
        buf.write("\n")
    return buf.getvalue()
