"""Contact details as sellers write them: Indonesian mobiles in many formats, phones hidden
in free text (wa.me links, spelled-out digits, full-width digits, O for 0, keycap emoji),
e-mails with gmail dot / +tag variants, bank accounts with varied punctuation, addresses."""

from __future__ import annotations

import random

from . import _vocab as V
from ._rand import below, digits, pick

__all__ = [
    "HIDE_TACTICS",
    "email_variant",
    "format_address",
    "format_bank",
    "format_phone",
    "hide_phone",
    "new_address",
    "new_bank",
    "new_email",
    "new_phone",
]

HIDE_TACTICS = (
    "hide_phone_wame",
    "hide_phone_spelled",
    "hide_phone_fullwidth",
    "hide_phone_letter_o",
    "hide_phone_keycap",
)
N_PHONE_FORMATS = 10
N_BANK_FORMATS = 9
N_ADDRESS_FORMATS = 5


def new_phone(rng: random.Random) -> str:
    """National significant number of an Indonesian mobile (no leading 0), e.g. "81234567890"."""
    prefix = pick(rng, V.PHONE_PREFIXES)
    rest = pick(rng, (7, 8, 8, 8, 9))  # 10-13 digits with the leading 0
    return prefix + digits(rng, rest)


def _groups(digits: str, sizes: tuple[int, ...]) -> list[str]:
    out, i = [], 0
    for s in sizes:
        if i >= len(digits):
            break
        out.append(digits[i : i + s])
        i += s
    if i < len(digits):
        out[-1] += digits[i:]
    return out


def format_phone(nsn: str, style: int) -> str:
    """One of the ways Indonesian sellers write a mobile number."""
    local = "0" + nsn
    style %= N_PHONE_FORMATS
    if style == 0:
        return local
    if style == 1:
        return "-".join(_groups(local, (4, 4, 4)))
    if style == 2:
        return " ".join(_groups(local, (4, 4, 4)))
    if style == 3:
        return "+62 " + "-".join(_groups(nsn, (3, 4, 4)))
    if style == 4:
        return "62" + nsn
    if style == 5:
        return "+62" + nsn
    if style == 6:
        return f"({local[:4]}) {local[4:]}"
    if style == 7:
        return ".".join(_groups(local, (4, 4, 4)))
    if style == 8:
        return "62-" + "-".join(_groups(nsn, (3, 4, 4)))
    return "+62 " + " ".join(_groups(nsn, (3, 3, 3)))


def hide_phone(nsn: str, tactic: str, rng: random.Random) -> str:
    """The phone number hidden in free text the way a banned seller hides it."""
    local = "0" + nsn
    if tactic == "hide_phone_wame":
        link = pick(rng, ("wa.me/62{n}", "https://wa.me/62{n}", "wa.me/62{n}?text=halo", "https://api.whatsapp.com/send?phone=62{n}", "WA.ME/62{n}"))
        lead = pick(rng, ("", "Info lanjut: ", "Chat: ", "order via ", "klik ", "Fast respon "))
        return lead + link.format(n=nsn)
    if tactic == "hide_phone_spelled":
        words = pick(rng, (V.DIGIT_WORDS_NOL, V.DIGIT_WORDS_KOSONG))
        sep = pick(rng, (" ", " ", "-", ", "))
        spelled = []
        for i, d in enumerate(local):
            # some sellers spell only part of the number
            if rng.random() < 0.15 and 3 < i < len(local) - 2:
                spelled.append(d)
            else:
                spelled.append(words[int(d)])
        lead = pick(rng, ("WA ", "wa: ", "hubungi ", "no hp ", "whatsapp ", "kontak: ", "Wa "))
        return lead + sep.join(spelled)
    if tactic == "hide_phone_fullwidth":
        fw = "".join(chr(0xFF10 + int(d)) for d in local)
        if rng.random() < 0.5:
            fw = "\u3000".join((fw[:4], fw[4:8], fw[8:]))
        return pick(rng, ("WA ", "ＷＡ ", "hp: ", "kontak ", "")) + fw
    if tactic == "hide_phone_letter_o":
        table = {"0": pick(rng, ("O", "o")), "1": pick(rng, ("1", "l", "I")), "8": pick(rng, ("8", "8", "B"))}
        text = "".join(table.get(d, d) for d in local)
        if rng.random() < 0.5:
            text = " ".join((text[:4], text[4:8], text[8:]))
        return pick(rng, ("WA ", "wa. ", "Hp ", "call/wa ", "")) + text
    if tactic == "hide_phone_keycap":
        return pick(rng, ("📱 ", "WA ", "☎️ ", "")) + "".join(V.KEYCAPS[int(d)] for d in local)
    raise ValueError(f"unknown phone-hiding tactic {tactic!r}")


