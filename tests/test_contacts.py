"""Tests of the contacts signal: normalisers, free-text extraction, the table, compare, explain."""

from __future__ import annotations

import doctest
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sellerlink.records import Account, Listing
from sellerlink.signals import contacts
from sellerlink.signals.base import Evidence, PairFeatures, Signal, stable_hash64
from sellerlink.signals.contacts import (
    FEATURE_NAMES,
    KINDS,
    ContactsSignal,
    ContactsTable,
    extract_banks,
    extract_emails,
    extract_links,
    extract_phones,
    normalize_address,
    normalize_bank,
    normalize_email,
    normalize_link,
    normalize_phone,
)

E164 = "+6281234567890"

# The same number written the ways sellers write it (each a whole value).
PHONE_WAYS = [
    "0812-3456-7890",
    "0812 3456 7890",
    "+62 812 3456 7890",
    "+62-812-3456-7890",
    "(0812) 3456 7890",
    "6281234567890",
    "62 812 3456 7890",
    "81234567890",
    "812 3456 7890",
    "0812.3456.7890",
    "wa.me/6281234567890",
    "https://wa.me/6281234567890?text=halo%20kak",
    "https://api.whatsapp.com/send?phone=6281234567890&text=halo",
    "api.whatsapp.com/send/?phone=%2B6281234567890",
    "０８１２－３４５６－７８９０",  # full-width
    "O812 3456 789O",  # letter O for zero
    "o8l2-3456-789o",  # o and l
    "08I2 3456 7890",  # capital I for one
    "OBI2 3456 7B9O",  # B for eight
    "nol, delapan, satu, dua, tiga, empat, lima, enam, tujuh, delapan, sembilan, nol",
    "nol delapan satu dua tiga empat lima enam tujuh delapan sembilan nol",
    "kosong delapan satu dua tiga empat lima enam tujuh delapan sembilan kosong",
    "0812 tiga empat lima enam tujuh delapan sembilan nol",
    "Nol Delapan 12 34 lima enam 78 sembilan nol",
    "0\ufe0f\u20e38\ufe0f\u20e31\ufe0f\u20e32\ufe0f\u20e33\ufe0f\u20e34\ufe0f\u20e35\ufe0f\u20e36\ufe0f\u20e3"
    "7\ufe0f\u20e38\ufe0f\u20e39\ufe0f\u20e30\ufe0f\u20e3",  # emoji keycaps
    "0 8 1 2 3 4 5 6 7 8 9 0",
    "08\u200b12\u200d-3456-\u202e7890",  # zero-width and bidi characters
    "+62 (0)812 3456 7890",
    "+62 0812 3456 7890",
    "\U0001d7ce\U0001d7d6\U0001d7cf\U0001d7d0\U0001d7d1\U0001d7d2\U0001d7d3\U0001d7d4\U0001d7d5\U0001d7d6\U0001d7d7\U0001d7ce",
]

# The same number hidden in free text.
PHONE_SENTENCES = [
    "Order langsung via WA 0812-3456-7890 ya kak, fast respon",
    "Ready stok bal impor! klik wa.me/6281234567890 untuk order",
    "hub: nol delapan satu dua tiga empat lima enam tujuh delapan sembilan nol (chat only)",
    "minat? WA O812 3456 789O. harga Rp 150.000 / pcs, 150rb dapat 2",
    "CP : +62 812-3456-7890 (Budi)",
    "wa: ０８１２３４５６７８９０ 🙏",
    "Toko tutup 12-05-2024. kontak baru 0812 tiga empat lima enam tujuh delapan sembilan nol",
]

