"""The contacts signal: phones, e-mails, bank accounts, links/handles and addresses.

A comeback seller changes the shop name but rarely every contact detail: the old phone
hides in the bio as ``wa.me/62812…`` or spelled out ("nol delapan satu dua…"), the bank
account stays, the Instagram handle stays. This module reduces each contact value to a
canonical key, whatever the punctuation, and counts how many accounts hold each key
(a dropship agency's phone shared by 40 sellers proves little).

Canonical keys by kind:

========  ================================================  ==========================
kind      canonical key                                     written e.g.
========  ================================================  ==========================
phone     E.164 (``phonenumbers``, default region "ID")     ``0812-3456-7890``, ``wa.me/6281234567890``
email     casefolded; gmail dots and ``+tags`` dropped      ``Budi.S+shop@GoogleMail.com``
bank      ``BANK:digits`` (bank aliases -> one code)        ``Bank Central Asia 123-456-7890``
link      ``platform:handle``                               ``instagram.com/budi``, ``@budi ig``
address   light normalisation ("jalan" -> "jl", ...)        ``Jl. Merdeka No. 5``
========  ================================================  ==========================

E-wallets (DANA, OVO, GoPay, ...) are keyed as a bank (``DANA:+6281234567890``) *and* as
a phone, because an e-wallet account is a phone number.

Example:
    >>> from sellerlink.records import Account
    >>> sig = ContactsSignal()
    >>> t = sig.fingerprint([
    ...     Account("a", phones=("0812-3456-7890",)),
    ...     Account("b", bio="order via wa.me/6281234567890 ya kak"),
    ... ])
    >>> sig.compare(t, np.array([0]), np.array([1]))["phone_shared"]
    array([1.])
    >>> [(e.kind, e.left, e.right, e.key) for e in sig.explain(t, 0, 1)]
    [('phone', '0812-3456-7890', 'wa.me/6281234567890', '+6281234567890')]
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import phonenumbers
from phonenumbers import PhoneNumberType

from .._arrays import unique_sorted
from .._text import INVISIBLE
from ..records import Account
from .base import (
    Evidence,
    PairFeatures,
    RarityContext,
    pack,
    row_numbers,
    stable_hash64,
    unpack,
)

__all__ = [
    "KINDS",
    "ContactsSignal",
    "ContactsTable",
    "extract_banks",
    "extract_emails",
    "extract_links",
    "extract_phones",
    "normalize_address",
    "normalize_bank",
    "normalize_email",
    "normalize_link",
    "normalize_phone",
]

logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("phone", "email", "bank", "link", "address")
"""Contact kinds; a kind's code in :attr:`ContactsTable.kind` is its index here."""

PHONE, EMAIL, BANK, LINK, ADDRESS = range(len(KINDS))

FEATURE_NAMES: tuple[str, ...] = tuple(f"{k}_{s}" for k in KINDS for s in ("shared", "min_df"))

_MAX_PHONE_DIGITS = 16  # E.164 allows 15; "+62 0812..." adds a trunk zero
_COMPARE_CHUNK = 1 << 20  # key lookups per batch in compare (bounds temporary memory)


# =======================================================================================
# text folding with a map back to the original string
#
# Free-text extraction rewrites the text several times (Unicode folding, number words to
# digits, "O" for 0...). Evidence must still show the value *as written*, so every
# rewrite records which original span each replaced piece came from.


class _Tracked:
    """A rewritten string that can map its spans back to the original text."""

    __slots__ = ("_steps", "text")

    def __init__(self, text: str, steps: tuple[tuple[list[int], list[int], list[int], list[int]], ...] = ()):
        self.text = text
        self._steps = steps

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str | None]) -> _Tracked:
        """Replace matches of ``pattern`` by ``repl(match)`` (``None`` keeps the match)."""
        text = self.text
        pieces: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        old_starts: list[int] = []
        old_ends: list[int] = []
        pos = 0
        out_len = 0
        for m in pattern.finditer(text):
            r = repl(m)
            if r is None:
                continue
            s, e = m.span()
            if r == text[s:e]:
                continue
            pieces.append(text[pos:s])
            out_len += s - pos
            new_starts.append(out_len)
            pieces.append(r)
            out_len += len(r)
            new_ends.append(out_len)
            old_starts.append(s)
            old_ends.append(e)
            pos = e
        if not new_starts:
            return self
        pieces.append(text[pos:])
        return _Tracked("".join(pieces), (*self._steps, (new_starts, new_ends, old_starts, old_ends)))

    def mask(self, spans: Sequence[tuple[int, int]], fill: str = "#") -> _Tracked:
        """Overwrite spans (same length, so no new mapping step is needed)."""
        if not spans:
            return self
        chars = list(self.text)
        for s, e in spans:
            chars[s:e] = fill * (e - s)
        return _Tracked("".join(chars), self._steps)

    def origin(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that ``text[start:end]`` came from."""
        for new_starts, new_ends, old_starts, old_ends in reversed(self._steps):
            k = bisect.bisect_right(new_starts, start) - 1
            if k >= 0:
                start = old_starts[k] if start < new_ends[k] else start - new_ends[k] + old_ends[k]
            k = bisect.bisect_left(new_starts, end) - 1
            if k >= 0:
                end = old_ends[k] if end <= new_ends[k] else end - new_ends[k] + old_ends[k]
        return start, max(start, end)


_FOLD_TARGET = re.compile("[^\t\n\r\x20-\x7e]")  # non-ASCII and ASCII controls
_FOLD_RUN = re.compile("[^\t\n\r\x20-\x7e]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_DROP_CATEGORIES = frozenset(("Mn", "Me", "Cf", "Cc", "Cs", "Co", "Cn"))
_SPACE_LIKE = frozenset(("Zs", "Zl", "Zp"))


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """One character: casefold, NFKD, drop marks/controls/invisibles, any digit to ASCII."""
    if INVISIBLE.match(ch):
        return ""
    if unicodedata.category(ch) in _SPACE_LIKE:
        return " "
    out = []
    for c in unicodedata.normalize("NFKD", ch.casefold()):
        cat = unicodedata.category(c)
        if cat in _DROP_CATEGORIES:
            continue
        if cat in _SPACE_LIKE:
            out.append(" ")
        elif cat == "Nd" and not c.isascii():
            out.append(str(unicodedata.decimal(c, 0)))
        else:
            out.append(c)
    return "".join(out)


def _fold(text: str) -> _Tracked:
    """Casefold, NFKD, remove zero-width/bidi/control characters and marks; keycap and
    full-width or other-script digits become ASCII digits. Never raises."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower to two ("İ"): keep the length
        lowered = text.translate(_ASCII_LOWER)
    if _FOLD_TARGET.search(lowered) is None:
        return _Tracked(lowered)
    # Characters that fold to exactly one character keep their position; only the others
    # (dropped, expanded) need a mapping region.
    pieces: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    old_starts: list[int] = []
    old_ends: list[int] = []
    pos = 0
    out_len = 0
    for m in _FOLD_RUN.finditer(lowered):
        s, e = m.span()
        pieces.append(lowered[pos:s])
        out_len += s - pos
        for k in range(s, e):
            f = _fold_char(lowered[k])
            if len(f) != 1:
                new_starts.append(out_len)
                new_ends.append(out_len + len(f))
                old_starts.append(k)
                old_ends.append(k + 1)
            pieces.append(f)
            out_len += len(f)
        pos = e
    pieces.append(lowered[pos:])
    steps = ((new_starts, new_ends, old_starts, old_ends),) if new_starts else ()
    return _Tracked("".join(pieces), steps)


def _fold_str(text: str) -> str:
    return _fold(text).text


# =======================================================================================
# phones

_NUMBER_WORDS = {
    "nol": "0",
    "kosong": "0",
    "satu": "1",
    "dua": "2",
    "tiga": "3",
    "empat": "4",
    "ampat": "4",
    "lima": "5",
    "enam": "6",
    "tujuh": "7",
    "delapan": "8",
    "lapan": "8",
    "sembilan": "9",
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_NUMBER_WORD_RE = re.compile(r"\b(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b")
# A token of digits in which o/i/l/| stand for 0/1 and b for 8 (at least one real digit,
# no other letters). Whatever it becomes must still pass the phone checks.
_LETTER_DIGIT_RE = re.compile(
    r"(?<![a-z0-9])(?=[0-9]*[oilb|])[0-9oilb|]*[0-9][0-9oilb|]*(?![a-z0-9])"
    r"|(?<![a-z0-9])o[oilb]{2,4}(?=[ \t.,\-]{1,3}[oilb]*\d)"  # "OBBB 6679 6932": a leading group of letters only
    r"|(?<=[0-9][ \t.\-])[oilb]{2,5}(?![a-z0-9])"  # "0832 IIoo 3211": a letters-only group after digits
)
_LETTER_DIGIT_TABLE = str.maketrans("oilb|", "01181")
_PHONEISH = re.compile(r"[0-9oilb|](?:[ \t.,\-()]{0,3}[0-9oilb|]){6}")

# Things made of digits that are not phones.
_NOT_PHONE_RE = re.compile(
    r"(?:rp|idr)\s?[.:]?\s?\d[\d.,]*"  # Rp 150.000
    # (starts only where a number starts: from inside a long digit run it would backtrack
    # from every digit, quadratic in the run's length)
    r"|(?<![\d.,])\d[\d.,]*\s?(?:rb|ribu|rbu|k|jt|juta|an|pcs|pc|gr|gram|kg|cm|mm|ml|m|x)\b"  # 150rb, 2kg
    r"|(?<![\d+])[1-9]\d{0,2}(?:[.,]\d{3})+(?![.,]?\d)"  # 150.000 (thousands, no trunk 0)
    r"|\b\d{1,2}([-/.])\d{1,2}\1(?:19|20)\d{2}\b"  # 12-05-2024
    r"|\b(?:19|20)\d{2}([-/.])\d{1,2}\2\d{1,2}\b"  # 2024-05-12
    r"|\b\d{1,2}/\d{1,2}/\d{2}\b"  # 12/05/24
)
# A run of digit groups joined by short separators on one line.
_RUN_RE = re.compile(r"(?:\+[ \t]?\(?|\(\+?)?\d(?:[ \t.,\-()]{0,3}\d)*")
_GROUP_RE = re.compile(r"\d+")
_SEVEN_DIGITS = re.compile(r"\d(?:[ \t.,\-()]{0,3}\d){6}")

_WA_RE = re.compile(
    r"(?:https?://)?(?:www\.)?"
    r"(?:wa\.me/|(?:api\.|web\.)?whatsapp\.com/send/?\?(?:[^\s#]*?&)?phone=|whatsapp://send/?\?phone=)"
    r"(?:%2b|\+)?(\d[\d\-. ]{5,20}\d)"
)

_MOBILE_TYPES = frozenset((PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE))


@functools.lru_cache(maxsize=16)
def _region_info(region: str) -> tuple[str, str, frozenset[int], frozenset[int], bool]:
    """(calling code, trunk prefix, possible national lengths, possible mobile lengths,
    simple) of a region; ``ValueError`` if the region is unknown. ``simple`` says the
    national prefix is a plain trunk code (no parsing rules), so a national number is the
    digits after it."""
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r}: use a two-letter region code such as 'ID'")
    region = region.upper()
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:  # pragma: no cover - every supported region has metadata
        return str(phonenumbers.country_code_for_region(region)), "", frozenset(), frozenset(), False
    trunk = meta.national_prefix or ""
    general = frozenset(meta.general_desc.possible_length or ())
    mobile = frozenset(meta.mobile.possible_length or ()) if meta.mobile else frozenset()
    simple = meta.national_prefix_transform_rule is None and (meta.national_prefix_for_parsing or "") == trunk
    return str(phonenumbers.country_code_for_region(region)), trunk, general, mobile or general, simple


@functools.lru_cache(maxsize=200_000)
def _parse_e164(candidate: str, region: str, mobile_only: bool) -> str | None:
    """E.164 of ``candidate`` ("+62812..." or national digits) if it is a valid number."""
    try:
        num = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    kind = phonenumbers.number_type(num)  # UNKNOWN exactly when the number is not valid
    if kind == PhoneNumberType.UNKNOWN or (mobile_only and kind not in _MOBILE_TYPES):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=200_000)
