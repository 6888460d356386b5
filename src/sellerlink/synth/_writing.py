"""A seller's writing habits and the text they produce (bio, listing titles and descriptions).

A :class:`Style` is chosen once per actor. Everything the actor writes passes through it, so
a comeback account still carries the habits (greeting, sign-off, pet phrases, emoji,
punctuation, casing, abbreviations) even after its product words and sentence order change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from . import _vocab as V
from ._rand import below, pick

__all__ = [
    "Item",
    "Style",
    "boilerplate_block",
    "make_catalogue",
    "make_style",
    "render_bio",
    "render_description",
    "render_title",
    "reword_style",
    "swap_product_words",
]

SECTIONS = ("head", "item", "cond", "size", "price", "pets", "ship", "contact", "sign")


@dataclass(frozen=True)
class Style:
    greeting: str
    signoff: str
    pets: tuple[str, ...]
    catch: tuple[str, ...]
    emojis: tuple[str, ...]
    emoji_rate: float
    exclaim: str
    ellipsis: bool
    space_before: bool
    casing: str
    title_case: str
    abbrevs: dict[str, str] = field(hash=False)
    neg: str
    bullet: str
    line_sep: str
    measure: int
    price: int
    size: int
    redup: str
    terms: dict[str, str] = field(hash=False)
    title_tpl: int
    order: tuple[str, ...]
    kak: str
    greet_kak: bool
    grade: str
    chat: str


class Item(NamedTuple):
    """One product in an actor's stock (a NamedTuple: cheap to build a million of)."""

    cat: str
    word: str
    brand: str
    color: str
    size: str
    ld: int
    p: int
    price_k: int
    origin: str
    csv_title: str = ""


def _catchphrase(rng: random.Random) -> str:
    form = below(rng, 5)
    i, a, d, p = pick(rng, V.INTENSIFIERS), pick(rng, V.ADJECTIVES), pick(rng, V.DEGREES), pick(rng, V.PARTICLES)
    if form == 0:
        return f"{i} {a} {d} {p}"
    if form == 1:
        return f"{a} {d} {p}"
    if form == 2:
        return f"{i} {a} {p}"
    if form == 3:
        return f"{a} {a} {p}" if rng.random() < 0.5 else f"{a}nya {d}"
    return f"{i} {p}, {a} {d}"


def make_style(rng: random.Random) -> Style:
    n_abbr = pick(rng, (0, 2, 5, 9, 14))
    keys = sorted(V.ABBREVIATIONS)
    abbrevs = {k: V.ABBREVIATIONS[k] for k in rng.sample(keys, n_abbr)}
    order = list(SECTIONS[1:-1])
    rng.shuffle(order)
    order = ["head", *order[: 4 + below(rng, len(order) + 1 - 4)], "sign"]
    if "item" not in order:
        order.insert(1, "item")
    return Style(
        greeting=pick(rng, V.GREETINGS),
        signoff=pick(rng, V.SIGNOFFS),
        pets=tuple(rng.sample(V.PET_PHRASES, 3 + below(rng, 6 - 3))),
        catch=tuple(_catchphrase(rng) for _ in range(1 + below(rng, 4 - 1))),
        emojis=tuple(rng.sample(V.EMOJI, 1 + below(rng, 5 - 1))),
        emoji_rate=pick(rng, (0.0, 0.1, 0.3, 0.6, 0.9)),
        exclaim=pick(rng, ("", "", "!", "!!", "!!!", " !", "~")),
        ellipsis=rng.random() < 0.25,
        space_before=rng.random() < 0.15,
        casing=pick(rng, ("lower", "sentence", "sentence", "title", "upper", "asis")),
        title_case=pick(rng, ("upper", "title", "title", "lower", "asis")),
        abbrevs=abbrevs,
        neg=pick(rng, V.NEGATIONS),
        bullet=pick(rng, V.BULLETS),
        line_sep=pick(rng, ("\n", "\n", "\n", " | ", ". ", " ")),
        measure=below(rng, len(V.MEASURE_STYLES)),
        price=below(rng, len(V.PRICE_STYLES)),
        size=below(rng, len(V.SIZE_STYLES)),
        redup=pick(rng, ("2", "2", "-")),
        terms={k: pick(rng, v) for k, v in V.CONCEPTS.items()},
        title_tpl=below(rng, 8),
        order=tuple(order),
        kak=pick(rng, V.ADDRESS_TERMS),
        greet_kak=rng.random() < 0.7,
        grade=pick(rng, ("9/10", "90%", "mulus", "like new", "8,5/10", "95%", "bagus", "oke")),
        chat=pick(rng, ("chat aja", "langsung chat", "tanya admin", "DM aja", "hubungi kami", "wa aja", "PM")),
    )