NOT_PHONES = [
    "Harga Rp 150.000, ongkir 15rb, grosir 1.250.000",
    "Rp150.000,00 nego",
    "150rb 200rb 350rb",
    "85.000 - 120.000",
    "850.000 120.000 990.000",
    "ukuran 38 39 40 41 42 43",
    "stok size 8 9 10 11 12 13 14",
    "size 27 28 29 30 31 32 33 34",
    "LD 100 PB 70 cm, berat 1000 gram 1500 gram",
    "terjual 1.234 pcs, dikirim 12-05-2024",
    "2024-05-12 08:00",
    "buka 08.00 - 21.00 setiap hari",
    "01/02/24 03/04/24",
    "tersedia 1 2 3 4 5 6 7 8 9 10 11 12",
    "isi 100 pcs karung 2 x 3 m",
    "kode produk SKU 1234567890123",
    "bra size 34b 36b 38b 40b 42b",
    "oil 123 456 7890, bob 0812",
    "ukuran 38, 39, 40, 41, 42, 43, 44",
]


# ---------------------------------------------------------------------------------------
# phones


@pytest.mark.parametrize("written", PHONE_WAYS)
def test_phone_written_many_ways_normalises_to_one_e164(written: str) -> None:
    assert normalize_phone(written) == E164


@pytest.mark.parametrize("sentence", PHONE_SENTENCES)
def test_phone_hidden_in_free_text_is_found(sentence: str) -> None:
    assert extract_phones(sentence) == [E164]


def test_every_way_links_accounts_through_the_same_phone_key() -> None:
    fields = ["phones", "links", "bio"]
    accounts = []
    for k, way in enumerate(PHONE_WAYS + PHONE_SENTENCES):
        field = fields[k % 3]
        value: object = way if field == "bio" else (way,)
        accounts.append(Account(f"a{k}", **{field: value}))  # type: ignore[arg-type]
    table = ContactsSignal().fingerprint(accounts)
    phones = {str(k) for k, c in zip(table.unique_key, table.unique_kind) if c == KINDS.index("phone")}
    assert phones == {E164}
    (key_id,) = np.flatnonzero(table.unique_key == E164)
    assert table.df[key_id] == len(accounts)


def test_different_numbers_stay_different() -> None:
    numbers = ["0812-3456-7890", "0812-3456-7891", "0813-3456-7890", "0812-3456-789", "0857-1111-2222"]
    out = [normalize_phone(n) for n in numbers]
    assert None not in out
    assert len(set(out)) == len(numbers)
    assert extract_phones("WA 0812-3456-7890 atau 0857 1111 2222") == ["+6281234567890", "+6285711112222"]


def test_two_numbers_in_one_run_are_split() -> None:
    assert extract_phones("0812 3456 7890 0813 1111 2222") == ["+6281234567890", "+6281311112222"]


@pytest.mark.parametrize("text", NOT_PHONES)
def test_prices_dates_sizes_counts_are_not_phones(text: str) -> None:
    assert extract_phones(text) == []


def test_prices_in_listings_produce_no_phone_rows() -> None:
    acc = Account(
        "a",
        bio=NOT_PHONES[0],
        listings=tuple(Listing(title=t, description=t) for t in NOT_PHONES),
    )
    table = ContactsSignal().fingerprint([acc])
    assert not np.any(table.kind == KINDS.index("phone")), list(table.key)


def test_landline_accepted_in_phone_field_but_not_from_bare_free_text() -> None:
    assert normalize_phone("021-555-1234") == "+62215551234"
    assert extract_phones("kantor 021 555 1234") == []
    # an explicit international "+" is a phone whatever its type
    assert extract_phones("kantor +62 21 555 1234") == ["+62215551234"]


def test_other_regions() -> None:
    assert normalize_phone("012-345 6789", region="MY") == "+60123456789"
    assert normalize_phone("+60 12-345 6789") == "+60123456789"
    assert normalize_phone("(415) 555-2671", region="us") == "+14155552671"
    with pytest.raises(ValueError, match="region"):
        normalize_phone("0812", region="XX")
    with pytest.raises(ValueError, match="region"):
        ContactsSignal(region="Indonesia").fingerprint([Account("a")])


