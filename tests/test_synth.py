"""Tests of the synthetic marketplace generator (sellerlink.synth) and the metrics (sellerlink.evaluate)."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

import imagehash
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from sellerlink.evaluate import (
    as_truth,
    bcubed,
    load_truth,
    pairwise_metrics,
    trace_metrics,
)
from sellerlink.records import load_accounts
from sellerlink.synth import (
    ALL_TACTICS,
    DIFFICULTIES,
    SynthConfig,
    SynthWarning,
    generate,
    generate_marketplace,
    main,
)
from sellerlink.synth import _contacts as C
from sellerlink.synth import _photos as P

SMALL = (64, 80)  # photo size for fast tests


# ---------------------------------------------------------------------------------------
# helpers: an independent decoder of hidden phones, digit normalisation


_WORDS = {"nol": "0", "kosong": "0", "satu": "1", "dua": "2", "tiga": "3", "empat": "4", "lima": "5",
          "enam": "6", "tujuh": "7", "delapan": "8", "lapan": "8", "sembilan": "9"}


def _local(digits: str) -> str:
    return "0" + digits[2:] if digits.startswith("62") else digits


def decode_hidden(text: str) -> str:
    """Digits of a phone hidden in text, written independently of the generator."""
    t = unicodedata.normalize("NFKC", text).replace("\ufe0f", "").replace("\u20e3", "")
    out = []
    for tok in re.split(r"[\s,\-]+", t):
        low = tok.lower().strip(":.")
        if low in _WORDS:
            out.append(_WORDS[low])
        elif re.fullmatch(r"[0-9OolIB]{3,}", tok) and re.search(r"[0-9O]", tok):
            out.append(tok.translate(str.maketrans("OolIB", "00118")))
        else:
            out.extend(re.findall(r"\d+", tok))
    return _local("".join(out))


def phone_digits(s: str) -> str:
    return _local(re.sub(r"\D", "", s))


def all_text(rec: dict) -> str:
    return "\n".join([rec["bio"], *(x["title"] + "\n" + x["description"] for x in rec["listings"])])


# ---------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def market():
    watch, live, truth = generate(n_accounts=600, seed=11)
    return watch, live, truth


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("m1")
    m = generate_marketplace(out, n_accounts=80, seed=5, photo_size=SMALL)
    return m


# ---------------------------------------------------------------------------------------
# determinism and file layout


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_photos_included(written, tmp_path):
    again = generate_marketplace(tmp_path / "again", n_accounts=80, seed=5, photo_size=SMALL)
    a, b = _digest(written.out_dir), _digest(again.out_dir)
    assert a == b
    assert sum(k.endswith(".jpg") for k in a) == written.n_photos > 100


def test_other_seed_other_market(tmp_path):
    a = generate_marketplace(tmp_path / "a", n_accounts=50, seed=1, with_photos=False)
    b = generate_marketplace(tmp_path / "b", n_accounts=50, seed=2, with_photos=False)
    assert a.accounts_path.read_bytes() != b.accounts_path.read_bytes()
    ids_a = {json.loads(x)["account_id"] for x in a.accounts_path.read_text().splitlines()}
    ids_b = {json.loads(x)["account_id"] for x in b.accounts_path.read_text().splitlines()}
    assert not ids_a & ids_b


def test_workers_do_not_change_the_output(tmp_path):
    cfg = SynthConfig(chunk_actors=40)  # several chunks, so the parallel path really runs
    one = generate_marketplace(tmp_path / "one", n_accounts=150, seed=6, photo_size=SMALL, config=cfg)
    two = generate_marketplace(tmp_path / "two", n_accounts=150, seed=6, photo_size=SMALL, config=cfg, workers=2)
    assert _digest(one.out_dir) == _digest(two.out_dir)
    with pytest.raises(ValueError, match="workers"):
        generate_marketplace(tmp_path / "bad", n_accounts=20, workers=0)


def test_in_memory_matches_files(written, tmp_path):
    watch, live, truth = generate(n_accounts=80, seed=5, with_photos=True, photo_size=SMALL, out_dir=tmp_path)
    assert [json.loads(x) for x in written.accounts_path.read_text("utf-8").splitlines()] == live
    assert [json.loads(x) for x in written.watchlist_path.read_text("utf-8").splitlines()] == watch
    on_disk = json.loads(written.truth_path.read_text("utf-8"))
    assert on_disk == truth


def test_records_are_valid_accounts_with_existing_photos(written):
    accs = load_accounts(written.accounts_path, strict=True) + load_accounts(written.watchlist_path, strict=True)
    assert len(accs) == written.n_accounts + written.n_watchlist
    paths = [p for a in accs for p in a.all_photos]
    assert paths and all(Path(p).is_file() for p in paths)
    # photo paths in the file are relative and never leak the actor
    raw = json.loads(written.accounts_path.read_text("utf-8").splitlines()[0])
    assert all(not Path(p).is_absolute() and p.startswith("photos/" + raw["account_id"]) for p in raw["photos"])


def test_ids_unique_and_random_looking(market):
    watch, live, _ = market
    ids = [r["account_id"] for r in watch + live]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"u[0-9a-f]{10}", i) for i in ids)


# ---------------------------------------------------------------------------------------
# truth consistency


def test_truth_consistent_with_records(market):
    watch, live, truth = market
    t = as_truth(truth)
    wids = {r["account_id"] for r in watch}
    lids = {r["account_id"] for r in live}
    assert set(t.watchlist_ids) == wids and set(t.live_ids) == lids
    assert len(live) == 600
    for cid, c in truth["comebacks"].items():
        assert cid in lids and t.role_of[cid] == "comeback"
        assert c["violators"] and set(c["violators"]) <= wids
        assert {t.actor_of[v] for v in c["violators"]} == {t.actor_of[cid]}
        assert c["difficulty"] in DIFFICULTIES
        assert set(c["tactics"]) <= set(ALL_TACTICS)
    roles = Counter(t.role_of[i] for i in lids)
    assert 0.7 <= roles["innocent"] / len(lids) <= 0.9
    assert roles["comeback"] == round(0.15 * 600)
    # actors: each violator has watchlist accounts; innocents none
    for aid, a in truth["actors"].items():
        assert (a["kind"] == "violator") == bool(a["watchlist"])
        assert all(t.actor_of[x] == aid for x in a["watchlist"] + a["live"])
    # some violators never came back (dormant) and some came back twice
    kinds = [(len(a["watchlist"]), len(a["live"])) for a in truth["actors"].values() if a["kind"] == "violator"]
    assert any(n_live == 0 for _, n_live in kinds) and any(n_live == 2 for _, n_live in kinds)
    assert any(n_watch == 2 for n_watch, _ in kinds)


def test_difficulty_mix_roughly_respected(market):
    _, _, truth = market
    c = Counter(x["difficulty"] for x in truth["comebacks"].values())
    n = sum(c.values())
    assert set(c) == set(DIFFICULTIES)
    assert 0.25 <= c["no_contacts"] / n <= 0.55


def test_traps_present_and_shaped(market):
    watch, live, truth = market
    recs = {r["account_id"]: r for r in watch + live}
    t = as_truth(truth)
    by_type: dict[str, list] = {}
    for g in truth["traps"]:
        by_type.setdefault(g["type"], []).append(g)
    assert set(by_type) >= {"agency_phone", "boilerplate", "generic_name", "household", "namesake", "stock_photo"}
    for g in by_type["agency_phone"]:
        assert len(g["accounts"]) >= 15
        common = set.intersection(*({phone_digits(p) for p in recs[a]["phones"]} for a in g["accounts"]))
        assert common, "agency members must share a phone number"
        assert len({t.actor_of[a] for a in g["accounts"]}) >= 0.8 * len(g["accounts"])  # unrelated sellers
    for g in by_type["generic_name"]:
        names = [recs[a]["display_name"].casefold() for a in g["accounts"]]
        cores = Counter(re.sub(r"[^a-z ]", "", n).strip() for n in names)
        assert cores.most_common(1)[0][1] >= len(g["accounts"]) // 3
    for g in by_type["household"]:
        members = g["accounts"]
        assert len({t.actor_of[a] for a in members}) >= 2  # different people
    for g in by_type["stock_photo"]:
        # dropshippers paste the supplier's listing: identical descriptions across unrelated sellers
        owners: dict[str, set] = {}
        for a in g["accounts"]:
            for x in recs[a]["listings"]:
                if len(x["description"]) > 60:
                    owners.setdefault(x["description"], set()).add(t.actor_of[a])
        assert max(len(v) for v in owners.values()) >= 3
    for g in by_type["boilerplate"]:
        texts = [all_text(recs[a]) for a in g["accounts"]]
        first_line = Counter(line for tx in texts for line in set(tx.splitlines()) if len(line) > 25)
        assert first_line.most_common(1)[0][1] >= 0.5 * len(texts)


def test_households_share_address_or_surname(market):
    watch, live, truth = market
    recs = {r["account_id"]: r for r in watch + live}
    t = as_truth(truth)
    shared = 0
    groups = [g for g in truth["traps"] if g["type"] == "household"]
    for g in groups:
        by_actor: dict[str, dict] = {}
        for a in g["accounts"]:
            by_actor.setdefault(t.actor_of[a], recs[a])
        rs = list(by_actor.values())
        streets = [re.findall(r"(?i)(?:jl\.|jalan|gg\.|komp\.|perum|jln)?\s*([a-z ]+?)\s*(?:no\.?\s*)?(\d+)", x["addresses"][0])[0]
                   for x in rs if x["addresses"]]
        if len(streets) >= 2 and len({s[1] for s in streets}) < len(streets):
            shared += 1
    assert shared >= len(groups) // 3


# ---------------------------------------------------------------------------------------
# tactics: what the truth says was done is really in the data


def test_difficulties_mean_what_they_say(market):
    watch, live, truth = market
    recs = {r["account_id"]: r for r in watch + live}
    seen = Counter()
    for cid, c in truth["comebacks"].items():
        cb, parent = recs[cid], recs[c["parent"]]
        old_phone = phone_digits(parent["phones"][0]) if parent["phones"] else None
        cb_phones = {phone_digits(p) for p in cb["phones"]}
        text_digits = decode_hidden(all_text(cb))
        if c["difficulty"] == "no_contacts":
            if old_phone:
                assert old_phone not in cb_phones and old_phone not in text_digits
            old_banks = {re.sub(r"\D", "", b) for b in parent["bank_accounts"]}
            assert not old_banks & {re.sub(r"\D", "", b) for b in cb["bank_accounts"]}
            assert not (set(parent["emails"]) & set(cb["emails"]))
        elif c["difficulty"] == "hidden_contacts":
            assert old_phone not in cb_phones
            hidden = c["kept"]["hidden_text"]
            assert hidden in all_text(cb)
            assert decode_hidden(hidden) == old_phone, (hidden, old_phone)
        else:
            kept = c["kept"]
            assert any(kept[k] for k in ("phone", "email", "bank", "link", "address"))
            if kept["phone"] == "contact":
                assert old_phone in cb_phones
            if kept["bank"]:
                assert re.sub(r"\D", "", parent["bank_accounts"][0]) in {re.sub(r"\D", "", b) for b in cb["bank_accounts"]}
            if kept["email"]:
                def canon(e: str) -> str:
                    local, _, dom = e.lower().partition("@")
                    return local.split("+")[0].replace(".", "") + "@" + dom.replace("googlemail", "gmail")
                assert canon(parent["emails"][0]) == canon(cb["emails"][0])
                assert parent["emails"][0] != cb["emails"][0]
        assert cb["display_name"] != parent["display_name"] or not any(x.startswith("name_") for x in c["tactics"])
        seen[c["difficulty"]] += 1
    assert all(seen[d] > 5 for d in DIFFICULTIES)


def test_hidden_phone_forms_decode():
    import random

    rng = random.Random(3)
    for tactic in C.HIDE_TACTICS:
        for _ in range(30):
            nsn = C.new_phone(rng)
            text = C.hide_phone(nsn, tactic, rng)
            assert decode_hidden(text) == "0" + nsn, (tactic, text)
            if tactic != "hide_phone_wame":
                assert ("0" + nsn) not in text  # it is really hidden from a plain digit search


def test_tactic_switches_respected():
    allowed = {"name_leet", "reword", "new_phone", "keep_bank"}
    _, live, truth = generate(n_accounts=300, seed=4, tactics=allowed)
    used = {t for c in truth["comebacks"].values() for t in c["tactics"]}
    assert used <= allowed and "name_leet" in used and "reword" in used
    assert {c["difficulty"] for c in truth["comebacks"].values()} <= {"keeps_contacts", "no_contacts"}
    recs = {r["account_id"]: r for r in live}
    leet = [recs[c]["display_name"] for c, x in truth["comebacks"].items() if "name_leet" in x["tactics"]]
    assert leet and all(re.search(r"[0-9]", n) for n in leet)


def test_switching_tactics_off_leaves_innocents_untouched():
    _, live_a, truth_a = generate(n_accounts=150, seed=9)
    _, live_b, truth_b = generate(n_accounts=150, seed=9, tactics={"name_new"})
    inn_a = {r["account_id"]: r for r in live_a if truth_a["accounts"][r["account_id"]]["role"] == "innocent"}
    inn_b = {r["account_id"]: r for r in live_b if truth_b["accounts"][r["account_id"]]["role"] == "innocent"}
    assert inn_a == inn_b and len(inn_a) > 100
    assert all(c["difficulty"] == "no_contacts" for c in truth_b["comebacks"].values())


def test_no_contacts_only_mix():
    _, _, truth = generate(n_accounts=200, seed=2, difficulty_mix={"no_contacts": 1.0})
    assert {c["difficulty"] for c in truth["comebacks"].values()} == {"no_contacts"}


def test_product_words_swapped_away_from_flagged_terms():
    watch, live, truth = generate(n_accounts=400, seed=8, tactics={"product_words", "name_filler", "new_phone"})
    recs = {r["account_id"]: r for r in watch + live}
    flagged_words = ("bekas impor", " bal ")
    dropped = 0
    total = 0
    for cid, c in truth["comebacks"].items():
        if "product_words" not in c["tactics"]:
            continue
        old = " " + all_text(recs[c["parent"]]).lower() + " "
        new = " " + all_text(recs[cid]).lower() + " "
        for w in flagged_words:
            if w in old:
                total += 1
                dropped += w not in new
    assert total >= 5 and dropped / total >= 0.8


def test_names_keep_habits_after_rewording(market):
    """Comebacks keep the writer's greeting or sign-off far more often than random pairs."""
    watch, live, truth = market
    recs = {r["account_id"]: r for r in watch + live}

    def lines(r):
        return {x.strip(" !~.").casefold() for x in all_text(r).replace(" | ", "\n").replace(". ", "\n").splitlines() if x.strip()}

    same = [len(lines(recs[c["parent"]]) & lines(recs[cid])) for cid, c in truth["comebacks"].items()]
    rnd = np.random.default_rng(0)
    ws, ls = list(watch), list(live)
    other = [len(lines(ws[rnd.integers(len(ws))]) & lines(ls[rnd.integers(len(ls))])) for _ in range(300)]
    assert np.mean(same) > 3 * np.mean(other) + 0.5


