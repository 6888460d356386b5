"""Plan, actors, comeback derivation and the streaming writer of a synthetic marketplace."""

from __future__ import annotations

import csv
import datetime as _dt
import json
import logging
import os
import random
import shutil
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..config import SellerlinkWarning
from . import _contacts as C
from . import _names as N
from . import _photos as P
from . import _vocab as V
from . import _writing as W
from ._rand import below, pick

log = logging.getLogger(__name__)

__all__ = [
    "ALL_TACTICS",
    "DEFAULT_DIFFICULTY_MIX",
    "DIFFICULTIES",
    "Marketplace",
    "SynthConfig",
    "SynthWarning",
    "generate",
    "generate_marketplace",
    "iter_marketplace",
]


class SynthWarning(SellerlinkWarning):
    """The generator had to deviate from what was asked (e.g. too few real photos)."""


NAME_TACTICS = (*N.RENAME_TACTICS, "name_generic")
TEXT_TACTICS = ("product_words", "reword")
KEEP_TACTICS = ("keep_phone", "keep_email", "keep_bank", "keep_link", "keep_address")
CONTACT_TACTICS = ("new_phone", *C.HIDE_TACTICS, *KEEP_TACTICS)
PHOTO_TACTICS = (*P.PHOTO_TACTICS, "photo_new")
ALL_TACTICS: tuple[str, ...] = (*NAME_TACTICS, *TEXT_TACTICS, *CONTACT_TACTICS, *PHOTO_TACTICS)
DIFFICULTIES = ("keeps_contacts", "hidden_contacts", "no_contacts")
DEFAULT_DIFFICULTY_MIX: Mapping[str, float] = {"keeps_contacts": 0.35, "hidden_contacts": 0.25, "no_contacts": 0.40}
TRAP_TYPES = ("stock_photo", "agency_phone", "boilerplate", "generic_name", "household", "namesake")
TRUTH_SCHEMA = "sellerlink.synth.truth/1"
_FASHION = ("Men's Fashion", "Women's Fashion", "Muslim Fashion", "Kids and Baby Fashion")


@dataclass(frozen=True)
class SynthConfig:
    """Every knob of the generator. The defaults make a realistic, adversarial market.

    Rates of traps are fractions of actors; group sizes are inclusive (lo, hi) ranges.
    """

    n_accounts: int = 300
    seed: int = 0
    comeback_rate: float = 0.15
    second_comeback_rate: float = 0.25
    dormant_rate: float = 0.3
    repeat_offender_rate: float = 0.1
    multi_shop_rate: float = 0.03
    difficulty_mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DIFFICULTY_MIX))
    tactics: frozenset[str] = frozenset(ALL_TACTICS)
    stock_photo_rate: float = 0.15
    stock_group_size: tuple[int, int] = (20, 50)
    agency_phone_rate: float = 0.06
    agency_group_size: tuple[int, int] = (20, 40)
    boilerplate_rate: float = 0.12
    boilerplate_group_size: tuple[int, int] = (20, 80)
    generic_name_rate: float = 0.05
    generic_group_size: tuple[int, int] = (8, 40)
    household_rate: float = 0.06
    household_size: tuple[int, int] = (2, 4)
    namesake_rate: float = 0.3
    listings: tuple[int, int] = (2, 5)
    with_photos: bool = True
    photo_size: tuple[int, int] = (320, 400)
    photo_quality: int = 85
    today: str = "2025-06-01"
    chunk_actors: int = 2000

    def __post_init__(self) -> None:
        if not isinstance(self.n_accounts, int) or self.n_accounts < 10:
            raise ValueError(f"n_accounts must be an integer >= 10, got {self.n_accounts!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        for name in ("comeback_rate", "second_comeback_rate", "dormant_rate", "repeat_offender_rate",
                     "multi_shop_rate", "stock_photo_rate", "agency_phone_rate", "boilerplate_rate",
                     "generic_name_rate", "household_rate", "namesake_rate"):
            v = getattr(self, name)
            if not (0.0 <= float(v) <= 1.0):
                raise ValueError(f"{name} must be in [0, 1], got {v!r}")
        if self.comeback_rate > 0.5:
            raise ValueError(f"comeback_rate must be <= 0.5 (innocents are the majority), got {self.comeback_rate}")
        unknown = set(self.tactics) - set(ALL_TACTICS)
        if unknown:
            raise ValueError(f"unknown tactics {sorted(unknown)}; valid: {', '.join(ALL_TACTICS)}")
        object.__setattr__(self, "tactics", frozenset(self.tactics))
        bad = set(self.difficulty_mix) - set(DIFFICULTIES)
        if bad:
            raise ValueError(f"unknown difficulties {sorted(bad)}; valid: {', '.join(DIFFICULTIES)}")
        if any(float(v) < 0 for v in self.difficulty_mix.values()) or sum(self.difficulty_mix.values()) <= 0:
            raise ValueError(f"difficulty_mix needs non-negative weights with a positive sum, got {self.difficulty_mix}")
        for name in ("stock_group_size", "agency_group_size", "boilerplate_group_size", "generic_group_size",
                     "household_size", "listings"):
            lo, hi = getattr(self, name)
            if not (1 <= lo <= hi):
                raise ValueError(f"{name} must be (lo, hi) with 1 <= lo <= hi, got {(lo, hi)}")
        w, h = self.photo_size
        if not (32 <= w <= 4096 and 32 <= h <= 4096):
            raise ValueError(f"photo_size must be within 32..4096 pixels, got {self.photo_size}")
        _dt.date.fromisoformat(self.today)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["tactics"] = sorted(self.tactics)
        d["difficulty_mix"] = dict(self.difficulty_mix)
        out: dict[str, Any] = json.loads(json.dumps(d))  # tuples as lists, exactly as truth.json holds them
        return out


# ---------------------------------------------------------------------------------------
# plan: who exists, who is in which trap group. Whole-market decisions, made with numpy.


@dataclass
class _Plan:
    kind: np.ndarray  # 1 violator, 0 innocent
    n_watch: np.ndarray
    n_live: np.ndarray
    watch_off: np.ndarray
    live_off: np.ndarray
    n_live_total: int
    groups: dict[str, np.ndarray]  # trap type -> group id per actor (-1 none); namesake -> violator actor

    @property
    def n_actors(self) -> int:
        return len(self.kind)