def test_garbage_is_not_a_phone() -> None:
    for text in ["", "   ", "abc", "0812", "+", "wa.me/", "1234567", "nol nol nol", "Rp 150.000"]:
        assert normalize_phone(text) is None, text


# ---------------------------------------------------------------------------------------
# e-mails, banks, links, addresses


def test_gmail_dot_and_tag_variants_are_equal() -> None:
    variants = [
        "budisantoso@gmail.com",
        "Budi.Santoso@gmail.com",
        "b.u.d.i.santoso+olshop@gmail.com",
        "BUDISANTOSO+ig@GOOGLEMAIL.COM",
        "mailto:budi.santoso@gmail.com",
        "budi.santoso [at] gmail [dot] com",
        "budi.santoso(at)gmail(dot)com",
        "budi.santoso at gmail dot com",
        "budisantoso\u200b@gmail.com",
    ]
    assert {normalize_email(v) for v in variants} == {"budisantoso@gmail.com"}
    assert extract_emails("email ke Budi.Santoso+x@gmail.com ya") == ["budisantoso@gmail.com"]


def test_email_dots_matter_outside_gmail_and_different_addresses_differ() -> None:
    assert normalize_email("budi.s@yahoo.co.id") == "budi.s@yahoo.co.id"
    assert normalize_email("budi.s@yahoo.co.id") != normalize_email("budis@yahoo.co.id")
    assert normalize_email("budi+x@outlook.com") == "budi@outlook.com"
    assert normalize_email("budi@gmail.com") != normalize_email("budi2@gmail.com")
    assert normalize_email("not an email") is None
    assert normalize_email("@gmail.com") is None


def test_bank_account_variants_are_equal() -> None:
    variants = [
        "BCA 123-456-7890 a.n. Budi",
        "bca: 1234567890",
        "Bank Central Asia 1234 5678 90",
        "BCA.1234567890",
        "Bank BCA no rek 1234567890",
        "rek bca 123 456 7890 an budi santoso",
        "1234567890 (BCA)",
        "ＢＣＡ １２３４５６７８９０",
    ]
    assert {normalize_bank(v) for v in variants} == {"BCA:1234567890"}
    assert normalize_bank("Mandiri 123.00.0456789.0") == "MANDIRI:1230004567890"
    assert normalize_bank("Bank Mandiri 1230004567890") == "MANDIRI:1230004567890"
    assert normalize_bank("BRI 0123-01-012345-50-1") == "BRI:012301012345501"
    assert normalize_bank("bni46 0123456789") == "BNI:0123456789"
    assert normalize_bank("Bank Syariah Indonesia 7123456789") == "BSI:7123456789"
    assert normalize_bank("CIMB Niaga 7001234567") == "CIMB:7001234567"
    assert normalize_bank("Sea Bank 901234567890") == "SEABANK:901234567890"
    assert normalize_bank("Bank Jago 101234567890") == "JAGO:101234567890"


def test_different_banks_or_numbers_differ_and_ewallets_are_phones() -> None:
    assert normalize_bank("BCA 1234567890") != normalize_bank("BNI 1234567890")
    assert normalize_bank("BCA 1234567890") != normalize_bank("BCA 1234567891")
    assert normalize_bank("1234567890") == "?:1234567890"
    assert normalize_bank("a.n. Budi") is None
    for wallet, code in [("DANA", "DANA"), ("ovo", "OVO"), ("GoPay", "GOPAY"), ("go-pay", "GOPAY")]:
        assert normalize_bank(f"{wallet} 0812-3456-7890") == f"{code}:{E164}"
    sig = ContactsSignal()
    table = sig.fingerprint(
        [Account("a", bank_accounts=("DANA 0812 3456 7890",)), Account("b", phones=("081234567890",))]
    )
    f = sig.compare(table, np.array([0]), np.array([1]))
    assert f["phone_shared"][0] == 1.0
    assert f["bank_shared"][0] == 0.0