# ---------------------------------------------------------------------------------------
# photos


def test_drawn_photos_are_distinct_for_perceptual_hashes():
    hashes = [imagehash.phash(P.draw_photo((0, i), (320, 400))) for i in range(40)]
    d = np.array([a - b for a, b in itertools.combinations(hashes, 2)])
    assert np.mean(d > 20) > 0.9 and np.median(d) >= 26


def test_drawn_photo_golden():
    # pins the drawing algorithm: if this changes, every stored benchmark market changes too
    img = P.draw_photo((0, 1), (320, 400))
    assert str(imagehash.phash(img)) == GOLDEN_PHASH
    assert img.size == (320, 400)


GOLDEN_PHASH = "f08bcf24c19e1c79"


def test_account_ids_golden():
    # pins the id bijection: ids of stored benchmark markets depend on it
    from sellerlink.synth._core import _account_id

    assert [_account_id(0, i) for i in range(3)] == ["ub338a15e33", "ue36dee95a3", "ud9d151dc67"]
    assert _account_id(7, 123456) == "u1ab9739742"
    ids = {_account_id(3, i) for i in range(50_000)}
    assert len(ids) == 50_000


# Pins the whole generator (vocabulary, styles, tactics, draw order) for seed 0: a market
# published for the team must be reproducible. Update deliberately when the generator changes.
GOLDEN_MARKET_SHA256 = "ffece3c0460f247f9d9fed9615bfda3b12e110872e829a97f6819ece517e4e97"