def _split_groups(rng: np.random.Generator, members: np.ndarray, lo: int, hi: int, out: np.ndarray) -> int:
    """Assign ``members`` to consecutive groups of sizes in [lo, hi]; returns the group count."""
    g, i, n = 0, 0, len(members)
    while i < n:
        size = int(rng.integers(lo, hi + 1))
        if n - i - size < lo:  # do not leave a group smaller than lo behind
            size = n - i if n - i <= hi or n - i - size <= 0 else size
        chunk = members[i : i + size]
        if len(chunk) >= 2:
            out[chunk] = g
            g += 1
        i += size
    return g


def _make_plan(cfg: SynthConfig) -> _Plan:
    rng = np.random.default_rng([cfg.seed, 7001])
    n_live = cfg.n_accounts
    target = round(cfg.comeback_rate * n_live)
    counts: list[int] = []
    total = 0
    while total < target:
        c = 2 if rng.random() < cfg.second_comeback_rate else 1
        c = min(c, target - total)
        counts.append(c)
        total += c
    n_active = len(counts)
    n_dormant = round(cfg.dormant_rate * n_active)
    n_inn_accounts = n_live - target
    n_multi = int(cfg.multi_shop_rate * n_inn_accounts / (1 + cfg.multi_shop_rate))
    n_inn = n_inn_accounts - n_multi
    n_viol = n_active + n_dormant
    n = n_viol + n_inn
    kind = np.zeros(n, np.int8)
    kind[:n_viol] = 1
    n_live_arr = np.zeros(n, np.int32)
    n_live_arr[:n_active] = counts
    n_live_arr[n_viol:] = 1
    n_live_arr[n_viol : n_viol + n_multi] = 2
    n_watch = np.zeros(n, np.int32)
    n_watch[:n_viol] = 1 + (rng.random(n_viol) < cfg.repeat_offender_rate)
    perm = rng.permutation(n)
    kind, n_live_arr, n_watch = kind[perm], n_live_arr[perm], n_watch[perm]
    live_off = np.concatenate(([0], np.cumsum(n_live_arr)[:-1])).astype(np.int64)
    watch_off = np.concatenate(([0], np.cumsum(n_watch)[:-1])).astype(np.int64)

    groups: dict[str, np.ndarray] = {}
    viol_idx = np.flatnonzero(kind == 1)
    inn_idx = np.flatnonzero(kind == 0)
    everyone = np.arange(n)
    spec = (
        ("stock_photo", everyone, cfg.stock_photo_rate, cfg.stock_group_size),
        ("agency_phone", inn_idx, cfg.agency_phone_rate, cfg.agency_group_size),
        ("boilerplate", everyone, cfg.boilerplate_rate, cfg.boilerplate_group_size),
        ("generic_name", inn_idx, cfg.generic_name_rate, cfg.generic_group_size),
        ("household", everyone, cfg.household_rate, cfg.household_size),
    )
    for name, eligible, rate, (lo, hi) in spec:
        arr = np.full(n, -1, np.int32)
        m = round(rate * len(eligible))
        if m >= 2:
            members = rng.choice(eligible, size=m, replace=False)
            _split_groups(rng, members, lo, hi, arr)
        groups[name] = arr
    # namesakes: innocents whose shop name is built on a banned seller's name core
    arr = np.full(n, -1, np.int64)
    m = round(cfg.namesake_rate * len(viol_idx))
    free = inn_idx[(groups["generic_name"][inn_idx] < 0) & (groups["household"][inn_idx] < 0)]
    m = min(m, len(free), len(viol_idx))
    if m > 0:
        arr[rng.choice(free, size=m, replace=False)] = rng.choice(viol_idx, size=m, replace=False)
    groups["namesake"] = arr
    return _Plan(kind, n_watch, n_live_arr, watch_off, live_off, int(n_live_arr.sum()), groups)


_M40 = (1 << 40) - 1


def _account_id(seed: int, index: int) -> str:
    """A unique, random-looking id: a bijection of the global index on 40 bits."""
    x = (index + seed * 0x9E3779B1 + 0x5DEECE66D) & _M40
    for mult in (0xD6E8FEB867, 0x94D049BB13):
        x ^= x >> 19
        x = (x * mult) & _M40
    x ^= x >> 21
    return f"u{x:010x}"


# ---------------------------------------------------------------------------------------
# actors


@dataclass
class _Persona:
    actor: int
    kind: int
    first: str
    surname: str | None
    city: tuple[str, tuple[str, ...], str, str]
    name: ShopNameT
    generic: str | None
    style: W.Style
    cats: tuple[str, ...]
    catalogue: list[W.Item]
    phones: list[str]
    phone_fmt: int
    email: str | None
    bank: tuple[str, str, str] | None
    bank_fmt: int
    ig: str | None
    address: dict[str, str] | None
    addr_fmt: int
    platform: str
    wa_link: bool
    own_hidden: str | None  # some innocents write their own phone obfuscated, out of habit


ShopNameT = N.ShopName


@dataclass
class _State:
    """What one account of an actor shows; comebacks are derived from a previous state."""

    name: N.ShopName
    display: str
    style: W.Style
    phones: list[str]
    phone_fmt: int
    email: str | None
    bank: tuple[str, str, str] | None
    bank_fmt: int
    ig: str | None
    address: dict[str, str] | None
    addr_fmt: int
    platform: str
    items: list[int]  # catalogue indices listed
    photos: dict[int, bytes]  # item index -> JPEG bytes shown on this account
    cover: bytes | None
    hidden: str | None = None
    hidden_in_bio: bool = True
    paths: dict[int, str] = field(default_factory=dict)  # item index -> written relative path
    cover_path: str | None = None
    stock_items: set[int] = field(default_factory=set)  # items whose listing showed a supplier photo


class _Photos:
    """Source images: real files in a fixed shuffled order, then drawn ones."""

    def __init__(self, cfg: SynthConfig, files: list[str] | None) -> None:
        self.cfg = cfg
        self.files = list(files or [])
        random.Random(f"{cfg.seed}/photo-pool").shuffle(self.files)
        self.next = 0
        self.exhausted_warned = not self.files
        self.stock_cache: dict[int, list[bytes]] = {}

    def fresh(self, key: tuple[int, ...]) -> bytes:
        cfg = self.cfg
        img = None
        while self.next < len(self.files) and img is None:
            path = self.files[self.next]
            self.next += 1
            try:
                img = P.load_photo(path, cfg.photo_size)
            except (OSError, ValueError) as exc:  # a broken file in the folder: skip it
                log.warning("skipping unreadable photo %s: %s", path, exc)
        if img is None:
            if not self.exhausted_warned:
                self.exhausted_warned = True
                warnings.warn(
                    f"photos_dir has only {len(self.files)} usable photos; drawing the rest procedurally",
                    SynthWarning,
                    stacklevel=2,
                )
            img = P.draw_photo((cfg.seed, *key), cfg.photo_size)
        return P.encode(img, cfg.photo_quality)

    def stock(self, group: int, n: int) -> list[bytes]:
        if group not in self.stock_cache:
            self.stock_cache[group] = [self.fresh((2, group, j)) for j in range(n)]
        return self.stock_cache[group]


