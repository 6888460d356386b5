"""Tests of the phrasing signal: golden sketches, batch-vs-reference properties, invariance."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sellerlink.records import Account, Listing
from sellerlink.signals.base import Evidence, PairFeatures, Signal
from sellerlink.signals.phrasing import (
    NUM,
    PROD,
    STYLE_FEATURES,
    MinHash,
    PhrasingSignal,
    char_shingles,
    minhash_batch,
    minhash_params,
    normalize_text,
    split_sentences,
    style_features,
    word_shingles,
)

MASK = (1 << 64) - 1

# ---------------------------------------------------------------------------------------
# a small synthetic market, generated here (tests never read /work/shared)

PRODUCT_SWAP = {
    "bekas impor": "preloved",
    "bal": "karungan",
    "thrift": "second",
    "branded": "ori",
    "baju": "pakaian",
    "kemeja": "flanel",
    "jaket": "outer",
}
GREETINGS = ["Halo kak", "Hai sis", "Selamat datang gan", "Hallo bun", "Hai guys", "Permisi kak", "Welcome all"]
SIGNOFFS = ["Happy shopping", "Terima kasih 🙏", "Salam thrift", "Makasih kak 😊", "Selamat berbelanja", "Thx ya"]
PETS = [
    "no reseller no tipu",
    "real pict ya",
    "fast respon kalau online",
    "cek stok dulu ya",
    "bisa cod area kota",
    "harga nett no nego",
    "barang dicuci bersih sebelum kirim",
    "packing aman pakai kardus",
]
WORDS = (  # noqa: SIM905
    "kami admin mimin pilih sortir cuci setrika kirim foto semua setiap barang paket pesanan "
    "orderan tiap hari minggu senin sore pagi teliti rapi wangi gudang supplier langsung tanpa "
    "ribet via jne jnt sicepat resi dikirim dibungkus plastik kardus dicek satu per aman"
).split()
BOILERPLATE = [
    "Barang ready, langsung order saja.",
    "Silakan diorder sebelum kehabisan.",
    "Pengiriman setiap hari kecuali hari minggu dan tanggal merah.",
    "Mohon baca deskripsi sebelum membeli.",
]
PRODUCTS = ["baju", "kemeja", "jaket"]
QUALS = ["bekas impor", "bal", "thrift", "branded"]
EMOJI = ["🙏", "🔥", "✨", "😍", "💯", "👕", "🛍", "🥰"]


def make_seller(rng: random.Random) -> dict:
    """A seller's habits, fixed once."""
    return {
        "greet": rng.choice(GREETINGS),
        "sign": rng.choice(SIGNOFFS),
        "pets": rng.sample(PETS, 2),
        "emoji": rng.choice(EMOJI),
        "end": rng.choice(["!!!", "..", "~", ".", "!"]),
        "caps": rng.random() < 0.3,
        "own": [" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 8))) for _ in range(4)],
        "items": [(rng.choice(PRODUCTS), rng.choice(QUALS), rng.randint(3, 30) * 5) for _ in range(4)],
    }


def render(s: dict, aid: str, *, comeback: bool = False, boilerplate: bool = False, seed: int = 0) -> Account:
    """Write a seller's account; a comeback swaps product words and reorders sentences."""
    rng = random.Random(seed)

    def w(text: str) -> str:
        if comeback:
            for a, b in PRODUCT_SWAP.items():
                text = text.replace(a, b)
        return text

    def sent(x: str) -> str:
        return x[:1].upper() + x[1:] + s["end"]

    bio_parts = [sent(p) for p in s["pets"]] + [sent(s["own"][0])]
    if comeback:
        rng.shuffle(bio_parts)
    bio = " ".join([s["greet"] + s["end"], *bio_parts, s["sign"] + " " + s["emoji"]])
    listings = []
    for prod, qual, price in s["items"]:
        title = w(f"{prod} {qual} size L")
        title = title.upper() if s["caps"] else title.title()
        parts = [sent(w(f"{prod} {qual} kondisi mulus harga {price}rb")), *(sent(x) for x in s["own"][1:])]
        if boilerplate:
            parts += BOILERPLATE
        if comeback:
            rng.shuffle(parts)
        listings.append(Listing(title=title, description="\n".join(parts) + " " + s["emoji"]))
    if comeback:
        rng.shuffle(listings)
    return Account(aid, bio=bio, listings=tuple(listings))


@pytest.fixture(scope="module")
def market():
    """40 sellers (20 use the same boilerplate) plus the comeback of sellers 0 and 1."""
    rng = random.Random(11)
    sellers = [make_seller(rng) for _ in range(40)]
    accounts = [render(s, f"s{i}", boilerplate=i >= 20) for i, s in enumerate(sellers)]
    accounts.append(render(sellers[0], "c0", comeback=True, seed=1))
    accounts.append(render(sellers[25], "c25", comeback=True, boilerplate=True, seed=2))
    sig = PhrasingSignal(common_df=15)
    return sig, sig.fingerprint(accounts), accounts


# ---------------------------------------------------------------------------------------
# normalisation


def test_normalize_maps_product_words_numbers_and_sizes_to_classes():
    a = normalize_text("Kemeja Flanel UNIQLO bekas impor size XL 75rb, cek stok dulu ya kak!!")
    b = normalize_text("pakaian preloved ORI size L 80rb, cek stok dulu ya kak!!")
    assert a == b == f"{PROD} size {NUM}, cek stok dulu ya kak!!"
    # habits survive: abbreviations, punctuation runs, emoji
    assert normalize_text("yg ready dgn harga 50k~ 🙏") == f"yg ready dgn harga {NUM}~ 🙏"


def test_split_sentences_keeps_text_as_written():
    assert split_sentences("Halo Kak!! Barang READY.\nCek stok | Happy shopping 🙏") == [
        "Halo Kak!!",
        "Barang READY.",
        "Cek stok",
        "Happy shopping 🙏",
    ]


def test_shingles_ignore_sentence_order_and_are_pinned():
    s = [normalize_text("halo kak, no reseller no tipu"), normalize_text("cek stok dulu ya")]
    for fn in (word_shingles, char_shingles):
        assert np.array_equal(fn(s), fn(s[::-1]))
        assert np.all(np.diff(fn(s).astype(np.float64)) > 0)  # sorted, unique
    # golden values: these pin the shingle hashing; changing them invalidates stored fingerprints
    assert word_shingles([normalize_text("halo kak, no reseller no tipu")])[:3].tolist() == [
        1103391323507732101,
        3664416250026883653,
        4530380802487952068,
    ]
    assert char_shingles([normalize_text("halo kak")])[:3].tolist() == [
        7122257308946505784,
        7999051225155922366,
        8362845314647711686,
    ]


# ---------------------------------------------------------------------------------------
# MinHash


def test_minhash_golden_values():
    # pins the whole chain: normalisation, word 3-shingles, splitmix64 parameters, a*x+b mod 2**64
    m = MinHash.from_text("Halo kak!! Kemeja flanel bekas impor, no reseller no tipu 🙏", num_perm=8, seed=1)
    assert m.hashvalues.tolist() == [
        1549429073039255148,
        4343635147631430499,
        315843416083165228,
        4859391131845841765,
        511291170492450505,
        645641691163161682,
        2179667622909144370,
        159751684462964271,
    ]
    a, b = minhash_params(4, seed=1)
    assert a.tolist() == [10451216379200822465, 17911839290282890591, 8195237237126968761, 16184226688143867045]
    assert b.tolist() == [13757245211066428519, 8196980753821780235, 14072917602864530048, 9648886400068060533]
    assert all(x % 2 == 1 for x in a.tolist())


def _ref_params(num_perm: int, seed: int) -> tuple[list[int], list[int]]:
    """splitmix64, written out plainly."""
    a, b, state = [], [], seed

    def nxt(st: int) -> tuple[int, int]:
        st = (st + 0x9E3779B97F4A7C15) & MASK
        z = st
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return st, z ^ (z >> 31)

    for _ in range(num_perm):
        state, x = nxt(state)
        state, y = nxt(state)
        a.append(x | 1)
        b.append(y)
    return a, b


def _ref_minhash(sets: list[list[int]], num_perm: int, seed: int) -> list[list[int]]:
    a, b = _ref_params(num_perm, seed)
    return [[min(((ai * x + bi) & MASK for x in s), default=MASK) for ai, bi in zip(a, b)] for s in sets]


@settings(max_examples=60, deadline=None)
@given(
    sets=st.lists(st.lists(st.integers(0, MASK), max_size=12), max_size=8),
    num_perm=st.integers(1, 9),
    seed=st.integers(0, MASK),
    chunk=st.sampled_from([1, 2, 3, 5, 1 << 14]),
)
def test_minhash_batch_matches_slow_reference(sets, num_perm, seed, chunk):
    arrays = [np.array(s, dtype=np.uint64) for s in sets]
    got = minhash_batch(arrays, num_perm=num_perm, seed=seed, chunk=chunk)
    assert got.shape == (len(sets), num_perm) and got.dtype == np.uint64
    assert got.tolist() == _ref_minhash(sets, num_perm, seed)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=60), st.lists(st.integers(0, 300), min_size=1, max_size=60))