def test_market_golden(tmp_path):
    m = generate_marketplace(tmp_path, n_accounts=30, seed=0, with_photos=False)
    assert hashlib.sha256(m.accounts_path.read_bytes()).hexdigest() == GOLDEN_MARKET_SHA256


def test_photo_pairs_are_transformed_copies(written):
    truth = json.loads(written.truth_path.read_text("utf-8"))
    pairs = [p for c in truth["comebacks"].values() for p in c["photo_pairs"]]
    assert len(pairs) >= 5
    root = written.out_dir
    for p in pairs:
        a, b = root / p["old"], root / p["new"]
        assert a.is_file() and b.is_file() and a.read_bytes() != b.read_bytes()
        assert p["ops"]
    # an easy op alone (re-encode / brightness) keeps the pHash close; random pairs are far
    ims = {k: Image.open(root / k).convert("RGB") for p in pairs for k in (p["old"], p["new"])}
    close = [imagehash.phash(ims[p["old"]]) - imagehash.phash(ims[p["new"]]) for p in pairs
             if {o["op"] for o in p["ops"]} <= {"reencode", "brightness_contrast", "resize"}]
    assert all(d <= 12 for d in close)


def test_transform_ops_really_happen():
    import random

    img = P.draw_photo((1, 2), (120, 160))
    for op in P.PHOTO_TACTICS:
        out, q, params = P.transform(img, [op], random.Random(0), watermark="Toko Baru")
        assert params and params[0]["op"].startswith(op.split("_")[1][:4]) or op == "photo_brightness"
        if op == "photo_mirror":
            assert np.array_equal(np.asarray(out), np.asarray(img)[:, ::-1])
        if op == "photo_crop":
            assert out.size == img.size or (out.size[0] < img.size[0] and out.size[1] < img.size[1])
        if op == "photo_reencode":
            assert 35 <= q < 75
        if op == "photo_watermark":
            assert not np.array_equal(np.asarray(out), np.asarray(img))