def make_catalogue(
    rng: random.Random, n: int, cats: tuple[str, ...], csv_titles: tuple[str, ...] = ()
) -> list[Item]:
    items = []
    rnd = rng.random
    for _ in range(n):
        cat = cats[int(rnd() * len(cats))]
        words, sizes, (lo, hi) = V.CATEGORIES[cat]
        csv_title = ""
        if csv_titles and cat != "bal" and rnd() < 0.3:
            csv_title = pick(rng, csv_titles)
        bottom = cat in ("celana", "rok")
        items.append(
            Item(
                cat,
                words[int(rnd() * len(words))],
                pick(rng, V.BRANDS) if cat != "bal" else pick(rng, V.ORIGINS),
                pick(rng, V.COLORS),
                sizes[int(rnd() * len(sizes))],
                44 + int(rnd() * 22),
                (90 + int(rnd() * 20)) if bottom else (60 + int(rnd() * 20)),
                int(round((lo + (hi - lo) * rnd()) / 5.0) * 5),
                pick(rng, V.ORIGINS),
                csv_title,
            )
        )
    return items


def reword_style(style: Style, rng: random.Random) -> Style:
    """Light rewording: another section order, a third of the pet phrases replaced, maybe
    another greeting. Casing, punctuation, emoji, abbreviations and catchphrases stay."""
    order = list(style.order[1:-1])
    if len(order) >= 2:
        for _ in range(2):
            i, j = below(rng, len(order)), below(rng, len(order))
            order[i], order[j] = order[j], order[i]
    pets = list(style.pets)
    for k in range(len(pets)):
        if rng.random() < 0.35:
            pets[k] = pick(rng, V.PET_PHRASES)
    return replace(
        style,
        order=("head", *order, "sign"),
        pets=tuple(pets),
        greeting=style.greeting if rng.random() < 0.7 else pick(rng, V.GREETINGS),
        signoff=style.signoff if rng.random() < 0.75 else pick(rng, V.SIGNOFFS),
        title_tpl=style.title_tpl if rng.random() < 0.6 else below(rng, 8),
        # re-typed listings: measurements, prices and sizes sometimes written another way
        measure=style.measure if rng.random() < 0.6 else below(rng, len(V.MEASURE_STYLES)),
        price=style.price if rng.random() < 0.6 else below(rng, len(V.PRICE_STYLES)),
        size=style.size if rng.random() < 0.7 else below(rng, len(V.SIZE_STYLES)),
    )


def swap_product_words(style: Style, rng: random.Random) -> Style:
    """New product words: the flagged ones ("bekas impor", "bal") give way to evasive ones."""
    terms = dict(style.terms)
    for concept, options in V.EVASIVE.items():
        choices = [w for w in options if w != terms[concept]]
        terms[concept] = pick(rng, choices)
    for concept in ("original", "cheap", "ready"):
        if rng.random() < 0.5:
            terms[concept] = pick(rng, V.CONCEPTS[concept])
    return replace(style, terms=terms)


# ---------------------------------------------------------------------------------------
# rendering


_SEP = " \x1f "


