"""Pipeline tests with a transparent stand-in signal, so graph, cluster and trace logic is
checked independently of the real signals."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sellerlink.linker import Linker, cluster_graph
from sellerlink.scoring import Scorer
from sellerlink.signals.base import Evidence, PairFeatures, stable_hash64_many


class TagSignal:
    """Accounts 'share a phone' when they carry the same tag in ``extra['tags']``."""

    name = "contacts"
    feature_names = ("phone_shared", "phone_min_df")

    def fingerprint(self, accounts):
        rows, tags = [], []
        for i, a in enumerate(accounts):
            for t in a.extra.get("tags", []):
                rows.append(i)
                tags.append(t)
        df = {t: len({r for r, u in zip(rows, tags) if u == t}) for t in set(tags)}
        return {"rows": np.array(rows, dtype=np.int64), "tags": tags, "df": df, "n": len(accounts)}

    def candidate_keys(self, table):
        return table["rows"], stable_hash64_many(table["tags"], "tag")

    def _tagsets(self, table):
        sets = [set() for _ in range(table["n"])]
        for r, t in zip(table["rows"].tolist(), table["tags"]):
            sets[r].add(t)
        return sets

    def compare(self, table, left, right):
        sets = self._tagsets(table)
        shared = [sets[i] & sets[j] for i, j in zip(left.tolist(), right.tolist())]
        return PairFeatures(
            {
                "phone_shared": np.array([len(s) for s in shared], dtype=float),
                "phone_min_df": np.array([min((table["df"][t] for t in s), default=0) for s in shared], float),
            }
        )

    def explain(self, table, i, j):
        sets = self._tagsets(table)
        return [Evidence("contacts", "phone", t, t, key=t, shared_by=table["df"][t]) for t in sets[i] & sets[j]]


def acc(aid, *tags):
    return {"account_id": aid, "tags": list(tags)}


def linker(**kw):
    return Linker(signals=[TagSignal()], **kw)


def test_trace_direct_and_through_the_graph():
    watch = [acc("banned", "bank1")]
    live = [acc("new1", "bank1", "phone2"), acc("new2", "phone2"), acc("innocent", "zzz")]
    res = linker().trace(live, watch)
    top = res.top()
    assert top["new1"].violator_id == "banned" and top["new1"].direct
    # new2 shares nothing with the banned account but is strongly linked to new1, which does
    assert top["new2"].violator_id == "banned"
    assert top["new2"].path == ["new2", "new1", "banned"]
    assert top["new2"].score < top["new1"].score
    assert "innocent" not in top
    df = res.to_frame()
    assert list(df.columns) == ["account_id", "violator_id", "score", "evidence", "hops"]
    assert df["score"].is_monotonic_decreasing
    assert "bank1" in df.loc[df.account_id == "new1", "evidence"].iloc[0]


def test_common_value_does_not_make_a_lead():
    watch = [acc("banned", "agency")]
    live = [acc(f"seller{i}", "agency") for i in range(30)]
    res = linker().trace(live, watch)
    assert res.top() == {}


def test_watchlist_account_is_not_its_own_lead():
    watch = [acc("banned", "x")]
    res = linker().trace([acc("banned", "x"), acc("new", "x")], watch)
    assert set(res.to_frame()["account_id"]) == {"new"}


def test_link_is_independent_of_input_order():
    recs = [acc("a", "1"), acc("b", "1", "2"), acc("c", "2"), acc("d", "3"), acc("e", "3"), acc("f")]
    r1 = linker().link(recs)
    r2 = linker().link(list(reversed(recs)))

    def groups(res):
        out = {}
        for a, c in res.clusters.items():
            out.setdefault(c, set()).add(a)
        return sorted(map(sorted, out.values()))

    assert groups(r1) == groups(r2) == [["a", "b", "c"], ["d", "e"], ["f"]]
    s1 = dict(zip(zip(*[r1.pairs.to_frame()[c] for c in ("left_id", "right_id")]), r1.pairs.to_frame()["score"]))
    s2 = {tuple(sorted(k)): v for k, v in
          zip(zip(*[r2.pairs.to_frame()[c] for c in ("left_id", "right_id")]), r2.pairs.to_frame()["score"])}
    assert {tuple(sorted(k)): v for k, v in s1.items()} == pytest.approx(s2)


def test_single_weak_link_does_not_chain_two_groups():
    import networkx as nx

    g = nx.Graph()
    for a, b in [("a1", "a2"), ("a2", "a3"), ("a1", "a3"), ("b1", "b2"), ("b2", "b3"), ("b1", "b3")]:
        g.add_edge(a, b, score=0.999)
    g.add_edge("a3", "b1", score=0.6)  # one stray link
    ids = sorted(g.nodes)
    c = cluster_graph(g, ids)
    assert c["a1"] == c["a2"] == c["a3"]
    assert c["b1"] == c["b2"] == c["b3"]
    assert c["a1"] != c["b1"]
    g.add_edge("a2", "b2", score=0.6)  # a second, independent link does join them
    c = cluster_graph(g, ids)
    assert c["a1"] == c["b1"]


def test_bad_threshold_is_rejected():
    with pytest.raises(ValueError, match="threshold"):
        Linker(signals=[TagSignal()], threshold=1.5)


def test_chunked_compare_equals_one_batch():
    """Pairs are compared in chunks to bound memory: the features must not depend on it."""
    import warnings

    import sellerlink as sl
    from sellerlink.synth import generate

    watch, live, _ = generate(n_accounts=120, seed=4, with_photos=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lk = sl.Linker(progress=False)
        fps = lk.fingerprint([*watch, *live])
        left, right = lk.candidate_pairs(fps)
        whole = lk.compare(fps, left, right, chunk=len(left) + 1)
        chunked = lk.compare(fps, left, right, chunk=7)
    assert len(left) > 50
    assert whole.keys() == chunked.keys()
    for name in whole:
        assert np.array_equal(whole[name], chunked[name]), name


# -- memory-bounded paths against simple references (issue 3) -----------------------------


def _market_fps(n=150, seed=6):
    import warnings

    import sellerlink as sl
    from sellerlink.synth import generate

    watch, live, _ = generate(n_accounts=n, seed=seed, with_photos=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lk = sl.Linker(progress=False)
        return lk, lk.fingerprint([*watch, *live])


def test_link_equals_unchunked_reference():
    """Candidate pairs (chunked, packed codes), features (preallocated, zero chunks skipped)
    and scores (chunked) against the obvious whole-batch computation."""
    from sellerlink.blocking import pairs_from_keys_reference

    lk, fps = _market_fps()
    want: set[tuple[int, int]] = set()
    for sig in lk.signals:
        rows, keys = sig.candidate_keys(fps.tables[sig.name])
        want |= pairs_from_keys_reference(rows, keys, max_block=lk.max_block)
    left, right = lk.candidate_pairs(fps)
    assert list(zip(left.tolist(), right.tolist())) == sorted(want)
    assert len(left) > 100
    ref = {}
    for sig in lk.signals:
        ref.update(sig.compare(fps.tables[sig.name], left, right).values)
    for chunk in (len(left) + 1, 13):
        feats = lk.compare(fps, left, right, chunk=chunk)
        assert feats.keys() == ref.keys()
        for name, v in ref.items():
            assert np.array_equal(feats[name], np.asarray(v, dtype=np.float64)), name
            assert not np.signbit(feats[name]).any() or np.array_equal(np.signbit(feats[name]), np.signbit(v))
    from sellerlink.linker import PairTable

    pt = PairTable(fps, lk.signals, lk.scorer, left, right, feats)
    assert np.array_equal(pt.score, lk.scorer.predict_proba(ref))
    whole = lk.scorer.term_weights(ref)
    assert pt.term_weights.keys() == whole.keys()
    for t, w in whole.items():
        assert np.array_equal(pt.term_weights[t], w), t
    assert (pt.score >= 0.5).sum() > 5


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 50), st.integers(0, 2**31 - 1), st.integers(1, 120))
def test_scorer_weights_and_proba_chunked_equals_whole(n, seed, chunk):
    rng = np.random.default_rng(seed)
    names = ["phone_shared", "phone_min_df", "email_shared", "email_min_df", "name_sim", "name_info",
             "name_exact", "name_df", "text_sim", "text_info", "sentence_shared", "style_sim",
             "photo_matches", "photo_min_df", "photo_rare_matches", "photo_best_sim"]
    feats = {k: np.where(rng.random(n) < 0.5, 0.0, rng.random(n) * rng.choice([1.0, 3.0, 40.0])) for k in names}
    s = Scorer()
    w, p = s.weights_and_proba(feats, chunk=chunk)
    assert np.array_equal(p, s.predict_proba(feats))
    tw = s.term_weights(feats)
    for t in tw:
        assert np.array_equal(w[t], tw[t]) and np.array_equal(np.signbit(w[t]), np.signbit(tw[t])), t


def test_compare_rejects_misaligned_and_bad_chunk():
    lk, fps = _market_fps(n=40, seed=2)
    with pytest.raises(ValueError, match="aligned"):
        lk.compare(fps, np.array([0, 1]), np.array([2]))
    with pytest.raises(ValueError, match="chunk"):
        lk.compare(fps, np.array([0]), np.array([1]), chunk=0)


def test_graph_edge_attributes_equal_full_length_computation():
    """build_graph computes weights and log-odds on the kept pairs only: same floats as on all pairs."""
    from sellerlink.linker import PairTable, build_graph

    lk, fps = _market_fps(n=150, seed=6)
    left, right = lk.candidate_pairs(fps)
    pt = PairTable(fps, lk.signals, lk.scorer, left, right, lk.compare(fps, left, right))
    g = build_graph(pt, 0.3)
    sw = pt.signal_weights()
    p = np.clip(pt.score, 1e-12, 1 - 1e-12)
    logit = np.log(p) - np.log1p(-p)
    assert g.number_of_edges() == int((pt.score >= 0.3).sum()) > 5
    for _, _, a in g.edges(data=True):
        k = a["pair"]
        assert a["weight"] == float(logit[k]) and a["score"] == float(pt.score[k])
        assert all(a[f"w_{s}"] == float(w[k]) for s, w in sw.items())


def test_min_score_kept_keeps_exactly_the_pairs_above_and_the_same_trace():
    """Dropping low-scoring pairs chunk by chunk: the kept rows are the full table's rows at or
    above the floor, value for value, and graph, clusters and every lead are unchanged."""
    import warnings

    import sellerlink as sl
    from sellerlink.synth import generate

    watch, live, _ = generate(n_accounts=150, seed=8, with_photos=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = sl.Linker(progress=False, min_score_kept=None).trace(live, watch)
        kept_lk = sl.Linker(progress=False, min_score_kept=0.01)
        kept = kept_lk.trace(live, watch)
    a, b = full.link.pairs, kept.link.pairs
    m = a.score >= 0.01
    assert 0 < len(b) == int(m.sum()) < len(a)
    assert np.array_equal(b.left, a.left[m]) and np.array_equal(b.right, a.right[m])
    assert np.array_equal(b.score, a.score[m])
    for k in a.features:
        assert np.array_equal(b.features[k], a.features[k][m]), k
    for k in a.term_weights:
        assert np.array_equal(b.term_weights[k], a.term_weights[k][m]), k
    assert kept.link.clusters == full.link.clusters
    strip = lambda g: sorted((u, v, tuple(sorted((k, x) for k, x in d.items() if k != "pair"))) for u, v, d in g.edges(data=True))
    assert strip(kept.link.graph) == strip(full.link.graph)
    assert kept.to_frame(all_leads=True).equals(full.to_frame(all_leads=True))
    assert len(full.to_frame()) > 3
    # chunk size does not matter
    fps = kept.link.fingerprints
    left, right = kept_lk.candidate_pairs(fps)
    small = kept_lk.score_candidates(fps, left, right, chunk=17)
    assert np.array_equal(small.left, b.left) and np.array_equal(small.score, b.score)


def _random_parts(n_parts, rows, seed):
    from sellerlink.linker import PairTable

    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(n_parts):
        t = PairTable.__new__(PairTable)
        t.fingerprints, t.signals, t.scorer = None, [], None
        m = int(rng.integers(0, rows))
        t.left, t.right = rng.integers(0, 10**6, m), rng.integers(0, 10**6, m)
        t.features = {f"f{k}": rng.random(m) for k in range(6)}
        t.term_weights = {f"w{k}": rng.random(m) for k in range(4)}
        t.score = rng.random(m)
        parts.append(t)
    return parts


def _columns(t):
    return {"left": t.left, "right": t.right, "score": t.score, **t.features, **t.term_weights}


def test_concat_consuming_the_parts_equals_concat_and_holds_one_column_twice():
    """concat(consume=True) gives the same table as concat, empties the parts as it goes, and at
    its peak holds little more than one column twice (concat holds every column twice)."""
    import tracemalloc

    from sellerlink.linker import PairTable

    def peak_growth(consume):
        tracemalloc.start()  # before the parts are made, so that freeing them counts
        try:
            parts = _random_parts(40, 4000, seed=3)
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            out = PairTable.concat(parts, consume=consume)
            return out, parts, tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()

    plain, _, plain_growth = peak_growth(False)
    out, parts, growth = peak_growth(True)
    column_bytes = len(plain) * 8
    a, b = _columns(plain), _columns(out)
    assert a.keys() == b.keys() and len(a) == 13
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert all(sum(len(v) for v in _columns(t).values()) == 0 for t in parts)
    assert growth < 2 * column_bytes, (growth, column_bytes)
    assert plain_growth > 12 * column_bytes  # the plain concat holds the whole table twice


def test_consuming_concat_refuses_before_emptying_anything():
    from sellerlink.linker import PairTable

    parts = _random_parts(3, 50, seed=5)
    del parts[2].features["f3"]
    before = [{k: v.copy() for k, v in _columns(t).items()} for t in parts]
    with pytest.raises(ValueError, match="same features"):
        PairTable.concat(parts, consume=True)
    parts = parts[:2]
    with pytest.raises(ValueError, match="each table once"):
        PairTable.concat([parts[0], parts[1], parts[0]], consume=True)
    for t, cols in zip(parts, before):  # every part still whole
        assert all(np.array_equal(_columns(t)[k], v) for k, v in cols.items())


def test_consuming_concat_hands_the_heap_back_after_each_column(monkeypatch):
    import sellerlink.linker as L

    calls = []
    monkeypatch.setattr(L, "_release_freed_heap", lambda: calls.append(1))
    parts = _random_parts(5, 400, seed=4)
    rows = sum(len(t) for t in parts)
    monkeypatch.setattr(L, "_TRIM_ROWS", rows)
    L.PairTable.concat(_random_parts(5, 400, seed=4))
    assert calls == []
    L.PairTable.concat(parts, consume=True)
    assert len(calls) == 13
    monkeypatch.setattr(L, "_TRIM_ROWS", rows + 1)  # a smaller table is not worth the walk
    L.PairTable.concat(_random_parts(5, 400, seed=4), consume=True)
    assert len(calls) == 13


def test_min_score_kept_must_not_exceed_threshold():
    with pytest.raises(ValueError, match="min_score_kept"):
        Linker(signals=[TagSignal()], threshold=0.5, min_score_kept=0.6)
    with pytest.raises(ValueError, match="min_score_kept"):
        Linker(signals=[TagSignal()], min_score_kept=-0.1)


def test_fingerprinting_in_worker_processes_equals_one_process(monkeypatch):
    """workers=2 sends contacts' and phrasing's per-record work to forked processes in
    chunks and assembles the states here: the same tables, pairs, scores and evidence."""
    import warnings

    import sellerlink as sl
    import sellerlink.linker as L
    from sellerlink.synth import generate

    watch, live, _ = generate(n_accounts=150, seed=6, with_photos=False)
    accs = [*watch, *live]
    monkeypatch.setattr(L, "_EXTRACT_CHUNK", 37)  # several chunks, the last one short
    monkeypatch.setattr(L, "_PARALLEL_MIN", 100)
    pools = []
    real_pool = L._fresh_pool
    monkeypatch.setattr(L, "_fresh_pool", lambda *a: pools.append(real_pool(*a)) or pools[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = sl.Linker(progress=False, workers=1).link(accs)
        two = sl.Linker(progress=False, workers=2).link(accs)
    assert len(pools) == 1 and pools[0] is not None  # the worker path ran (once, for both signals)
    split = [s.name for s in sl.Linker(workers=2).signals if L._extracts_in_processes(s)]
    assert split == ["contacts", "phrasing"]
    assert np.array_equal(one.pairs.left, two.pairs.left) and np.array_equal(one.pairs.right, two.pairs.right)
    assert np.array_equal(one.pairs.score, two.pairs.score)
    assert one.clusters == two.clusters
    assert (one.pairs.score >= 0.5).sum() > 5
    for k in np.flatnonzero(one.pairs.score >= 0.5)[:5].tolist():
        assert one.pairs.match(k).evidence == two.pairs.match(k).evidence


def test_keep_text_false_links_the_same_and_frees_the_texts(tmp_path):
    """keep_text=False: the same pairs, scores, evidence and leads; the accounts keep names,
    contacts and photos but not their texts, and the texts' memory is given back when the
    linker reads the accounts itself (here from a file, as the command line does)."""
    import gc
    import tracemalloc
    import warnings

    import sellerlink as sl
    from sellerlink.records import dumps_jsonl, load_accounts
    from sellerlink.synth import generate

    watch, live, _ = generate(n_accounts=150, seed=6, with_photos=False)
    watch, live = load_accounts(watch), load_accounts(live)
    path = tmp_path / "accounts.jsonl"
    path.write_text(dumps_jsonl([*watch, *live]), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = sl.Linker(progress=False).trace(live, watch)
        slim = sl.Linker(progress=False, keep_text=False).trace(iter(live), watch)
    assert np.array_equal(full.link.pairs.left, slim.link.pairs.left)
    assert np.array_equal(full.link.pairs.score, slim.link.pairs.score)
    assert full.to_frame(all_leads=True).equals(slim.to_frame(all_leads=True))
    strong = np.flatnonzero(full.link.pairs.score >= 0.5)[:5].tolist()
    assert strong and all(full.link.pairs.match(k).evidence == slim.link.pairs.match(k).evidence for k in strong)
    for a, b in zip(full.link.fingerprints.accounts, slim.link.fingerprints.accounts):
        assert (a.account_id, a.display_name, a.phones, a.all_photos, len(a.listings)) == (
            b.account_id, b.display_name, b.phones, b.all_photos, len(b.listings))  # fmt: skip
        assert b.texts == ()
    text_bytes = sum(len(t.encode()) for a in [*watch, *live] for t in a.texts)
    assert text_bytes > 200_000

    def held(keep_text: bool) -> int:
        gc.collect()
        tracemalloc.start()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fps = sl.Linker(progress=False, keep_text=keep_text).fingerprint(path)
            gc.collect()
            size = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert len(fps.accounts) == len(watch) + len(live)
        return size

    assert held(True) - held(False) > 0.8 * text_bytes


def test_handover_yields_in_order_and_empties_the_list():
    from sellerlink.linker import _handover

    items = list("abcd")
    out = []
    for x in _handover(items):
        out.append((x, len(items)))
    assert out == [("a", 3), ("b", 2), ("c", 1), ("d", 0)]


@pytest.mark.parametrize("workers", [1, 2])
def test_texts_go_before_the_last_signal_assembles_in_the_worker_path(monkeypatch, workers):
    """With workers, the texts are dropped once the last signal's workers have read every
    account, before its table is assembled (phrasing's assemble is a large run's peak);
    in one process, right after the last signal. Either way the tables are the same."""
    import warnings

    import sellerlink as sl
    import sellerlink.linker as L
    from sellerlink.records import load_accounts
    from sellerlink.signals.phrasing import PhrasingSignal
    from sellerlink.synth import generate

    watch, live, _ = generate(n_accounts=150, seed=6, with_photos=False)
    monkeypatch.setattr(L, "_EXTRACT_CHUNK", 37)
    monkeypatch.setattr(L, "_PARALLEL_MIN", 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sl.Linker(progress=False).fingerprint(load_accounts([*watch, *live]))
    seen: list[bool] = []
    accs = load_accounts([*watch, *live])
    real = PhrasingSignal._assemble

    def spy(self, *args, **kwargs):
        seen.append(all(a.texts == () for a in accs))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(PhrasingSignal, "_assemble", spy)
    lk = sl.Linker(progress=False, workers=workers, keep_text=False)
    assert lk.signals[-1].name == "phrasing"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = dict(lk._fingerprint_tables(accs))
    assert seen == [workers > 1]
    assert all(a.texts == () for a in accs)
    assert np.array_equal(tables["phrasing"].sh_ids, ref.tables["phrasing"].sh_ids)
    assert np.array_equal(tables["phrasing"].minhash, ref.tables["phrasing"].minhash)


def test_the_freed_heap_goes_back_to_the_system():
    """_release_freed_heap: texts freed among live objects (so the heap cannot shrink from its
    top) leave the process's resident size only when it runs (glibc; skipped elsewhere)."""
    import os

    from sellerlink.linker import _release_freed_heap

    def rss() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    if not os.path.exists("/proc/self/statm") or not _release_freed_heap():
        pytest.skip("needs glibc and /proc")
    texts = [f"x{i:07d}" * 500 for i in range(40_000)]  # 4 KB each: malloc's heap, not pymalloc's
    keep = texts[::8]
    before = rss()
    del texts
    freed = rss()
    assert _release_freed_heap()
    after = rss()
    assert before - after > 80  # of ~140 MB freed
    assert freed - after > 80  # and it was still resident before the call
    assert len(keep) == 5_000