def test_photos_dir_used_then_drawn_with_warning(tmp_path):
    src = tmp_path / "src" / "shirt"
    src.mkdir(parents=True)
    for i in range(6):
        P.draw_photo((99, i), (100, 120)).save(src / f"{i}.jpg")
    with pytest.warns(SynthWarning, match="drawing the rest"):
        m = generate_marketplace(tmp_path / "out", n_accounts=20, seed=1, photos_dir=tmp_path / "src", photo_size=SMALL)
    assert m.n_photos > 6


def test_text_csv_titles_used(tmp_path):
    csv_path = tmp_path / "p.csv"
    pd.DataFrame({
        "Category": ["Men's Fashion"] * 3 + ["Books"],
        "Product Name": ["Kemeja Flanel Pria Zzqx Lengan Panjang", "Jaket Zzqx Bomber", "Celana Zzqx Cargo", "Buku Zzqx"],
        "Customer Review": ["bagus"] * 4,
    }).to_csv(csv_path, index=False)
    _, live, _ = generate(n_accounts=100, seed=1, text_csv=csv_path)
    titles = [x["title"] for r in live for x in r["listings"]]
    assert any("zzqx" in t.lower() for t in titles)
    assert not any("buku zzqx" in t.lower() for t in titles)


# ---------------------------------------------------------------------------------------
# configuration and CLI


