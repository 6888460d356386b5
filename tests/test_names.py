"""Tests of the names signal: normalisation, similarity, fingerprint, blocking, comparison."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from sellerlink.records import Account
from sellerlink.signals.base import Evidence, PairFeatures, Signal, stable_hash64
from sellerlink.signals.names import (
    CITY_WORDS,
    FILLER_WORDS,
    MAX_NAME_CHARS,
    NamesSignal,
    NamesTable,
    name_key,
    name_similarity,
    name_similarity_batch,
    name_tokens,
    normalize_name,
)

# -- normalisation --------------------------------------------------------------------------

# Golden values: computed once with this algorithm and pinned here. A change in the
# filler lists, the skeleton or the leet rules shows up as a failure.
GOLDEN = [
    ("Thrift Budi Official", "budi"),
    ("thr1ft_budi", "budi"),
    ("BUDI THRIFT JKT", "budi"),
    ("Вudі Тhrift", "budi"),
    ("✨budi.thrift✨", "budi"),
    ("tokobudi", "budi"),
    ("budi.id2", "budi"),
    ("𝕭𝖚𝖉𝖎 🔥 Store", "budi"),
    ("ＢＵＤＩ　ＪＡＹＡ", "budi jaya"),
    ("Sinar Jaya Grosir Surabaya", "sinar jaya"),
    ("Olshop Mama Ria 🇮🇩", "mama ria"),  # l -> i merge leaves "ria" as is
    ("Thrift Store Jakarta", "thrift"),  # all filler: the product word is kept
    ("Preloved Shop", "preioved"),  # folded spelling (l and i merged)
    ("Toko Jakarta", "toko"),  # only shop and city words: the kind of shop is kept
    ("Grosir Gudang Manado Collection", "grosir gudang"),
    ("LarisThriftDPSHouse", "iaris"),  # camelCase finds glued filler
    ("SariBudiThrift", "saribudi"),  # ... but name parts stay glued, like a username
    ("liagrosirgallery_id", "iia"),  # filler found inside a glued username
    ("sinarbppthrift", "sinar"),  # a city code before another filler word
    ("HANA S3C0ND JBI", "hana"),  # leet in capitals
    ("9ro51r 9udan9 Manad0", "grosir gudang"),  # = "Grosir Gudang Manado"
    ("shopee", "shopee"),  # "shop" + "ee": too short a rest, not cut
    ("B4JU BEKAS IMPOR BDG", "baju bekas impor"),
    ("Idaman Store", "idaman"),  # "id" is not cut off the front of a word
    ("212 Mart", "mart"),
    ("88", "88"),
    ("", ""),
    ("✨🔥", ""),
]


@pytest.mark.parametrize(("raw", "expected"), GOLDEN)
def test_normalize_name_golden(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_tokens_and_key() -> None:
    assert name_tokens("Toko ✨Sari_Ayu✨ 88 Bandung") == ["sari", "ayu"]
    assert name_key("Sari Ayu") == name_key("ayu.sari") == "ayusari"
    assert normalize_name("Ayu Sari") == "ayu sari"  # original order kept
    assert name_key("") == ""
    with pytest.raises(TypeError):
        name_tokens(None)  # type: ignore[arg-type]


def test_long_names_cost_bounded_time() -> None:
    import time

    huge = "Budi Thr1ft " * 2000
    t0 = time.perf_counter()
    assert normalize_name(huge) == normalize_name(huge[:MAX_NAME_CHARS])
    assert name_similarity(huge, huge[::-1]) >= 0.0
    assert time.perf_counter() - t0 < 1.0


def test_filler_lists_are_folded() -> None:
    assert "oishop" in FILLER_WORDS and "olshop" not in FILLER_WORDS
    for city in ("jakarta", "jkt", "bdg", "sby", "jogja", "yk", "dps", "pig"):  # pig = plg folded
        assert city in CITY_WORDS


# -- invariance on real renames -------------------------------------------------------------

RENAMES = [
    "Thrift Budi Official",
    "thr1ft_budi",
    "BUDI THRIFT JKT",
    "Вudі Тhrift",
    "✨budi.thrift✨",
    "Budi Thrift",
    "Thrift Budi",
    "budi88",
    "@budi_thrift",
    "ʙᴜᴅɪ ᴛʜʀɪꜰᴛ",
    "Toko Budi",
    "tokobudi",
]


def test_renames_share_key_and_similarity() -> None:
    keys = {name_key(n) for n in RENAMES}
    assert keys == {"budi"}
    for a, b in itertools.combinations(RENAMES, 2):
        assert name_similarity(a, b) == 1.0, (a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sari Ayu Collection", "sariayu_official"),  # glued, filler
        ("Rumah Preloved Sinta", "Sinta Rumah"),  # word order
        ("K4ry4 M4ndiri", "Karya Mandiri Bandung"),  # leet + city
        ("Karya Mandiri", "Karya Mandir"),  # typo
        ("ВАТIK ВUDІ", "Batik Budi Jkt"),  # Cyrillic capitals
    ],
)
def test_rename_variants_similar(a: str, b: str) -> None:
    assert name_similarity(a, b) >= 0.9


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Budi Thrift", "Sari Preloved"),
        ("Karya Mandiri", "Sinar Jaya"),
        ("Toko Ayu", "Rumah Dewi"),
        ("Budi Thrift", ""),
        ("", ""),
    ],
)
def test_different_sellers_low(a: str, b: str) -> None:
    assert name_similarity(a, b) < 0.5


@pytest.mark.parametrize(
    ("display", "username"),
    [
        ("Toko Sari Ayu", "sariayu_official"),
        ("SariAyu Thrift JKT", "sariayuthrift88"),
        ("Lia Grosir Gallery", "liagrosirgallery_id"),
        ("Warung Wawan Murah", "warungwawanmurah01"),
        ("HANA SECOND JBI", "hanasecondjbi"),
        ("Budi Preloved Bandung", "@budi.preloved.bdg"),
    ],
)
def test_display_name_meets_its_username(display: str, username: str) -> None:
    # a username is usually the display name glued and lower-cased: the space-free
    # forms agree, and the signal calls it exact (display of one, username of another)
    flat = "".join(name_tokens(display))
    assert flat == "".join(name_tokens(username)) != ""
    assert name_similarity(display, username) == 1.0
    sig = NamesSignal()
    t = sig.fingerprint([_acc(0, display, ""), _acc(1, "", username), _acc(2, "Sinar Jaya", "")])
    f = sig.compare(t, np.array([0, 0]), np.array([1, 2]))
    assert f["name_exact"].tolist() == [1.0, 0.0]
    assert f["name_df"][0] == 2.0 and f["name_info"][0] == pytest.approx(math.log(3 / 2))


_ANY = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(list("aAbBiIlL1!0oO4$@_. -\u200b\u202eаВіТ🔥✨ᴀ𝐁Ｂ")), max_size=30),
    st.lists(st.sampled_from(sorted(FILLER_WORDS)[:60] + ["budi", "88", "Sari", "x"]), max_size=6).map("".join),
)


@settings(max_examples=300)
@given(_ANY)
def test_normalisation_never_crashes_and_is_stable(s: str) -> None:
    toks = name_tokens(s)
    norm = normalize_name(s)
    assert norm == " ".join(toks)
    assert name_key(s) == "".join(sorted(toks))
    assert all(t and " " not in t for t in toks)
    assert normalize_name(norm) == norm  # normalising twice changes nothing
    if any(c.isalnum() for c in s) and toks == []:
        # only possible when every letter is decoration or invisible
        assert not any(c.isascii() and c.isalnum() for c in s)


# -- batch twin -----------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "budi",
        "Budi",
        "BUDI",
        "sari",
        "ayu",
        "thr1ft",
        "thrift",
        "toko",
        "Toko",
        "official",
        "jkt",
        "88",
        "Вudі",
        "ʙᴜᴅɪ",
        "✨",
        "🔥",
        "_",
        ".",
        " ",
        "",
        "preloved",
        "s4ri",
        "ayuu",
        "\u200b",
        "jaya",
        "Ѕаrі",
    ]
)
_NAME = st.lists(_PIECES, max_size=5).map("".join) | st.text(max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_NAME, _NAME), max_size=25), st.sampled_from([1, 2]))
def test_batch_equals_per_pair(pairs: list[tuple[str, str]], workers: int) -> None:
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    got = name_similarity_batch(a, b, workers=workers)
    assert got.dtype == np.float64 and got.shape == (len(pairs),)
    want = np.array([name_similarity(x, y) for x, y in pairs], dtype=np.float64)
    np.testing.assert_array_equal(got, want)
    assert ((got >= 0) & (got <= 1)).all()


def _slow_similarity(a: str, b: str) -> float:
    """The obvious reference: normalise, then the documented formula."""
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return 0.0
    return max(fuzz.ratio("".join(sorted(ta)), "".join(sorted(tb))), fuzz.ratio("".join(ta), "".join(tb))) / 100


@given(_NAME, _NAME)
def test_similarity_matches_reference_and_is_symmetric(a: str, b: str) -> None:
    s = name_similarity(a, b)
    assert s == _slow_similarity(a, b)
    assert s == name_similarity(b, a)


def test_batch_same_list_object_and_errors() -> None:
    names = ["Budi Thrift", "Sari", ""]
    np.testing.assert_array_equal(name_similarity_batch(names, names), [1.0, 1.0, 0.0])
    assert name_similarity_batch([], []).shape == (0,)
    with pytest.raises(ValueError, match="same length"):
        name_similarity_batch(["a"], [])
    with pytest.raises(ValueError, match="workers"):
        name_similarity_batch(["a"], ["b"], workers=0)
    with pytest.raises(TypeError):
        name_similarity_batch([None], ["b"])  # type: ignore[list-item]


# -- the signal -----------------------------------------------------------------------------


def _acc(i: int | str, display: str = "", user: str = "") -> Account:
    return Account(account_id=str(i), display_name=display, username=user)


def _generic_table() -> tuple[list[Account], NamesSignal, NamesTable]:
    """30 generic "Thrift Store Jakarta" variants, one rare pair, and a few others."""
    variants = [
        "Thrift Store Jakarta",
        "THRIFT STORE JKT",
        "thrift.store.jakarta",
        "Thrift Jakarta",
        "Thr1ft Store",
        "✨Thrift Store✨",
    ]
    accs = [_acc(f"g{k}", variants[k % len(variants)], f"thriftstore{k}") for k in range(30)]
    accs.append(_acc("r1", "Batik Wiryawan Thrift", "wiryawan_official"))
    accs.append(_acc("r2", "W1ryawan Preloved BDG", "batik.wiryawan"))
    accs.append(_acc("o1", "Sari Preloved", "sari.preloved"))
    accs.append(_acc("o2", "", ""))
    # glued and reordered forms: flat-key matches that are not sorted-key matches
    accs.append(_acc("s1", "Sari Ayu Collection", "sari_ayu"))
    accs.append(_acc("s2", "", "sariayu.id"))
    accs.append(_acc("s3", "Ayu Sari", "ayusari"))
    sig = NamesSignal()
    return accs, sig, sig.fingerprint(accs)


def test_signal_protocol_and_init_stores_args_only() -> None:
    sig = NamesSignal(min_token_len=4, max_token_keys=5, max_gram_keys=3, workers=2)
    assert isinstance(sig, Signal)
    assert sig.name == "names"
    assert sig.feature_names == ("name_sim", "name_exact", "name_df", "name_info")
    assert (sig.min_token_len, sig.max_token_keys, sig.max_gram_keys, sig.workers) == (4, 5, 3, 2)
    bad = NamesSignal(workers=0)  # stored without complaint, rejected at use
    with pytest.raises(ValueError, match="workers"):
        bad.fingerprint([_acc(1, "x")])


def test_fingerprint_frequencies() -> None:
    accs, _, t = _generic_table()
    assert len(t) == len(accs)
    # all 30 generic accounts reduce to "thrift" (display), usernames to "thrift" as well
    thrift = list(t.key_vocab).index("thrift")
    assert t.key_df[thrift] == 30
    assert (t.display_key_df[:30] == 30).all()
    tv = list(t.token_vocab)
    assert t.token_df[tv.index("thrift")] == 30
    assert t.token_df[tv.index("wiryawan")] == 2
    assert t.token_df[tv.index("batik")] == 2
    # r1's display key "batikwiryawan" equals r2's username key: one key space, df 2
    assert t.display_key[30] == t.username_key[31] == "batikwiryawan"
    assert t.display_key_df[30] == 2 and t.username_key_df[31] == 2
    # the empty account has no key and no tokens
    assert t.display_key_id[33] == -1 and t.username_key_id[33] == -1
    assert t.token_ptr[34] == t.token_ptr[33]
    # "sariayu" is held by s1 (flat of both names) and s2; "ayusari" by s1 (sorted) and s3
    kv = list(t.key_vocab)
    assert t.key_df[kv.index("sariayu")] == 2 and t.key_df[kv.index("ayusari")] == 2
    assert (t.row_key_ids[34] >= 0).sum() == 2  # s1: two distinct keys over four columns
    # slow reference: df of every token = rows whose names contain it
    for k, tok in enumerate(tv):
        rows = sum(tok in (t.display_norm[i].split() + t.username_norm[i].split()) for i in range(len(t)))
        assert t.token_df[k] == rows


def _slow_features(t: NamesTable, i: int, j: int) -> tuple[float, float, float, float]:
    """Per-pair reference for compare(), straight from the documented definitions."""
    n = len(t)
    left = [t.display_name[i], t.username[i]]
    right = [t.display_name[j], t.username[j]]
    sim = max(name_similarity(a, b) for a in left for b in right)

    def keys(name: str) -> set[str]:
        toks = name_tokens(name)
        return {"".join(sorted(toks)), "".join(toks)} - {""}

    lk = set().union(*(keys(a) for a in left))
    rk = set().union(*(keys(b) for b in right))
    exact_keys = sorted(lk & rk)
    toks_l = set(t.display_norm[i].split()) | set(t.username_norm[i].split())
    toks_r = set(t.display_norm[j].split()) | set(t.username_norm[j].split())
    shared = toks_l & toks_r
    tv = list(t.token_vocab)
    dfs = [int(t.token_df[tv.index(x)]) for x in shared]

    def key_df(k: str) -> int:  # rows holding k as a key or space-free form of either name
        return sum(k in (keys(t.display_name[r]) | keys(t.username[r])) for r in range(n))

    if exact_keys:
        df = min(key_df(k) for k in exact_keys)
    else:
        df = min(dfs, default=0)
    info = sum(math.log(n / d) for d in dfs)
    if exact_keys:
        info = max(info, math.log(n / df))
    return sim, float(bool(exact_keys)), float(df), info


def test_compare_matches_slow_reference_on_all_pairs() -> None:
    _, sig, t = _generic_table()
    n = len(t)
    left, right = np.triu_indices(n, k=1)
    f = sig.compare(t, left, right)
    assert isinstance(f, PairFeatures) and len(f) == len(left)
    assert set(f.values) == set(sig.feature_names)
    for name in sig.feature_names:
        assert f[name].dtype == np.float64
    for k, (i, j) in enumerate(zip(left, right)):
        want = _slow_features(t, int(i), int(j))
        got = (f["name_sim"][k], f["name_exact"][k], f["name_df"][k], f["name_info"][k])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=f"pair {i},{j}")


def test_compare_in_chunks_equals_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    import sellerlink.signals.names as names_mod

    _, sig, t = _generic_table()
    left, right = np.triu_indices(len(t), k=1)
    whole = sig.compare(t, left, right)
    monkeypatch.setattr(names_mod, "_CHUNK", 7)
    chunked = sig.compare(t, left, right)
    for name in sig.feature_names:
        np.testing.assert_array_equal(whole[name], chunked[name])


def test_generic_names_high_df_low_info_rare_pair_high_info() -> None:
    _, sig, t = _generic_table()
    f = sig.compare(t, np.array([0, 30, 32]), np.array([1, 31, 0]))
    # two generic "Thrift Store Jakarta" accounts: exact, but 30 accounts share the key
    assert f["name_exact"][0] == 1.0 and f["name_df"][0] == 30.0
    n = len(t)
    assert f["name_info"][0] == pytest.approx(math.log(n / 30))
    # the renamed rare seller: exact through display x username, df 2, high information
    assert f["name_exact"][1] == 1.0 and f["name_df"][1] == 2.0 and f["name_sim"][1] == 1.0
    assert f["name_info"][1] == pytest.approx(2 * math.log(n / 2))
    assert f["name_info"][1] > 10 * f["name_info"][0]
    # unrelated: nothing shared
    assert f["name_exact"][2] == 0.0 and f["name_df"][2] == 0.0 and f["name_info"][2] == 0.0
    assert f["name_sim"][2] < 0.5


def test_compare_empty_names_and_validation() -> None:
    _, sig, t = _generic_table()
    f = sig.compare(t, np.array([33, 33]), np.array([33, 0]))
    assert f["name_sim"].tolist() == [0.0, 0.0] and f["name_exact"].tolist() == [0.0, 0.0]
    empty = sig.compare(t, np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert len(empty) == 0 and set(empty.values) == set(sig.feature_names)
    with pytest.raises(ValueError, match="equal length"):
        sig.compare(t, np.array([0, 1]), np.array([1]))
    with pytest.raises(ValueError, match="range|\\["):
        sig.compare(t, np.array([0]), np.array([len(t)]))
    with pytest.raises(ValueError, match="integers"):
        sig.compare(t, np.array([0.5]), np.array([1.0]))
    with pytest.raises(TypeError, match="NamesTable"):
        sig.compare({}, np.array([0]), np.array([1]))  # type: ignore[arg-type]


def test_candidate_keys() -> None:
    accs = [
        _acc("a", "Batik Wiryawan Thrift", "wiryawan_official"),
        _acc("b", "", "batik.wiryawan88"),  # display name of a == username of b
        _acc("c", "Wirasaktii", ""),  # typo of d: shares 4-grams, no whole token
        _acc("d", "Wirasakti", ""),
        _acc("e", "Sinar Jaya Abadi Sentosa Makmur Lestari Sejahtera Bersama Selamanya", "x" * 60),
        _acc("f", "", ""),
    ]
    sig = NamesSignal()
    t = sig.fingerprint(accs)
    rows, keys = sig.candidate_keys(t)
    assert rows.dtype == np.int64 and keys.dtype == np.uint64 and rows.shape == keys.shape
    by_row = {i: set(keys[rows == i].tolist()) for i in range(len(accs))}
    assert stable_hash64("batikwiryawan", "names:key") in by_row[0] & by_row[1]
    assert by_row[2] & by_row[3]  # typo still blocks together
    assert by_row[5] == set()
    counts = np.bincount(rows, minlength=len(accs))
    assert counts.max() < 20  # keys per account stay few even for a long name
    assert len(set(zip(rows.tolist(), keys.tolist()))) == len(rows)  # no repeated (row, key)
    # deterministic across runs (stable hashes, no process salt)
    rows2, keys2 = NamesSignal().candidate_keys(NamesSignal().fingerprint(accs))
    assert sorted(zip(rows.tolist(), keys.tolist())) == sorted(zip(rows2.tolist(), keys2.tolist()))
    # without 4-grams the typo pair no longer shares a key
    r3, k3 = NamesSignal(max_gram_keys=0).candidate_keys(t)
    assert not set(k3[r3 == 2].tolist()) & set(k3[r3 == 3].tolist())


def test_explain() -> None:
    _, sig, t = _generic_table()
    ev = sig.explain(t, 30, 31)
    assert ev and all(isinstance(e, Evidence) and e.signal == "names" for e in ev)
    by_kind = {e.kind: e for e in ev}
    d = by_kind["display_name"]
    assert d.left == "Batik Wiryawan Thrift" and d.right == "batik.wiryawan"
    assert d.key == "batikwiryawan" and d.similarity == 1.0 and d.shared_by == 2
    assert d.extra["right_kind"] == "username"
    u = by_kind["username"]
    # "wiryawan_official" -> "wiryawan", exactly r2's display name "W1ryawan Preloved BDG"
    assert u.left == "wiryawan_official" and u.right == "W1ryawan Preloved BDG"
    assert u.key == "wiryawan" and u.shared_by == 2 and u.extra["shared_tokens"] == ["wiryawan"]
    # a partial match: no common key, shared_by is the rarest shared token's df
    ev2 = sig.explain(t, 30, 32)  # "Batik Wiryawan Thrift" vs "Sari Preloved": nothing
    assert ev2 == []
    assert sig.explain(t, 32, 0) == []  # nothing in common
    assert sig.explain(t, 33, 0) == []  # no names
    with pytest.raises(ValueError):
        sig.explain(t, 0, len(t))