def _habits(lines: list[str], style: Style, rng: random.Random) -> list[str]:
    """The writer's habits on a batch of lines: abbreviations and casing on the joined
    text (one pass), then per line the punctuation and emoji."""
    text = _SEP.join(lines)
    if style.abbrevs:
        get = style.abbrevs.get
        text = " ".join([get(w, w) for w in text.split(" ")])
    casing = style.casing
    if casing == "lower":
        text = text.lower()
    elif casing == "upper":
        text = text.upper()
    elif casing == "title":
        text = " ".join([w[:1].upper() + w[1:] for w in text.split(" ")])
    out = text.split(_SEP)
    rnd = rng.random
    exclaim, ellipsis, space_before, emoji_rate = style.exclaim, style.ellipsis, style.space_before, style.emoji_rate
    for k, line in enumerate(out):
        if casing == "sentence":
            line = line[:1].upper() + line[1:]
        if exclaim and rnd() < 0.6:
            line += exclaim
        elif ellipsis and rnd() < 0.5:
            line += "..."
        if space_before and line and line[-1] in "!?.":
            stem = line.rstrip("!?.~")
            line = stem + " " + line[len(stem):]
        if emoji_rate and rnd() < emoji_rate:
            line += " " + pick(rng, style.emojis)
        out[k] = line
    return out


def render_title(item: Item, style: Style, rng: random.Random) -> str:
    if item.csv_title and rng.random() < 0.6:
        title = item.csv_title
    else:
        size = V.SIZE_STYLES[style.size].format(s=item.size)
        tpl = style.title_tpl
        t = style.terms
        if item.cat == "bal":
            title = [f"{t['bundle']} {item.word} {item.brand}", f"{t['bundle']} {t['used']} {item.brand} {item.size}",
                     f"{t['bundle']} {t['import']} {item.word} {item.size}", f"grosir {t['bundle']} {item.brand} {t['original']}"][tpl % 4]
        elif tpl == 0:
            title = f"{item.word} {item.brand} {item.color} {size}"
        elif tpl == 1:
            title = f"{item.brand} {item.word} {t['used']} {size}"
        elif tpl == 2:
            title = f"{item.word} {t['used']} {t['import']} {item.brand}"
        elif tpl == 3:
            title = f"[{t['ready']}] {item.word} {item.brand} {size}"
        elif tpl == 4:
            title = f"{item.word} {item.brand} {t['original']} - {item.color}"
        elif tpl == 5:
            e = style.emojis[0]
            title = f"{e} {item.word} {item.brand} {e}"
        elif tpl == 6:
            title = f"{t['used'].upper()} {item.word} {item.brand} {item.color}"
        else:
            title = f"{item.word} {item.brand} {t['original']} {t['used']} {size}"
    if style.title_case == "upper":
        return title.upper()
    if style.title_case == "title":
        return " ".join(w[:1].upper() + w[1:] for w in title.split(" "))
    if style.title_case == "lower":
        return title.lower()
    return title


def _greet(style: Style) -> str:
    return f"{style.greeting} {style.kak}" if style.greet_kak else style.greeting


def _price(item: Item, style: Style) -> str:
    rp = f"{item.price_k * 1000:,}".replace(",", ".")
    return V.PRICE_STYLES[style.price].format(rp=rp, k=item.price_k)