def _nsn_e164(cc: str, nsn: str, mobile_only: bool) -> str | None:
    """E.164 of a known calling code and national significant number, if valid.

    Skips ``phonenumbers.parse`` (the number is already split), which doubles speed;
    validity and type still come from phonenumbers' metadata.
    """
    if not nsn or nsn[0] == "0":  # Italian-style leading zeros: let parse handle them
        return _parse_e164("+" + cc + nsn, "ZZ", mobile_only)
    num = phonenumbers.PhoneNumber(country_code=int(cc), national_number=int(nsn))
    kind = phonenumbers.number_type(num)
    if kind == PhoneNumberType.UNKNOWN or (mobile_only and kind not in _MOBILE_TYPES):
        return None
    return "+" + cc + nsn


def _digits_to_e164(
    digits: str, plus: bool, region: str, *, strict: bool, first_group: int = 99, single_digits: bool = False
) -> str | None:
    """Turn a digit string into E.164, trying international then national readings.

    ``strict`` (free text) accepts only mobile numbers, and a number without any prefix
    (no "+", country code or trunk "0") only if its first group has 3+ digits or every
    group is a single digit (spelled-out numbers), so that lists like "8 9 10 11 12"
    are not read as phones.
    """
    if not 7 <= len(digits) <= _MAX_PHONE_DIGITS:
        return None
    cc, trunk, general, mobile, simple = _region_info(region)
    lengths = mobile if strict else general
    region = region.upper()
    if plus:
        return _parse_e164("+" + digits, region, False)
    if not simple:
        return _parse_e164(digits, region, strict) or _parse_e164("+" + digits, region, strict)
    if digits.startswith(cc) and len(digits) - len(cc) >= 7:
        rest = digits[len(cc) :]
        if trunk and rest.startswith(trunk):  # 62 0812...
            rest = rest[len(trunk) :]
        if not lengths or len(rest) in lengths:
            found = _nsn_e164(cc, rest, strict)
            if found:
                return found
    if trunk and digits.startswith(trunk):
        nsn = digits[len(trunk) :]
        if lengths and len(nsn) not in lengths:
            return None
        return _nsn_e164(cc, nsn, strict)
    if strict and not (first_group >= 3 or single_digits):
        return None
    if lengths and len(digits) not in lengths:
        return None
    return _nsn_e164(cc, digits, strict)


def _prepare_digits(t: _Tracked) -> _Tracked:
    """Number words and letter-for-digit tokens become digits (mapped)."""
    if _NUMBER_WORD_RE.search(t.text):
        t = t.sub(_NUMBER_WORD_RE, lambda m: _NUMBER_WORDS[m.group()])
    if not _PHONEISH.search(t.text):  # not even 7 digit-like characters in a row
        return t
    return t.sub(_LETTER_DIGIT_RE, _letter_digits)


def _letter_digits(m: re.Match[str]) -> str | None:
    s = m.group()
    if s.isdigit():
        return None
    n_digits = sum(c.isdigit() for c in s)
    if n_digits == 0:  # the letters-only leading group, followed by digits
        return s.translate(_LETTER_DIGIT_TABLE)
    return s.translate(_LETTER_DIGIT_TABLE)


def _scan_runs(t: _Tracked, region: str, strict: bool) -> list[tuple[str, int, int]]:
    """Phones in digit runs of ``t.text``: (E.164, start, end) in ``t.text`` coordinates."""
    text = t.text
    out: list[tuple[str, int, int]] = []
    for run in _RUN_RE.finditer(text):
        s = run.group()
        if sum(c.isdigit() for c in s) < 7:
            continue
        groups = [(g.group(), run.start() + g.start(), run.start() + g.end()) for g in _GROUP_RE.finditer(s)]
        plus = "+" in s[: s.find(groups[0][0])] if groups else False
        i = 0
        n = len(groups)
        while i < n:
            # candidate ends for a number starting at group i, tried longest first
            ends: list[tuple[int, str, bool]] = []
            digits = ""
            single = True
            for j in range(i, n):
                digits += groups[j][0]
                single = single and len(groups[j][0]) == 1
                if len(digits) > _MAX_PHONE_DIGITS:
                    break
                if len(digits) >= 7:
                    ends.append((j, digits, single))
            best: tuple[int, str] | None = None
            for j, digits, single in reversed(ends):
                e164 = _digits_to_e164(
                    digits,
                    plus and i == 0,
                    region,
                    strict=strict,
                    first_group=len(groups[i][0]),
                    single_digits=single,
                )
                if e164:
                    best = (j, e164)
                    break
            if best is None:
                i += 1
                continue
            j, e164 = best
            start = groups[i][1]
            if i == 0 and plus:
                start = run.start()
            out.append((e164, start, groups[j][2]))
            i = j + 1
    return out


