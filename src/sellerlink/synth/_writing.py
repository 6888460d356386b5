"""A seller's writing habits and the text they produce (bio, listing titles and descriptions).

A :class:`Style` is chosen once per actor. Everything the actor writes passes through it, so
a comeback account still carries the habits (greeting, sign-off, pet phrases, emoji,
punctuation, casing, abbreviations) even after its product words and sentence order change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from . import _vocab as V

__all__ = ["Style", "Item", "make_style", "make_catalogue", "reword_style", "swap_product_words",
           "render_title", "render_description", "render_bio", "boilerplate_block"]

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


@dataclass(frozen=True)
class Item:
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
    form = rng.randrange(5)
    i, a, d, p = rng.choice(V.INTENSIFIERS), rng.choice(V.ADJECTIVES), rng.choice(V.DEGREES), rng.choice(V.PARTICLES)
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
    n_abbr = rng.choice((0, 2, 5, 9, 14))
    keys = sorted(V.ABBREVIATIONS)
    abbrevs = {k: V.ABBREVIATIONS[k] for k in rng.sample(keys, n_abbr)}
    order = list(SECTIONS[1:-1])
    rng.shuffle(order)
    order = ["head", *order[: rng.randrange(4, len(order) + 1)], "sign"]
    if "item" not in order:
        order.insert(1, "item")
    return Style(
        greeting=rng.choice(V.GREETINGS),
        signoff=rng.choice(V.SIGNOFFS),
        pets=tuple(rng.sample(V.PET_PHRASES, rng.randrange(3, 6))),
        catch=tuple(_catchphrase(rng) for _ in range(rng.randrange(1, 4))),
        emojis=tuple(rng.sample(V.EMOJI, rng.randrange(1, 5))),
        emoji_rate=rng.choice((0.0, 0.1, 0.3, 0.6, 0.9)),
        exclaim=rng.choice(("", "", "!", "!!", "!!!", " !", "~")),
        ellipsis=rng.random() < 0.25,
        space_before=rng.random() < 0.15,
        casing=rng.choice(("lower", "sentence", "sentence", "title", "upper", "asis")),
        title_case=rng.choice(("upper", "title", "title", "lower", "asis")),
        abbrevs=abbrevs,
        neg=rng.choice(V.NEGATIONS),
        bullet=rng.choice(V.BULLETS),
        line_sep=rng.choice(("\n", "\n", "\n", " | ", ". ", " ")),
        measure=rng.randrange(len(V.MEASURE_STYLES)),
        price=rng.randrange(len(V.PRICE_STYLES)),
        size=rng.randrange(len(V.SIZE_STYLES)),
        redup=rng.choice(("2", "2", "-")),
        terms={k: rng.choice(v) for k, v in V.CONCEPTS.items()},
        title_tpl=rng.randrange(8),
        order=tuple(order),
        kak=rng.choice(V.ADDRESS_TERMS),
        greet_kak=rng.random() < 0.7,
        grade=rng.choice(("9/10", "90%", "mulus", "like new", "8,5/10", "95%", "bagus", "oke")),
        chat=rng.choice(("chat aja", "langsung chat", "tanya admin", "DM aja", "hubungi kami", "wa aja", "PM")),
    )


def make_catalogue(
    rng: random.Random, n: int, cats: tuple[str, ...], csv_titles: tuple[str, ...] = ()
) -> list[Item]:
    items = []
    for _ in range(n):
        cat = rng.choice(cats)
        words, sizes, (lo, hi) = V.CATEGORIES[cat]
        csv_title = ""
        if csv_titles and cat != "bal" and rng.random() < 0.3:
            csv_title = rng.choice(csv_titles)
        items.append(
            Item(
                cat=cat,
                word=rng.choice(words),
                brand=rng.choice(V.BRANDS) if cat != "bal" else rng.choice(V.ORIGINS),
                color=rng.choice(V.COLORS),
                size=rng.choice(sizes),
                ld=rng.randrange(44, 66),
                p=rng.randrange(60, 80) if cat not in ("celana", "rok") else rng.randrange(90, 110),
                price_k=int(round(rng.uniform(lo, hi) / 5.0) * 5),
                origin=rng.choice(V.ORIGINS),
                csv_title=csv_title,
            )
        )
    return items


def reword_style(style: Style, rng: random.Random) -> Style:
    """Light rewording: another section order, a third of the pet phrases replaced, maybe
    another greeting. Casing, punctuation, emoji, abbreviations and catchphrases stay."""
    order = list(style.order[1:-1])
    if len(order) >= 2:
        for _ in range(2):
            i, j = rng.randrange(len(order)), rng.randrange(len(order))
            order[i], order[j] = order[j], order[i]
    pets = list(style.pets)
    for k in range(len(pets)):
        if rng.random() < 0.35:
            pets[k] = rng.choice(V.PET_PHRASES)
    return replace(
        style,
        order=("head", *order, "sign"),
        pets=tuple(pets),
        greeting=style.greeting if rng.random() < 0.7 else rng.choice(V.GREETINGS),
        signoff=style.signoff if rng.random() < 0.75 else rng.choice(V.SIGNOFFS),
        title_tpl=style.title_tpl if rng.random() < 0.6 else rng.randrange(8),
    )


def swap_product_words(style: Style, rng: random.Random) -> Style:
    """New product words: the flagged ones ("bekas impor", "bal") give way to evasive ones."""
    terms = dict(style.terms)
    for concept, options in V.EVASIVE.items():
        choices = [w for w in options if w != terms[concept]]
        terms[concept] = rng.choice(choices)
    for concept in ("original", "cheap", "ready"):
        if rng.random() < 0.5:
            terms[concept] = rng.choice(V.CONCEPTS[concept])
    return replace(style, terms=terms)


# ---------------------------------------------------------------------------------------
# rendering


def _habits(line: str, style: Style, rng: random.Random) -> str:
    words = line.split(" ")
    if style.abbrevs:
        words = [style.abbrevs.get(w, w) for w in words]
    text = " ".join(words)
    if style.casing == "lower":
        text = text.lower()
    elif style.casing == "upper":
        text = text.upper()
    elif style.casing == "sentence":
        text = text[:1].upper() + text[1:]
    elif style.casing == "title":
        text = " ".join(w[:1].upper() + w[1:] for w in text.split(" "))
    if style.exclaim and rng.random() < 0.6:
        text += style.exclaim
    elif style.ellipsis and rng.random() < 0.5:
        text += "..."
    if style.space_before and text and text[-1] in "!?.":
        text = text.rstrip("!?.~") + " " + text[len(text.rstrip("!?.~")):]
    if style.emoji_rate and rng.random() < style.emoji_rate:
        text += " " + rng.choice(style.emojis)
    return text


def _t(template: str, style: Style, item: Item | None = None, **extra: str) -> str:
    fmt = dict(style.terms)
    if item is not None:
        fmt.update(cat=item.cat, item=item.word, brand=item.brand, color=item.color)
    fmt.setdefault("cat", "pakaian")
    fmt.update(extra)
    return template.format(**fmt)


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
        return rng.choice((f"dijual {word} {item.brand}", f"{t['ready']} {word}", f"open order {style.kak}"))
    if name == "item":
        if item.cat == "bal":
            return f"{t['bundle']} {item.word} {t['import']} {item.origin}, isi campur {t['original']}"
        return rng.choice((
            f"{item.word} {item.brand} {item.color} {t['used']} {t['original']}",
            f"{item.brand} {item.word} warna {item.color}, {t['used']} {t['import']} ex {item.origin}",
            f"{item.word} {item.brand} {t['original']} ex {item.origin}",
        ))
    if name == "cond":
        return f"{t['condition']} {style.grade}, " + rng.choice(style.pets)
    if name == "size":
        size = V.SIZE_STYLES[style.size].format(s=item.size)
        if item.cat == "bal":
            return size
        return size + " " + V.MEASURE_STYLES[style.measure].format(ld=item.ld, ld2=item.ld * 2, p=item.p)
    if name == "price":
        return _price(item, style) + rng.choice(("", f" {t['cheap']}", " nett", " bisa nego"))
    if name == "pets":
        phrases = rng.sample(style.pets, min(len(style.pets), rng.randrange(1, 3)))
        phrases.append(rng.choice(style.catch))
        rng.shuffle(phrases)
        sep = ", " if style.line_sep != ", " else " "
        text = sep.join(phrases)
        return text.replace("2 ", style.redup + " ") if style.redup != "2" else text
    if name == "ship":
        tpl = rng.choice(V.SHIP_LINES)
        return tpl.format(days=rng.choice(V.DAYS), off=rng.choice(V.DAYS_OFF), hour=rng.choice(("12", "14", "15", "16")),
                          courier=rng.choice(V.COURIERS), pack=rng.choice(V.PACKS), city=city)
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
    lines = []
    order = style.order if not hidden or "contact" in style.order else (*style.order[:-1], "contact", "sign")
    for name in order:
        s = _section(name, item, style, rng, hidden if name == "contact" else None, city)
        if s:
            lines.append(s if (hidden and s == hidden) else _habits(s, style, rng))
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
    about = rng.choice(V.SHOP_ABOUT).format(cat=rng.choice(cats), **t)
    lines = [_greet(style), about]
    k = rng.randrange(1, 3)
    lines.append(", ".join(rng.sample(style.pets, min(k, len(style.pets)))))
    if rng.random() < 0.6:
        lines.append(rng.choice(style.catch))
    if rng.random() < 0.5:
        lines.append(rng.choice(V.SHIP_LINES).format(days=rng.choice(V.DAYS), off=rng.choice(V.DAYS_OFF),
                                                     hour="15", courier=rng.choice(V.COURIERS),
                                                     pack=rng.choice(V.PACKS), city=city))
    if ig and rng.random() < 0.5:
        lines.append(f"IG: {ig}")
    lines = [_habits(x, style, rng) for x in lines]
    if hidden:
        lines.insert(rng.randrange(2, len(lines) + 1), hidden)
    lines.append(_habits(style.signoff, style, rng))
    text = _join(lines, style)
    if boilerplate:
        text = boilerplate + "\n" + text if rng.random() < 0.5 else text + "\n" + boilerplate
    return text


def boilerplate_block(rng: random.Random) -> str:
    """A marketplace template many unrelated sellers paste: 4-7 formal lines."""
    lines = rng.sample(V.BOILERPLATE_LINES, rng.randrange(4, 8))
    bullet = rng.choice(("- ", "• ", "", "* ", "✓ "))
    return "\n".join(bullet + x for x in lines)