def test_minhash_jaccard_is_an_estimate_of_set_jaccard(x, y):
    sx, sy = set(x), set(y)
    hx = MinHash.from_shingles(np.array(sorted(sx), dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15), 256)
    hy = MinHash.from_shingles(np.array(sorted(sy), dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15), 256)
    true = len(sx & sy) / len(sx | sy)
    assert abs(hx.jaccard(hy) - true) < 0.2
    if sx == sy:
        assert hx == hy and hx.jaccard(hy) == 1.0


def test_minhash_value_object_round_trip_and_mismatch():
    m = MinHash.from_text("Halo kak, barang ready no reseller no tipu", num_perm=16, seed=7)
    data = m.to_bytes()
    assert data[:4] == b"SLMH" and len(data) == 17 + 16 * 8
    back = MinHash.from_bytes(data)
    assert back == m and hash(back) == hash(m) and back.seed == 7 and back.num_perm == 16
    other = MinHash.from_text("Halo kak, barang ready no reseller no tipu", num_perm=16, seed=8)
    assert other != m
    with pytest.raises(ValueError, match="seed"):
        m.jaccard(other)
    with pytest.raises(ValueError, match="num_perm"):
        m.jaccard(MinHash.from_text("Halo kak", num_perm=32, seed=7))
    with pytest.raises(ValueError):
        MinHash.from_bytes(data[:-1])
    with pytest.raises(ValueError):
        MinHash.from_bytes(b"XXXX" + data[4:])
    with pytest.raises(ValueError):
        MinHash(np.array([1, 2], dtype=np.int64))
    with pytest.raises(ValueError):
        minhash_batch([], num_perm=0)
    empty = MinHash.from_text("", num_perm=16, seed=7)
    assert empty.is_empty and empty.jaccard(empty) == 0.0 and m.jaccard(m) == 1.0


