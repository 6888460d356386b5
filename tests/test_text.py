"""Tests of the shared text normalisation: skeleton, emoji stripping, leet folding."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sellerlink._text import (
    CONFUSABLES,
    INVISIBLE,
    LEET,
    clean_text,
    fold_leet,
    skeleton,
    strip_emoji,
    strip_marks,
)

# -- clean_text keeps its contract (other modules import it) --------------------------------


def test_clean_text_contract() -> None:
    assert clean_text("  Ｔｏｋｏ\u200b  BUDI\u202e ") == "toko budi"
    assert clean_text("Café  Ñ") == "cafe n"
    assert clean_text("Café", marks=False) == "café"
    assert clean_text("BUDI", casefold=False) == "BUDI"
    assert clean_text("") == ""
    assert strip_marks("é") == "e"


# -- skeleton -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Вudі Тhrift", "budi thrift"),  # Cyrillic В і Т
        ("ВUDІ ТНRIFТ", "budi thrift"),  # Cyrillic capitals
        ("Βudι Τhrιft", "budi thrift"),  # Greek Β ι Τ
        ("ＢＵＤＩ　ｊａｙａ", "budi jaya"),  # full-width, ideographic space
        ("𝐁𝐮𝐝𝐢 𝕿𝖍𝖗𝖎𝖋𝖙 𝘑𝘢𝘺𝘢", "budi thrift jaya"),  # mathematical alphanumerics
        ("ʙᴜᴅɪ ᴛʜʀɪꜰᴛ", "budi thrift"),  # small capitals
        ("🅑🅤🅓🅘 ⓑⓤⓓⓘ", "budi budi"),  # negative circled, circled
        ("ᴮᵘᵈⁱ", "budi"),  # modifier letters
        ("Ḃüďï Øle", "budi ole"),  # marks, ø
        ("Budi™", "budi"),  # ™ is decoration, not "tm"
        ("bu\u200bdi\u202e\u0000", "budi"),  # invisible characters
        ("Сӏоԁ", "ciod"),  # Cyrillic palochka, komi de
        ("օսհ Ꮪ", "ouh s"),  # Armenian, Cherokee
        ("Жanna", "жanna"),  # no Latin look-alike: kept
    ],
)
def test_skeleton_golden(raw: str, expected: str) -> None:
    # golden values: they pin the confusables table
    assert skeleton(raw) == expected


def test_skeleton_mixed_script_equals_latin() -> None:
    latin = "toko sari kece"
    spoofed = "Тоkо Ѕаrі kесе"  # Cyrillic Т о Ѕ а і е с
    assert any(not c.isascii() for c in spoofed)
    assert skeleton(spoofed) == latin


def test_confusables_table_targets_are_ascii_and_keep_case() -> None:
    for src, dst in CONFUSABLES.items():
        assert dst.isascii() and dst.isalpha(), (chr(src), dst)
        assert dst.isupper() == chr(src).isupper(), (chr(src), dst)
        assert not chr(src).isascii()


def test_skeleton_keeps_case_on_request() -> None:
    assert skeleton("ТокоВudі", casefold=False) == "TokoBudi"
    assert skeleton("🅑🅤🅓🅘", casefold=False) == "BUDI"


# -- strip_emoji ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("✨budi.thrift✨", "budi.thrift"),
        ("budi🔥thrift", "budi thrift"),
        ("★彡 Budi 彡★", "彡 Budi 彡"),  # 彡 is a CJK letter: kept
        ("👩🏽\u200d💻 budi", "budi"),  # ZWJ sequence with skin tone
        ("🇮🇩 budi 🇯🇵", "budi"),  # flags
        ("budi 1\ufe0f\u20e3", "budi 1"),  # keycap
        ("♡ budi ♥ ❤\ufe0f", "budi"),
        ("$ari @budi ^_^", "$ari @budi ^_^"),  # currency and ASCII kept
        ("", ""),
    ],
)
def test_strip_emoji_golden(raw: str, expected: str) -> None:
    assert strip_emoji(raw) == expected


# -- fold_leet ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("thr1ft", "thrift"),
        ("th1ft", "thift"),
        ("b4ju", "baju"),
        ("b00k", "book"),
        ("s3cond", "second"),
        ("ka$ur", "kasur"),
        ("$ari", "sari"),
        ("k4o5", "kaos"),  # edge digit folded: the word is visibly leet
        ("j4k4rt4", "jakarta"),
        ("budi88", "budi88"),  # appended number stays a number
        ("budi.id2", "budi.id2"),
        ("budi1", "budi1"),  # a lone trailing 1, 2 or 3 is a serial number ("budi2")
        ("budi2", "budi2"),
        ("Kary4", "Karya"),  # ... a lone 0, 4, 5, 7 is leet for a common ending
        ("Manad0", "Manado"),
        ("ab4", "ab4"),  # ... after at least three letters
        ("2nd", "2nd"),
        ("88", "88"),
        ("@budi", "budi"),  # handle marker
        ("b@ju", "baju"),
        ("b!ju", "biju"),
        ("budi!", "budi!"),  # punctuation at the end is not leet
        ("toko99jkt", "toko99jkt"),  # 99 at the word's start would be g's, inside it is a number
        ("8udi", "budi"),  # one leet digit in front of a word
        ("8ud1", "budi"),  # visibly leet: the trailing 1 is an i too
        ("9r0sir", "grosir"),
        ("57r33t", "street"),  # a leading pair, once the word is visibly leet
        ("99store", "99store"),  # a leading number
        ("1st", "1st"),  # ordinals kept
        ("b4ju88", "baju88"),
        ("BUDI|THRIFT", "BUDI|THRIFT"),  # | separates, it is not leet
    ],
)
def test_fold_leet_golden(raw: str, expected: str) -> None:
    assert fold_leet(raw, merge_il=False) == expected


def test_fold_leet_merges_i_and_l() -> None:
    # 1 can be i or l; I and l look alike. All four spellings meet.
    forms = {fold_leet(x.lower()) for x in ("ba1i", "bali", "baIi", "BALI")}
    assert forms == {"baii"}
    assert fold_leet("ba1i", merge_il=False) == "baii"
    assert fold_leet("bali", merge_il=False) == "bali"
    assert fold_leet("Lia") == "Iia"


def test_leet_table() -> None:
    assert LEET["0"] == "o" and LEET["4"] == "a" and LEET["3"] == "e"
    assert LEET["5"] == "s" and LEET["$"] == "s" and LEET["7"] == "t" and LEET["1"] == "i"


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$@!_. -", max_size=30))
def test_fold_leet_commutes_with_lower(s: str) -> None:
    assert fold_leet(s.lower()) == fold_leet(s).lower()


@given(st.text(alphabet="abcdefghij0123456789$@!. ", max_size=30))
def test_fold_leet_keeps_digits_only_words(s: str) -> None:
    out = fold_leet(s, merge_il=False)
    # words without letters are untouched; the length never grows
    assert len(out) <= len(s)
    for word in s.split():
        if not any(c.isalpha() for c in word):
            assert word in out.split()


# -- never crash ----------------------------------------------------------------------------

_NASTY = st.one_of(
    st.text(),  # any code point except surrogates
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=5),  # lone surrogates
    st.text(
        alphabet=st.sampled_from(
            list("\u0000\u200b\u200d\u202e\u2066\u0301\u0308\ufe0f\u20e3аеоі𝐁ＢᴀαΒ🔥✨👩🏽💻🇮🇩ß İ ﷺ0145$@!l1I|_.")
        ),
        max_size=40,
    ),
)


@settings(max_examples=300)
@given(_NASTY)
def test_never_crash_and_clean(s: str) -> None:
    sk = skeleton(s)
    em = strip_emoji(s)
    fl = fold_leet(s)
    for out in (sk, em, fl, fold_leet(strip_emoji(sk))):
        assert isinstance(out, str)
    for out in (sk, em):
        assert INVISIBLE.search(out) is None
        assert out == out.strip()
    assert not any("\ud800" <= c <= "\udfff" for c in sk + em)
    # the skeleton has no combining marks and no upper case left
    assert not any(unicodedata.combining(c) for c in sk)
    assert skeleton(sk) == sk  # a skeleton is its own skeleton
    assert skeleton(skeleton(s, casefold=False)) == sk


@given(_NASTY)
def test_strip_emoji_idempotent(s: str) -> None:
    once = strip_emoji(s)
    assert strip_emoji(once) == once
