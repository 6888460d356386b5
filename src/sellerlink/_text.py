"""Text normalisation shared by the signals. Never raises on any ``str``.

``clean_text`` is the common first step: NFKC, drop control / zero-width / bidi
override characters, strip combining marks, casefold, collapse white space.

On top of it, for names and other short identifiers:

- :func:`skeleton` maps look-alike letters (Cyrillic, Greek, Armenian, small capitals,
  Latin variants such as ``ı`` or ``ø``, negative-circled letters) to Latin, in the
  spirit of Unicode TR39 "confusables", then applies :func:`clean_text`. Full-width
  and mathematical alphanumerics are handled by NFKC inside ``clean_text``.
- :func:`strip_emoji` replaces emoji and decorative symbols (``✨🔥★♡``) by spaces.
- :func:`fold_leet` turns leetspeak inside words back into letters (``thr1ft`` ->
  ``thrift``) while keeping numbers appended to a word (``budi88``) intact.

Example:
    >>> fold_leet(strip_emoji(skeleton("✨ВUDI Тhr1ft✨")))
    'budi thrift'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CONFUSABLES",
    "INVISIBLE",
    "LEET",
    "clean_text",
    "fold_leet",
    "skeleton",
    "strip_emoji",
    "strip_marks",
]

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
    if text.isascii():
        return text  # NFKD leaves ASCII alone and ASCII has no marks
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_text(text: str, *, casefold: bool = True, marks: bool = True) -> str:
    """NFKC, remove invisible characters, optionally strip marks and casefold.

    >>> clean_text("  Ｔｏｋｏ\u200b  BUDI\u202e ")
    'toko budi'
    """
    if not text:
        return ""
    if not text.isascii():
        text = _SURROGATE.sub("", text)
        text = unicodedata.normalize("NFKC", text)
    text = INVISIBLE.sub("", text)
    if marks:
        text = strip_marks(text)
    if casefold:
        text = text.casefold()
    return _SPACE.sub(" ", text).strip()


# ---------------------------------------------------------------------------------------
# confusables skeleton

# Space-separated pairs "look-alike, Latin". Upper and lower case are both listed because
# the map is applied before casefolding (Cyrillic "В" looks like "B" but casefolds to "в").
_CONFUSABLE_PAIRS = (
    # Cyrillic
    "Аa Вb Сc Еe Нh Іi Јj Кk Мm Оo Рp Ѕs Тt Хx Уy Үy Ьb Ӏi Ԍg Ԛq Ԝw Һh "
    "аa вb сc еe һh іi јj кk мm оo рp ѕs тt хx уy үy ьb ӏi ԁd ԛq ԝw гr пn ԍg ѵv ѡw "
    # Greek
    "Αa Βb Εe Ζz Ηh Ιi Κk Μm Νn Οo Ρp Τt Υy Χx Ϝf "
    "αa βb γy εe ηn ιi κk νv οo ρp σo τt υu χx ωw ϳj "
    # Armenian
    "օo սu ցg հh ոn զq աw Օo Սu "
    # Latin small capitals and variants that NFKD leaves alone
    "ᴀa ʙb ᴄc ᴅd ᴇe ꜰf ɢg ʜh ɪi ᴊj ᴋk ʟl ᴍm ɴn ᴏo ᴘp ʀr ꜱs ᴛt ᴜu ᴠv ᴡw ʏy ᴢz "
    "ıi ȷj øo Øo đd Đd ħh Ħh łl Łl ŧt Ŧt ƀb ɨi ɑa ɡg ʋv ɩi Ɩi ǝe ɛe "
    # Cherokee capitals drawn like Latin capitals
    "Ꭺa Ᏼb Ꮯc Ꭼe Ꮋh Ꭻj Ꮶk Ꮮl Ꮇm Ꮲp Ꮪs Ꭲt Ꮩv Ꮃw Ꮓz"
)

_PRE_NFKC = {
    # negative circled / negative squared Latin capitals: no NFKC decomposition
    **{0x1F150 + k: chr(ord("A") + k) for k in range(26)},
    **{0x1F170 + k: chr(ord("A") + k) for k in range(26)},
    # NFKC would turn these into letters ("Budi™" -> "buditm"); they are decoration
    ord("™"): " ",
    ord("℠"): " ",
    ord("℡"): " ",
}


def _build_confusables() -> dict[int, str]:
    table: dict[int, str] = {}
    for pair in _CONFUSABLE_PAIRS.split():
        src, dst = pair[0], pair[1:]
        table[ord(src)] = dst.upper() if src.isupper() else dst  # keep case for camelCase
    table.update({0x00DF: "ss", 0x00E6: "ae", 0x00C6: "AE", 0x0153: "oe", 0x0152: "OE"})
    # close the table under case, so that casefolding never creates a look-alike
    # ("Ω" -> "ω" is mapped as "W" -> "w" does; "ς" as "σ")
    for code, latin in list(table.items()):
        ch = chr(code)
        for other, target in ((ch.lower(), latin.lower()), (ch.upper(), latin.upper()), (ch.casefold(), latin.lower())):
            if len(other) == 1 and not other.isascii() and ord(other) not in table:
                table[ord(other)] = target
    table.setdefault(ord("ς"), "o")
    return table


CONFUSABLES: dict[int, str] = _build_confusables()
"""``str.translate`` table: look-alike code point -> Latin letter(s)."""


def skeleton(text: str, *, casefold: bool = True) -> str:
    """Look-alikes to Latin, then :func:`clean_text` (NFKC, invisibles, marks, casefold).

    Covers Cyrillic, Greek, Armenian and Cherokee letters drawn like Latin ones, small
    capitals, full-width and mathematical alphanumerics (through NFKC), circled and
    negative-circled letters. Characters with no Latin look-alike are kept. With
    ``casefold=False`` case is kept (a capital look-alike becomes a Latin capital), so a
    caller can still see camelCase word boundaries; ``.casefold()`` of that result equals
    the default result.

    >>> skeleton("Вudі Тhrift")  # Cyrillic В, і, Т
    'budi thrift'
    >>> skeleton("𝐓𝐡𝐫𝐢𝐟𝐭 ＢＵＤＩ ᴊᴀʏᴀ")
    'thrift budi jaya'
    """
    if not text:
        return ""
    if text.isascii():
        return clean_text(text, casefold=casefold)  # no look-alikes in ASCII
    text = _SURROGATE.sub("", text).translate(_PRE_NFKC)
    text = clean_text(text, casefold=False)
    text = text.translate(CONFUSABLES)
    # second pass: clean what the translation produced, casefold, and map what
    # casefolding may have turned into a look-alike
    text = clean_text(text, casefold=casefold)
    return text.translate(CONFUSABLES) if casefold else text


# ---------------------------------------------------------------------------------------
# emoji and decorative symbols

_DECOR_CATEGORIES = frozenset(("So", "Sk", "Me", "Co", "Cn", "Cs"))
_DECOR_KEEP = frozenset("^`")  # ASCII modifier symbols: punctuation, not decoration


def strip_emoji(text: str) -> str:
    """Replace emoji and decorative symbols by spaces (white space collapsed).

    Removes characters of Unicode category So (other symbols: emoji, ★, ♡, ©, flags'
    regional indicators), Sk (skin-tone modifiers), Me (keycap enclosing marks), Co
    (private use), Cn (unassigned: emoji newer than this Python's tables) and lone
    surrogates, plus zero-width joiners and variation selectors. Letters, digits,
    punctuation and currency signs are kept.

    >>> strip_emoji("✨budi.thrift✨ 👩🏽‍💻")
    'budi.thrift'
    """
    if not text:
        return ""
    text = INVISIBLE.sub("", text)
    if text.isascii():
        return _SPACE.sub(" ", text).strip()
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif unicodedata.category(ch) in _DECOR_CATEGORIES and ch not in _DECOR_KEEP:
            out.append(" ")
        else:
            out.append(ch)
    return _SPACE.sub(" ", "".join(out)).strip()


# ---------------------------------------------------------------------------------------
# leetspeak

LEET: dict[str, str] = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "6": "g",
    "8": "b",
    "9": "g",
    "$": "s",
    "@": "a",
    "!": "i",
    "€": "e",
}
"""Digits and symbols read as letters when they sit inside a word."""

_TAIL_LEET = frozenset("0457")
_LEET_UPPER = {k: v.upper() for k, v in LEET.items()}
_LEET_WORD = re.compile("[0-9A-Za-z$@!€]+")
_LEET_RUN = re.compile("[A-Za-z]+|[^A-Za-z]+")
_CLASSIC = re.compile("[013457$@!€]")  # a run of only 6/8/9 inside a word is a number ("toko99jkt")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)$", re.IGNORECASE)
_IL = str.maketrans({"l": "i", "L": "I"})


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if word.isalpha() or not any(c.isalpha() for c in word) or _ORDINAL.match(word):
        return word  # nothing to fold, a pure number / symbol run, or "2nd"
    runs = _LEET_RUN.findall(word)
    last = len(runs) - 1
    out = list(runs)
    folded = False
    # an all-capitals word gets capital letters back ("S3C0ND" -> "SECOND"), so that
    # a caller looking for camelCase boundaries does not see "SeCoND"
    leet = _LEET_UPPER if all(c.isupper() for c in word if c.isalpha()) else LEET
    # internal runs: letters on both sides -> leet if every character is a leet sign
    # (and, for a longer run, at least one is a classic one: "b00k" but not "toko99jkt")
    for k in range(1, last):
        run = runs[k]
        if not run[0].isalpha() and all(c in LEET for c in run) and (len(run) == 1 or _CLASSIC.search(run)):
            out[k] = "".join(leet[c] for c in run)
            folded = True
    # leading run: "@budi" is a handle, "$ari" an s; one leet digit before a word
    # ("8udi") is a letter; two ("57r33t") only if the word is visibly leet already.
    head = runs[0]
    if not head[0].isalpha():
        if head == "@":
            out[0] = ""
        elif all(c in LEET for c in head) and ((len(head) == 1 and len(runs[1]) >= 2) or (len(head) <= 2 and folded)):
            out[0] = "".join(leet[c] for c in head)
            folded = True
    # trailing run: a number appended to a word stays a number ("budi88", "budi1"),
    # unless the word is visibly leet ("j4k4rt4", "8ud1") and the run is one sign, or
    # it is a lone 0, 4, 5 or 7 after a word: rarely a serial number, often leet for
    # the very common endings -o, -a, -s, -t ("manad0", "kary4"). 1, 2, 3 are serials.
    tail = runs[last]
    if (
        last > 0
        and not tail[0].isalpha()
        and (
            tail == "$"
            or (folded and len(tail) == 1 and tail in LEET)
            or (tail in _TAIL_LEET and len(runs[last - 1]) >= 3)
        )
    ):
        out[last] = leet[tail]
    return "".join(out)


def fold_leet(text: str, *, merge_il: bool = True) -> str:
    """Read leetspeak inside words as letters: ``th1ft`` -> ``thift``, ``b4ju`` -> ``baju``.

    Digits and signs (``0 1 3 4 5 6 7 8 9 $ @ ! €``, see :data:`LEET`) with ASCII letters
    on both sides are folded. A number appended to a name stays a number: ``budi88``,
    ``budi1`` and ``budi.id2`` are unchanged. At the start of a word one leet digit is
    a letter (``8udi`` -> ``budi``); once a word is visibly leet, a single trailing
    sign and a leading pair are folded too (``j4k4rt4`` -> ``jakarta``, ``8ud1`` ->
    ``budi``), and a lone trailing ``0 4 5 7`` is a letter (``manad0``, ``kary4``: these
    are rarely account serials, unlike ``budi1``, ``budi2``). Ordinals (``2nd``)
    are kept. In an all-capitals word the letters are capitals (``S3C0ND`` -> ``SECOND``). A leading or trailing ``$`` is an ``s``; a
    leading ``@`` (a handle marker) is dropped.

    ``1`` may stand for ``i`` or ``l``, and ``I`` / ``l`` are drawn alike in most sans
    fonts (Unicode TR39 treats ``1 I l |`` as one skeleton). With ``merge_il=True``
    (the default) every ``l`` becomes ``i`` as well, so ``ba1i``, ``bali`` and
    ``baIi`` all fold to ``baii``. The output is a matching key, not for display.
    Case is kept otherwise, so ``fold_leet`` commutes with lower-casing on ASCII text.

    >>> fold_leet("thr1ft_budi88 b4ju")
    'thrift_budi88 baju'
    >>> fold_leet("ba1i"), fold_leet("bali"), fold_leet("bali", merge_il=False)
    ('baii', 'baii', 'bali')
    """
    if not text:
        return ""
    text = _LEET_WORD.sub(_fold_word, text)
    if merge_il:
        text = text.translate(_IL)
    return text