# ---------------------------------------------------------------------------------------
# the signal


def test_signal_protocol_and_table_shape(market):
    sig, table, accounts = market
    assert isinstance(sig, Signal) and sig.name == "phrasing"
    assert sig.feature_names == ("text_sim", "text_jaccard", "sentence_shared", "style_sim", "text_info")
    assert len(table) == len(accounts)
    assert table.minhash.shape == (len(accounts), 128) and table.minhash.dtype == np.uint64
    assert table.style.shape == (len(accounts), len(STYLE_FEATURES)) and table.style.dtype == np.float32
    assert table.minhash_of(0) == MinHash.from_shingles(table.vocab[table.sh_ids[: table.sh_offsets[1]]])


def test_comeback_with_swapped_product_words_and_reordered_sentences_stays_close(market):
    sig, table, _ = market
    n = len(table)
    f = sig.compare(table, np.array([0, 25]), np.array([n - 2, n - 1]))
    assert isinstance(f, PairFeatures)
    assert set(f.values) == set(sig.feature_names)
    assert all(v.dtype == np.float64 and len(v) == 2 for v in f.values.values())
    assert f["text_sim"].min() > 0.8  # only the product words and the order changed
    assert f["text_jaccard"].min() > 0.7
    assert f["style_sim"].min() > 0.8
    assert f["sentence_shared"].min() >= 3
    assert f["text_info"].min() > 20


def test_boilerplate_sharing_sellers_stay_far(market):
    sig, table, _ = market
    left, right = np.array([20, 21, 22, 23, 30]), np.array([21, 22, 23, 24, 31])
    f = sig.compare(table, left, right)
    assert f["text_sim"].max() < 0.1  # 20 accounts use the boilerplate: it weighs 0 (common_df=15)
    assert f["sentence_shared"].max() == 0
    assert f["style_sim"].max() < 0.8
    # the comeback pair beats every boilerplate pair on text_sim and text_info
    cb = sig.compare(table, np.array([25]), np.array([len(table) - 1]))
    assert cb["text_sim"][0] > 5 * f["text_sim"].max()
    assert cb["text_info"][0] > 5 * f["text_info"].max()


def _slow_text_sim(table, i: int, j: int) -> tuple[float, float]:
    """Weighted Jaccard with a consistent bottom-k threshold, written out with Python sets."""

    def ids(r):
        return set(table.sh_ids[table.sh_offsets[r] : table.sh_offsets[r + 1]].tolist())

    a, b = ids(i), ids(j)
    if not a or not b:
        return 0.0, 0.0
    limit = float("inf")
    for r, s in ((i, a), (j, b)):
        if table.sh_capped[r]:
            limit = min(limit, max(s))
    a = {x for x in a if x <= limit}
    b = {x for x in b if x <= limit}
    inter = sum(table.idf[x] for x in a & b)
    union = sum(table.idf[x] for x in a | b)
    return (inter / union if union > 1e-12 else 0.0), inter


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 41), st.integers(0, 41)), min_size=1, max_size=30), st.sampled_from([40, 4000]))
def test_batch_compare_matches_slow_reference(market, pairs, max_shingles):
    _, _, accounts = market
    sig = PhrasingSignal(common_df=15, max_shingles=max_shingles)
    table = _table_cache(sig, accounts)
    left = np.array([p[0] for p in pairs])
    right = np.array([p[1] for p in pairs])
    f = sig.compare(table, left, right)
    for k, (i, j) in enumerate(pairs):
        sim, info = _slow_text_sim(table, i, j)
        assert f["text_sim"][k] == pytest.approx(sim, abs=1e-9)
        assert f["text_info"][k] == pytest.approx(info, abs=1e-9)
        hi = table.sent_hashes[table.sent_offsets[i] : table.sent_offsets[i + 1]]
        hj = table.sent_hashes[table.sent_offsets[j] : table.sent_offsets[j + 1]]
        df = dict(zip(table.sent_hashes.tolist(), table.sent_df.tolist()))
        assert f["sentence_shared"][k] == sum(1 for h in set(hi.tolist()) & set(hj.tolist()) if df[h] <= table.rare_df)
        mi, mj = table.minhash_of(i), table.minhash_of(j)
        assert f["text_jaccard"][k] == pytest.approx(mi.jaccard(mj))
    # symmetric
    g = sig.compare(table, right, left)
    for name in sig.feature_names:
        assert np.allclose(f[name], g[name])
    # compare intersects only the weighted entries (boilerplate shingles weigh 0 here): the
    # same floats as the intersections of the full rows
    assert len(table.sh_weighted[1]) < len(table.sh_ids) and len(table.sent_weighted[1]) < len(table.sent_ids)
    from sellerlink.signals.phrasing import _both_have_text, _pair_intersections

    has = _both_have_text(table, left, right)
    offs, ids = table.sh_offsets, table.sh_ids
    last = np.where(table.sh_capped, ids[np.maximum(offs[1:] - 1, 0)].astype(np.int64), np.iinfo(np.int64).max)
    limit = np.minimum(last[left], last[right]) if table.sh_capped[left].any() or table.sh_capped[right].any() else None
    full = _pair_intersections(offs, ids, left, right, table.idf, limit)
    assert np.array_equal(f["text_info"][has], full[has])
    full_sent = _pair_intersections(table.sent_offsets, table.sent_ids, left, right, table.sent_rare)
    assert np.array_equal(f["sentence_shared"], full_sent)


