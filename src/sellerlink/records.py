"""The account record: validation and loading from JSON Lines, CSV, DataFrames and dicts.

One account per record. Every field but ``account_id`` is optional; unknown fields are
kept in ``Account.extra`` and otherwise ignored. A malformed record raises
:class:`RecordError` naming its source, line (or row) and field; with ``strict=False``
(the default for whole files) the bad record is reported as a :class:`RecordWarning`
and the valid records are still returned.

Example:
    >>> acc = Account.from_dict({"account_id": "a1", "display_name": "Toko Budi",
    ...                          "phones": ["0812-3456-7890"]})
    >>> acc.account_id, acc.phones
    ('a1', ('0812-3456-7890',))
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import DEFAULT_LIMITS, Limits, RecordWarning

__all__ = [
    "Account",
    "Listing",
    "RecordError",
    "load_accounts",
    "iter_accounts",
    "LIST_FIELDS",
    "TEXT_FIELDS",
]

TEXT_FIELDS = ("platform", "created_at", "display_name", "username", "bio")
LIST_FIELDS = ("photos", "phones", "emails", "links", "bank_accounts", "addresses")
KNOWN_FIELDS = frozenset(("account_id", "listings", *TEXT_FIELDS, *LIST_FIELDS))
CSV_LIST_SEPARATOR = "|"


class RecordError(ValueError):
    """A record that cannot be used. ``source``, ``line`` and ``field`` say where."""

    def __init__(
        self, message: str, *, source: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if source:
            where.append(str(source))
        if line is not None:
            where.append(f"line {line}")
        if field:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


@dataclass(frozen=True)
class Listing:
    """One product listing of an account."""

    title: str = ""
    description: str = ""
    photos: tuple[str, ...] = ()


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
    ) -> Account:
        """Validate one record. Raises :class:`RecordError` naming the field at fault.

        Relative photo paths are resolved against ``base_dir`` when it is given.
        Over-long text is truncated to ``limits.max_text_length`` with a warning.
        """
        return _parse_record(record, base_dir=base_dir, limits=limits, source=source, line=line)


# ---------------------------------------------------------------------------------------
# validation


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return False


def _text(value: Any, name: str, limits: Limits, where: dict[str, Any]) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RecordError(f"expected a string, got {type(value).__name__}", field=name, **where)
    s = value if isinstance(value, str) else str(value)
    if "\x00" in s:
        s = s.replace("\x00", "")
    # Lone surrogates cannot be encoded anywhere downstream (SQLite, CSV, HTML): replace them.
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        s = s.encode("utf-8", "replace").decode("utf-8")
    if len(s) > limits.max_text_length:
        warnings.warn(
            str(
                RecordError(
                    f"text of {len(s):,} characters cut to {limits.max_text_length:,} (Limits.max_text_length)",
                    field=name,
                    **where,
                )
            ),
            RecordWarning,
            stacklevel=4,
        )
        s = s[: limits.max_text_length]
    return s


def _str_list(value: Any, name: str, limits: Limits, where: dict[str, Any]) -> tuple[str, ...]:
    if _is_missing(value):
        return ()
    if isinstance(value, str):
        # A bare string where a list belongs: accept it as a one-item list (CSV cells, sloppy JSON).
        items: list[Any] = [p for p in value.split(CSV_LIST_SEPARATOR)] if value else []
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise RecordError(f"expected a list of strings, got {type(value).__name__}", field=name, **where)
    out: list[str] = []
    for i, item in enumerate(items):
        if _is_missing(item):
            continue
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise RecordError(
                f"expected a string at position {i}, got {type(item).__name__}", field=f"{name}[{i}]", **where
            )
        s = _text(item, f"{name}[{i}]", limits, where).strip()
        if s:
            out.append(s)
    if len(out) > limits.max_list_items:
        warnings.warn(
            str(
                RecordError(
                    f"{len(out)} items, only the first {limits.max_list_items} kept (Limits.max_list_items)",
                    field=name,
                    **where,
                )
            ),
            RecordWarning,
            stacklevel=4,
        )
        out = out[: limits.max_list_items]
    return tuple(out)


def _resolve(paths: tuple[str, ...], base_dir: str | os.PathLike[str] | None) -> tuple[str, ...]:
    if base_dir is None:
        return paths
    base = Path(base_dir)
    return tuple(p if os.path.isabs(p) else str(base / p) for p in paths)


def _parse_record(
    record: Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str] | None,
    limits: Limits,
    source: str | None,
    line: int | None,
) -> Account:
    where: dict[str, Any] = {"source": source, "line": line}
    if not isinstance(record, Mapping):
        raise RecordError(f"expected an object, got {type(record).__name__}", **where)
    raw_id = record.get("account_id")
    if _is_missing(raw_id) or (isinstance(raw_id, str) and not raw_id.strip()):
        raise RecordError("missing account_id", field="account_id", **where)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise RecordError(
            f"account_id must be a string, got {type(raw_id).__name__}", field="account_id", **where
        )
    account_id = _text(raw_id, "account_id", limits, where).strip()

    texts = {name: _text(record.get(name), name, limits, where) for name in TEXT_FIELDS}
    lists = {name: _str_list(record.get(name), name, limits, where) for name in LIST_FIELDS}

    raw_listings = record.get("listings")
    listings: list[Listing] = []
    if isinstance(raw_listings, str) and raw_listings.strip():
        # CSV cells carry listings as a JSON array.
        try:
            raw_listings = json.loads(raw_listings)
        except json.JSONDecodeError as exc:
            raise RecordError(f"listings is not a JSON array: {exc.msg}", field="listings", **where) from None
    elif isinstance(raw_listings, str):
        raw_listings = None
    if not _is_missing(raw_listings):
        if not isinstance(raw_listings, (list, tuple)):
            raise RecordError(
                f"expected a list of listings, got {type(raw_listings).__name__}", field="listings", **where
            )
        if len(raw_listings) > limits.max_listings_per_account:
            warnings.warn(
                str(
                    RecordError(
                        f"{len(raw_listings)} listings, only the first {limits.max_listings_per_account} kept",
                        field="listings",
                        **where,
                    )
                ),
                RecordWarning,
                stacklevel=3,
            )
            raw_listings = raw_listings[: limits.max_listings_per_account]
        for i, item in enumerate(raw_listings):
            fname = f"listings[{i}]"
            if isinstance(item, str):
                item = {"title": item}
            if not isinstance(item, Mapping):
                raise RecordError(f"expected an object, got {type(item).__name__}", field=fname, **where)
            listings.append(
                Listing(
                    title=_text(item.get("title"), f"{fname}.title", limits, where),
                    description=_text(item.get("description"), f"{fname}.description", limits, where),
                    photos=_resolve(_str_list(item.get("photos"), f"{fname}.photos", limits, where), base_dir),
                )
            )

    # Photos per account are capped in order: profile photos first.
    photos = _resolve(lists.pop("photos"), base_dir)
    total = len(photos) + sum(len(x.photos) for x in listings)
    if total > limits.max_photos_per_account:
        budget = limits.max_photos_per_account
        photos = photos[:budget]
        budget -= len(photos)
        capped: list[Listing] = []
        for x in listings:
            keep = x.photos[: max(budget, 0)]
            budget -= len(keep)
            capped.append(Listing(x.title, x.description, keep))
        listings = capped
        warnings.warn(
            str(
                RecordError(
                    f"{total} photos, only the first {limits.max_photos_per_account} used "
                    "(Limits.max_photos_per_account)",
                    field="photos",
                    **where,
                )
            ),
            RecordWarning,
            stacklevel=3,
        )

    extra = {k: v for k, v in record.items() if k not in KNOWN_FIELDS}
    return Account(
        account_id=account_id,
        listings=tuple(listings),
        photos=photos,
        extra=extra,
        **texts,
        **lists,
    )


# ---------------------------------------------------------------------------------------
# loading


def _iter_jsonl(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, None, f"not valid UTF-8 at byte {exc.start}"
                continue
            try:
                yield lineno, json.loads(text), None
            except json.JSONDecodeError as exc:
                yield lineno, None, f"invalid JSON ({exc.msg} at column {exc.colno})"
            except RecursionError:
                yield lineno, None, "invalid JSON (nested too deeply)"


def _iter_csv(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    csv.field_size_limit(64 * 1024 * 1024)
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.strip().lstrip("\ufeff") for h in header]
        if "account_id" not in header:
            raise RecordError(
                "CSV header has no account_id column (columns: " + ", ".join(header[:20]) + ")",
                source=str(path),
                line=1,
                field="account_id",
            )
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield lineno, None, f"row has {len(row)} columns, header has {len(header)}"
                continue
            rec = {h: (v if v != "" else None) for h, v in zip(header, row)}
            yield lineno, rec, None


def _records_from(
    source: Any,
) -> tuple[Iterator[tuple[int, Any, str | None]], str | None, Path | None]:
    """Return (iterator of (line, record, parse_error)), a source name and a base dir."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no such accounts file: {path}")
        if path.is_dir():
            raise IsADirectoryError(f"expected a .jsonl or .csv file, got a folder: {path}")
        suffix = path.suffix.lower()
        if suffix in (".csv", ".tsv"):
            return _iter_csv(path), str(path), path.parent
        if suffix in (".jsonl", ".ndjson", ".json"):
            return _iter_jsonl(path), str(path), path.parent
        raise ValueError(f"unknown accounts file type {suffix!r} for {path}: use .jsonl or .csv")
    if hasattr(source, "to_dict") and hasattr(source, "columns"):  # a pandas DataFrame
        recs = source.to_dict(orient="records")
        return ((i + 1, r, None) for i, r in enumerate(recs)), "DataFrame row", None
    if isinstance(source, Mapping):
        return iter([(1, source, None)]), None, None
    if isinstance(source, Iterable):
        return ((i + 1, r, None) for i, r in enumerate(source)), "record", None
    raise TypeError(f"cannot read accounts from {type(source).__name__}")