@pytest.mark.parametrize("workers", [1, 2])
def test_the_dropped_texts_heap_is_handed_back_as_it_goes(monkeypatch, workers):
    """keep_text=False: the freed heap is handed back while the texts are dropped (worker path:
    every _TRIM_EVERY accounts), once all are gone, and after each signal's table."""
    import warnings

    import sellerlink as sl
    import sellerlink.linker as L
    from sellerlink.records import load_accounts
    from sellerlink.synth import generate

    watch, live, _ = generate(n_accounts=150, seed=6, with_photos=False)
    monkeypatch.setattr(L, "_EXTRACT_CHUNK", 37)
    monkeypatch.setattr(L, "_PARALLEL_MIN", 100)
    monkeypatch.setattr(L, "_TRIM_EVERY", 74)
    monkeypatch.setattr(L, "_TRIM_MIN", 100)
    accs = load_accounts([*watch, *live])
    dropped: list[int] = []
    monkeypatch.setattr(L, "_release_freed_heap", lambda: dropped.append(sum(a.texts == () for a in accs)) or True)
    lk = sl.Linker(progress=False, workers=workers, keep_text=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = [name for name, _ in lk._fingerprint_tables(accs)]
    assert names == [s.name for s in lk.signals]
    with_text = sum(1 for a in load_accounts([*watch, *live]) if a.texts)
    n = len(accs)
    assert dropped[-1] == n and dropped.count(n) >= 2  # once all are gone, and after the last table
    partial = [d for d in dropped if n - with_text < d < n]
    if workers > 1:  # while the texts go: every 74 accounts (two 37-account chunks)
        assert len(partial) == (n - 1) // 74 and partial == sorted(partial)
    else:  # in one process they go all at once
        assert not partial and set(dropped) == {n - with_text, n}


def test_candidate_pairs_hand_back_the_heap_after_each_signal(monkeypatch):
    """Each signal's keys leave freed heap behind; candidate_pairs hands it back before the
    next signal builds its own (and the pairs are those of the full union either way)."""
    import warnings

    import sellerlink as sl
    import sellerlink.linker as L
    from sellerlink.records import load_accounts
    from sellerlink.synth import generate

    watch, live, _ = generate(n_accounts=120, seed=4, with_photos=False)
    lk = sl.Linker(progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fps = lk.fingerprint(load_accounts([*watch, *live]))
    want = lk.candidate_pairs(fps)
    calls: list[int] = []
    real = L.PairUnion.add
    added: list[int] = []
    monkeypatch.setattr(L.PairUnion, "add", lambda self, codes: (added.append(len(added)), real(self, codes))[1])
    monkeypatch.setattr(L, "_release_freed_heap", lambda: calls.append(len(added)) or True)
    lk.candidate_pairs(fps)
    assert calls == []  # a small link hands nothing back
    monkeypatch.setattr(L, "_TRIM_MIN", 100)
    added.clear()
    got = lk.candidate_pairs(fps)
    assert calls == list(range(1, len(lk.signals) + 1))  # after each signal's codes went in
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_scoring_in_chunks_hands_back_the_heap_every_few_chunks(monkeypatch):
    """score_candidates with min_score_kept: the freed heap goes back once at least
    _TRIM_PAIRS pairs were scored since the last time, and the kept pairs are those of one chunk."""
    import warnings

    import sellerlink as sl
    import sellerlink.linker as L
    from sellerlink.records import load_accounts
    from sellerlink.synth import generate

    watch, live, _ = generate(n_accounts=120, seed=4, with_photos=False)
    lk = sl.Linker(progress=False, min_score_kept=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fps = lk.fingerprint(load_accounts([*watch, *live]))
    left, right = lk.candidate_pairs(fps)
    assert len(left) > 40
    want = lk.score_candidates(fps, left, right)
    calls: list[int] = []
    monkeypatch.setattr(L, "_TRIM_PAIRS", 10)
    monkeypatch.setattr(L, "_release_freed_heap", lambda: calls.append(1) or True)
    got = lk.score_candidates(fps, left, right, chunk=4)
    expect, since = 0, 0
    for start in range(0, len(left), 4):  # (chunks of 4 pairs: every third, 12 >= 10)
        since += len(left[start : start + 4])
        expect, since = (expect + 1, 0) if since >= 10 else (expect, since)
    assert len(calls) == expect >= 3
    assert np.array_equal(got.left, want.left) and np.array_equal(got.score, want.score)