def test_banks_found_in_free_text() -> None:
    text = "Pembayaran: transfer ke BCA 1234567890 a.n. Budi, atau mandiri: 123.00.0456789.0. Harga Rp 150.000"
    assert extract_banks(text) == ["BCA:1234567890", "MANDIRI:1230004567890"]
    # a bank number is not also a phone, and a phone right after it is not part of it
    assert extract_phones("transfer BCA 0812345678") == []
    text = "transfer BCA 1234567890 0812 3456 7890"
    assert extract_banks(text) == ["BCA:1234567890"]
    assert extract_phones(text) == [E164]
    assert extract_banks("jago banget bajunya, dana 50000 cukup") == []


def test_link_and_handle_variants_are_equal() -> None:
    variants = [
        "instagram.com/budi.thrift",
        "https://www.instagram.com/Budi.Thrift/",
        "http://instagram.com/budi.thrift?igshid=abc123",
        "@budi.thrift ig",
        "@budi.thrift (IG)",
        "IG: @budi.thrift",
        "ig @budi.thrift",
        "Instagram: budi.thrift",
        "instagram.com/stories/budi.thrift/123",
    ]
    assert {normalize_link(v) for v in variants} == {"instagram:budi.thrift"}
    assert normalize_link("https://www.tiktok.com/@budi.thrift/video/7234") == "tiktok:budi.thrift"
    assert normalize_link("tiktok @budi.thrift") == "tiktok:budi.thrift"
    assert normalize_link("https://shopee.co.id/budithrift") == "shopee:budithrift"
    assert normalize_link("shopee.co.id/shop/123456") == "shopee:shop/123456"
    assert normalize_link("https://shopee.co.id/Kemeja-Flanel-Pria-i.123456.99887766") == "shopee:shop/123456"
    assert normalize_link("shopee.co.id/product/123456/99887766") == "shopee:shop/123456"
    assert normalize_link("https://www.tokopedia.com/budithrift/kemeja-flanel-1") == "tokopedia:budithrift"
    assert normalize_link("m.facebook.com/profile.php?id=1000123") == "facebook:1000123"
    assert normalize_link("@budi.thrift") == "handle:budi.thrift"
    assert normalize_link("wa.me/6281234567890") is None  # a phone, not a link
    assert normalize_link("instagram.com/budi.thrift") != normalize_link("instagram.com/budi.thrift2")


def test_links_found_in_free_text() -> None:
    text = "cek katalog di tokopedia.com/budithrift/kemeja ya, ig @budi.thrift. email budi@gmail.com"
    assert extract_links(text) == ["tokopedia:budithrift", "instagram:budi.thrift"]
    text = "Tokopedia: tokopedia.com/thriftjkt | Shopee: https://shopee.co.id/thriftjkt?smtt=0.0.9 | tiktok @thriftjkt_"
    assert extract_links(text) == ["tokopedia:thriftjkt", "shopee:thriftjkt", "tiktok:thriftjkt_"]


def test_address_light_normalisation() -> None:
    a = normalize_address("Jl. Merdeka No.05, RT 001/RW 002, Kec. Menteng, Jakarta Pusat")
    b = normalize_address("JALAN MERDEKA nomor 5 rt 1 rw 2 kecamatan menteng jakarta pusat")
    c = normalize_address("jln merdeka no 5, rt1/rw2 kec menteng - jakarta pusat")
    assert a == b == c == "jl merdeka no 5 rt 1 rw 2 kec menteng jakarta pusat"
    assert normalize_address("Jl. Merdeka No. 6") != normalize_address("Jl. Merdeka No. 5")
    assert normalize_address("...") is None


# ---------------------------------------------------------------------------------------
# golden values: these pin the algorithm; change them only on purpose