def iter_accounts(
    source: Any,
    *,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    base_dir: str | os.PathLike[str] | None = None,
) -> Iterator[Account]:
    """Yield validated accounts from a path (.jsonl / .csv), a DataFrame, or dicts.

    With ``strict=False`` a bad record is reported as a :class:`RecordWarning` and
    skipped; with ``strict=True`` it raises :class:`RecordError`. A repeated
    ``account_id`` is treated as a bad record (the first one wins).
    """
    it, name, file_dir = _records_from(source)
    base = base_dir if base_dir is not None else file_dir
    seen: dict[str, int] = {}
    for lineno, rec, err in it:
        try:
            if err is not None:
                raise RecordError(err, source=name, line=lineno)
            acc = _parse_record(rec, base_dir=base, limits=limits, source=name, line=lineno)
            if acc.account_id in seen:
                raise RecordError(
                    f"duplicate account_id {acc.account_id!r} (first seen on line {seen[acc.account_id]})",
                    source=name,
                    line=lineno,
                    field="account_id",
                )
            seen[acc.account_id] = lineno
        except RecordError as exc:
            if strict:
                raise
            warnings.warn(f"skipped record: {exc}", RecordWarning, stacklevel=2)
            continue
        yield acc


def load_accounts(
    source: Any,
    *,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    base_dir: str | os.PathLike[str] | None = None,
) -> list[Account]:
    """Load and validate accounts into a list. See :func:`iter_accounts`."""
    if isinstance(source, Account):
        return [source]
    if isinstance(source, (list, tuple)) and source and all(isinstance(a, Account) for a in source):
        return list(source)
    return list(iter_accounts(source, strict=strict, limits=limits, base_dir=base_dir))


def dumps_jsonl(accounts: Iterable[Account]) -> str:
    """Accounts as JSON Lines text (for writing examples and tests)."""
    buf = io.StringIO()
    for a in accounts:
        buf.write(json.dumps(a.to_dict(), ensure_ascii=False))
        buf.write("\n")
    return buf.getvalue()