def _wa_phone(digits_text: str, region: str) -> str | None:
    digits = re.sub(r"\D", "", digits_text)
    trunk = _region_info(region)[1]
    if trunk and digits.startswith(trunk):
        return _digits_to_e164(digits, False, region, strict=False)
    return _digits_to_e164(digits, True, region, strict=False)


def _find_wa(t: _Tracked, region: str) -> list[tuple[str, int, int]]:
    if "wa.me" not in t.text and "whatsapp" not in t.text:
        return []
    out = []
    for m in _WA_RE.finditer(t.text):
        e164 = _wa_phone(m.group(1), region)
        if e164:
            out.append((e164, m.start(), m.end()))
    return out


def normalize_phone(text: str, region: str = "ID") -> str | None:
    """One phone number written any way, as E.164; ``None`` if it is not a valid number.

    The whole string is read as one number: separators, full-width digits, ``O`` for 0,
    ``l``/``I`` for 1, Indonesian number words and WhatsApp links are all understood. A
    number without "+" that starts with the country code (``62812…``) is read as
    international. Landlines are accepted here (this is for a phone field); use
    :func:`extract_phones` for free text.

    >>> normalize_phone("0812-3456-7890")
    '+6281234567890'
    >>> normalize_phone("62 812 3456 7890"), normalize_phone("wa.me/6281234567890")
    ('+6281234567890', '+6281234567890')
    >>> normalize_phone("nol delapan satu dua tiga empat lima enam tujuh delapan sembilan nol")
    '+6281234567890'
    >>> normalize_phone("Rp 150.000") is None
    True
    """
    _region_info(region)
    if not isinstance(text, str) or not text:
        return None
    t = _fold(text)
    wa = _find_wa(t, region)
    if wa:
        return wa[0][0]
    t = _prepare_digits(t)
    s = t.text.replace("(0)", "")
    plus_at = s.find("+")
    digits = "".join(c for c in s if "0" <= c <= "9")
    if not digits:
        return None
    first_digit = next(k for k, c in enumerate(s) if "0" <= c <= "9")
    plus = 0 <= plus_at < first_digit
    found = _digits_to_e164(digits, plus, region, strict=False)
    if found:
        return found
    runs = _scan_runs(t, region, strict=False)
    return runs[0][0] if len(runs) == 1 else None


def _phones_in(t: _Tracked, region: str, strict: bool) -> list[tuple[str, int, int]]:
    """Phones in folded free text (links already masked by the caller); spans in ``t.text``."""
    if not _PHONEISH.search(t.text) and not _NUMBER_WORD_RE.search(t.text):
        return []
    t2 = _prepare_digits(_Tracked(t.text))
    if not _SEVEN_DIGITS.search(t2.text):
        return []
    spans = [m.span() for m in _NOT_PHONE_RE.finditer(t2.text)]
    t3 = t2.mask(spans)
    out = []
    for e164, s, e in _scan_runs(t3, region, strict):
        os_, oe = t3.origin(s, e)
        out.append((e164, os_, oe))
    return out


def extract_phones(text: str, region: str = "ID") -> list[str]:
    """Every phone number found in free text, as E.164, in order, without repeats.

    Finds WhatsApp links, numbers broken by spaces, dashes or dots, full-width digits,
    ``O``/``l`` standing for 0/1 and numbers spelled out in Indonesian. Prices, dates,
    sizes and counts are not phones; only valid *mobile* numbers are taken from free text
    (unless written with an explicit "+").

    >>> extract_phones("Order WA O812 3456 789O atau wa.me/6285711112222. Harga Rp 150.000, 150rb")
    ['+6281234567890', '+6285711112222']
    >>> extract_phones("hubungi kosong delapan satu dua 3456 tujuh delapan sembilan nol")
    ['+6281234567890']
    >>> extract_phones("ukuran 38 39 40 41 42 43, terjual 1.234, 12-05-2024")
    []
    """
    _region_info(region)
    if not isinstance(text, str) or not text:
        return []
    found = [k for k, _, _ in _scan_free_text(text, region) if k[0] == PHONE]
    return list(dict.fromkeys(key for _, key in found))


# =======================================================================================
# e-mails

_EMAIL_RE = re.compile(
    r"(?<![a-z0-9._%+\-])[a-z0-9](?:[a-z0-9._%+\-]{0,62}[a-z0-9_+\-])?"
    r"@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?![a-z0-9\-])"
)
_OBF_AT = re.compile(r"\s*(?:[\[\(\{<]\s*(?:at|et|@)\s*[\]\)\}>]|\s@\s)\s*")
_OBF_DOT = re.compile(r"\s*[\[\(\{<]\s*(?:dot|titik|\.)\s*[\]\)\}>]\s*")
_OBF_PLAIN = re.compile(
    r"(?<![a-z0-9._%+\-])([a-z0-9][a-z0-9._%+\-]{0,63})\s+(?:at|et)\s+"
    r"(gmail|googlemail|yahoo|ymail|hotmail|outlook|live|icloud|proton(?:mail)?)\s*(?:\.|\s+dot\s+|\s+titik\s+)\s*"
    r"(com|co\.id|co\s+dot\s+id|me|net)\b"
)
_PLUS_TAG_DOMAINS = frozenset(
    ("gmail.com", "outlook.com", "hotmail.com", "live.com", "icloud.com", "me.com", "protonmail.com", "proton.me")
)
_DOMAIN_ALIASES = {"googlemail.com": "gmail.com", "pm.me": "proton.me"}


def _canonical_email(address: str) -> str | None:
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        return None
    domain = _DOMAIN_ALIASES.get(domain, domain)
    if domain in _PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain == "gmail.com":
        local = local.replace(".", "")
    if not local:
        return None
    return f"{local}@{domain}"


def _deobfuscate(t: _Tracked) -> _Tracked:
    text = t.text
    if "at" in text or "et" in text or "@" in text:
        t = t.sub(_OBF_AT, lambda m: "@")
        t = t.sub(_OBF_DOT, lambda m: ".")
        t = t.sub(_OBF_PLAIN, _plain_email)
    return t


def _plain_email(m: re.Match[str]) -> str:
    """``budi at gmail dot com`` -> ``budi@gmail.com``."""
    tld = re.sub(r"\s*dot\s*", ".", m.group(3)).replace(" ", "")
    return f"{m.group(1)}@{m.group(2)}.{tld}"


def _emails_in(t: _Tracked) -> list[tuple[str, int, int]]:
    """E-mails in folded text: (canonical, start, end) in ``t.text`` coordinates."""
    if "@" not in t.text and " at " not in t.text and "(at)" not in t.text and "[at]" not in t.text:
        return []
    t2 = _deobfuscate(_Tracked(t.text))
    out = []
    for m in _EMAIL_RE.finditer(t2.text):
        key = _canonical_email(m.group())
        if key:
            s, e = t2.origin(*m.span())
            out.append((key, s, e))
    return out


def normalize_email(text: str) -> str | None:
    """The canonical form of the (first) e-mail address in ``text``, or ``None``.

    Casefolded; ``googlemail.com`` is ``gmail.com``; for Gmail the dots of the local part
    are dropped; ``+tags`` are dropped for providers that deliver them to the same box
    (Gmail, Outlook/Hotmail/Live, iCloud, Proton). Obfuscations such as
    ``budi [at] gmail [dot] com`` are understood.

    >>> normalize_email("Budi.Santoso+olshop@GoogleMail.com")
    'budisantoso@gmail.com'
    >>> normalize_email("budi.santoso [at] gmail [dot] com")
    'budisantoso@gmail.com'
    >>> normalize_email("no email here") is None
    True
    """
    if not isinstance(text, str) or not text:
        return None
    t = _fold(text)
    t = _Tracked(re.sub(r"^\s*mailto:", "", t.text))
    found = _emails_in(t)
    return found[0][0] if found else None