def test_golden_keys_and_hashes() -> None:
    assert normalize_phone("0812-3456-7890") == "+6281234567890"
    assert normalize_email("B.U.D.I+x@googlemail.com") == "budi@gmail.com"
    assert normalize_bank("Bank Central Asia 1234 5678 90") == "BCA:1234567890"
    assert normalize_link("@budi.thrift ig") == "instagram:budi.thrift"
    sig = ContactsSignal()
    table = sig.fingerprint([Account("a", phones=("0812-3456-7890",), emails=("budi@gmail.com",))])
    rows, keys = sig.candidate_keys(table)
    assert rows.tolist() == [0, 0]
    assert keys.dtype == np.uint64
    assert sorted(keys.tolist()) == sorted(
        [stable_hash64("+6281234567890", "phone"), stable_hash64("budi@gmail.com", "email")]
    )
    # pinned: the blocking key of a phone (salted by its kind)
    assert stable_hash64("+6281234567890", "phone") == GOLDEN_PHONE_HASH


GOLDEN_PHONE_HASH = 5670463561398361494  # blake2b-64 of "phone\x1f+6281234567890"


# ---------------------------------------------------------------------------------------
# the table, df, candidate keys


def _shared_phone_accounts(n_shared: int = 40) -> list[Account]:
    accs = [
        Account(f"agency{k}", phones=("0811-1111-1111",), bio=f"dropship agen resmi, wa 0811 1111 1111 ({k})")
        for k in range(n_shared)
    ]
    accs.append(Account("x", phones=("0811-1111-1111", "0857-2222-3333")))
    accs.append(Account("y", bio="WA kosong delapan lima tujuh 2222 3333", phones=("+62 811 1111 1111",)))
    return accs


def test_document_frequency_counts_distinct_accounts() -> None:
    sig = ContactsSignal()
    accs = _shared_phone_accounts(40)
    table = sig.fingerprint(accs)
    df = dict(zip(table.unique_key.tolist(), table.df.tolist()))
    # held by 40 agency accounts (in two fields each) + x + y: counted once per account
    assert df["+6281111111111"] == 42
    assert df["+6285722223333"] == 2
    n = len(accs)
    f = sig.compare(table, np.array([0, n - 2, 0]), np.array([1, n - 1, n - 1]))
    assert f["phone_shared"].tolist() == [1.0, 2.0, 1.0]
    assert f["phone_min_df"].tolist() == [42.0, 2.0, 42.0]


def test_candidate_keys_one_per_row_kind_value_and_vague_addresses_excluded() -> None:
    sig = ContactsSignal()
    accs = [
        Account("a", phones=("0812-3456-7890",), bio="wa.me/6281234567890", addresses=("Jakarta",)),
        Account("b", addresses=("Jl. Merdeka No. 5 RT 1 RW 2 Jakarta",)),
    ]
    table = sig.fingerprint(accs)
    rows, keys = sig.candidate_keys(table)
    assert rows.dtype == np.int64 and keys.dtype == np.uint64
    assert rows.tolist() == [0, 1]
    assert keys[0] == stable_hash64(E164, "phone")
    assert keys[1] == stable_hash64("jl merdeka no 5 rt 1 rw 2 jakarta", "address")


def test_table_fields_and_sources() -> None:
    acc = Account(
        "a",
        display_name="Toko Budi 0812-3456-7890",
        username="budithrift",
        platform="Shopee",
        phones=("0812-3456-7890",),
        emails=("budi@gmail.com",),
        links=("instagram.com/budi.thrift", "wa.me/6285711112222"),
        bank_accounts=("BCA 1234567890",),
        addresses=("Jl. Merdeka No. 5",),
        bio="transfer ke mandiri 1230004567890",
        listings=(Listing(title="Kemeja", description="minat wa 0813 1111 2222"),),
    )
    table = ContactsSignal().fingerprint([acc])
    got = {(KINDS[k], str(key), str(src)) for k, key, src in zip(table.kind, table.key, table.source)}
    assert got == {
        ("phone", E164, "display_name"),
        ("phone", E164, "phones"),
        ("email", "budi@gmail.com", "emails"),
        ("link", "instagram:budi.thrift", "links"),
        ("phone", "+6285711112222", "links"),
        ("bank", "BCA:1234567890", "bank_accounts"),
        ("address", "jl merdeka no 5", "addresses"),
        ("link", "shopee:budithrift", "username"),
        ("bank", "MANDIRI:1230004567890", "bio"),
        ("phone", "+6281311112222", "listings"),
    }
    assert len(table) == 1
    frame = table.to_pandas()
    assert len(frame) == len(table.row)
    assert set(frame.columns) >= {"account_id", "kind", "key", "raw", "source", "df"}


