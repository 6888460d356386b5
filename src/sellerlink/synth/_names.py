"""Shop names, usernames and the renames a comeback uses (leet, homoglyphs, fillers, order)."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, replace

from . import _vocab as V
from ._rand import below, pick

__all__ = ["RENAME_TACTICS", "ShopName", "make_shop_name", "rename", "username_for"]

RENAME_TACTICS = ("name_leet", "name_homoglyph", "name_filler", "name_reorder", "name_new")


@dataclass(frozen=True)
class ShopName:
    """A shop name as parts, so a rename can move, drop or add them.

    ``core`` are the identifying words (personal name, shop words, city); ``pre`` and
    ``post`` are filler words; ``number`` and ``emoji`` are decorations. ``joiner`` is
    " " for most names, "" or "." or "_" for Instagram-like names; ``case`` is one of
    "title", "upper", "lower", "asis".
    """

    core: tuple[str, ...]
    pre: tuple[str, ...] = ()
    post: tuple[str, ...] = ()
    number: str = ""
    emoji: str = ""
    joiner: str = " "
    case: str = "asis"

    def render(self) -> str:
        words = [*self.pre, *self.core, *self.post]
        if self.number:
            if self.joiner == " ":
                words.append(self.number)
            else:
                words[-1] += self.number
        text = self.joiner.join(words)
        if self.case == "upper":
            text = text.upper()
        elif self.case == "lower":
            text = text.lower()
        elif self.case == "title":
            text = " ".join(w[:1].upper() + w[1:] for w in text.split(" "))
        if self.emoji:
            text = f"{self.emoji} {text} {self.emoji}" if len(self.emoji) < 3 else f"{text} {self.emoji}"
        return text


def make_shop_name(
    rng: random.Random,
    *,
    first: str,
    surname: str | None,
    city: tuple[str, tuple[str, ...], str, str],
    use_surname: bool = False,
) -> ShopName:
    """A shop name in one of a dozen Indonesian marketplace styles."""
    style = below(rng, 12)
    abbr = pick(rng, city[1])
    person = surname if (use_surname and surname) else first
    if use_surname and surname and style in (2, 5, 8):
        style = pick(rng, (0, 6, 9))
    if style == 0:
        name = ShopName((person,), post=(pick(rng, V.FILLERS_POST),))
    elif style == 1:
        name = ShopName((person, pick(rng, V.SHOP_WORDS)), post=(pick(rng, V.FILLERS_POST),))
    elif style == 2:
        name = ShopName((pick(rng, V.SHOP_WORDS), pick(rng, V.SHOP_WORDS), city[0]))
    elif style == 3:
        name = ShopName((person.lower(),), post=(pick(rng, ("thrift", "preloved", "store", "shop", "id")),),
                        number=pick(rng, V.NAME_NUMBERS), joiner=pick(rng, (".", "_", "")), case="lower")
    elif style == 4:
        name = ShopName((pick(rng, V.SHOP_WORDS), pick(rng, ("Preloved", "Thrift", "Second", "Bal"))),
                        post=(abbr,), joiner="")
    elif style == 5:
        name = ShopName((pick(rng, V.ENGLISH_WORDS), pick(rng, V.ENGLISH_WORDS)),
                        post=(pick(rng, ("ID", "Co", "Store", "Supply", "Project")),))
    elif style == 6:
        name = ShopName((person, pick(rng, V.SHOP_WORDS)), pre=(pick(rng, V.FILLERS_PRE),))
    elif style == 7:
        name = ShopName((person, pick(rng, V.ENGLISH_WORDS)), post=(abbr,), emoji=pick(rng, V.EMOJI))
    elif style == 8:
        name = ShopName((pick(rng, V.SHOP_WORDS), first), post=(pick(rng, V.FILLERS_POST), abbr))
    elif style == 9:
        name = ShopName((person, pick(rng, ("Thrift", "Preloved", "Second", "Vintage"))), post=(abbr,),
                        case=pick(rng, ("asis", "upper")))
    elif style == 10:
        name = ShopName((f"{first}{pick(rng, ('', 's', 'ku', 'nya'))}", pick(rng, V.ENGLISH_WORDS)),
                        post=(pick(rng, V.FILLERS_POST),), number=pick(rng, ("", "", *V.NAME_NUMBERS)))
    else:
        name = ShopName((pick(rng, V.SHOP_WORDS), person), pre=(pick(rng, ("Thrift", "Preloved", "Distro")),),
                        post=(city[0],))
    if rng.random() < 0.12 and not name.emoji:
        name = replace(name, emoji=pick(rng, V.EMOJI))
    return name


def _leet(text: str, rng: random.Random) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        if low in V.LEET and rng.random() < 0.55:
            out.append(V.LEET[low])
        else:
            out.append(ch)
    if "".join(out) == text:  # guarantee at least one swap when any letter allows it
        spots = [i for i, ch in enumerate(text) if ch.lower() in V.LEET]
        if spots:
            i = pick(rng, spots)
            out[i] = V.LEET[text[i].lower()]
    return "".join(out)


def _homoglyph(text: str, rng: random.Random) -> str:
    out = []
    done = 0
    for ch in text:
        if ch in V.HOMOGLYPHS and rng.random() < 0.5:
            out.append(V.HOMOGLYPHS[ch])
            done += 1
        else:
            out.append(ch)
    if not done:  # guarantee at least one swap when any letter allows it
        for i, ch in enumerate(out):
            if ch in V.HOMOGLYPHS:
                out[i] = V.HOMOGLYPHS[ch]
                break
    # sometimes a zero-width joiner or space as well
    if rng.random() < 0.3 and len(out) > 3:
        pos = 1 + below(rng, len(out) - 1 - 1)
        out.insert(pos, pick(rng, ("\u200b", "\u200c", "\u00ad")))
    return "".join(out)


def rename(
    old: ShopName,
    tactics: list[str],
    rng: random.Random,
    *,
    fresh: ShopName,
    generic: str | None = None,
) -> tuple[ShopName, str | None]:
    """Apply rename tactics to ``old``. Returns the new name and, for "name_new" with a
    generic name, that literal display name (which bypasses :meth:`ShopName.render`).

    ``fresh`` is an entirely different name used by "name_new".
    """
    if "name_new" in tactics:
        if generic is not None:
            return fresh, generic
        return fresh, None
    name = old
    if "name_filler" in tactics:
        pre, post = list(name.pre), list(name.post)
        action = below(rng, 3)
        if action == 0 and (pre or post):  # drop a filler
            if post:
                post.pop(below(rng, len(post)))
            else:
                pre.pop()
        if action in (1, 2) or not (name.pre or name.post):  # add or replace fillers
            choice = pick(rng, V.FILLERS_POST)
            if post and action == 2:
                post[below(rng, len(post))] = choice
            else:
                post.append(choice)
            if rng.random() < 0.3:
                pre = [pick(rng, V.FILLERS_PRE)]
        if rng.random() < 0.3:
            name = replace(name, emoji=pick(rng, V.EMOJI) if not name.emoji else "")
        if rng.random() < 0.3:
            name = replace(name, number=pick(rng, V.NAME_NUMBERS) if not name.number else "")
        name = replace(name, pre=tuple(pre), post=tuple(post))
    if "name_reorder" in tactics:
        words = [*name.core, *name.post]
        if len(words) >= 2:
            i = below(rng, len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
            if words == [*name.core, *name.post]:
                words.reverse()
        name = replace(name, core=tuple(words[: len(name.core)]), post=tuple(words[len(name.core):]))
        if rng.random() < 0.4:
            name = replace(name, joiner=pick(rng, (" ", "", "_", ".")), case=pick(rng, ("asis", "lower", "upper")))
    if "name_leet" in tactics:
        name = replace(name, core=tuple(_leet(w, rng) for w in name.core))
    if "name_homoglyph" in tactics:
        name = replace(name, core=tuple(_homoglyph(w, rng) for w in name.core))
    return name, None


def _shift(text: str, upper: int, lower: int, digit: int | None = None) -> str:
    out = []
    for ch in text:
        if "A" <= ch <= "Z":
            out.append(chr(upper + ord(ch) - 65))
        elif "a" <= ch <= "z":
            out.append(chr(lower + ord(ch) - 97))
        elif digit is not None and "0" <= ch <= "9":
            out.append(chr(digit + ord(ch) - 48))
        else:
            out.append(ch)
    return "".join(out)


def stylise(text: str, rng: random.Random) -> str:
    """Fancy-font shop names innocent sellers use too: math bold, bold italic, sans bold,
    full-width, or letters spaced out."""
    kind = below(rng, 5)
    if kind == 0:
        return _shift(text, 0x1D400, 0x1D41A, 0x1D7CE)  # 𝐁𝐨𝐥𝐝
    if kind == 1:
        return _shift(text, 0x1D468, 0x1D482)  # 𝑩𝒐𝒍𝒅 𝒊𝒕𝒂𝒍𝒊𝒄
    if kind == 2:
        return _shift(text, 0x1D5D4, 0x1D5EE, 0x1D7EC)  # 𝗦𝗮𝗻𝘀
    if kind == 3:
        return _shift(text, 0xFF21, 0xFF41, 0xFF10)  # Ｆｕｌｌ
    return " ".join(text.upper())  # T H R I F T


_UNGLYPH = {v: k for k, v in V.HOMOGLYPHS.items()}


def username_for(display: str, rng: random.Random) -> str:
    """An Instagram/marketplace-like handle derived from a display name (handles are
    ASCII, so a seller types plain letters where the display name had look-alikes)."""
    plain = unicodedata.normalize("NFKC", "".join(_UNGLYPH.get(ch, ch) for ch in display))
    if "   " in plain:  # "T H R I F T   S H O P": letters spaced out, words by three spaces
        plain = " ".join(w.replace(" ", "") for w in plain.split("   "))
    cleaned = "".join(ch for ch in plain.lower() if ch.isascii() and (ch.isalnum() or ch in " ._"))
    words = [w for w in cleaned.replace(".", " ").replace("_", " ").split() if w]
    if not words:
        words = ["toko"]
    sep = pick(rng, ("", "", ".", "_"))
    handle = sep.join(words)[:24]
    if rng.random() < 0.35:
        handle += pick(rng, ("", ".id", "_id", "official", "store", *V.NAME_NUMBERS))
    return handle.strip("._") or "toko"