def _section(name: str, item: Item, style: Style, rng: random.Random, hidden: str | None, city: str) -> str | None:
    t = style.terms
    if name == "head":
        if rng.random() < 0.5:
            return _greet(style)
        word = f"{t['bundle']} {item.word}" if item.cat == "bal" else item.word
        return pick(rng, (f"dijual {word} {item.brand}", f"{t['ready']} {word}", f"open order {style.kak}"))
    if name == "item":
        if item.cat == "bal":
            return f"{t['bundle']} {item.word} {t['import']} {item.origin}, isi campur {t['original']}"
        return pick(rng, (
            f"{item.word} {item.brand} {item.color} {t['used']} {t['original']}",
            f"{item.brand} {item.word} warna {item.color}, {t['used']} {t['import']} ex {item.origin}",
            f"{item.word} {item.brand} {t['original']} ex {item.origin}",
        ))
    if name == "cond":
        return f"{t['condition']} {style.grade}, " + pick(rng, style.pets)
    if name == "size":
        size = V.SIZE_STYLES[style.size].format(s=item.size)
        if item.cat == "bal":
            return size
        return size + " " + V.MEASURE_STYLES[style.measure].format(ld=item.ld, ld2=item.ld * 2, p=item.p)
    if name == "price":
        return _price(item, style) + pick(rng, ("", f" {t['cheap']}", " nett", " bisa nego"))
    if name == "pets":
        phrases = rng.sample(style.pets, min(len(style.pets), 1 + below(rng, 3 - 1)))
        phrases.append(pick(rng, style.catch))
        rng.shuffle(phrases)
        sep = ", " if style.line_sep != ", " else " "
        text = sep.join(phrases)
        return text.replace("2 ", style.redup + " ") if style.redup != "2" else text
    if name == "ship":
        tpl = pick(rng, V.SHIP_LINES)
        return tpl.format(days=pick(rng, V.DAYS), off=pick(rng, V.DAYS_OFF), hour=pick(rng, ("12", "14", "15", "16")),
                          courier=pick(rng, V.COURIERS), pack=pick(rng, V.PACKS), city=city)
    if name == "contact":
        if hidden:
            return hidden
        return f"{style.chat} {style.kak}, {style.neg} gigit" if rng.random() < 0.3 else f"minat? {style.chat}"
    if name == "sign":
        return style.signoff + (" " + style.emojis[-1] if style.emoji_rate else "")
    return None


def _join(lines: list[str], style: Style) -> str:
    if style.line_sep == "\n" and style.bullet:
        head, *rest = lines
        return "\n".join([head, *(f"{style.bullet} {x}" for x in rest[:-1]), rest[-1]] if rest else [head])
    return style.line_sep.join(lines)


def render_description(
    item: Item,
    style: Style,
    rng: random.Random,
    *,
    city: str,
    hidden: str | None = None,
    boilerplate: str | None = None,
) -> str:
    order = style.order if not hidden or "contact" in style.order else (*style.order[:-1], "contact", "sign")
    lines = [x for x in (_section(name, item, style, rng, None, city) for name in order) if x]
    lines = _habits(lines, style, rng)
    if hidden:  # the hidden phone goes in as written, untouched by casing or abbreviations
        pos = order.index("contact") if "contact" in order else len(lines) - 1
        lines[min(pos, len(lines) - 1)] = hidden
    text = _join(lines, style)
    if boilerplate:
        text = text + "\n\n" + boilerplate
    return text


def render_bio(
    style: Style,
    rng: random.Random,
    *,
    cats: tuple[str, ...],
    city: str,
    hidden: str | None = None,
    ig: str | None = None,
    boilerplate: str | None = None,
) -> str:
    t = style.terms
    about = pick(rng, V.SHOP_ABOUT).format(cat=pick(rng, cats), **t)
    lines = [_greet(style), about]
    k = 1 + below(rng, 3 - 1)
    lines.append(", ".join(rng.sample(style.pets, min(k, len(style.pets)))))
    if rng.random() < 0.6:
        lines.append(pick(rng, style.catch))
    if rng.random() < 0.5:
        lines.append(pick(rng, V.SHIP_LINES).format(days=pick(rng, V.DAYS), off=pick(rng, V.DAYS_OFF),
                                                     hour="15", courier=pick(rng, V.COURIERS),
                                                     pack=pick(rng, V.PACKS), city=city))
    if ig and rng.random() < 0.5:
        lines.append(f"IG: {ig}")
    lines.append(style.signoff)
    lines = _habits(lines, style, rng)
    if hidden:
        lines.insert(2 + below(rng, len(lines) - 2), hidden)
    text = _join(lines, style)
    if boilerplate:
        text = boilerplate + "\n" + text if rng.random() < 0.5 else text + "\n" + boilerplate
    return text


def boilerplate_block(rng: random.Random) -> str:
    """A marketplace template many unrelated sellers paste: 4-7 formal lines."""
    lines = rng.sample(V.BOILERPLATE_LINES, 4 + below(rng, 8 - 4))
    bullet = pick(rng, ("- ", "• ", "", "* ", "✓ "))
    return "\n".join(bullet + x for x in lines)