def test_signal_protocol_and_feature_names() -> None:
    sig = ContactsSignal()
    assert isinstance(sig, Signal)
    assert sig.name == "contacts"
    assert FEATURE_NAMES == (
        "phone_shared",
        "phone_min_df",
        "email_shared",
        "email_min_df",
        "bank_shared",
        "bank_min_df",
        "link_shared",
        "link_min_df",
        "address_shared",
        "address_min_df",
    )
    table = sig.fingerprint([Account("a"), Account("b")])
    f = sig.compare(table, np.array([0]), np.array([1]))
    assert isinstance(f, PairFeatures)
    assert tuple(f.values) == FEATURE_NAMES
    assert all(v.dtype == np.float64 and v.tolist() == [0.0] for v in f.values.values())
    empty = sig.compare(table, np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert len(empty) == 0 and tuple(empty.values) == FEATURE_NAMES
    assert sig.fingerprint([]).n_rows == 0


def test_boundary_errors() -> None:
    sig = ContactsSignal()
    table = sig.fingerprint([Account("a"), Account("b")])
    with pytest.raises(ValueError, match="same length"):
        sig.compare(table, np.array([0, 1]), np.array([1]))
    with pytest.raises(ValueError, match="0..1"):
        sig.compare(table, np.array([0]), np.array([2]))
    with pytest.raises(ValueError, match="integer"):
        sig.compare(table, np.array([0.5]), np.array([1.0]))
    with pytest.raises(ValueError, match="row"):
        sig.explain(table, 0, 5)
    with pytest.raises(TypeError, match="Account"):
        sig.fingerprint([{"account_id": "a"}])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="ContactsTable"):
        sig.compare({}, np.array([0]), np.array([1]))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# explain


def test_explain_returns_raw_values_as_written() -> None:
    sig = ContactsSignal()
    accs = [
        Account(
            "banned",
            phones=("0812-3456-7890",),
            bank_accounts=("BCA 123-456-7890 a.n. Budi",),
            emails=("Budi.Santoso@gmail.com",),
        ),
        Account(
            "comeback",
            bio="Order: wa.me/6281234567890 • transfer ke bca: 1234567890 • email budisantoso+baru@gmail.com",
        ),
        Account("other", phones=("0857-0000-1111",)),
    ]
    table = sig.fingerprint(accs)
    ev = sig.explain(table, 0, 1)
    assert all(isinstance(e, Evidence) and e.signal == "contacts" for e in ev)
    got = [(e.kind, e.left, e.right, e.key, e.shared_by) for e in ev]
    assert got == [
        ("phone", "0812-3456-7890", "wa.me/6281234567890", E164, 2),
        ("email", "Budi.Santoso@gmail.com", "budisantoso+baru@gmail.com", "budisantoso@gmail.com", 2),
        ("bank", "BCA 123-456-7890 a.n. Budi", "bca: 1234567890", "BCA:1234567890", 2),
    ]
    assert ev[0].extra == {"left_source": "phones", "right_source": "bio"}
    assert sig.explain(table, 0, 2) == []
    # the same order and values from the other side
    assert [(e.left, e.right) for e in sig.explain(table, 1, 0)] == [(e.right, e.left) for e in ev]