@dataclass
class _Supplier:
    """A supplier whose photos and listing texts dropshippers copy (stock-photo trap)."""

    items: list[W.Item]
    texts: list[tuple[str, str]]  # (title, description) as the supplier wrote them


class _Ctx:
    def __init__(self, cfg: SynthConfig, plan: _Plan, csv_titles: tuple[str, ...], photos: _Photos | None) -> None:
        self.cfg = cfg
        self.plan = plan
        self.csv_titles = csv_titles
        self.photos = photos
        self.tactics = cfg.tactics
        self.today = _dt.date.fromisoformat(cfg.today)
        self.suppliers: dict[int, _Supplier] = {}
        ns = plan.groups["namesake"]
        self.namesake_targets = frozenset(int(x) for x in ns[ns >= 0])


def _supplier(ctx: _Ctx, g: int) -> _Supplier:
    if g not in ctx.suppliers:
        r = random.Random(f"{ctx.cfg.seed}/supplier/{g}")
        style = W.make_style(r)
        pool = tuple(k for k in V.CATEGORIES if k != "bal")
        items = W.make_catalogue(r, 4 + below(r, 4), tuple(r.sample(pool, 2)))
        city = pick(r, V.CITIES)[0]
        texts = [(W.render_title(it, style, r), W.render_description(it, style, r, city=city)) for it in items]
        if len(ctx.suppliers) > 4096:  # bounded memory on huge markets; rebuilt on demand, same result
            ctx.suppliers.clear()
        ctx.suppliers[g] = _Supplier(items, texts)
    return ctx.suppliers[g]


def _household(ctx: _Ctx, hh: int) -> tuple[str, tuple[str, tuple[str, ...], str, str], dict[str, str]]:
    r = random.Random(f"{ctx.cfg.seed}/household/{hh}")
    city = r.choice(V.CITIES)
    return r.choice(V.SURNAMES), city, C.new_address(r, city)


def _generic_name(ctx: _Ctx, g: int, rng: random.Random) -> str:
    base = V.GENERIC_NAMES[random.Random(f"{ctx.cfg.seed}/generic/{g}").randrange(len(V.GENERIC_NAMES))]
    roll = rng.random()
    if roll < 0.55:
        return base
    if roll < 0.7:
        return base.upper()
    if roll < 0.8:
        return f"{base} {pick(rng, V.NAME_NUMBERS)}"
    if roll < 0.9:
        return f"{pick(rng, V.EMOJI)} {base}"
    return f"{base} {pick(rng, ('Official', 'ID', 'Store', '2'))}"


def _persona(ctx: _Ctx, a: int) -> _Persona:
    cfg, plan = ctx.cfg, ctx.plan
    rng = random.Random(f"{cfg.seed}/persona/{a}")
    kind = int(plan.kind[a])
    hh = int(plan.groups["household"][a])
    first = pick(rng, V.FIRST_NAMES)
    surname = pick(rng, V.SURNAMES) if rng.random() < 0.5 else None
    city = pick(rng, V.CITIES)
    address = C.new_address(rng, city) if rng.random() < (0.45 if kind == 0 else 0.5) else None
    use_surname = False
    if hh >= 0:
        surname, city, address = _household(ctx, hh)
        use_surname = rng.random() < 0.6
    name = N.make_shop_name(rng, first=first, surname=surname, city=city, use_surname=use_surname)
    ns = int(plan.groups["namesake"][a])
    if ns >= 0:
        core = _persona(ctx, ns).name.core
        name = N.ShopName(core, post=(pick(rng, V.FILLERS_POST),), case=pick(rng, ("asis", "title", "upper")),
                          emoji=pick(rng, ("", "", pick(rng, V.EMOJI))))
    g = int(plan.groups["generic_name"][a])
    generic = _generic_name(ctx, g, rng) if g >= 0 else None
    style = W.make_style(rng)
    pool = tuple(k for k in V.CATEGORIES if k != "bal")
    cats = tuple(rng.sample(pool, 1 + below(rng, 4 - 1)))
    if rng.random() < (0.5 if kind == 1 else 0.12):
        cats = (*cats, "bal")
    # enough stock for the first shop plus what a comeback or second shop adds
    catalogue = W.make_catalogue(rng, cfg.listings[1] + (4 if kind == 1 else 2), cats, ctx.csv_titles)
    phones = [C.new_phone(rng)]
    if rng.random() < 0.12:
        phones.append(C.new_phone(rng))
    holder = f"{first} {surname}" if surname else first
    email = C.new_email(rng, first, surname, name.core[0]) if rng.random() < (0.65 if kind else 0.5) else None
    bank = None
    if rng.random() < (0.75 if kind else 0.5):
        bank = C.new_bank(rng, holder, phones[0] if rng.random() < 0.2 else None)
    ig = N.username_for(name.render(), rng) if rng.random() < 0.6 else None
    own_hidden = None
    if kind == 0 and rng.random() < 0.08:
        own_hidden = C.hide_phone(phones[0], pick(rng, C.HIDE_TACTICS), rng)
    return _Persona(
        actor=a, kind=kind, first=first, surname=surname, city=city, name=name, generic=generic, style=style,
        cats=cats, catalogue=catalogue, phones=phones, phone_fmt=below(rng, C.N_PHONE_FORMATS), email=email,
        bank=bank, bank_fmt=below(rng, C.N_BANK_FORMATS), ig=ig, address=address,
        addr_fmt=below(rng, C.N_ADDRESS_FORMATS), platform=pick(rng, V.PLATFORMS),
        wa_link=rng.random() < 0.3, own_hidden=own_hidden,
    )


def _first_state(ctx: _Ctx, p: _Persona, rng: random.Random) -> _State:
    lo, hi = ctx.cfg.listings
    n_items = rng.randint(lo, hi)
    items = list(range(n_items))
    photos: dict[int, bytes] = {}
    cover = None
    if ctx.photos is not None:
        photos = {i: ctx.photos.fresh((1, p.actor, i)) for i in items}
        cover = ctx.photos.fresh((1, p.actor, 100))
    display = p.generic if p.generic is not None else p.name.render()
    if p.kind == 0 and p.generic is None and rng.random() < 0.04:
        # decoy: innocents with stylised Unicode names, so odd characters alone prove nothing
        display = N.stylise(display, rng)
    return _State(
        name=p.name, display=display, style=p.style, phones=list(p.phones), phone_fmt=p.phone_fmt, email=p.email,
        bank=p.bank, bank_fmt=p.bank_fmt, ig=p.ig, address=p.address, addr_fmt=p.addr_fmt, platform=p.platform,
        items=items, photos=photos, cover=cover, hidden=p.own_hidden, hidden_in_bio=True,
    )


