"""The command line: outputs, exit codes and messages, run in a subprocess like a user would."""

import csv
import json
import subprocess
import sys

import pytest

BANNED = [
    {"account_id": "banned1", "display_name": "Budi Thrift Official", "phones": ["0812-3456-7890"],
     "bank_accounts": ["BCA 123-456-7890 a.n. Budi"]},
    {"account_id": "banned2", "display_name": "Sari Preloved", "emails": ["sari.preloved@gmail.com"]},
]
LIVE = [
    {"account_id": "new1", "display_name": "thr1ft_budi", "bio": "order wa.me/6281234567890 ya kak"},
    {"account_id": "new2", "display_name": "SARI PRELOVED JKT", "emails": ["saripreloved+shop@gmail.com"]},
    {"account_id": "other", "display_name": "Toko Lain", "phones": ["0813-9999-1111"]},
]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def run(*args):
    return subprocess.run([sys.executable, "-m", "sellerlink.cli", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture()
def files(tmp_path):
    return write_jsonl(tmp_path / "live.jsonl", LIVE), write_jsonl(tmp_path / "banned.jsonl", BANNED)


def test_trace_writes_best_leads_first(files, tmp_path):
    live, banned = files
    out = tmp_path / "leads.csv"
    r = run("trace", str(live), "--watchlist", str(banned), "-o", str(out))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["account_id", "violator_id", "score", "evidence", "hops"]
    found = {(x["account_id"], x["violator_id"]) for x in rows}
    assert found == {("new1", "banned1"), ("new2", "banned2")}
    scores = [float(x["score"]) for x in rows]
    assert scores == sorted(scores, reverse=True)
    ev = {x["account_id"]: x["evidence"] for x in rows}
    assert "6281234567890" in ev["new1"] and "phone" in ev["new1"]


def test_trace_threshold_filters_and_all_keeps_everything(files):
    live, banned = files
    strict = run("trace", str(live), "--watchlist", str(banned), "--threshold", "0.999999")
    loose = run("trace", str(live), "--watchlist", str(banned), "--all")
    assert strict.returncode == loose.returncode == 0
    n_strict = len(strict.stdout.strip().splitlines()) - 1
    n_loose = len(loose.stdout.strip().splitlines()) - 1
    assert n_strict < n_loose


def test_link_writes_clusters(files, tmp_path):
    live, banned = files
    both = write_jsonl(tmp_path / "both.jsonl", LIVE + BANNED)
    out = tmp_path / "clusters.csv"
    r = run("link", str(both), "-o", str(out), "--pairs", str(tmp_path / "pairs.csv"))
    assert r.returncode == 0, r.stderr
    c = {x["account_id"]: x["cluster_id"] for x in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(c) == {a["account_id"] for a in LIVE + BANNED}
    assert c["new1"] == c["banned1"] != c["other"]
    assert c["new2"] == c["banned2"] != c["new1"]
    pairs = list(csv.DictReader((tmp_path / "pairs.csv").open(encoding="utf-8")))
    assert pairs and all(float(p["score"]) >= 0.5 for p in pairs)


def test_missing_file_is_an_input_error(files, tmp_path):
    live, _ = files
    r = run("trace", str(live), "--watchlist", str(tmp_path / "nope.jsonl"))
    assert r.returncode == 3
    assert "not found" in r.stderr and "nope.jsonl" in r.stderr


def test_bad_threshold_is_a_usage_error(files):
    live, banned = files
    r = run("trace", str(live), "--watchlist", str(banned), "--threshold", "2")
    assert r.returncode == 2
    assert "between 0 and 1" in r.stderr


def test_malformed_record_skipped_with_line_or_fatal_with_strict(files, tmp_path):
    live, banned = files
    bad = tmp_path / "bad.jsonl"
    bad.write_text(live.read_text() + '{"account_id": "x", "phones": {"a": 1}}\n{not json\n', encoding="utf-8")
    r = run("trace", str(bad), "--watchlist", str(banned))
    assert r.returncode == 0
    assert "line 4" in r.stderr and "'phones'" in r.stderr and "line 5" in r.stderr
    r = run("trace", str(bad), "--watchlist", str(banned), "--strict")
    assert r.returncode == 3
    assert "line 4" in r.stderr and "--strict" in r.stderr


def test_help_explains_commands():
    r = run("--help")
    assert r.returncode == 0
    for verb in ("trace", "link", "report", "synth"):
        assert verb in r.stdout
    r = run("trace", "--help")
    assert "--watchlist" in r.stdout and "--threshold" in r.stdout


def test_no_command_prints_help_and_fails():
    r = run()
    assert r.returncode == 2 and "trace" in r.stdout


def test_report_writes_html(files, tmp_path):
    live, banned = files
    out = tmp_path / "r.html"
    r = run("report", str(live), "--watchlist", str(banned), "-o", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "new1" in html and "banned1" in html


def test_synth_then_trace_finds_comebacks(tmp_path):
    out = tmp_path / "m"
    r = run("synth", str(out), "--accounts", "120", "--seed", "3", "--no-photos")
    assert r.returncode == 0, r.stderr
    leads = tmp_path / "leads.csv"
    r = run("trace", str(out / "accounts.jsonl"), "--watchlist", str(out / "watchlist.jsonl"), "-o", str(leads))
    assert r.returncode == 0, r.stderr
    truth = json.loads((out / "truth.json").read_text())
    rows = list(csv.DictReader(leads.open(encoding="utf-8")))
    top = {}
    for x in rows:
        top.setdefault(x["account_id"], x["violator_id"])
    correct = sum(1 for a, v in top.items() if a in truth["comebacks"] and v in truth["comebacks"][a]["violators"])
    assert top and correct / len(top) >= 0.9


def test_csv_cells_cannot_become_spreadsheet_formulas(tmp_path):
    banned = write_jsonl(tmp_path / "b.jsonl", [{"account_id": "=HYPERLINK(1)", "phones": ["0812-3456-7890"]}])
    live = write_jsonl(tmp_path / "l.jsonl", [{"account_id": "@new", "phones": ["+62 812 3456 7890"]}])
    out = tmp_path / "leads.csv"
    r = run("trace", str(live), "--watchlist", str(banned), "-o", str(out))
    assert r.returncode == 0, r.stderr
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert row["account_id"] == "'@new" and row["violator_id"] == "'=HYPERLINK(1)"


def test_confine_photos_drops_paths_outside_the_folder(tmp_path):
    from PIL import Image

    outside = tmp_path / "secret.jpg"
    Image.new("RGB", (64, 64), "red").save(outside)
    sub = tmp_path / "data"
    sub.mkdir()
    live = write_jsonl(sub / "l.jsonl", [{"account_id": "a", "photos": [str(outside)]}])
    banned = write_jsonl(sub / "b.jsonl", [{"account_id": "b", "photos": ["../secret.jpg"]}])
    r = run("trace", str(live), "--watchlist", str(banned), "--confine-photos")
    assert r.returncode == 0
    assert "secret.jpg" in r.stderr  # each dropped path is named in a warning
    assert r.stdout.strip().splitlines() == ["account_id,violator_id,score,evidence,hops"]


def test_index_verbs_add_query_leads_clusters(files, tmp_path):
    live, banned = files
    ix = tmp_path / "seen.slx"
    r = run("index", "add", str(ix), str(banned), "--watchlist", "--create")
    assert r.returncode == 0, r.stderr
    r = run("index", "add", str(ix), str(live), "--batch", "2")  # two transactions, same result
    assert r.returncode == 0 and "added 3 accounts; 5 accounts indexed" in r.stderr, r.stderr
    # fingerprinting in two processes while linking: the same leads
    ix2 = tmp_path / "seen2.slx"
    assert run("index", "add", str(ix2), str(banned), "--watchlist", "--create").returncode == 0
    r = run("index", "add", str(ix2), str(live), "--batch", "2", "--workers", "2")
    assert r.returncode == 0 and "added 3 accounts; 5 accounts indexed" in r.stderr, r.stderr
    assert run("index", "leads", str(ix2)).stdout == run("index", "leads", str(ix)).stdout
    # a sign-up that kept the banned seller's bank account, written differently
    signup = write_jsonl(tmp_path / "signup.jsonl",
                         [{"account_id": "signup", "bank_accounts": ["bca: 1234567890 (budi)"]}])
    r = run("index", "query", str(ix), str(signup))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(r.stdout.splitlines()))
    assert rows[0]["account_id"] == "signup" and rows[0]["violator_id"] == "banned1"
    r = run("index", "leads", str(ix))
    leads = {(x["account_id"], x["violator_id"]) for x in csv.DictReader(r.stdout.splitlines())}
    assert leads == {("new1", "banned1"), ("new2", "banned2")}
    r = run("index", "clusters", str(ix))
    c = {x["account_id"]: x["cluster_id"] for x in csv.DictReader(r.stdout.splitlines())}
    assert c["new1"] == c["banned1"] != c["other"]
    r = run("index", "refresh", str(ix))
    assert r.returncode == 0 and "refreshed 5 accounts" in r.stderr, r.stderr
    r = run("index", "leads", str(ix))
    assert {(x["account_id"], x["violator_id"]) for x in csv.DictReader(r.stdout.splitlines())} == leads
    r = run("index", "remove", str(ix), "new1")
    assert r.returncode == 0 and "4 accounts indexed" in r.stderr
    r = run("index", "create", str(ix))
    assert r.returncode == 3 and "already exists" in r.stderr
    garbage = tmp_path / "garbage.slx"
    garbage.write_bytes(b"not a database at all" * 100)
    r = run("index", "leads", str(garbage))
    assert r.returncode == 3


def test_index_add_streams_a_file_and_reports_a_bad_record_once(files, tmp_path):
    live, banned = files
    bad = tmp_path / "mixed.jsonl"
    bad.write_text(live.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    ix = tmp_path / "s.slx"
    r = run("index", "add", str(ix), str(bad), "--create", "--batch", "2")
    assert r.returncode == 0 and "added 3 accounts; 3 accounts indexed" in r.stderr, r.stderr
    assert r.stderr.count("line 4") == 1  # the first pass (ids only) stays silent
    r = run("index", "add", str(tmp_path / "t.slx"), str(bad), "--create", "--strict")
    assert r.returncode == 3 and "line 4" in r.stderr
    assert run("index", "leads", str(tmp_path / "t.slx")).stdout.strip() == "account_id,violator_id,score,evidence,hops"