def extract_emails(text: str) -> list[str]:
    """Every e-mail address in free text, canonical (see :func:`normalize_email`), in order.

    >>> extract_emails("email: Budi.S@gmail.com / toko(at)yahoo.co.id")
    ['budis@gmail.com', 'toko@yahoo.co.id']
    """
    if not isinstance(text, str) or not text:
        return []
    return list(dict.fromkeys(k for k, _, _ in _emails_in(_fold(text))))


# =======================================================================================
# bank accounts and e-wallets

# canonical code -> aliases (folded text, single spaces). E-wallet codes are in _EWALLETS.
_BANK_ALIASES: dict[str, tuple[str, ...]] = {
    "BCA": ("bca", "bank bca", "bank central asia", "klikbca", "bca syariah"),
    "MANDIRI": ("mandiri", "bank mandiri", "livin mandiri", "livin"),
    "BRI": ("bri", "bank bri", "bank rakyat indonesia", "britama", "brimo"),
    "BNI": ("bni", "bank bni", "bni46", "bni 46", "bank negara indonesia", "taplus"),
    "BSI": ("bsi", "bank bsi", "bank syariah indonesia"),
    "CIMB": ("cimb", "cimb niaga", "bank cimb", "bank cimb niaga", "octo"),
    "PERMATA": ("permata", "permatabank", "bank permata"),
    "DANAMON": ("danamon", "bank danamon"),
    "JAGO": ("jago", "bank jago"),
    "SEABANK": ("seabank", "sea bank", "bank seabank"),
    "BTN": ("btn", "bank btn", "bank tabungan negara"),
    "BTPN": ("btpn", "jenius", "bank btpn"),
    "OCBC": ("ocbc", "ocbc nisp", "nisp", "bank ocbc"),
    "MEGA": ("bank mega",),
    "PANIN": ("panin", "bank panin"),
    "MAYBANK": ("maybank", "bii"),
    "BJB": ("bjb", "bank bjb"),
    "BLU": ("blu", "blu bca", "blu by bca"),
    "MUAMALAT": ("muamalat", "bank muamalat"),
    "NEO": ("neo", "neobank", "bank neo", "bank neo commerce"),
    "DANA": ("dana",),
    "OVO": ("ovo",),
    "GOPAY": ("gopay", "go pay", "go-pay"),
    "SHOPEEPAY": ("shopeepay", "shopee pay", "spay"),
    "LINKAJA": ("linkaja", "link aja"),
}
_EWALLETS = frozenset(("DANA", "OVO", "GOPAY", "SHOPEEPAY", "LINKAJA"))
_ALIAS_TO_CODE = {alias: code for code, aliases in _BANK_ALIASES.items() for alias in aliases}
_ALIAS_PATTERN = "|".join(
    re.escape(a).replace(r"\ ", r"[\s.\-]*") for a in sorted(_ALIAS_TO_CODE, key=len, reverse=True)
)
_BANK_RE = re.compile(
    r"(?<![a-z0-9])(" + _ALIAS_PATTERN + r")(?![a-z])"
    r"[\s:.\-#=/()]*(?:(?:no|nomor|nmr|nomer|rek|rekening|norek|acc|account|a/c|va|virtual account)\b[\s:.\-#=/()]*)*"
    r"(\+?\d(?:[ .\-]?\d){5,19})(?!\d)"
)
_ALIAS_ONLY_RE = re.compile(r"(?<![a-z0-9])(" + _ALIAS_PATTERN + r")(?![a-z])")
_DIGIT_RUN_RE = re.compile(r"\+?\d(?:[ .\-]?\d){5,19}(?!\d)")


def _alias_code(alias_text: str) -> str | None:
    return _ALIAS_TO_CODE.get(re.sub(r"[\s.\-]+", " ", alias_text).strip()) or _ALIAS_TO_CODE.get(
        re.sub(r"[\s.\-]+", "", alias_text)
    )


# Usual account-number lengths: when digit groups run on past this ("BCA 1234567890
# 0812 3456"), the number is cut at the group boundary that gives this length.
_BANK_DIGITS = {"BCA": 10, "BNI": 10, "BSI": 10, "PERMATA": 10, "MANDIRI": 13, "BRI": 15, "JAGO": 12, "SEABANK": 12}


def _bank_key(code: str, number_text: str, region: str) -> tuple[str, int] | None:
    """(``CODE:digits`` key, characters of ``number_text`` used) or ``None``."""
    if code in _EWALLETS:
        phone = normalize_phone(number_text, region)
        return (f"{code}:{phone}", len(number_text)) if phone else None
    groups = list(re.finditer(r"\d+", number_text))
    digits = "".join(g.group() for g in groups)
    used = len(number_text)
    want = _BANK_DIGITS.get(code)
    if want and len(digits) > want and len(groups) > 1:
        acc = ""
        for g in groups:
            acc += g.group()
            if len(acc) == want:
                digits, used = acc, g.end()
                break
            if len(acc) > want:
                break
    if not 6 <= len(digits) <= 20:
        return None
    return f"{code}:{digits}", used


def _banks_in(t: _Tracked, region: str) -> list[tuple[str, int, int, int, int]]:
    """(key, start, end, digits_start, digits_end) for each bank/e-wallet mention."""
    if not _DIGIT_RUN_RE.search(t.text):
        return []
    out = []
    for m in _BANK_RE.finditer(t.text):
        code = _alias_code(m.group(1))
        if code is None:
            continue
        found = _bank_key(code, m.group(2), region)
        if found:
            key, used = found
            out.append((key, m.start(), m.start(2) + used, m.start(2), m.start(2) + used))
    return out


def normalize_bank(text: str, region: str = "ID") -> str | None:
    """A bank account (or e-wallet) as ``CODE:digits``; ``None`` if there are no digits.

    The bank's name, alias or abbreviation maps to one code ("Bank Central Asia" -> BCA);
    the number keeps its digits only. An e-wallet (DANA, OVO, GoPay, ShopeePay, LinkAja)
    is keyed by its E.164 phone. A number without a recognisable bank is ``?:digits``.

    >>> normalize_bank("BCA 123-456-7890 a.n. Budi")
    'BCA:1234567890'
    >>> normalize_bank("Bank Central Asia 1234 5678 90"), normalize_bank("bca: 1234567890")
    ('BCA:1234567890', 'BCA:1234567890')
    >>> normalize_bank("DANA 0812-3456-7890")
    'DANA:+6281234567890'
    """
    if not isinstance(text, str) or not text:
        return None
    t = _fold(text)
    found = _banks_in(t, region)
    if found:
        return found[0][0]
    runs = [m for m in _DIGIT_RUN_RE.finditer(t.text)]
    if not runs:
        return None
    number = max(runs, key=lambda m: sum(c.isdigit() for c in m.group())).group()
    alias = _ALIAS_ONLY_RE.search(t.text)
    code = _alias_code(alias.group(1)) if alias else None
    found = _bank_key(code or "?", number, region)
    return found[0] if found else None


def extract_banks(text: str, region: str = "ID") -> list[str]:
    """Bank accounts and e-wallets named in free text, as ``CODE:digits`` keys, in order.

    Only a bank name (or alias) followed by the number counts ("transfer ke BCA
    1234567890", "rek mandiri: 123.00.0456789.0").

    >>> extract_banks("Pembayaran transfer ke BCA 1234567890 a.n. Budi atau Mandiri 123.00.0456789.0")
    ['BCA:1234567890', 'MANDIRI:1230004567890']
    """
    if not isinstance(text, str) or not text:
        return []
    return list(dict.fromkeys(k for k, *_ in _banks_in(_fold(text), region)))


# =======================================================================================
# links and handles

_URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'|]+"
    r"|(?<![a-z0-9@._\-])(?:[a-z0-9\-]+\.)+(?:com|co\.id|id|me|ee|link|ly|net|org|gg|app|page|shop|store)"
    r"/[^\s<>\"'|]*"
)
_PLATFORM_WORDS = {
    "ig": "instagram",
    "insta": "instagram",
    "instagram": "instagram",
    "tiktok": "tiktok",
    "tt": "tiktok",
    "tik tok": "tiktok",
    "fb": "facebook",
    "facebook": "facebook",
    "twitter": "twitter",
    "tw": "twitter",
    "tele": "telegram",
    "telegram": "telegram",
    "tg": "telegram",
    "shopee": "shopee",
    "tokped": "tokopedia",
    "tokopedia": "tokopedia",
    "lazada": "lazada",
    "bukalapak": "bukalapak",
    "youtube": "youtube",
    "yt": "youtube",
}
_PW = "|".join(re.escape(w).replace(r"\ ", r"\s?") for w in sorted(_PLATFORM_WORDS, key=len, reverse=True))
_HANDLE_CHARS = r"[a-z0-9_](?:[a-z0-9_.]{0,28}[a-z0-9_])?"
_HANDLE_RE = re.compile(
    r"(?<![a-z0-9])(" + _PW + r")\s*(?::|=|-)?\s*@(" + _HANDLE_CHARS + r")(?![a-z0-9_@])"  # ig @budi
    r"|(?<![a-z0-9])(" + _PW + r")\s*:\s*(" + _HANDLE_CHARS + r")(?![a-z0-9_@.])"  # ig: budi
    r"|(?<![a-z0-9._@])@(" + _HANDLE_CHARS + r")(?:\s*[\[(]?\s*(" + _PW + r")\b)?(?![a-z0-9_@])"  # @budi (ig)
)
_HOST_PLATFORM = {
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "tiktok.com": "tiktok",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.me": "facebook",
    "twitter.com": "twitter",
    "x.com": "twitter",
    "youtube.com": "youtube",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "linktr.ee": "linktree",
    "tokopedia.com": "tokopedia",
    "lazada.co.id": "lazada",
    "bukalapak.com": "bukalapak",
}
_RESERVED_PATHS = frozenset(
    (
        "p", "reel", "reels", "explore", "tv", "stories", "search", "discovery", "help", "share", "watch",
        "video", "hashtag", "tag", "tags", "login", "signup", "cart", "products", "product", "shop", "u",
        "c", "channel", "user", "pages", "groups", "profile.php", "home", "about", "official-store", "find",
    )
)
_NOT_HANDLES = frozenset(("http", "https", "www", "gmail", "yahoo", "com", "co", "id"))
_SHOPEE_ITEM = re.compile(r"-i\.(\d+)\.\d+$")


def _clean_handle(handle: str) -> str:
    return handle.strip().lstrip("@").strip("./").casefold()