def _pick(rng: random.Random, weights: Mapping[str, float], allowed: Iterable[str]) -> str | None:
    opts = [(k, float(weights[k])) for k in allowed if float(weights.get(k, 0)) > 0]
    if not opts:
        return None
    total = sum(w for _, w in opts)
    x = rng.random() * total
    for k, w in opts:
        x -= w
        if x < 0:
            return k
    return opts[-1][0]


_NAME_WEIGHTS = {"name_new": 0.22, "name_generic": 0.06, "name_filler": 0.32, "name_reorder": 0.14,
                 "name_leet": 0.14, "name_homoglyph": 0.12}


def _derive(
    ctx: _Ctx, p: _Persona, old: _State, rng: random.Random, *, difficulty: str | None
) -> tuple[_State, dict[str, Any]]:
    """A comeback account of ``p`` from its banned state ``old``. ``difficulty`` None means
    a legitimate second shop of an innocent (same contacts, same photos, new name)."""
    E = ctx.tactics
    applied: set[str] = set()
    kept: dict[str, Any] = {"phone": None, "email": False, "bank": False, "link": False, "address": False}
    # --- name
    if difficulty is None:
        fresh = N.make_shop_name(rng, first=p.first, surname=p.surname, city=p.city)
        name, display = fresh, fresh.render()
    else:
        primary = _pick(rng, _NAME_WEIGHTS, [t for t in _NAME_WEIGHTS if t in E])
        name_tactics: list[str] = []
        if primary is not None:
            name_tactics.append(primary)
            if primary not in ("name_new", "name_generic"):
                for t in ("name_filler", "name_reorder", "name_leet", "name_homoglyph"):
                    if t != primary and t in E and rng.random() < 0.2:
                        name_tactics.append(t)
        first = p.first if rng.random() < 0.4 else pick(rng, V.FIRST_NAMES)
        fresh = N.make_shop_name(rng, first=first, surname=p.surname, city=p.city)
        if "name_generic" in name_tactics:
            g = below(rng, len(V.GENERIC_NAMES))
            name, display = fresh, V.GENERIC_NAMES[g] if rng.random() < 0.6 else f"{V.GENERIC_NAMES[g]} {pick(rng, V.NAME_NUMBERS)}"
        else:
            name, literal = N.rename(old.name, name_tactics, rng, fresh=fresh)
            display = literal or name.render()
            if display == old.display:  # a comeback never reuses the banned name verbatim
                display = display.upper() if display != display.upper() else display.title()
        applied.update(name_tactics)
    # --- text
    style = old.style
    if difficulty is not None:
        if "product_words" in E and rng.random() < 0.7:
            style = W.swap_product_words(style, rng)
            applied.add("product_words")
        if "reword" in E and rng.random() < 0.85:
            style = W.reword_style(style, rng)
            applied.add("reword")
    # --- contacts
    phones, email, bank, ig, address = list(old.phones), old.email, old.bank, old.ig, old.address
    hidden, hidden_in_bio = old.hidden, old.hidden_in_bio
    phone_fmt, bank_fmt, addr_fmt = old.phone_fmt, old.bank_fmt, old.addr_fmt
    if difficulty is not None:
        hidden = None
        keep: list[str] = []
        if difficulty == "keeps_contacts":
            feasible = [t for t in KEEP_TACTICS if t in E and _has(old, t)]
            keep = rng.sample(feasible, min(len(feasible), pick(rng, (1, 1, 2, 2, 3))))
        new_phone = C.new_phone(rng)
        phones = []
        if "keep_phone" in keep:
            phones.append(old.phones[0])
            phone_fmt = below(rng, C.N_PHONE_FORMATS)
            kept["phone"] = "contact"
        if "new_phone" in E and (not phones or rng.random() < 0.4):
            phones.append(new_phone)
            applied.add("new_phone")
        hide_opts = [t for t in C.HIDE_TACTICS if t in E]
        if hide_opts and old.phones and (difficulty == "hidden_contacts" or (difficulty == "keeps_contacts" and not kept["phone"]
                                                              and rng.random() < 0.3)):
            t = pick(rng, hide_opts)
            hidden = C.hide_phone(old.phones[0], t, rng)
            hidden_in_bio = rng.random() < 0.65
            applied.add(t)
            kept["phone"] = "hidden"
            kept["hidden_text"] = hidden
        email = C.email_variant(old.email, rng) if "keep_email" in keep and old.email else (
            C.new_email(rng, pick(rng, V.FIRST_NAMES), None, pick(rng, V.SHOP_WORDS)) if old.email and rng.random() < 0.7 else None)
        kept["email"] = "keep_email" in keep
        if "keep_bank" in keep:
            bank_fmt = (bank_fmt + 1 + below(rng, C.N_BANK_FORMATS - 1)) % C.N_BANK_FORMATS
            kept["bank"] = True
        elif old.bank and rng.random() < 0.6:  # a relative's account
            holder = f"{pick(rng, V.FIRST_NAMES)} {pick(rng, V.SURNAMES)}"
            bank = C.new_bank(rng, holder, new_phone if rng.random() < 0.2 else None)
        else:
            bank = None
        if "keep_link" in keep:
            ig = old.ig if rng.random() < 0.6 else f"{old.ig}{pick(rng, ('_', '.id', '2', '_official', '.new'))}"
            kept["link"] = True
        else:
            ig = N.username_for(display, rng) if rng.random() < 0.6 else None
        if "keep_address" in keep:
            addr_fmt = (addr_fmt + 1 + below(rng, C.N_ADDRESS_FORMATS - 1)) % C.N_ADDRESS_FORMATS
            kept["address"] = True
        else:
            address = C.new_address(rng, pick(rng, V.CITIES)) if rng.random() < 0.4 else None
        applied.update(keep)
    # --- listings and photos
    lo, hi = ctx.cfg.listings
    n_old = len(old.items)
    same = rng.sample(old.items, max(1, min(n_old, round(rng.uniform(0.4, 0.8) * n_old))))
    photo_pairs: list[dict[str, Any]] = []
    photos: dict[int, bytes] = {}
    cover = None
    allow_new = difficulty is None or "photo_new" in E
    if allow_new:
        unused = [i for i in range(len(p.catalogue)) if i not in old.items]
        rng.shuffle(unused)
        n_total = rng.randint(max(lo, len(same)), max(hi, len(same)))
        items = same + unused[: max(0, n_total - len(same))]
        rng.shuffle(items)
    else:
        items = list(same)
    if ctx.photos is not None:
        if difficulty is None:  # same owner, same photos, byte for byte
            photos = {i: old.photos[i] if i in old.photos else ctx.photos.fresh((3, p.actor, i)) for i in items}
            cover = old.cover
        else:
            ops = [t for t in P.PHOTO_TACTICS if t in E]
            shown = [i for i in same if i not in old.stock_items]
            if allow_new:
                k = 0 if (rng.random() < 0.08 or not shown) else rng.randint(1, min(3, len(shown)))
            else:
                k = len(shown)
            reuse = set(rng.sample(shown, k))
            for i in items:
                if i in reuse:
                    chosen = _photo_ops(rng, ops)
                    img, q, params = P.transform(P.decode(old.photos[i]), chosen, rng, watermark=display)
                    photos[i] = P.encode(img, q)
                    applied.update(chosen)
                    photo_pairs.append({"item": i, "ops": params, "tactics": chosen})
                else:
                    photos[i] = ctx.photos.fresh((4, p.actor, i))
            if allow_new:
                cover = ctx.photos.fresh((5, p.actor, below(rng, 1 << 30)))
                if len(items) > len(reuse):
                    applied.add("photo_new")
            elif old.cover is not None:
                chosen = _photo_ops(rng, ops)
                img, q, params = P.transform(P.decode(old.cover), chosen, rng, watermark=display)
                cover = P.encode(img, q)
                applied.update(chosen)
                photo_pairs.append({"item": "cover", "ops": params, "tactics": chosen})
    platform = old.platform if rng.random() < 0.75 else pick(rng, V.PLATFORMS)
    state = _State(
        name=name, display=display, style=style, phones=phones, phone_fmt=phone_fmt, email=email, bank=bank,
        bank_fmt=bank_fmt, ig=ig, address=address, addr_fmt=addr_fmt, platform=platform, items=items,
        photos=photos, cover=cover, hidden=hidden, hidden_in_bio=hidden_in_bio,
    )
    info = {"tactics": sorted(applied), "kept": kept, "photo_pairs": photo_pairs,
            "reused_items": len(same)}
    return state, info