def new_email(rng: random.Random, first: str, surname: str | None, shop_word: str) -> str:
    first_l = first.lower()
    sur = (surname or pick(rng, V.SURNAMES)).lower()
    num = pick(rng, ("", "", str(1 + below(rng, 99 - 1)), str(1975 + below(rng, 2006 - 1975))))
    local = pick(rng, 
        (
            f"{first_l}.{sur}{num}",
            f"{first_l}{sur}{num}",
            f"{first_l}{num}",
            f"{shop_word.lower()}.{first_l}{num}",
            f"{first_l}_{shop_word.lower()}",
            f"{first_l[0]}{sur}{num}",
            f"{shop_word.lower()}{10 + below(rng, 999 - 10)}",
        )
    )
    local = "".join(ch for ch in local if ch.isalnum() or ch in "._")
    return f"{local}@{pick(rng, V.EMAIL_DOMAINS)}"


def email_variant(email: str, rng: random.Random) -> str:
    """Same mailbox, written differently: gmail dots, +tag, case, googlemail."""
    local, _, domain = email.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        bare = local.replace(".", "")
        action = below(rng, 4)
        if action == 0 and len(bare) > 3:
            i = 1 + below(rng, len(bare) - 1 - 1)
            local = bare[:i] + "." + bare[i:]
        elif action == 1:
            local = local + "+" + pick(rng, ("shop", "toko", "baru", "olshop", "2", "jualan"))
        elif action == 2:
            local = bare
            domain = "googlemail.com"
        else:
            local = ".".join(bare[i : i + 3] for i in range(0, len(bare), 3))
        if rng.random() < 0.3:
            local = local.capitalize()
        return f"{local}@{domain}"
    # other providers: only case changes keep the mailbox
    return f"{local.upper() if rng.random() < 0.5 else local.capitalize()}@{domain.upper() if rng.random() < 0.3 else domain}"


def new_bank(rng: random.Random, holder: str, nsn: str | None = None) -> tuple[str, str, str]:
    """(bank, account digits, holder). With ``nsn`` an e-wallet on that phone."""
    if nsn is not None:
        return pick(rng, V.EWALLETS), "0" + nsn, holder
    bank, n = pick(rng, V.BANKS)
    number = str(1 + below(rng, 9)) + "".join(digits(rng, min(12, n - 1 - i)) for i in range(0, n - 1, 12))
    return bank, number, holder


def format_bank(bank: tuple[str, str, str], style: int) -> str:
    name, digits, holder = bank
    short = holder.split()[0]
    style %= N_BANK_FORMATS
    if style == 0:
        return f"{name} {digits} a.n. {holder}"
    if style == 1:
        return f"{name}: {'-'.join(_groups(digits, (3, 3, 4, 5, 5)))} an {short}"
    if style == 2:
        return f"Rek {name} {digits} ({holder})"
    if style == 3:
        return f"{name.lower()} {' '.join(_groups(digits, (4, 4, 4, 4)))} a/n {holder.lower()}"
    if style == 4:
        return f"{name} - {digits} - {holder.upper()}"
    if style == 5:
        return f"No rek {name} {digits} atas nama {holder}"
    if style == 6:
        return f"{name.upper()} {digits} a.n {short}"
    if style == 7:
        return f"Transfer ke {name} {'.'.join(_groups(digits, (3, 3, 4, 5)))} an. {holder}"
    return f"{name} {digits}"


def new_address(rng: random.Random, city: tuple[str, tuple[str, ...], str, str]) -> dict[str, str]:
    return {
        "street": pick(rng, V.STREETS),
        "kind": pick(rng, ("Jl.", "Jl.", "Jalan", "Gg.", "Komp.", "Perum")),
        "no": str(1 + below(rng, 180 - 1)),
        "block": pick(rng, ("", "", "", f"Blok {pick(rng, 'ABCDEFGH')}{1 + below(rng, 20 - 1)}")),
        "rt": f"{1 + below(rng, 15 - 1):02d}",
        "rw": f"{1 + below(rng, 12 - 1):02d}",
        "kel": pick(rng, V.KELURAHAN),
        "city": city[0],
        "prov": city[2],
        "zip": city[3] + "".join(str(below(rng, 10)) for _ in range(5 - len(city[3]))),
    }


def format_address(a: dict[str, str], style: int) -> str:
    style %= N_ADDRESS_FORMATS
    block = f" {a['block']}" if a["block"] else ""
    if style == 0:
        return (f"{a['kind']} {a['street']} No. {a['no']}{block}, RT {a['rt']}/RW {a['rw']}, Kel. {a['kel']}, "
                f"{a['city']}, {a['prov']} {a['zip']}")
    if style == 1:
        return f"{a['kind']} {a['street']} no {a['no']}{block} rt{a['rt']} rw{a['rw']} {a['kel']} {a['city']} {a['zip']}"
    if style == 2:
        return f"{a['kind'].upper()} {a['street'].upper()} NO.{a['no']}{block.upper()}, {a['kel'].upper()}, {a['city'].upper()}"
    if style == 3:
        return f"{a['street']} {a['no']}{block}, {a['kel']}, {a['city']} - {a['prov']}"
    return f"Jln {a['street']} No{a['no']}{block} RT.{int(a['rt'])} RW.{int(a['rw'])} {a['city']} {a['zip']}"