def _link_from_url(url: str) -> str | None:
    """``platform:handle`` for a URL (scheme optional); ``web:host/path`` otherwise."""
    url = url.strip().rstrip(".,;:!?)]}>")
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").casefold()
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    for prefix in ("www.", "m.", "web.", "mobile.", "id."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    path = unquote(parts.path)
    segs = [s for s in path.split("/") if s]
    query = parse_qs(parts.query)
    platform = _HOST_PLATFORM.get(host)
    if host.startswith("shopee."):
        platform = "shopee"
    if platform == "facebook" and segs and segs[0] == "profile.php" and query.get("id"):
        return f"facebook:{query['id'][0]}"
    if platform == "shopee" and segs:
        if segs[0] == "shop" and len(segs) > 1 and segs[1].isdigit():
            return f"shopee:shop/{segs[1]}"
        if segs[0] == "product" and len(segs) > 1 and segs[1].isdigit():
            return f"shopee:shop/{segs[1]}"
        item = _SHOPEE_ITEM.search(segs[0])
        if item:
            return f"shopee:shop/{item.group(1)}"
    if platform == "tiktok" and segs and segs[0].startswith("@"):
        return f"tiktok:{_clean_handle(segs[0])}"
    if platform == "youtube" and segs:
        if segs[0].startswith("@"):
            return f"youtube:{_clean_handle(segs[0])}"
        if segs[0] in ("c", "user", "channel") and len(segs) > 1:
            return f"youtube:{_clean_handle(segs[1])}"
    if platform == "lazada" and len(segs) > 1 and segs[0] == "shop":
        return f"lazada:{_clean_handle(segs[1])}"
    if platform == "bukalapak" and len(segs) > 1 and segs[0] == "u":
        return f"bukalapak:{_clean_handle(segs[1])}"
    if platform == "instagram" and len(segs) > 1 and segs[0] == "stories":
        return f"instagram:{_clean_handle(segs[1])}"
    if platform and platform != "tiktok" and segs and segs[0].casefold() not in _RESERVED_PATHS:
        handle = _clean_handle(segs[0])
        if handle:
            return f"{platform}:{handle}"
    if host in ("chat.whatsapp.com",) and segs:
        return f"whatsapp:group/{segs[0]}"
    rest = "/".join(segs).casefold()
    return f"web:{host}/{rest}" if rest else f"web:{host}"


def _links_in(t: _Tracked) -> list[tuple[str, int, int]]:
    """Links and handles in folded text (WhatsApp phone links excluded by the caller)."""
    text = t.text
    out: list[tuple[str, int, int]] = []
    taken: list[tuple[int, int]] = []
    if "." in text and "/" in text:
        for m in _URL_RE.finditer(text):
            key = _link_from_url(m.group())
            if key:
                out.append((key, m.start(), m.end()))
                taken.append(m.span())
    if "@" in text or ":" in text:
        for m in _HANDLE_RE.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if m.group(2):
                platform, handle = _PLATFORM_WORDS[re.sub(r"\s", " ", m.group(1))], m.group(2)
            elif m.group(4):
                platform, handle = _PLATFORM_WORDS[re.sub(r"\s", " ", m.group(3))], m.group(4)
            else:
                word = m.group(6)
                platform = _PLATFORM_WORDS[re.sub(r"\s", " ", word)] if word else "handle"
                handle = m.group(5)
            handle = _clean_handle(handle)
            if len(handle) >= 2 and not handle.isdigit() and handle not in _NOT_HANDLES:
                out.append((f"{platform}:{handle}", m.start(), m.end()))
    return out


def normalize_link(text: str) -> str | None:
    """A shop link or social handle as ``platform:handle``; ``None`` if there is none.

    Shop and profile URLs (with or without scheme, ``www.``, ``m.``, query strings) map
    to their platform and handle; a Shopee product URL maps to its shop id; handles such
    as ``@budi ig`` or ``IG: budi`` map to ``instagram:budi``; a bare ``@budi`` or word
    is ``handle:budi``; other URLs are ``web:host/path``. WhatsApp phone links are
    phones, not links: this returns ``None`` for them (see :func:`normalize_phone`).

    >>> normalize_link("https://www.Instagram.com/Budi.Thrift/?hl=id")
    'instagram:budi.thrift'
    >>> normalize_link("@budi.thrift ig"), normalize_link("tiktok.com/@budi.thrift/video/1")
    ('instagram:budi.thrift', 'tiktok:budi.thrift')
    >>> normalize_link("https://shopee.co.id/Kemeja-Flanel-i.123456.7890123")
    'shopee:shop/123456'
    """
    if not isinstance(text, str) or not text:
        return None
    t = _fold(text)
    s = t.text.strip()
    if not s or _WA_RE.search(s):
        return None
    found = _links_in(t)
    if found:
        return found[0][0]
    if re.fullmatch(r"(?:https?://)?(?:[a-z0-9\-]+\.)+[a-z]{2,24}/?", s):
        return _link_from_url(s)
    if re.fullmatch(_HANDLE_CHARS, s) and not s.isdigit():
        return f"handle:{s}"
    return None


def extract_links(text: str) -> list[str]:
    """Shop links and social handles in free text as ``platform:handle`` keys, in order.

    >>> extract_links("cek ig @budi.thrift atau tokopedia.com/budithrift/kemeja-flanel")
    ['tokopedia:budithrift', 'instagram:budi.thrift']
    """
    if not isinstance(text, str) or not text:
        return []
    t = _fold(text)
    t = t.mask([(s, e) for _, s, e in _find_wa(t, "ID")])
    return list(dict.fromkeys(k for k, _, _ in _links_in(t)))


# =======================================================================================
# addresses

_ADDR_WORDS = {
    "jl": "jl",
    "jln": "jl",
    "jalan": "jl",
    "jal": "jl",
    "no": "no",
    "nomor": "no",
    "nmr": "no",
    "nomer": "no",
    "gg": "gg",
    "gang": "gg",
    "blk": "blok",
    "blok": "blok",
    "kel": "kel",
    "kelurahan": "kel",
    "desa": "desa",
    "ds": "desa",
    "kec": "kec",
    "kecamatan": "kec",
    "kab": "kab",
    "kabupaten": "kab",
    "kota": "kota",
    "kot": "kota",
    "prov": "prov",
    "provinsi": "prov",
    "komp": "komplek",
    "kompleks": "komplek",
    "komplek": "komplek",
    "perum": "perum",
    "perumahan": "perum",
}
_ADDR_TOKEN = re.compile(r"[a-z]+|\d+")


def normalize_address(text: str) -> str | None:
    """A light normal form of an address: casefolded, punctuation dropped, common words
    unified ("jalan"/"jln." -> "jl", "nomor"/"no." -> "no", "RT 001" -> "rt 1").

    >>> normalize_address("Jl. Merdeka No.05, RT 001/RW 002, Kec. Menteng")
    'jl merdeka no 5 rt 1 rw 2 kec menteng'
    >>> normalize_address("JALAN  merdeka nomor 5 rt1 rw2 kecamatan menteng")
    'jl merdeka no 5 rt 1 rw 2 kec menteng'
    """
    if not isinstance(text, str) or not text:
        return None
    tokens = []
    for tok in _ADDR_TOKEN.findall(_fold_str(text)):
        if tok.isdigit():
            tok = tok.lstrip("0") or "0"
        else:
            tok = _ADDR_WORDS.get(tok, tok)
        tokens.append(tok)
    return " ".join(tokens) or None


def _address_is_specific(key: str) -> bool:
    """Specific enough to block on: a number (house, RT/RW) and at least four words."""
    tokens = key.split()
    return len(tokens) >= 4 and any(t.isdigit() for t in tokens)


# =======================================================================================
# free-text scan: every kind at once, with spans in the original text


def _scan_free_text(text: str, region: str) -> list[tuple[tuple[int, str], int, int]]:
    """All contact values in free text: ((kind, key), start, end), spans in ``text``."""
    t = _fold(text)
    out: list[tuple[tuple[int, str], int, int]] = []
    masked: list[tuple[int, int]] = []

    fold = t

    def add(kind: int, key: str, s: int, e: int) -> None:
        os_, oe = fold.origin(s, e)
        out.append(((kind, key), os_, oe))

    for key, s, e in _find_wa(t, region):
        add(PHONE, key, s, e)
        masked.append((s, e))
    t = t.mask(masked)
    for key, s, e in _links_in(t):
        add(LINK, key, s, e)
        masked.append((s, e))
    for key, s, e in _emails_in(t):
        add(EMAIL, key, s, e)
        masked.append((s, e))
    t = t.mask(masked)
    for key, s, e, ds, de in _banks_in(t, region):
        add(BANK, key, s, e)
        code, _, number = key.partition(":")
        if code in _EWALLETS:
            add(PHONE, number, ds, de)
        masked.append((ds, de))
    t = t.mask(masked)
    for key, s, e in _phones_in(t, region, strict=True):
        add(PHONE, key, s, e)
    out.sort(key=lambda x: x[1])
    return out


# =======================================================================================
# the table


@dataclass(frozen=True, eq=False)
class ContactsTable:
    """Contact values of a batch of accounts, one entry per (account, value, field).

    Occurrence arrays (aligned, one entry per value found; repeats of the same value in
    the same field of the same account are dropped):
        row: int64 account row; kind: int8 code into :data:`KINDS`; key_id: int64 index
        into the unique-key arrays; key: canonical string; raw: the value as written;
        source: the field it came from ("phones", "emails", "links", "bank_accounts",
        "addresses", "bio", "display_name", "username", "listings").

    Unique-key arrays (one entry per distinct (kind, canonical value)):
        unique_key, unique_kind, df (number of distinct accounts holding the key),
        blockable (False for addresses too vague to block on).

    Per-row distinct keys, CSR style: ``row_keys[row_ptr[r]:row_ptr[r+1]]`` (sorted);
    ``row_key_codes`` = ``row * len(unique_key) + key_id`` for the same entries, sorted,
    for batch membership tests. ``row`` is non-decreasing.
    """

    account_ids: tuple[str, ...]
    row: np.ndarray
    kind: np.ndarray
    key_id: np.ndarray
    key: np.ndarray
    raw: np.ndarray
    source: np.ndarray
    unique_key: np.ndarray
    unique_kind: np.ndarray
    df: np.ndarray
    blockable: np.ndarray
    row_ptr: np.ndarray
    row_keys: np.ndarray
    row_key_codes: np.ndarray

    def __len__(self) -> int:
        return len(self.account_ids)

    @property
    def n_rows(self) -> int:
        """Number of accounts (rows) in the table."""
        return len(self.account_ids)

    def keys_of(self, row: int) -> list[tuple[str, str]]:
        """The distinct (kind, canonical key) pairs held by one account."""
        ids = self.row_keys[self.row_ptr[row] : self.row_ptr[row + 1]]
        return [(KINDS[self.unique_kind[k]], str(self.unique_key[k])) for k in ids]

    def to_pandas(self) -> Any:
        """The occurrences as a DataFrame (one row per value found), with ``df``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "row": self.row,
                "account_id": np.asarray(self.account_ids, dtype=object)[self.row] if len(self.row) else [],
                "kind": np.asarray(KINDS, dtype=object)[self.kind] if len(self.kind) else [],
                "key": self.key,
                "raw": self.raw,
                "source": self.source,
                "df": self.df[self.key_id],
            }
        )


_PLATFORM_NAMES = ("shopee", "tokopedia", "instagram", "tiktok", "lazada", "bukalapak", "facebook", "twitter")


class ContactsSignal:
    """Contact details as evidence: shared phones, e-mails, bank accounts, links, addresses.

    Args:
        region: default phone region for numbers written without a country code.

    ``compare`` returns, for each kind X in phone, email, bank, link, address:
    ``X_shared`` (distinct canonical values of kind X held by both accounts) and
    ``X_min_df`` (accounts holding the rarest shared value of kind X; 0 if none shared).

    Candidate keys are every phone, e-mail, bank and link key, and addresses only when
    specific (a number and four or more words): an exact normalised street address
    with a house number is rare enough to block on, a bare city name is not.

    >>> from sellerlink.records import Account
    >>> sig = ContactsSignal()
    >>> t = sig.fingerprint([Account("a", bank_accounts=("BCA 123-456-7890",)),
    ...                      Account("b", bio="transfer ke bca: 1234567890")])
    >>> f = sig.compare(t, np.array([0]), np.array([1]))
    >>> f["bank_shared"], f["bank_min_df"]
    (array([1.]), array([2.]))
    """

    name = "contacts"
    feature_names: tuple[str, ...] = FEATURE_NAMES
    extract_in_processes = True  # pure per-record work (signals.base)
    # features (shared values per kind, the rarest one's count) and evidence (the shared
    # values) read only the counts of values both accounts hold (signals.base)
    shared_counts_only = True

    def __init__(self, region: str = "ID") -> None:
        self.region = region

    # -- fingerprint -----------------------------------------------------------------
    def fingerprint(self, accounts: Sequence[Account], *, rarity: RarityContext | None = None) -> ContactsTable:
        """Find and normalise every contact value of each account (row i = accounts[i]).

        With ``rarity``, ``df`` comes from the context (keys as in :meth:`rarity_keys`)
        instead of being counted over this batch.
        """
        _region_info(self.region)
        region = self.region.upper()
        out = _Collector(region)
        for r, acc in enumerate(accounts):
            if not isinstance(acc, Account):
                raise TypeError(f"accounts[{r}] is a {type(acc).__name__}, expected sellerlink.Account")
            out.start_row(r)
            for item in acc.phones:
                key = normalize_phone(item, region)
                if key:
                    out.add(PHONE, key, item, "phones")
                else:  # several numbers in one field
                    for key, _, _ in _phones_in(_fold(item), region, strict=False):
                        out.add(PHONE, key, item, "phones")
            for item in acc.emails:
                key = normalize_email(item)
                if key:
                    out.add(EMAIL, key, item, "emails")
            for item in acc.links:
                phone = _find_wa(_fold(item), region)
                if phone:
                    out.add(PHONE, phone[0][0], item, "links")
                    continue
                key = normalize_link(item)
                if key:
                    out.add(LINK, key, item, "links")
                else:
                    out.free(item, "links")
            for item in acc.bank_accounts:
                key = normalize_bank(item, region)
                if key:
                    out.add(BANK, key, item, "bank_accounts")
                    code, _, number = key.partition(":")
                    if code in _EWALLETS:
                        out.add(PHONE, number, item, "bank_accounts")
            for item in acc.addresses:
                key = normalize_address(item)
                if key:
                    out.add(ADDRESS, key, item, "addresses")
                out.free(item, "addresses")
            if acc.username:
                # the account's own shop link, so that "my old shop: shopee.co.id/x" elsewhere matches it
                platform = next((p for p in _PLATFORM_NAMES if p in acc.platform.casefold()), None)
                handle = _clean_handle(_fold_str(acc.username))
                if platform and handle:
                    out.add(LINK, f"{platform}:{handle}", acc.username, "username")
            for text, source in ((acc.display_name, "display_name"), (acc.username, "username"), (acc.bio, "bio")):
                if text:
                    out.free(text, source)
            for lst in acc.listings:
                for text in (lst.title, lst.description):
                    if text:
                        out.free(text, "listings")

        return _build_table(
            tuple(a.account_id for a in accounts), out.rows, out.kinds, out.keys, out.raws, out.sources, rarity
        )

    # -- index hooks (see signals.base) ------------------------------------------------------
    def rarity_keys(self, table: ContactsTable) -> tuple[np.ndarray, np.ndarray]:
        """(rows, keys): each row's distinct contact values as ``uint64`` (kind-salted)."""
        _check_table(table)
        hashes = _key_hashes(table.unique_key, table.unique_kind)
        rows = np.repeat(np.arange(table.n_rows, dtype=np.int64), np.diff(table.row_ptr))
        return rows, hashes[table.row_keys]

    def index_keys(self, table: ContactsTable) -> tuple[np.ndarray, np.ndarray]:
        """The candidate keys (they do not depend on counts)."""
        return self.candidate_keys(table)

    def extract(self, accounts: Sequence[Account]) -> list[bytes]:
        """Per account, its contact occurrences (kind, key, raw, source) as packed bytes."""
        t = self.fingerprint(accounts)
        bounds = np.searchsorted(t.row, np.arange(len(accounts) + 1))
        out = []
        for r in range(len(accounts)):
            sl = slice(int(bounds[r]), int(bounds[r + 1]))
            out.append(
                pack(
                    {"kind": t.kind[sl].astype(np.int8)},
                    [t.key[sl].tolist(), t.raw[sl].tolist(), t.source[sl].tolist()],
                )
            )
        return out

    def assemble(
        self, account_ids: Sequence[str], states: Iterable[bytes], *, rarity: RarityContext | None = None,
        focus: Sequence[int] | np.ndarray | None = None,
    ) -> ContactsTable:
        """The table :meth:`fingerprint` would build from the accounts :meth:`extract` saw.

        ``focus`` (optional, row numbers): only pairs with a focus row will be compared or
        explained. The context is then asked only about the values the focus rows hold (the
        others keep the batch's own counts, and are not hashed): a pair's features and
        evidence read only the counts of shared values (``shared_counts_only``), so those of
        every pair with a focus row are exact. Keys never depend on counts.
        """
        rows: list[int] = []
        kinds: list[int] = []
        keys: list[str] = []
        raws: list[str] = []
        sources: list[str] = []
        n_states = 0
        for r, st in enumerate(states):
            n_states += 1
            kd, k, rw, src = _occurrences(st)
            rows.extend([r] * len(kd))
            kinds.extend(kd)  # (Python ints: tolist of an integer array)
            keys.extend(map(str, k))  # (maps, not generators: a query assembles ~33 states twice)
            raws.extend(map(str, rw))
            sources.extend(map(sys.intern, map(str, src)))  # a handful of field names
        if n_states != len(account_ids):
            raise ValueError(f"{n_states} contacts states for {len(account_ids)} accounts")
        return _build_table(tuple(account_ids), rows, kinds, keys, raws, sources, rarity,
                            row_numbers(focus, n_states, "focus"))  # fmt: skip

    # -- candidate keys ----------------------------------------------------------------
    def candidate_keys(self, table: ContactsTable) -> tuple[np.ndarray, np.ndarray]:
        """(rows, keys): one uint64 key per (row, kind, canonical value), salted by kind."""
        _check_table(table)
        hashes = _key_hashes(table.unique_key, table.unique_kind)
        counts = np.diff(table.row_ptr)
        rows = np.repeat(np.arange(table.n_rows, dtype=np.int64), counts)
        ids = table.row_keys
        keep = table.blockable[ids]
        return rows[keep], hashes[ids[keep]]

    # -- compare -------------------------------------------------------------------------
    def compare(self, table: ContactsTable, left: np.ndarray, right: np.ndarray) -> PairFeatures:
        """Shared values per kind and the rarity of the rarest one, for each pair."""
        _check_table(table)
        left, right = _check_pairs(left, right, table.n_rows)
        n_pairs = len(left)
        n_kinds = len(KINDS)
        shared = np.zeros(n_pairs * n_kinds, dtype=np.float64)
        min_df = np.zeros(n_pairs * n_kinds, dtype=np.float64)
        if n_pairs and len(table.row_keys):
            n_keys = np.int64(len(table.unique_key))
            codes = table.row_key_codes
            deg = np.diff(table.row_ptr)
            # walk the keys of the side with fewer keys, look them up on the other side
            swap = deg[left] > deg[right]
            small = np.where(swap, right, left)
            big = np.where(swap, left, right)
            best = np.full(n_pairs * n_kinds, np.inf)
            chunk = _COMPARE_CHUNK
            start = 0
            while start < n_pairs:
                # grow the chunk so that about `chunk` key lookups happen at a time
                cum = np.cumsum(deg[small[start:]])
                stop = start + max(1, int(np.searchsorted(cum, chunk, side="right")))
                s_rows = small[start:stop]
                counts = deg[s_rows]
                total = int(counts.sum())
                if total:
                    pair_idx = np.repeat(np.arange(start, stop, dtype=np.int64), counts)
                    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
                    key_ids = table.row_keys[np.repeat(table.row_ptr[s_rows], counts) + offsets]
                    query = big[pair_idx] * n_keys + key_ids
                    pos = np.searchsorted(codes, query)
                    pos[pos >= len(codes)] = 0
                    hit = codes[pos] == query
                    cell = pair_idx[hit] * n_kinds + table.unique_kind[key_ids[hit]]
                    np.add.at(shared, cell, 1.0)
                    np.minimum.at(best, cell, table.df[key_ids[hit]].astype(np.float64))
                start = stop
            has = np.isfinite(best)
            min_df[has] = best[has]
        shared = shared.reshape(n_pairs, n_kinds)
        min_df = min_df.reshape(n_pairs, n_kinds)
        values: dict[str, np.ndarray] = {}
        for k, kind in enumerate(KINDS):
            values[f"{kind}_shared"] = np.ascontiguousarray(shared[:, k])
            values[f"{kind}_min_df"] = np.ascontiguousarray(min_df[:, k])
        return PairFeatures({name: values[name] for name in FEATURE_NAMES})

    def compare_one(self, states: Sequence[bytes], one: bytes, *, rarity: RarityContext) -> PairFeatures:
        """Features of the pairs ``(one, states[j])``: exactly what :meth:`compare` gives for the
        pairs ``(n, j)`` of ``assemble(ids, [*states, one], rarity=rarity, focus=[n])``
        (``n = len(states)``), without the table. Only the values ``one`` holds are counted
        (by ``rarity``): a pair can share no other. An index query's first pass."""
        n = len(states)
        held: list[set[tuple[int, str]]] = []
        for st in [*states, one]:
            kd, k, _, _ = _occurrences(st)
            held.append(set(zip(kd, map(str, k))))
        shared = np.zeros((n, len(KINDS)), dtype=np.float64)
        min_df = np.zeros((n, len(KINDS)), dtype=np.float64)
        mine = sorted(held[n])
        if n and mine:
            keys = np.empty(len(mine), dtype=object)
            keys[:] = [key for _, key in mine]
            df = rarity.df("contacts", _key_hashes(keys, np.array([c for c, _ in mine], dtype=np.int8)))
            count = dict(zip(mine, df.astype(np.float64).tolist()))
            for j in range(n):
                for c, key in held[j] & held[n]:
                    d = count[(c, key)]
                    min_df[j, c] = d if not shared[j, c] else min(min_df[j, c], d)
                    shared[j, c] += 1.0
        values: dict[str, np.ndarray] = {}
        for c, kind in enumerate(KINDS):
            values[f"{kind}_shared"] = np.ascontiguousarray(shared[:, c])
            values[f"{kind}_min_df"] = np.ascontiguousarray(min_df[:, c])
        return PairFeatures({name: values[name] for name in FEATURE_NAMES})

    # -- explain -------------------------------------------------------------------------
    def explain(self, table: ContactsTable, i: int, j: int) -> list[Evidence]:
        """One :class:`Evidence` per value both accounts hold, rarest first within a kind."""
        _check_table(table)
        for name, v in (("i", i), ("j", j)):
            if not isinstance(v, (int, np.integer)) or not 0 <= int(v) < table.n_rows:
                raise ValueError(f"{name}={v!r} is not a row of this table (0..{table.n_rows - 1})")
        i, j = int(i), int(j)
        ki = set(table.row_keys[table.row_ptr[i] : table.row_ptr[i + 1]].tolist())
        kj = set(table.row_keys[table.row_ptr[j] : table.row_ptr[j + 1]].tolist())
        common = sorted(ki & kj, key=lambda k: (int(table.unique_kind[k]), int(table.df[k]), str(table.unique_key[k])))
        if not common:
            return []
        first: dict[tuple[int, int], int] = {}
        for r in (i, j):
            lo, hi = np.searchsorted(table.row, [r, r + 1])
            for occ in range(int(lo), int(hi)):
                first.setdefault((r, int(table.key_id[occ])), occ)
        out = []
        for k in common:
            li, rj = first[(i, k)], first[(j, k)]
            out.append(
                Evidence(
                    signal="contacts",
                    kind=KINDS[int(table.unique_kind[k])],
                    left=str(table.raw[li]),
                    right=str(table.raw[rj]),
                    key=str(table.unique_key[k]),
                    similarity=1.0,
                    shared_by=int(table.df[k]),
                    extra={"left_source": str(table.source[li]), "right_source": str(table.source[rj])},
                )
            )
        return out


class _Collector:
    """Accumulates occurrences; drops repeats of a (kind, key, field) within one account."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.rows: list[int] = []
        self.kinds: list[int] = []
        self.keys: list[str] = []
        self.raws: list[str] = []
        self.sources: list[str] = []
        self._row = -1
        self._seen: set[tuple[int, str, str]] = set()
        # free text repeats across listings and accounts (boilerplate): scan it once
        self._cache: dict[str, list[tuple[tuple[int, str], int, int]]] = {}

    def start_row(self, row: int) -> None:
        self._row = row
        self._seen = set()

    def add(self, kind: int, key: str, raw: str, source: str) -> None:
        mark = (kind, key, source)
        if mark in self._seen:
            return
        self._seen.add(mark)
        self.rows.append(self._row)
        self.kinds.append(kind)
        self.keys.append(key)
        self.raws.append(raw)
        self.sources.append(source)

    def free(self, text: str, source: str) -> None:
        found = self._cache.get(text)
        if found is None:
            found = _scan_free_text(text, self.region)
            if len(self._cache) < 100_000:
                self._cache[text] = found
        for (kind, key), s, e in found:
            self.add(kind, key, text[s:e].strip() or text, source)


def _occurrences(state: bytes) -> tuple[list[int], list[Any], list[Any], list[Any]]:
    """A state's contact occurrences: kinds (Python ints), keys, raw values, sources.
    ``ValueError`` for a corrupt state (lengths that differ, an unknown kind)."""
    arrs, meta = unpack(state, copy=False)
    kd = arrs["kind"].tolist()
    k, rw, src = meta
    if not (len(kd) == len(k) == len(rw) == len(src)):
        raise ValueError("corrupt contacts state")
    if any(not 0 <= c < len(KINDS) for c in kd):
        raise ValueError("corrupt contacts state: unknown kind")
    return kd, k, rw, src


def _key_hashes(unique_key: np.ndarray, unique_kind: np.ndarray) -> np.ndarray:
    return np.fromiter(
        (stable_hash64(str(k), KINDS[c]) for k, c in zip(unique_key, unique_kind)),
        dtype=np.uint64,
        count=len(unique_key),
    )


def _build_table(
    account_ids: tuple[str, ...],
    rows: list[int],
    kinds: list[int],
    keys: list[str],
    raws: list[str],
    sources: list[str],
    rarity: RarityContext | None = None,
    focus: np.ndarray | None = None,
) -> ContactsTable:
    n_rows = len(account_ids)
    index: dict[tuple[int, str], int] = {}
    key_id = np.fromiter(
        (index.setdefault((k, s), len(index)) for k, s in zip(kinds, keys)), dtype=np.int64, count=len(keys)
    )
    unique_kind = np.fromiter((k for k, _ in index), dtype=np.int8, count=len(index))
    unique_key = np.array([s for _, s in index], dtype=object)
    row = np.asarray(rows, dtype=np.int64)
    n_keys = len(index)
    if len(row):
        codes = unique_sorted(row * np.int64(max(n_keys, 1)) + key_id)
        rk_row = codes // max(n_keys, 1)
        rk_key = codes % max(n_keys, 1)
    else:
        rk_row = np.zeros(0, dtype=np.int64)
        rk_key = np.zeros(0, dtype=np.int64)
    df = np.bincount(rk_key, minlength=n_keys).astype(np.int64)
    if rarity is not None and n_keys:
        if focus is None:
            df = rarity.df("contacts", _key_hashes(unique_key, unique_kind))
        else:  # only the focus rows' values (see ContactsSignal.assemble)
            mine = unique_sorted(rk_key[np.isin(rk_row, focus)])
            if len(mine):
                df[mine] = rarity.df("contacts", _key_hashes(unique_key[mine], unique_kind[mine]))
    row_ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rk_row, minlength=n_rows), out=row_ptr[1:])
    blockable = np.ones(n_keys, dtype=bool)
    for k in np.flatnonzero(unique_kind == ADDRESS).tolist():
        blockable[k] = _address_is_specific(unique_key[k])
    return ContactsTable(
        account_ids=account_ids,
        row=row,
        kind=np.asarray(kinds, dtype=np.int8),
        key_id=key_id,
        key=np.array(keys, dtype=object),
        raw=np.array(raws, dtype=object),
        source=np.array(sources, dtype=object),
        unique_key=unique_key,
        unique_kind=unique_kind,
        df=df,
        blockable=blockable,
        row_ptr=row_ptr,
        row_keys=rk_key.astype(np.int64),
        row_key_codes=codes.astype(np.int64) if len(row) else np.zeros(0, dtype=np.int64),
    )


def _check_table(table: Any) -> None:
    if not isinstance(table, ContactsTable):
        raise TypeError(f"expected a ContactsTable from ContactsSignal.fingerprint, got {type(table).__name__}")


def _check_pairs(left: Any, right: Any, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    left = np.asarray(left)
    right = np.asarray(right)
    if left.ndim != 1 or right.ndim != 1 or left.shape != right.shape:
        raise ValueError(f"left and right must be 1-D arrays of the same length, got {left.shape} and {right.shape}")
    if left.size and (left.dtype.kind not in "iu" or right.dtype.kind not in "iu"):
        raise ValueError(f"left and right must hold integer row numbers, got {left.dtype} and {right.dtype}")
    left = left.astype(np.int64, copy=False)
    right = right.astype(np.int64, copy=False)
    if left.size and (left.min() < 0 or right.min() < 0 or left.max() >= n_rows or right.max() >= n_rows):
        raise ValueError(f"row numbers must be in 0..{n_rows - 1}")
    return left, right