def _photo_ops(rng: random.Random, ops: list[str]) -> list[str]:
    if not ops:
        return []
    chosen = rng.sample(ops, min(len(ops), pick(rng, (1, 2, 2, 3))))
    if "photo_crop" in ops and "photo_crop" not in chosen and rng.random() < 0.5:
        chosen.append("photo_crop")  # crops are the common case and the hard one
    return [t for t in P.PHOTO_TACTICS if t in chosen]


def _has(s: _State, tactic: str) -> bool:
    return {
        "keep_phone": bool(s.phones),
        "keep_email": s.email is not None,
        "keep_bank": s.bank is not None,
        "keep_link": s.ig is not None,
        "keep_address": s.address is not None,
    }[tactic]


def _feasible_difficulties(ctx: _Ctx, s: _State) -> list[str]:
    E = ctx.tactics
    out = ["no_contacts"]
    if any(t in E and _has(s, t) for t in KEEP_TACTICS):
        out.append("keeps_contacts")
    if any(t in E for t in C.HIDE_TACTICS) and s.phones:
        out.append("hidden_contacts")
    return out


# ---------------------------------------------------------------------------------------
# rendering a state into an account record


def _render(ctx: _Ctx, p: _Persona, s: _State, account_id: str, created: _dt.date, rng: random.Random,
            extra: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    style = s.style
    city = (s.address or {}).get("city") or p.city[0]
    plan = ctx.plan
    bp_group = int(plan.groups["boilerplate"][p.actor])
    boiler = None
    if bp_group >= 0:
        boiler = W.boilerplate_block(random.Random(f"{ctx.cfg.seed}/boilerplate/{bp_group}"))
    ig_text = None
    if s.ig:
        ig_text = "@" + s.ig
    files: list[tuple[str, bytes]] = []
    listings = []
    with_photos = ctx.photos is not None
    stock_group = int(plan.groups["stock_photo"][p.actor])
    stock_slots: dict[int, int] = {}  # listing position -> supplier item
    sup = None
    if stock_group >= 0:
        # a dropshipper lists some of the supplier's products with the supplier's photo,
        # often with the supplier's own title and description pasted in
        sup = _supplier(ctx, stock_group)
        n_stock = rng.randint(1, min(3, len(s.items)))
        stock_slots = dict(zip(rng.sample(range(len(s.items)), n_stock), rng.sample(range(len(sup.items)), n_stock)))
    stock = ctx.photos.stock(stock_group, len(sup.items)) if (ctx.photos is not None and sup is not None) else []
    hidden_listing = None
    if s.hidden and not s.hidden_in_bio:
        own = [i for k, i in enumerate(s.items) if k not in stock_slots]  # never in a pasted supplier text
        hidden_listing = pick(rng, own) if own else None
    in_bio = s.hidden if (s.hidden_in_bio or hidden_listing is None) else None
    bio = W.render_bio(style, rng, cats=p.cats, city=city, hidden=in_bio,
                       ig=ig_text, boilerplate=boiler if (boiler and rng.random() < 0.6) else None)
    prng = random.Random(f"{ctx.cfg.seed}/photo-copy/{account_id}")
    for k, i in enumerate(s.items):
        item = p.catalogue[i]
        if k in stock_slots and sup is not None:
            s.stock_items.add(i)
            j = stock_slots[k]
            if rng.random() < 0.55:
                title, desc = sup.texts[j]
            else:
                title = W.render_title(sup.items[j], style, rng)
                desc = W.render_description(sup.items[j], style, rng, city=city)
        else:
            desc = W.render_description(item, style, rng, city=city,
                                        hidden=s.hidden if hidden_listing == i else None,
                                        boilerplate=boiler if (boiler and rng.random() < 0.5) else None)
            title = W.render_title(item, style, rng)
        lst: dict[str, Any] = {"title": title, "description": desc, "photos": []}
        if with_photos:
            rel = f"photos/{account_id}/{k}.jpg"
            if k in stock_slots:
                data = stock[stock_slots[k]]
                if prng.random() < 0.5:  # lightly re-encoded copy of the supplier photo
                    data = P.encode(P.decode(data), 70 + below(prng, 92 - 70))
            else:
                data = s.photos[i]
                s.paths[i] = rel
            files.append((rel, data))
            lst["photos"] = [rel]
        listings.append(lst)
    photos: list[str] = []
    if with_photos and s.cover is not None:
        rel = f"photos/{account_id}/cover.jpg"
        files.append((rel, s.cover))
        s.cover_path = rel
        photos = [rel]
    phones = [C.format_phone(x, s.phone_fmt if j == 0 else below(rng, C.N_PHONE_FORMATS))
              for j, x in enumerate(s.phones)]
    agency = int(plan.groups["agency_phone"][p.actor])
    links: list[str] = []
    if agency >= 0:
        nsn = C.new_phone(random.Random(f"{ctx.cfg.seed}/agency/{agency}"))
        agency_txt = C.format_phone(nsn, below(rng, C.N_PHONE_FORMATS))
        phones = [agency_txt] + (phones[:1] if rng.random() < 0.4 else [])
        if rng.random() < 0.3:
            links.append(f"https://wa.me/62{nsn}")
        extra["agency_phone"] = nsn
    if s.ig:
        links.append(pick(rng, (f"https://instagram.com/{s.ig}", f"instagram.com/{s.ig}", f"@{s.ig}",
                                 f"https://www.instagram.com/{s.ig}/")))
    if p.wa_link and s.phones and agency < 0 and s.phones[0] in p.phones:
        links.append(f"https://wa.me/62{s.phones[0]}")
    if rng.random() < 0.15:
        links.append(f"https://tiktok.com/@{N.username_for(s.display, rng)}")
    record = {
        "account_id": account_id,
        "platform": s.platform,
        "created_at": created.isoformat(),
        "display_name": s.display,
        "username": N.username_for(s.display, rng),
        "bio": bio,
        "listings": listings,
        "photos": photos,
        "phones": phones,
        "emails": [s.email] if s.email else [],
        "links": links,
        "bank_accounts": [C.format_bank(s.bank, s.bank_fmt)] if s.bank else [],
        "addresses": [C.format_address(s.address, s.addr_fmt)] if s.address else [],
    }
    return record, files


# ---------------------------------------------------------------------------------------
# generation, one chunk of actors at a time


@dataclass
class _Chunk:
    watch: list[tuple[dict[str, Any], list[tuple[str, bytes]]]] = field(default_factory=list)
    live: list[tuple[dict[str, Any], list[tuple[str, bytes]]]] = field(default_factory=list)
    accounts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    actors: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    comebacks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    traps: list[tuple[str, int, str]] = field(default_factory=list)  # (type, group, account id)


def _days_before(today: _dt.date, lo: int, hi: int, rng: random.Random) -> _dt.date:
    return today - _dt.timedelta(days=rng.randint(lo, hi))


def _actor_accounts(ctx: _Ctx, a: int, chunk: _Chunk) -> None:
    cfg, plan = ctx.cfg, ctx.plan
    p = _persona(ctx, a)
    actor_id = f"a{a}"
    rng = random.Random(f"{cfg.seed}/accounts/{a}")
    watch_ids = [_account_id(cfg.seed, plan.n_live_total + int(plan.watch_off[a]) + j) for j in range(int(plan.n_watch[a]))]
    live_ids = [_account_id(cfg.seed, int(plan.live_off[a]) + j) for j in range(int(plan.n_live[a]))]
    traps = {t: int(plan.groups[t][a]) for t in TRAP_TYPES if t != "namesake"}
    ns = int(plan.groups["namesake"][a])
    if ns < 0 and a in ctx.namesake_targets:
        ns = a  # the banned shop whose name an innocent shares

    def note(acc: str, role: str, listname: str, extra: dict[str, Any]) -> None:
        chunk.accounts.append((acc, {"actor": actor_id, "role": role, "list": listname}))
        for t, g in traps.items():
            if g >= 0:
                chunk.traps.append((t, g, acc))
        if ns >= 0:
            chunk.traps.append(("namesake", ns, acc))

    state = _first_state(ctx, p, rng)
    if p.kind == 1:
        first_ban = _days_before(ctx.today, 150, 2000, rng)
        states = []
        watch_dates = [first_ban]
        for j, wid in enumerate(watch_ids):
            if j > 0:
                diff = pick(rng, _feasible_difficulties(ctx, state))
                state, _ = _derive(ctx, p, state, rng, difficulty=diff)
                watch_dates.append(_days_before(ctx.today, 60, max(61, (ctx.today - watch_dates[-1]).days - 1), rng))
            extra: dict[str, Any] = {}
            rec, files = _render(ctx, p, state, wid, watch_dates[j], rng, extra)
            chunk.watch.append((rec, files))
            note(wid, "watchlist", "watchlist", extra)
            states.append(state)
        last = states[-1]
        for lid in live_ids:
            feasible = _feasible_difficulties(ctx, last)
            diff = _pick(rng, cfg.difficulty_mix, feasible) or "no_contacts"
            new, info = _derive(ctx, p, last, rng, difficulty=diff)
            extra = {}
            rec, files = _render(ctx, p, new, lid, _days_before(ctx.today, 1, 45, rng), rng, extra)
            chunk.live.append((rec, files))
            note(lid, "comeback", "accounts", extra)
            pairs = []
            for pp in info["photo_pairs"]:
                if pp["item"] == "cover":
                    old_path, new_path = last.cover_path, new.cover_path
                else:
                    old_path, new_path = last.paths.get(pp["item"]), new.paths.get(pp["item"])
                if old_path and new_path:
                    pairs.append({"old": old_path, "new": new_path, "ops": pp["ops"]})
            chunk.comebacks.append((lid, {
                "actor": actor_id, "violators": list(watch_ids), "parent": watch_ids[-1], "difficulty": diff,
                "tactics": info["tactics"], "kept": info["kept"], "photo_pairs": pairs,
                "shared_items": info["reused_items"],
            }))
    else:
        for j, lid in enumerate(live_ids):
            if j > 0:
                state, _ = _derive(ctx, p, state, rng, difficulty=None)
            recent = rng.random() < 0.15
            created = _days_before(ctx.today, 1, 60, rng) if recent else _days_before(ctx.today, 61, 2500, rng)
            extra = {}
            rec, files = _render(ctx, p, state, lid, created, rng, extra)
            chunk.live.append((rec, files))
            note(lid, "innocent", "accounts", extra)
    chunk.actors.append((actor_id, {
        "kind": "violator" if p.kind == 1 else "innocent",
        "watchlist": watch_ids,
        "live": live_ids,
        "household": traps["household"] if traps["household"] >= 0 else None,
    }))


def _load_csv_titles(path: str | os.PathLike[str] | None) -> tuple[str, ...]:
    if path is None:
        return ()
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"text_csv is not a file: {p}")
    titles: dict[str, None] = {}
    with open(p, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "Product Name" not in reader.fieldnames:
            raise ValueError(f"text_csv needs a 'Product Name' column (PRDECT-ID layout): {p}")
        for row in reader:
            if row.get("Category") in _FASHION:
                t = " ".join((row.get("Product Name") or "").split())[:90]
                if t:
                    titles.setdefault(t, None)
    return tuple(titles)


def _make_ctx(
    cfg: SynthConfig, photos_dir: str | os.PathLike[str] | None, text_csv: str | os.PathLike[str] | None
) -> _Ctx:
    plan = _make_plan(cfg)
    files = P.list_photo_files(photos_dir) if (photos_dir is not None and cfg.with_photos) else None
    photos = _Photos(cfg, files) if cfg.with_photos else None
    return _Ctx(cfg, plan, _load_csv_titles(text_csv), photos)


def _build_chunk(ctx: _Ctx, start: int) -> _Chunk:
    cfg = ctx.cfg
    chunk = _Chunk()
    for a in range(start, min(start + cfg.chunk_actors, ctx.plan.n_actors)):
        _actor_accounts(ctx, a, chunk)
    r = random.Random(f"{cfg.seed}/chunk/{start}")
    r.shuffle(chunk.watch)
    r.shuffle(chunk.live)
    return chunk


def iter_marketplace(
    cfg: SynthConfig,
    *,
    photos_dir: str | os.PathLike[str] | None = None,
    text_csv: str | os.PathLike[str] | None = None,
) -> Iterator[_Chunk]:
    """The market as chunks of actors, each chunk's records shuffled. Pure given ``cfg``."""
    ctx = _make_ctx(cfg, photos_dir, text_csv)
    for start in range(0, ctx.plan.n_actors, cfg.chunk_actors):
        yield _build_chunk(ctx, start)


@dataclass
class _Serialized:
    """A chunk as the text the writer appends (built in a worker process when parallel)."""

    watch: list[tuple[str, list[tuple[str, bytes]]]]
    live: list[tuple[str, list[tuple[str, bytes]]]]
    parts: dict[str, str]
    n_parts: dict[str, int]
    n_comebacks: int
    traps: list[tuple[str, int, str]]


def _serialize(chunk: _Chunk) -> _Serialized:
    parts, n_parts = {}, {}
    for key, items in (("accounts", chunk.accounts), ("actors", chunk.actors), ("comebacks", chunk.comebacks)):
        parts[key] = ",\n".join(_dumps(k) + ":" + _dumps(v) for k, v in items)
        n_parts[key] = len(items)
    return _Serialized(
        watch=[(_dumps(rec), files) for rec, files in chunk.watch],
        live=[(_dumps(rec), files) for rec, files in chunk.live],
        parts=parts,
        n_parts=n_parts,
        n_comebacks=len(chunk.comebacks),
        traps=chunk.traps,
    )


_WORKER_CTX: _Ctx | None = None  # set in the parent before forking; read by workers


def _worker_chunk(start: int) -> _Serialized:
    assert _WORKER_CTX is not None
    return _serialize(_build_chunk(_WORKER_CTX, start))


def _iter_serialized(ctx: _Ctx, workers: int) -> Iterator[_Serialized]:
    starts = range(0, ctx.plan.n_actors, ctx.cfg.chunk_actors)
    if workers <= 1 or len(starts) <= 1:
        for start in starts:
            yield _serialize(_build_chunk(ctx, start))
        return
    import multiprocessing as mp

    global _WORKER_CTX
    _WORKER_CTX = ctx
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            # imap keeps chunk order, so the output does not depend on the number of workers
            yield from pool.imap(_worker_chunk, starts, chunksize=1)
    finally:
        _WORKER_CTX = None


# ---------------------------------------------------------------------------------------
# public entry points


@dataclass(frozen=True)
class Marketplace:
    """What :func:`generate_marketplace` wrote, with counts and the time it took."""

    out_dir: Path
    watchlist_path: Path
    accounts_path: Path
    truth_path: Path
    photos_dir: Path | None
    n_watchlist: int
    n_accounts: int
    n_comebacks: int
    n_photos: int
    seconds: float

    def load_truth(self) -> Any:
        from ..evaluate import load_truth

        return load_truth(self.truth_path)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _traps_json(trap_members: dict[tuple[str, int], list[str]], plan_cfg: SynthConfig) -> list[dict[str, Any]]:
    out = []
    for (t, g), accs in sorted(trap_members.items()):
        if len(accs) < 2:
            continue
        out.append({"type": t, "group": f"{t}:{g}", "accounts": accs})
    return out


def _config(
    n_accounts: int, seed: int, with_photos: bool, comeback_rate: float | None, tactics: Iterable[str] | None,
    difficulty_mix: Mapping[str, float] | None, photo_size: tuple[int, int] | None, config: SynthConfig | None,
) -> SynthConfig:
    base = config or SynthConfig()
    changes: dict[str, Any] = {"n_accounts": n_accounts, "seed": seed, "with_photos": with_photos}
    if comeback_rate is not None:
        changes["comeback_rate"] = comeback_rate
    if tactics is not None:
        if isinstance(tactics, str):
            raise ValueError("tactics must be a collection of tactic names, not a string")
        changes["tactics"] = frozenset(tactics)
    if difficulty_mix is not None:
        changes["difficulty_mix"] = dict(difficulty_mix)
    if photo_size is not None:
        changes["photo_size"] = tuple(photo_size)
    return replace(base, **changes)


def _is_synth_output(out: Path) -> bool:
    try:
        with open(out / "truth.json", encoding="utf-8") as fh:
            return f'"schema":"{TRUTH_SCHEMA}"' in fh.read(200)
    except OSError:
        return False


def generate_marketplace(
    out_dir: str | os.PathLike[str],
    *,
    n_accounts: int = 300,
    seed: int = 0,
    photos_dir: str | os.PathLike[str] | None = None,
    text_csv: str | os.PathLike[str] | None = None,
    with_photos: bool = True,
    comeback_rate: float | None = None,
    tactics: Iterable[str] | None = None,
    difficulty_mix: Mapping[str, float] | None = None,
    photo_size: tuple[int, int] | None = None,
    config: SynthConfig | None = None,
    workers: int = 1,
) -> Marketplace:
    """Write a synthetic marketplace into ``out_dir`` (streaming; memory stays flat).

    Files: ``watchlist.jsonl`` (banned accounts), ``accounts.jsonl`` (today's accounts),
    ``photos/<account_id>/*.jpg`` and ``truth.json``. Explicit keyword arguments override
    the fields of ``config``. Same arguments, same bytes, whatever ``workers`` is
    (``workers`` > 1 forks processes for chunks of actors; with ``photos_dir`` it stays 1,
    since real photos are handed out in order).

    Example:
        >>> m = generate_marketplace("/tmp/market", n_accounts=300, seed=1)   # doctest: +SKIP
        >>> m.n_accounts, m.truth_path.name                                  # doctest: +SKIP
        (300, 'truth.json')
    """
    cfg = _config(n_accounts, seed, with_photos, comeback_rate, tactics, difficulty_mix, photo_size, config)
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    t0 = time.perf_counter()
    ctx = _make_ctx(cfg, photos_dir, text_csv)
    if workers > 1 and ctx.photos is not None and ctx.photos.files:
        log.info("real photos are handed out in order: generating with one process")
        workers = 1
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    photo_root = out / "photos"
    if photo_root.exists():
        if not _is_synth_output(out):
            raise ValueError(f"{out} already has a photos/ folder that sellerlink synth did not write; "
                             "choose an empty or new out_dir")
        shutil.rmtree(photo_root)  # photos of an earlier market here: replace them
    tmp = {name: out / f".truth.{name}.part" for name in ("accounts", "actors", "comebacks")}
    counts = {"watch": 0, "live": 0, "comebacks": 0, "photos": 0}
    trap_members: dict[tuple[str, int], list[str]] = {}
    made_dirs: set[str] = set()
    first = {k: True for k in tmp}
    with open(out / "watchlist.jsonl", "w", encoding="utf-8", newline="\n") as fw, \
            open(out / "accounts.jsonl", "w", encoding="utf-8", newline="\n") as fa, \
            open(tmp["accounts"], "w", encoding="utf-8") as ta, \
            open(tmp["actors"], "w", encoding="utf-8") as tac, \
            open(tmp["comebacks"], "w", encoding="utf-8") as tc:
        parts = {"accounts": ta, "actors": tac, "comebacks": tc}
        for chunk in _iter_serialized(ctx, workers):
            for fh, recs, key in ((fw, chunk.watch, "watch"), (fa, chunk.live, "live")):
                for line, files in recs:
                    fh.write(line)
                    fh.write("\n")
                    counts[key] += 1
                    for rel, data in files:
                        d = os.path.dirname(rel)
                        if d not in made_dirs:
                            (out / d).mkdir(parents=True, exist_ok=True)
                            made_dirs.add(d)
                        (out / rel).write_bytes(data)
                        counts["photos"] += 1
            for key, fh in parts.items():
                if chunk.n_parts[key]:
                    fh.write(("" if first[key] else ",\n") + chunk.parts[key])
                    first[key] = False
            counts["comebacks"] += chunk.n_comebacks
            for t, g, acc in chunk.traps:
                trap_members.setdefault((t, g), []).append(acc)
    header = {
        "schema": TRUTH_SCHEMA,
        "seed": cfg.seed,
        "n_accounts": counts["live"],
        "n_watchlist": counts["watch"],
        "n_comebacks": counts["comebacks"],
        "config": cfg.to_json(),
    }
    with open(out / "truth.json", "w", encoding="utf-8", newline="\n") as ft:
        ft.write(_dumps(header)[:-1])
        for key in ("accounts", "actors", "comebacks"):
            ft.write(f',\n"{key}":{{\n')
            with open(tmp[key], encoding="utf-8") as fh:
                shutil.copyfileobj(fh, ft)
            ft.write("}")
            tmp[key].unlink()
        ft.write(',\n"traps":' + _dumps(_traps_json(trap_members, cfg)) + "}\n")
    seconds = time.perf_counter() - t0
    log.info("synthetic market of %d accounts written to %s in %.1fs", counts["live"], out, seconds)
    return Marketplace(
        out_dir=out, watchlist_path=out / "watchlist.jsonl", accounts_path=out / "accounts.jsonl",
        truth_path=out / "truth.json", photos_dir=photo_root if cfg.with_photos else None,
        n_watchlist=counts["watch"], n_accounts=counts["live"], n_comebacks=counts["comebacks"],
        n_photos=counts["photos"], seconds=seconds,
    )


def generate(
    *,
    n_accounts: int = 300,
    seed: int = 0,
    out_dir: str | os.PathLike[str] | None = None,
    photos_dir: str | os.PathLike[str] | None = None,
    text_csv: str | os.PathLike[str] | None = None,
    with_photos: bool = False,
    comeback_rate: float | None = None,
    tactics: Iterable[str] | None = None,
    difficulty_mix: Mapping[str, float] | None = None,
    photo_size: tuple[int, int] | None = None,
    config: SynthConfig | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """The market in memory: ``(watchlist records, account records, truth dict)``.

    Photos need files: with ``with_photos=True`` give ``out_dir`` (photo paths in the
    records are relative to it). The truth has the same layout as ``truth.json``.

    Example:
        >>> watch, live, truth = generate(n_accounts=100, seed=3)
        >>> len(live), all(c["violators"][0] in truth["accounts"] for c in truth["comebacks"].values())
        (100, True)
    """
    cfg = _config(n_accounts, seed, with_photos, comeback_rate, tactics, difficulty_mix, photo_size, config)
    if cfg.with_photos and out_dir is None:
        raise ValueError("with_photos=True needs out_dir to write the photo files into")
    watch: list[dict[str, Any]] = []
    live: list[dict[str, Any]] = []
    truth: dict[str, Any] = {"schema": TRUTH_SCHEMA, "seed": cfg.seed, "config": cfg.to_json(),
                             "accounts": {}, "actors": {}, "comebacks": {}}
    trap_members: dict[tuple[str, int], list[str]] = {}
    root = Path(out_dir) if out_dir is not None else None
    for chunk in iter_marketplace(cfg, photos_dir=photos_dir, text_csv=text_csv):
        for recs, sink in ((chunk.watch, watch), (chunk.live, live)):
            for rec, files in recs:
                sink.append(rec)
                if root is not None:
                    for rel, data in files:
                        (root / rel).parent.mkdir(parents=True, exist_ok=True)
                        (root / rel).write_bytes(data)
        truth["accounts"].update(chunk.accounts)
        truth["actors"].update(chunk.actors)
        truth["comebacks"].update(chunk.comebacks)
        for t, g, acc in chunk.traps:
            trap_members.setdefault((t, g), []).append(acc)
    truth["n_accounts"], truth["n_watchlist"], truth["n_comebacks"] = len(live), len(watch), len(truth["comebacks"])
    truth["traps"] = _traps_json(trap_members, cfg)
    return watch, live, truth