def test_explain_shows_spelled_out_number_as_written() -> None:
    sig = ContactsSignal()
    spelled = "nol delapan satu dua tiga empat lima enam tujuh delapan sembilan nol"
    table = sig.fingerprint([Account("a", phones=("0812 3456 7890",)), Account("b", bio=f"hub {spelled} ya")])
    (e,) = sig.explain(table, 0, 1)
    assert (e.left, e.right, e.key) == ("0812 3456 7890", spelled, E164)


# ---------------------------------------------------------------------------------------
# compare against a slow obvious reference


def _reference_compare(table: ContactsTable, left: np.ndarray, right: np.ndarray) -> dict[str, list[float]]:
    held: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for r, k, key in zip(table.row.tolist(), table.kind.tolist(), table.key.tolist()):
        held[r].add((k, key))
    df: Counter[tuple[int, str]] = Counter()
    for values in held.values():
        df.update(values)
    out: dict[str, list[float]] = {name: [] for name in FEATURE_NAMES}
    for i, j in zip(left.tolist(), right.tolist()):
        common = held[i] & held[j]
        for code, kind in enumerate(KINDS):
            dfs = [df[v] for v in common if v[0] == code]
            out[f"{kind}_shared"].append(float(len(dfs)))
            out[f"{kind}_min_df"].append(float(min(dfs)) if dfs else 0.0)
    return out


_PHONE_POOL = ["0812-3456-7890", "+62 857 1111 2222", "wa.me/6281398765432", "0813 1111 2222"]
_EMAIL_POOL = ["budi@gmail.com", "B.udi+x@gmail.com", "sari@yahoo.co.id", "toko@outlook.com"]
_BANK_POOL = [
    "BCA 1234567890",
    "bca: 123-456-7890",
    "BNI 1234567890",
    "Mandiri 123.00.0456789.0",
    "DANA 0813 1111 2222",
]
_LINK_POOL = ["instagram.com/budi", "@budi ig", "tiktok.com/@sari", "shopee.co.id/shop/99"]
_ADDR_POOL = ["Jl. Merdeka No. 5", "jalan merdeka nomor 5", "Jl. Sudirman 10", "Bandung"]
_BIO_POOL = [
    "",
    "WA 0812 3456 7890",
    "transfer BCA 1234567890",
    "email sari@yahoo.co.id, ig @budi",
    "harga Rp 150.000 ukuran 38 39 40",
    "nol delapan satu tiga satu satu satu satu dua dua dua dua",
]


@st.composite
def _accounts(draw: st.DrawFn) -> list[Account]:
    n = draw(st.integers(1, 9))
    accs = []
    for k in range(n):
        accs.append(
            Account(
                f"a{k}",
                phones=tuple(draw(st.lists(st.sampled_from(_PHONE_POOL), max_size=2))),
                emails=tuple(draw(st.lists(st.sampled_from(_EMAIL_POOL), max_size=2))),
                bank_accounts=tuple(draw(st.lists(st.sampled_from(_BANK_POOL), max_size=2))),
                links=tuple(draw(st.lists(st.sampled_from(_LINK_POOL), max_size=2))),
                addresses=tuple(draw(st.lists(st.sampled_from(_ADDR_POOL), max_size=1))),
                bio=draw(st.sampled_from(_BIO_POOL)),
            )
        )
    return accs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accs=_accounts(), data=st.data())
def test_batch_compare_equals_reference(accs: list[Account], data: st.DataObject) -> None:
    sig = ContactsSignal()
    table = sig.fingerprint(accs)
    n = len(accs)
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30))
    left = np.array([p[0] for p in pairs], dtype=np.int64)
    right = np.array([p[1] for p in pairs], dtype=np.int64)
    got = sig.compare(table, left, right)
    want = _reference_compare(table, left, right)
    for name in FEATURE_NAMES:
        assert got[name].tolist() == want[name], name
    # explain agrees with compare on what is shared
    for p, (i, j) in enumerate(pairs[:5]):
        ev = sig.explain(table, i, j)
        for kind in KINDS:
            assert sum(e.kind == kind for e in ev) == got[f"{kind}_shared"][p]