_TABLES: dict = {}


def _table_cache(sig, accounts):
    key = sig.max_shingles
    if key not in _TABLES:
        _TABLES[key] = sig.fingerprint(accounts)
    return _TABLES[key]


def test_capped_shingles_still_match_copies():
    rng = random.Random(3)
    s = make_seller(rng)
    accounts = [render(s, "a"), render(s, "b", comeback=True, seed=4), render(make_seller(rng), "c")]
    sig = PhrasingSignal(max_shingles=30)
    table = sig.fingerprint(accounts)
    assert table.sh_capped.all()
    f = sig.compare(table, np.array([0, 0]), np.array([1, 2]))
    assert f["text_sim"][0] > 0.7 and f["text_sim"][1] < 0.2


def test_lsh_band_keys_find_an_edited_copy(market):
    _, _, accounts = market
    sig = PhrasingSignal(common_df=15, max_sentence_keys=0, max_shingle_keys=0)  # bands only
    table = sig.fingerprint(accounts)
    rows, keys = sig.candidate_keys(table)
    assert rows.dtype == np.int64 and keys.dtype == np.uint64 and len(rows) == len(keys)
    n = len(table)
    assert len(rows) == n * sig.bands
    k0 = set(keys[rows == 0].tolist())
    kc = set(keys[rows == n - 2].tolist())
    assert k0 & kc  # the edited copy shares at least one band
    # an unrelated seller almost never does
    others = sum(bool(k0 & set(keys[rows == r].tolist())) for r in range(1, 20))
    assert others <= 2
    # identical sketches share every band, and band keys depend on the band index
    bk = sig.band_keys(np.vstack([table.minhash[0], table.minhash[0]]))
    assert np.array_equal(bk[0], bk[1]) and len(set(bk[0].tolist())) == sig.bands


def test_candidate_keys_are_bounded_and_skip_empty_accounts(market):
    _, _, accounts = market
    sig = PhrasingSignal(common_df=15, max_sentence_keys=3, max_shingle_keys=5)
    table = sig.fingerprint([*accounts, Account("empty"), Account("blank", bio="   ")])
    rows, keys = sig.candidate_keys(table)
    counts = np.bincount(rows, minlength=len(table))
    assert counts.max() <= sig.bands + 3 + 5
    assert counts[-1] == counts[-2] == 0
    # the comeback and its original share a rare (non-band) key
    n = len(accounts)
    rare = np.arange(len(rows)) >= (counts > 0).sum() * sig.bands
    assert set(keys[rare & (rows == 0)].tolist()) & set(keys[rare & (rows == n - 2)].tolist())
    f = sig.compare(table, np.array([len(table) - 1, 0]), np.array([len(table) - 2, len(table) - 1]))
    for name in sig.feature_names:
        assert np.all(f[name] == 0.0)


def test_explain_names_rare_sentences_as_written_and_shared_habits(market):
    sig, table, accounts = market
    n = len(table)
    ev = sig.explain(table, 0, n - 2)
    assert all(isinstance(e, Evidence) and e.signal == "phrasing" for e in ev)
    sentences = [e for e in ev if e.kind == "sentence"]
    assert sentences
    for e in sentences:
        assert e.left in " ".join(accounts[0].texts)  # as written on each side
        assert e.right in " ".join(accounts[n - 2].texts)
        assert 2 <= e.shared_by <= table.rare_df
    style = [e for e in ev if e.kind == "style"]
    assert len(style) == 1
    habits = style[0].extra["shared_habits"]
    greet = accounts[0].bio.split("!")[0].split(".")[0].split("~")[0].casefold()
    assert any(greet in h for h in habits)
    assert style[0].key.startswith("both ")
    # its similarity is the pair's style_sim feature
    assert style[0].similarity == sig.compare(table, np.array([0]), np.array([n - 2]))["style_sim"][0]
    # a boilerplate pair has no rare sentence to show
    assert not [e for e in sig.explain(table, 20, 21) if e.kind == "sentence"]