@pytest.mark.parametrize("kwargs, match", [
    ({"n_accounts": 5}, "n_accounts"),
    ({"tactics": {"name_leet", "teleport"}}, "unknown tactics"),
    ({"difficulty_mix": {"impossible": 1.0}}, "unknown difficulties"),
    ({"comeback_rate": 0.9}, "comeback_rate"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate(**kwargs)


def test_never_deletes_foreign_photos(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "mine.jpg").write_bytes(b"x")
    with pytest.raises(ValueError, match="did not write"):
        generate_marketplace(tmp_path, n_accounts=20, photo_size=SMALL)
    assert (tmp_path / "photos" / "mine.jpg").exists()
    m = generate_marketplace(tmp_path / "m", n_accounts=20, photo_size=SMALL)
    again = generate_marketplace(tmp_path / "m", n_accounts=20, seed=1, photo_size=SMALL)  # overwrite own output
    assert again.n_photos == sum(1 for _ in (tmp_path / "m" / "photos").rglob("*.jpg")) and m.n_photos > 0


def test_with_photos_needs_out_dir():
    with pytest.raises(ValueError, match="out_dir"):
        generate(n_accounts=20, with_photos=True)


def test_cli(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "m"), "--accounts", "40", "--seed", "3", "--no-photos",
                 "--without", "keep_phone,keep_bank"]) == 0
    assert "40 accounts" in capsys.readouterr().out
    truth = load_truth(tmp_path / "m" / "truth.json")
    assert not {"keep_phone", "keep_bank"} & {t for c in truth.comebacks.values() for t in c["tactics"]}
    assert main([str(tmp_path / "x"), "--accounts", "3"]) == 2


# ---------------------------------------------------------------------------------------
# metrics on hand-made cases


TINY = {
    "accounts": {
        "w1": {"actor": "A", "role": "watchlist", "list": "watchlist"},
        "w2": {"actor": "B", "role": "watchlist", "list": "watchlist"},
        "w3": {"actor": "B", "role": "watchlist", "list": "watchlist"},
        "c1": {"actor": "A", "role": "comeback", "list": "accounts"},
        "c2": {"actor": "B", "role": "comeback", "list": "accounts"},
        "c3": {"actor": "A", "role": "comeback", "list": "accounts"},
        "i1": {"actor": "X", "role": "innocent", "list": "accounts"},
        "i2": {"actor": "Y", "role": "innocent", "list": "accounts"},
    },
    "comebacks": {
        "c1": {"violators": ["w1"], "difficulty": "keeps_contacts", "tactics": ["keep_bank", "reword"]},
        "c2": {"violators": ["w2", "w3"], "difficulty": "no_contacts", "tactics": ["reword"]},
        "c3": {"violators": ["w1"], "difficulty": "no_contacts", "tactics": ["name_new"]},
    },
}


def test_trace_metrics_hand_made():
    leads = pd.DataFrame(
        [
            ("c1", "w1", 0.9), ("c1", "w2", 0.3),            # rank 1 correct, flagged
            ("c2", "w1", 0.8), ("c2", "w3", 0.7),            # correct at rank 2, wrong one flagged
            ("c2", "w1", 0.1),                               # duplicate pair: best score kept
            ("i1", "w2", 0.95),                              # innocent flagged
            ("i2", "w1", 0.2),                               # innocent, not flagged
            ("w3", "w2", 0.99),                              # watchlist to watchlist: not judged
        ],                                                   # c3 has no lead at all
        columns=["account_id", "violator_id", "score"],
    )
    m = trace_metrics(leads, TINY, threshold=0.5)
    assert m["n_comebacks"] == 3
    assert m["recall@1"] == pytest.approx(1 / 3)
    assert m["recall@5"] == pytest.approx(2 / 3)
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert m["n_flagged"] == 3 and m["n_flagged_correct"] == 1
    assert m["precision"] == pytest.approx(1 / 3)
    assert m["flagged_recall"] == pytest.approx(1 / 3)
    assert m["innocent_fpr"] == pytest.approx(1 / 2)
    assert m["by_difficulty"]["keeps_contacts"]["recall@1"] == 1.0
    assert m["by_difficulty"]["no_contacts"]["n"] == 2
    assert m["by_difficulty"]["no_contacts"]["mrr"] == pytest.approx(0.25)
    assert m["by_tactic"]["reword"]["recall@5"] == 1.0
    assert m["by_tactic"]["name_new"]["recall@5"] == 0.0


def test_trace_metrics_ties_and_threshold():
    leads = pd.DataFrame({"account_id": ["c1", "c1"], "violator_id": ["w2", "w1"], "score": [0.5, 0.5]})
    m = trace_metrics(leads, TINY, threshold=0.5)
    assert m["recall@1"] == pytest.approx(1 / 3)  # tie broken by violator id: w1 < w2
    assert trace_metrics(leads, TINY, threshold=0.51)["n_flagged"] == 0


def test_trace_metrics_errors():
    with pytest.raises(ValueError, match="columns"):
        trace_metrics(pd.DataFrame({"account_id": ["c1"]}), TINY)
    with pytest.raises(ValueError, match="not in the truth"):
        trace_metrics(pd.DataFrame({"account_id": ["zz"], "violator_id": ["w1"], "score": [1.0]}), TINY)


def test_trace_metrics_perfect_on_generated(market):
    _, _, truth = market
    rows = [(c, v, 1.0) for c, x in truth["comebacks"].items() for v in x["violators"]]
    t = as_truth(truth)
    rows += [(a, t.watchlist_ids[0], 0.1) for a in t.innocent_ids]
    m = trace_metrics(pd.DataFrame(rows, columns=["account_id", "violator_id", "score"]), truth, 0.5)
    assert m["recall@1"] == m["precision"] == m["flagged_recall"] == 1.0 and m["innocent_fpr"] == 0.0
    assert set(m["by_difficulty"]) == set(DIFFICULTIES)


def test_pairwise_hand_made():
    pairs = pd.DataFrame({"left": ["w1", "c1", "c1", "w2", "i1", "c2"],
                          "right": ["c1", "w1", "c3", "w3", "i2", "c2"],
                          "score": [0.9, 0.9, 0.6, 0.2, 0.7, 1.0]})
    m = pairwise_metrics(pairs, TINY, threshold=0.5)
    # true pairs: A has {w1,c1,c3} -> 3, B has {w2,w3,c2} -> 3; predicted: (c1,w1),(c1,c3),(i1,i2)
    assert (m["n_true"], m["n_predicted"], m["tp"]) == (6, 3, 2)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(1 / 3)
    assert m["f1"] == pytest.approx(2 * (2 / 3) * (1 / 3) / (1.0))
    sub = pairwise_metrics(pairs, TINY, threshold=0.5, accounts=["w1", "c1", "i1"])
    assert (sub["n_true"], sub["tp"], sub["n_predicted"]) == (1, 1, 1)


def test_bcubed_hand_made():
    # classic example: one cluster with everything
    r = bcubed({k: 0 for k in TINY["accounts"]}, TINY)
    # actors: A=3, B=3, X=1, Y=1 in one cluster of 8
    assert r["precision"] == pytest.approx((3 * 3 / 8 + 3 * 3 / 8 + 1 / 8 + 1 / 8) / 8)
    assert r["recall"] == 1.0
    perfect = bcubed({k: v["actor"] for k, v in TINY["accounts"].items()}, TINY)
    assert perfect["precision"] == perfect["recall"] == perfect["f1"] == 1.0
    singletons = bcubed({k: k for k in TINY["accounts"]}, TINY)
    assert singletons["precision"] == 1.0 and singletons["recall"] == pytest.approx((3 * (1 / 3) * 2 + 2) / 8)
    with pytest.raises(ValueError, match="not in the truth"):
        bcubed({"nobody": 1}, TINY)


def _naive_bcubed(clusters, actor_of):
    items = list(clusters)
    p = np.mean([sum(clusters[j] == clusters[i] and actor_of[j] == actor_of[i] for j in items)
                 / sum(clusters[j] == clusters[i] for j in items) for i in items])
    r = np.mean([sum(clusters[j] == clusters[i] and actor_of[j] == actor_of[i] for j in items)
                 / sum(actor_of[j] == actor_of[i] for j in items) for i in items])
    return p, r


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=25))
def test_bcubed_matches_naive_reference(rows):
    truth = {"accounts": {f"x{i}": {"actor": f"A{a}"} for i, (a, _) in enumerate(rows)}}
    clusters = {f"x{i}": c for i, (_, c) in enumerate(rows)}
    got = bcubed(clusters, truth)
    p, r = _naive_bcubed(clusters, {k: v["actor"] for k, v in truth["accounts"].items()})
    assert got["precision"] == pytest.approx(p) and got["recall"] == pytest.approx(r)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=2, max_size=12),
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.floats(0, 1)), max_size=40),
)
def test_pairwise_matches_naive_reference(actors, raw_pairs):
    n = len(actors)
    truth = {"accounts": {f"x{i}": {"actor": f"A{a}"} for i, a in enumerate(actors)}}
    pairs = [(f"x{a % n}", f"x{b % n}", s) for a, b, s in raw_pairs]
    df = pd.DataFrame(pairs, columns=["left", "right", "score"])
    got = pairwise_metrics(df, truth, threshold=0.5)
    pred = {frozenset((a, b)) for a, b, s in pairs if s >= 0.5 and a != b}
    true = {frozenset((f"x{i}", f"x{j}")) for i, j in itertools.combinations(range(n), 2) if actors[i] == actors[j]}
    assert got["tp"] == len(pred & true) and got["n_true"] == len(true) and got["n_predicted"] == len(pred)
    if pred:
        assert got["precision"] == pytest.approx(len(pred & true) / len(pred))
    else:
        assert math.isnan(got["precision"])
