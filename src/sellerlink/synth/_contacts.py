"""Contact details as sellers write them: Indonesian mobiles in many formats, phones hidden
in free text (wa.me links, spelled-out digits, full-width digits, O for 0, keycap emoji),
e-mails with gmail dot / +tag variants, bank accounts with varied punctuation, addresses."""

from __future__ import annotations

import random

from . import _vocab as V

__all__ = [
    "new_phone",
    "format_phone",
    "hide_phone",
    "HIDE_TACTICS",
    "new_email",
    "email_variant",
    "new_bank",
    "format_bank",
    "new_address",
    "format_address",
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
    prefix = rng.choice(V.PHONE_PREFIXES)
    rest = rng.choice((7, 8, 8, 8, 9))  # 10-13 digits with the leading 0
    return prefix + "".join(str(rng.randrange(10)) for _ in range(rest))


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
        link = rng.choice(("wa.me/62{n}", "https://wa.me/62{n}", "wa.me/62{n}?text=halo", "https://api.whatsapp.com/send?phone=62{n}", "WA.ME/62{n}"))
        lead = rng.choice(("", "Info lanjut: ", "Chat: ", "order via ", "klik ", "Fast respon "))
        return lead + link.format(n=nsn)
    if tactic == "hide_phone_spelled":
        words = rng.choice((V.DIGIT_WORDS_NOL, V.DIGIT_WORDS_KOSONG))
        sep = rng.choice((" ", " ", "-", ", "))
        spelled = []
        for i, d in enumerate(local):
            # some sellers spell only part of the number
            if rng.random() < 0.15 and 3 < i < len(local) - 2:
                spelled.append(d)
            else:
                spelled.append(words[int(d)])
        lead = rng.choice(("WA ", "wa: ", "hubungi ", "no hp ", "whatsapp ", "kontak: ", "Wa "))
        return lead + sep.join(spelled)
    if tactic == "hide_phone_fullwidth":
        fw = "".join(chr(0xFF10 + int(d)) for d in local)
        if rng.random() < 0.5:
            fw = "\u3000".join((fw[:4], fw[4:8], fw[8:]))
        return rng.choice(("WA ", "ＷＡ ", "hp: ", "kontak ", "")) + fw
    if tactic == "hide_phone_letter_o":
        table = {"0": rng.choice(("O", "o")), "1": rng.choice(("1", "l", "I")), "8": rng.choice(("8", "8", "B"))}
        text = "".join(table.get(d, d) for d in local)
        if rng.random() < 0.5:
            text = " ".join((text[:4], text[4:8], text[8:]))
        return rng.choice(("WA ", "wa. ", "Hp ", "call/wa ", "")) + text
    if tactic == "hide_phone_keycap":
        return rng.choice(("📱 ", "WA ", "☎️ ", "")) + "".join(V.KEYCAPS[int(d)] for d in local)
    raise ValueError(f"unknown phone-hiding tactic {tactic!r}")


def new_email(rng: random.Random, first: str, surname: str | None, shop_word: str) -> str:
    first_l = first.lower()
    sur = (surname or rng.choice(V.SURNAMES)).lower()
    num = rng.choice(("", "", str(rng.randrange(1, 99)), str(rng.randrange(1975, 2006))))
    local = rng.choice(
        (
            f"{first_l}.{sur}{num}",
            f"{first_l}{sur}{num}",
            f"{first_l}{num}",
            f"{shop_word.lower()}.{first_l}{num}",
            f"{first_l}_{shop_word.lower()}",
            f"{first_l[0]}{sur}{num}",
            f"{shop_word.lower()}{rng.randrange(10, 999)}",
        )
    )
    local = "".join(ch for ch in local if ch.isalnum() or ch in "._")
    return f"{local}@{rng.choice(V.EMAIL_DOMAINS)}"


def email_variant(email: str, rng: random.Random) -> str:
    """Same mailbox, written differently: gmail dots, +tag, case, googlemail."""
    local, _, domain = email.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        bare = local.replace(".", "")
        action = rng.randrange(4)
        if action == 0 and len(bare) > 3:
            i = rng.randrange(1, len(bare) - 1)
            local = bare[:i] + "." + bare[i:]
        elif action == 1:
            local = local + "+" + rng.choice(("shop", "toko", "baru", "olshop", "2", "jualan"))
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
        return rng.choice(V.EWALLETS), "0" + nsn, holder
    bank, n = rng.choice(V.BANKS)
    digits = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(n - 1))
    return bank, digits, holder


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
        "street": rng.choice(V.STREETS),
        "kind": rng.choice(("Jl.", "Jl.", "Jalan", "Gg.", "Komp.", "Perum")),
        "no": str(rng.randrange(1, 180)),
        "block": rng.choice(("", "", "", f"Blok {rng.choice('ABCDEFGH')}{rng.randrange(1, 20)}")),
        "rt": f"{rng.randrange(1, 15):02d}",
        "rw": f"{rng.randrange(1, 12):02d}",
        "kel": rng.choice(V.KELURAHAN),
        "city": city[0],
        "prov": city[2],
        "zip": city[3] + "".join(str(rng.randrange(10)) for _ in range(5 - len(city[3]))),
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