def test_style_features_capture_habits():
    v, labels = style_features(Account("a", bio="HALO KAK!!! yg ready dgn harga 50k~ 🙏\nHappy shopping 🙏"))
    f = dict(zip(STYLE_FEATURES, v.tolist()))
    assert f["greet_halo"] == 1.0 and f["run_excl3"] > 0 and f["abbr_yg"] > 0 and f["abbr_dgn"] > 0
    assert f["price_k"] > 0 and f["caps_ratio"] > 0.2 and f["emoji_rate"] > 0 and f["sign_happy"] > 0
    assert {"opens with 'halo kak'", "uses '!!!'", "writes 'yg'", "ends with '🙏'", "uses '~'"} <= set(labels)
    v2, labels2 = style_features(Account("b"))
    assert not v2.any() and labels2 == ()


def test_style_is_invariant_to_product_words_and_order():
    rng = random.Random(5)
    s = make_seller(rng)
    a, b = render(s, "a"), render(s, "b", comeback=True, seed=9)
    va, la = style_features(a)
    vb, lb = style_features(b)
    assert la == lb
    assert np.allclose(va, vb, rtol=0.1, atol=0.02)  # rates per character move a little with word length


def test_validation_errors(market):
    sig, table, _ = market
    with pytest.raises(ValueError, match="equal length"):
        sig.compare(table, np.array([0, 1]), np.array([1]))
    with pytest.raises(ValueError, match="row numbers"):
        sig.compare(table, np.array([0]), np.array([len(table)]))
    with pytest.raises(ValueError, match="integer"):
        sig.compare(table, np.array([0.5]), np.array([1.0]))
    with pytest.raises(ValueError, match="bands"):
        PhrasingSignal(bands=3).fingerprint([])
    with pytest.raises(ValueError, match="shingle"):
        PhrasingSignal(shingle="sentence").fingerprint([])
    with pytest.raises(TypeError, match="Account"):
        PhrasingSignal().fingerprint([{"account_id": "x"}])  # type: ignore[list-item]
    empty = PhrasingSignal().fingerprint([])
    rows, keys = PhrasingSignal().candidate_keys(empty)
    assert len(rows) == len(keys) == 0
    assert len(PhrasingSignal().compare(empty, np.array([], dtype=np.int64), np.array([], dtype=np.int64))) == 0


def test_cutoffs_shrink_with_a_small_collection():
    from sellerlink.signals.phrasing import effective_cutoffs

    # a phrase four sellers out of 120 share is boilerplate there, but rare among 100,000
    small, large = effective_cutoffs(50, 5, 120), effective_cutoffs(50, 5, 100_000)
    assert small[0] < 50 and small[1] < 5
    assert large == (50.0, 5)
    assert all(effective_cutoffs(50, 5, n)[0] <= effective_cutoffs(50, 5, n + 500)[0] for n in range(1, 3000, 97))


# -- the fast paths of the fingerprint against their slow references --------------------------------