def test_compare_in_chunks_equals_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    sig = ContactsSignal()
    accs = [
        Account(f"a{k}", phones=(_PHONE_POOL[k % 4],), emails=(_EMAIL_POOL[k % 3],), links=(_LINK_POOL[k % 2],))
        for k in range(30)
    ]
    table = sig.fingerprint(accs)
    rng = np.random.default_rng(0)
    left, right = rng.integers(0, 30, 500), rng.integers(0, 30, 500)
    whole = sig.compare(table, left, right)
    monkeypatch.setattr(contacts, "_COMPARE_CHUNK", 7)
    chunked = sig.compare(table, left, right)
    for name in FEATURE_NAMES:
        np.testing.assert_array_equal(whole[name], chunked[name])
    want = _reference_compare(table, left, right)
    for name in FEATURE_NAMES:
        assert whole[name].tolist() == want[name]


# ---------------------------------------------------------------------------------------
# robustness

_NASTY = st.sampled_from(
    [
        "\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\x00", "\ud800", "\udfff", "🙏", "0️⃣", "\u20e3",
        "０", "８", "O", "l", "I", "+", "(", ")", "-", ".", " ", "@", "[at]", "wa.me/", "62", "0812", "nol ",
        "delapan ", "bca ", "dana ", "ig ", "@budi", "instagram.com/", "shopee.co.id/", "-i.", "Rp", "rb", "jl.",
        "no.", "?phone=", "%2B", "https://", "\n", "\t", "İ", "ß", "ﷺ", "١", "𝟎",
    ]
)
_FUZZ_TEXT = st.lists(st.one_of(_NASTY, st.text(max_size=5), st.characters()), max_size=25).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_FUZZ_TEXT)
def test_normalisers_never_crash(text: str) -> None:
    for fn in (normalize_phone, normalize_email, normalize_bank, normalize_link, normalize_address):
        out = fn(text)
        assert out is None or isinstance(out, str)
    for fn in (extract_phones, extract_emails, extract_banks, extract_links):
        out = fn(text)
        assert isinstance(out, list) and all(isinstance(x, str) for x in out)
    for phone in extract_phones(text):
        assert phone.startswith("+") and phone[1:].isdigit()


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(_FUZZ_TEXT, min_size=1, max_size=4))
def test_fingerprint_never_crashes_and_raw_is_a_substring(texts: list[str]) -> None:
    accs = [
        Account(f"a{k}", bio=t, phones=(t,), links=(t,), bank_accounts=(t,), emails=(t,), addresses=(t,))
        for k, t in enumerate(texts)
    ]
    table = ContactsSignal().fingerprint(accs)
    assert len(table) == len(accs)
    for r, raw in zip(table.row.tolist(), table.raw.tolist()):
        assert raw in texts[r]
    assert table.df.sum() == len(table.row_keys)


def test_module_doctests() -> None:
    result = doctest.testmod(contacts, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0


_PHONE_PIECES = st.sampled_from(
    PHONE_WAYS + PHONE_SENTENCES + ["Rp 150.000", ", ", "harga 85rb ", "bca 1234567890 ", "\u200b", "🙏"]
)


@settings(max_examples=150, deadline=None)
@given(text=st.lists(st.one_of(_PHONE_PIECES, _FUZZ_TEXT), max_size=6).map(" ".join))
def test_raw_span_of_a_phone_in_free_text_reads_back_as_the_same_phone(text: str) -> None:
    # the raw value shown to an investigator is the exact span the phone was read from
    table = ContactsSignal().fingerprint([Account("a", bio=text)])
    for kind, key, raw in zip(table.kind.tolist(), table.key.tolist(), table.raw.tolist()):
        if KINDS[kind] == "phone":
            assert raw in text
            assert normalize_phone(raw) == key