_PIECES = ["no", "reseller", "cod", "ready", "stok", "happy", "shopping", "cek", "dulu", "'", " ", "  ", "\t", "\n",
           "é", "x2", "baju2", "ab2", "ÀB", "Ab", "A", "b", "kak", "yg", "rp", "RP", "idr", "İdr", "ıdr", "50", "k",
           "rb", "!!", "!!!", "?!", "?", "..", ".", ",", "#", "_", "\ue000", "\ue001", "½", "²", "😀", "-", "Ⅻ"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
@example("harga rp50 / RP 5 / idr5 / İdr 5 / ıdr5, 50k 50 rb!! ok ?! ready,langsung ready.langsung ready !")
@example("no reseller 'cod' happy shopping kak, x2 baju2 ab2 ²2 A b ÀB Ab A.B #sale \ue000 \ue001 yg ready!!")
def test_fast_style_and_sentence_paths_match_reference(s: str) -> None:
    import re

    from sellerlink.signals import phrasing as P

    def spans(rx: re.Pattern[str], text: str) -> list[tuple[str | None, tuple[int, int]]]:
        return [(m.lastgroup, m.span()) for m in rx.finditer(text)]

    # the vocabulary regex with its start-character lookahead = without it
    ref_counter = re.compile(P._COUNTER_ALT, re.IGNORECASE)
    # the per-family scans count what the one regex finds
    for text in (s, s.lower(), s.upper()):
        want: dict[str, int] = {}
        for name, _ in spans(ref_counter, text):
            want[name] = want.get(name, 0) + 1
        assert P._counters(text) == want
    ref_vocab = re.compile(P._VOCAB_RE.pattern.replace(r"(?=[^\W\d_])", "", 1))
    assert ref_vocab.pattern != P._VOCAB_RE.pattern
    assert spans(P._VOCAB_RE, s) == spans(ref_vocab, s)
    for low in (s, s.lower()):
        assert spans(P._VOCAB_RE, low) == spans(ref_vocab, low)
    # "baju2" count and the words of 2+ letters
    ref_redup = sum(1 for t in P._ALNUM.findall(s) if len(t) > 2 and t[-1] == "2" and t[:-1].isalpha())
    assert sum(1 for t in P._REDUP_CANDIDATE.findall(s) if t[:-1].isalpha()) == ref_redup
    # no "2": no candidate (the redup count skips the scan then)
    assert "2" in s or not P._REDUP_CANDIDATE.findall(s)
    # the sentence key from one regex pass = the token-by-token reference
    toks = P._WORD_SHINGLE_TOKEN.findall(s)
    assert P._sentence_key_fast(toks, s) == P._sentence_key(toks)
    norm = P.normalize_text(s)
    toks = P._WORD_SHINGLE_TOKEN.findall(norm)
    assert P._sentence_key_fast(toks, norm) == P._sentence_key(toks)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 30), max_size=12), min_size=1, max_size=9),
    st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(-1, 31)), min_size=1, max_size=25),
    st.sampled_from([1, 3, 7, 1 << 21]),
    st.booleans(),
)
def test_pair_intersections_match_sets_whatever_the_chunking(rows, pairs, chunk, with_limit):
    """The per-chunk keys of ``_pair_intersections`` against Python sets: chunks that split the
    pairs of one long row, rows that pair with themselves, empty rows, per-pair limits."""
    from sellerlink.signals.phrasing import _pair_intersections, _row_sums, _row_sums_upto

    sets = [sorted(set(r)) for r in rows]
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sets]))).astype(np.int64)
    ids = np.array([x for s in sets for x in s], dtype=np.int32)
    weights = np.linspace(0.5, 3.0, 31)
    n = len(sets)
    left = np.array([p[0] % n for p in pairs], dtype=np.int64)
    right = np.array([p[1] % n for p in pairs], dtype=np.int64)
    limit = np.array([p[2] for p in pairs], dtype=np.int64) if with_limit else None
    got = _pair_intersections(offsets, ids, left, right, weights, limit, chunk=chunk)
    rowsum = _row_sums(offsets, ids, weights)
    lim = limit if limit is not None else np.full(len(pairs), 99, dtype=np.int64)
    upto = _row_sums_upto(offsets, ids, weights, rowsum, left, lim)
    for k, (a, b) in enumerate(zip(left.tolist(), right.tolist())):
        cap = int(lim[k])
        shared = {x for x in sets[a] if x <= cap} & set(sets[b])
        assert got[k] == pytest.approx(sum(weights[x] for x in shared), abs=1e-12)
        assert upto[k] == pytest.approx(sum(weights[x] for x in sets[a] if x <= cap), abs=1e-12)
    assert rowsum == pytest.approx([sum(weights[x] for x in s) for s in sets], abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 9), max_size=6), max_size=12),
    st.lists(st.sampled_from([0.0, 0.5, 2.0]), min_size=10, max_size=10),
    st.sampled_from([1, 2, 3, 5, 1 << 22]),
)
def test_nonzero_csr_drops_the_ids_of_weight_0_block_by_block(rows, weights, block):
    """The weighted CSR against a row-by-row filter: blocks that end inside a row, on a row's
    start, empty rows first and last, all weights 0 or none."""
    from sellerlink.signals.phrasing import _nonzero_csr

    offsets = np.concatenate(([0], np.cumsum([len(r) for r in rows]))).astype(np.int64)
    ids = np.array([x for r in rows for x in r], dtype=np.int32)
    w = np.array(weights)
    new_offsets, new_ids = _nonzero_csr(offsets, ids, w, block=block)
    want = [[x for x in r if w[x] != 0] for r in rows]
    assert new_ids.dtype == ids.dtype and len(new_offsets) == len(rows) + 1
    assert [new_ids[new_offsets[i] : new_offsets[i + 1]].tolist() for i in range(len(rows))] == want
    assert new_offsets[-1] == len(new_ids)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 40), st.integers(2**63 - 3, 2**64 - 1)), max_size=200))
def test_vocabulary_equals_numpy_unique(values):
    from sellerlink.signals.phrasing import _vocabulary

    arr = np.array(values, dtype=np.uint64)
    ref_u, ref_inv, ref_c = np.unique(arr, return_inverse=True, return_counts=True)
    given = arr.copy()
    uniq, inv, counts = _vocabulary(given)
    assert np.array_equal(given, arr)  # an array is left as it was
    held = [arr.copy()]
    for u, i, c in ((uniq, inv, counts), _vocabulary(held)):  # a one-item list is consumed
        assert np.array_equal(u, ref_u) and np.array_equal(c, ref_c)
        assert np.array_equal(i, ref_inv.ravel()) and i.dtype == np.int32
    assert held == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sets(st.one_of(st.integers(0, 60), st.integers(2**64 - 40, 2**64 - 1)), max_size=12), max_size=40),
       st.integers(1, 9))  # fmt: skip
def test_row_vocabulary_by_blocks_equals_numpy_unique_of_all_rows(rows, block):
    """_row_vocabulary finds the vocabulary a block of rows at a time (joining every row held
    ~17 bytes an entry at 1M accounts): the offsets, distinct values, each entry's id and the
    counts of numpy's unique over all rows joined, and the rows are consumed."""
    from sellerlink.signals.phrasing import _row_vocabulary

    arrays = [np.array(sorted(r), dtype=np.uint64) for r in rows]
    joined = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)
    ref_u, ref_inv, ref_c = np.unique(joined, return_inverse=True, return_counts=True)
    given = list(arrays)
    offsets, uniq, ids, counts = _row_vocabulary(given, block)
    assert given == []
    assert offsets.tolist() == [0, *np.cumsum([len(a) for a in arrays]).tolist()]
    assert np.array_equal(uniq, ref_u) and np.array_equal(counts, ref_c) and counts.dtype == np.int64
    assert np.array_equal(ids, ref_inv.ravel()) and ids.dtype == np.int32


@pytest.mark.parametrize("block", [1, 2, 3, 7])
def test_candidate_keys_drawn_by_blocks_of_rows_are_those_of_one_block(market, monkeypatch, block):
    """candidate_keys draws its keys _KEY_ROWS rows at a time (over the whole table at once it
    held, per shingle entry, its row and count as int64 beside masks: +1,059 MB at 300k
    accounts): the same keys in the same order wherever the blocks cut, rows without text
    among them."""
    import sellerlink.signals.phrasing as phr
    from sellerlink.signals.base import RarityContext

    sig, _, accounts = market
    accs = [Account("empty"), *accounts[:5], Account("blank", bio="  "), *accounts[5:], Account("last")]
    table = sig.fingerprint(accs, rarity=RarityContext(1000, lambda _s, k: (k % np.uint64(12)).astype(np.int64) + 1))
    monkeypatch.setattr(phr, "_KEY_ROWS", 10**9)
    want = sig.candidate_keys(table)
    with_text = int((np.diff(table.sh_offsets) > 0).sum())
    assert with_text == len(accs) - 3
    # rare sentences and shingles (counts 2..key_df) as well as the band keys
    assert len(want[0]) > sig.bands * with_text + 2 * len(accs)
    monkeypatch.setattr(phr, "_KEY_ROWS", block)
    got = sig.candidate_keys(table)
    assert got[0].dtype == np.int64 and got[1].dtype == np.uint64
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


@pytest.mark.parametrize("with_empty", [False, True])
def test_index_keys_are_every_band_sentence_and_the_first_shingles_of_each_row(market, with_empty):
    """The keys an index stores per account: its band keys (none without text), every sentence
    key and its ``4 * max_shingle_keys`` smallest shingles, written out per row here."""
    from sellerlink.signals.phrasing import _sentence_keys, _shingle_keys

    _, _, accounts = market
    sig = PhrasingSignal(max_shingle_keys=3)
    extra = [Account("empty"), Account("blank", bio="   ")] if with_empty else []
    table = sig.fingerprint([extra[0], *accounts, *extra[1:]] if extra else list(accounts))
    rows, keys = sig.index_keys(table)
    assert rows.dtype == np.int64 and keys.dtype == np.uint64
    for i in range(len(table)):
        sh = table.vocab[table.sh_ids[table.sh_offsets[i] : table.sh_offsets[i + 1]]]
        sent = table.sent_hashes[table.sent_offsets[i] : table.sent_offsets[i + 1]]
        want = list(_sentence_keys(sent).tolist()) + list(_shingle_keys(sh[:12]).tolist())
        if len(sh):
            want = list(sig.band_keys(table.minhash[i : i + 1]).ravel().tolist()) + want
        assert sorted(keys[rows == i].tolist()) == sorted(want)
    if with_empty:
        assert not (rows == 0).any() and not (rows == len(table) - 1).any()


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_assembled_states_equal_the_fingerprint_whatever_the_chunk(market, monkeypatch, chunk):
    """assemble copies each chunk's per-row arrays into one array and shows only the rare
    sentences' texts: the table is fingerprint's, field by field, wherever the chunks cut."""
    import dataclasses

    import sellerlink.signals.phrasing as phr

    sig, _, accounts = market
    accounts = [*accounts, Account("empty"), accounts[0]]  # a row without text; a repeated text
    want = sig.fingerprint(accounts)
    monkeypatch.setattr(phr, "_ASSEMBLE_CHUNK", chunk)
    phr._parse_state.cache_clear()
    got = sig.assemble([a.account_id for a in accounts], sig.extract(accounts))
    # a sentence 2..rare_df accounts use is shown as this row wrote it; the others are not
    written = [phr._split_texts(phr._parse_state(st)[0][3]) for st in sig.extract(accounts)]
    shown = (got.sent_df >= 2) & (got.sent_df <= got.rare_df)
    assert shown.any()
    for i, texts in enumerate(written):
        lo, hi = int(got.sent_offsets[i]), int(got.sent_offsets[i + 1])
        assert got.sent_text[lo:hi].tolist() == [t if ok else None for t, ok in zip(texts, shown[lo:hi])]
    for f in dataclasses.fields(want):
        a, b = getattr(want, f.name), getattr(got, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, f.name
            assert a.tolist() == b.tolist(), f.name
        else:
            assert a == b, f.name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 43), max_size=12))
def test_rarity_stats_of_some_rows_equal_the_whole_table_mask(market, rows):
    """``rarity_stats(table, rows=)`` touches only ``rows`` (an index writes every account's
    share, and a pass over the whole table each time was quadratic) and gives, bit for bit,
    what masking the whole table gives; rows without text count nothing."""
    sig, _, accounts = market
    accs = [*accounts, Account("empty"), Account("bare", bio="ok")]  # rows 42, 43: no shingles or few
    table = sig.fingerprint(accs)
    has_text = np.diff(table.sh_offsets) > 0
    assert not has_text.all() and has_text.sum() >= 40
    sel = np.zeros(len(accs), dtype=bool)
    sel[rows] = True
    x = table.style[has_text & sel].astype(np.float64)
    got = sig.rarity_stats(table, rows=np.array(rows, dtype=np.int64))
    assert got["style_n"].tolist() == [float(len(x))]
    assert got["style_sum"].tobytes() == x.sum(axis=0).tobytes()
    assert got["style_sumsq"].tobytes() == (x * x).sum(axis=0).tobytes()
    whole = sig.rarity_stats(table)
    assert whole["style_n"].tolist() == [float(has_text.sum())]
    with pytest.raises(ValueError, match="rows"):
        sig.rarity_stats(table, rows=np.array([len(accs)]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("ab \x00é"), max_size=4), max_size=5),
       st.lists(st.text(alphabet="xy'", max_size=3), max_size=3))
def test_a_parsed_state_gives_back_its_sentence_texts_and_habits(texts, habits):
    """_parse_state keeps a row's texts as one NUL-joined string when that can be split back
    (no empty text, no NUL inside one), and as the list otherwise: either way the texts are
    the ones stored, in order."""
    from sellerlink.signals.base import pack
    from sellerlink.signals.phrasing import _parse_state, _split_texts

    arrays = {"sh": np.zeros(0, np.uint64), "sent": np.arange(len(texts), dtype=np.uint64),
              "style": np.zeros(len(STYLE_FEATURES), np.float32)}
    part, mh, made_with = _parse_state.__wrapped__(pack(arrays, [True, texts, habits, ["word", None, 1, 2, 3]]))
    assert _split_texts(part[3]) == texts
    assert part[5] == tuple(habits) and part[1] is True and mh is None and made_with == ["word", None, 1, 2, 3]


def test_column_mean_and_std_read_in_blocks_are_numpys_over_all_rows():
    """_column_mean_std sums a block of rows at a time (numpy's std held three float64 copies
    of every row): the same values as numpy's mean and std over all the rows, bit for bit, for
    any block size, row subset, and columns of very different scales, constant ones included."""
    from sellerlink.signals.phrasing import _column_mean_std

    rng = np.random.default_rng(5)
    for trial in range(60):
        n, d = int(rng.integers(1, 3000)), int(rng.integers(2, 110))
        x = (rng.standard_normal((n, d)) * rng.uniform(0, 1e4, d) + rng.uniform(-1e3, 1e3, d)).astype(np.float32)
        x[:, int(rng.integers(0, d))] = 7.0
        rows = np.sort(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False))
        mu, sd = _column_mean_std(x, rows, int(rng.integers(1, 700)))
        y = x[rows].astype(np.float64)
        assert np.array_equal(mu, y.mean(axis=0)) and np.array_equal(sd, y.std(axis=0)), trial


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_style_vectors_are_standardised_a_block_of_rows_at_a_time_as_all_at_once(market, monkeypatch, chunk):
    """_assemble standardises the style vectors _STYLE_ROWS rows at a time: bit for bit the
    arithmetic of all rows at once (the reference below), with the batch's mean and spread
    and with a context's."""
    import sellerlink.signals.phrasing as P
    from sellerlink.signals.base import RarityContext

    sig, table, accounts = market

    def reference(styles, has, mu=None, sd=None):
        x = styles[has].astype(np.float64)
        if mu is None:
            mu, sd = x.mean(axis=0), x.std(axis=0)
        z = np.clip(np.where(sd > 1e-9, (x - mu) / np.where(sd > 1e-9, sd, 1.0), 0.0), -4.0, 4.0)
        norm = np.linalg.norm(z, axis=1, keepdims=True)
        out = np.zeros_like(styles)
        out[has] = (z / np.where(norm > 0, norm, 1.0)).astype(np.float32)
        return out

    monkeypatch.setattr(P, "_STYLE_ROWS", chunk)
    has = np.diff(table.sh_offsets) > 0
    assert has.sum() > 3 * chunk or chunk == 64
    got = sig.fingerprint(accounts)
    assert np.array_equal(got.style_unit, reference(got.style, has))
    mu = got.style[has].astype(np.float64).mean(axis=0) + 0.25
    sd = got.style[has].astype(np.float64).std(axis=0) * 1.5
    ctx = RarityContext(len(accounts), lambda _s, k: np.ones(len(k), np.int64),
                        {"phrasing": {"style_mean": mu, "style_std": sd}})
    got = sig.fingerprint(accounts, rarity=ctx)
    assert np.array_equal(got.style_unit, reference(got.style, has, mu, sd))
    # assemble(rows=) blanks the other rows' shingles but standardises every row with text
    states = sig.extract(accounts)
    got = sig.assemble([a.account_id for a in accounts], states, rarity=ctx, rows=[0, 1])
    assert (np.diff(got.sh_offsets) > 0).sum() <= 2 < has.sum()
    assert np.array_equal(got.style_unit, reference(got.style, has, mu, sd))
