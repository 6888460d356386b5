"""A query's two phases: an upper bound on every candidate's score without looking up the
values only the candidate holds, then exact scores for the candidates the bound keeps. The
answer must be exactly the one-phase answer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sellerlink import Linker, load_accounts
from sellerlink.index import Index
from sellerlink.records import Account
from sellerlink.scoring import Scorer
from sellerlink.signals.contacts import ContactsSignal
from sellerlink.signals.names import NamesSignal
from sellerlink.signals.phrasing import PhrasingSignal
from sellerlink.synth import generate_marketplace


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Account], list[Account]]:
    d = tmp_path_factory.mktemp("market")
    m = generate_marketplace(d, n_accounts=240, seed=3, with_photos=False)
    return load_accounts(m.watchlist_path), load_accounts(m.accounts_path)


def _index(wl: list[Account], live: list[Account], scorer: Scorer | None = None) -> Index:
    kw: dict[str, Any] = {"scorer": scorer} if scorer is not None else {}
    lk = Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False, **kw)
    ix = Index(linker=lk)
    ix.add(wl, watchlist=True)
    ix.add(live)
    return ix


def _answer(ix: Index, queries: list[Account]) -> list[tuple[Any, ...]]:
    out = []
    for q in queries:
        r = ix.query(q, k=20)
        # evidence as a set: phrasing's style item ranks habits by how many accounts *of the
        # batch* share them, so the order of equal-weight items may follow the candidates kept
        out.append((
            [(m.left, m.right, m.score, sorted(m.weights.items()), sorted((e.signal, e.kind, e.left, e.right) for e in m.evidence))
             for m in r.matches],
            [(ld.violator_id, ld.score, list(ld.path)) for ld in r.leads],
            r.n_candidates,
        ))  # fmt: skip
    return out


def _one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every value counted for every row: no bound (phrasing) and no skipping of the values
    only a candidate holds (names, contacts)."""
    monkeypatch.setattr(PhrasingSignal, "bound_by_own_counts", False)
    monkeypatch.setattr(NamesSignal, "shared_counts_only", False)
    monkeypatch.setattr(ContactsSignal, "shared_counts_only", False)


def _count_lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many value counts a query asks the file for (before the cache), per call."""
    seen: list[int] = []
    real = Index._lookup

    def spy(self: Index, table: str, keys: np.ndarray) -> np.ndarray:
        if table == "counts":
            seen.append(len(keys))
        return real(self, table, keys)

    monkeypatch.setattr(Index, "_lookup", spy)
    return seen


def test_bounded_query_answers_exactly_like_the_one_phase_query(
    market: tuple[list[Account], list[Account]], monkeypatch: pytest.MonkeyPatch
) -> None:
    wl, live = market
    indexed, queries = live[:-40], live[-40:]
    ix = _index(wl, indexed)
    lookups = _count_lookups(monkeypatch)
    # the exact pass compares the query with the kept candidates only (the first pass: with
    # every candidate)
    calls: list[list[int]] = []  # per query, the candidates of each phrasing compare_one
    real_query, real_one = Index.query, PhrasingSignal.compare_one

    def query(self: Index, account: Any, *, k: int = 10) -> Any:
        calls.append([])
        return real_query(self, account, k=k)

    def spy(self: PhrasingSignal, states: Any, one: bytes, *, rarity: Any) -> Any:
        calls[-1].append(len(states))
        return real_one(self, states, one, rarity=rarity)

    monkeypatch.setattr(Index, "query", query)
    monkeypatch.setattr(PhrasingSignal, "compare_one", spy)
    bounded = _answer(ix, queries)
    n_bounded = sum(lookups)
    assert all(len(c) <= 2 for c in calls)
    first, kept = [c[0] for c in calls if len(c) == 2], [c[1] for c in calls if len(c) == 2]
    assert kept and all(0 < e < f for e, f in zip(kept, first)) and sum(kept) < sum(first) / 2
    monkeypatch.setattr(PhrasingSignal, "compare_one", real_one)
    lookups.clear()
    _one_pass(monkeypatch)
    exact = _answer(ix, queries)
    assert bounded == exact
    assert sum(len(a[0]) for a in exact) >= 8 and sum(len(a[1]) for a in exact) >= 3  # not vacuous
    # and the bound spared most of the look-ups (else it would only cost time)
    assert n_bounded < sum(lookups) / 2


def test_queries_of_indexed_accounts_agree_too(market: tuple[list[Account], list[Account]], monkeypatch: pytest.MonkeyPatch) -> None:
    wl, live = market
    ix = _index(wl, live)
    some = live[::12]
    bounded = _answer(ix, some)
    assert sum(len(a[0]) for a in bounded) >= 3  # they have matches: the comparison is not vacuous
    _one_pass(monkeypatch)
    assert bounded == _answer(ix, some)


def test_no_bound_when_the_scorer_could_fall_as_text_similarity_rises(
    market: tuple[list[Account], list[Account]], monkeypatch: pytest.MonkeyPatch
) -> None:
    wl, live = market
    scorer = Scorer(coef={"text_sim": -1.0}, bounds={"text_sim": (-2.0, 6.0)})
    assert not scorer.nondecreasing("phrasing") and scorer.nondecreasing("contacts")
    assert Scorer().nondecreasing("phrasing")
    ix = _index(wl, live, scorer)
    some = live[::6]
    calls: list[set[str]] = []
    real = Index._bounded
    monkeypatch.setattr(Index, "_bounded", lambda self, ctx, own: calls.append(set(own)) or real(self, ctx, own))
    res = _answer(ix, some)
    assert sum(len(r[0]) for r in res) >= 2
    # no bound on phrasing: one pass per query with candidates, whose context still skips
    # the values names and contacts never read
    assert calls == [{"names", "contacts"}] * sum(1 for r in res if r[2])
    _one_pass(monkeypatch)
    assert res == _answer(ix, some)


def test_the_bound_is_an_upper_bound_on_each_feature(market: tuple[list[Account], list[Account]]) -> None:
    """Phrasing's promise (signals.base): with values only the other side holds weighing
    nothing, no feature of a pair with the focus row falls below the exact one."""
    wl, live = market
    accs = [*wl, *live]
    sig = PhrasingSignal()
    exact = sig.fingerprint(accs)
    q = len(accs) - 1
    others = np.arange(q, dtype=np.int64)
    fq = exact.vocab[exact.sh_ids[exact.sh_offsets[q] : exact.sh_offsets[q + 1]]]
    from sellerlink.signals.base import RarityContext
    from sellerlink.signals.phrasing import _sentence_keys, _shingle_keys

    own = set(_shingle_keys(fq).tolist()) | set(
        _sentence_keys(exact.sent_hashes[exact.sent_offsets[q] : exact.sent_offsets[q + 1]]).tolist()
    )
    keys, counts = sig.rarity_keys(exact)[1], None
    uniq, n = np.unique(keys, return_counts=True)
    del counts

    def full(_s: str, k: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(uniq, k), len(uniq) - 1)
        return np.where(uniq[pos] == k, n[pos], 0)

    def bounded(s: str, k: np.ndarray) -> np.ndarray:
        return np.where([int(x) in own for x in k.tolist()], full(s, k), 1 << 40)

    states = sig.extract(accs)
    ids = [a.account_id for a in accs]
    a = sig.compare(sig.assemble(ids, states, rarity=RarityContext(len(accs), full)), np.full(q, q), others)
    b = sig.compare(sig.assemble(ids, states, rarity=RarityContext(len(accs), bounded)), np.full(q, q), others)
    assert (a["text_sim"] > 0).sum() >= 10
    for name in sig.feature_names:
        assert (b[name] >= a[name] - 1e-12).all(), name
    assert (b["text_sim"] > a["text_sim"] + 1e-9).any()  # and it is a bound, not the same numbers


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.integers(-50, 50), st.integers(0, 9)), max_size=30), max_size=12),
    st.integers(1, 200),
)
def test_count_cache_answers_like_a_dict(puts: list[list[tuple[int, int]]], limit: int) -> None:
    """The cache of counts (sorted run + recent dict, merged and emptied at their limits)
    against a plain dict with the same emptying rule, asked in order and in any order."""
    from sellerlink import index as index_mod

    cache = index_mod._CountCache(limit)
    index_mod._CountCache._RECENT = 7  # merge often
    try:
        ref: dict[int, int] = {}
        for batch in puts:
            new = {k: v for k, v in batch if k not in ref}
            keys = np.array(sorted(new), dtype=np.int64)
            if len(ref) + len(keys) > limit:
                ref = {}
            cache.put(keys, np.array([new[k] for k in keys.tolist()], dtype=np.int64))
            ref.update(new)
            probe = np.arange(-60, 61, dtype=np.int64)
            assert cache.get(probe).tolist() == [ref.get(k, -1) for k in probe.tolist()]
            mixed = np.concatenate([probe[::-3], probe[::7], probe[:0]])  # any order, repeats
            assert cache.get(mixed).tolist() == [ref.get(k, -1) for k in mixed.tolist()]
            assert len(cache) == len(ref)
    finally:
        index_mod._CountCache._RECENT = 1 << 16


def test_adding_with_the_bound_stores_the_pairs_and_scores_of_exact_scoring(
    market: tuple[list[Account], list[Account]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding scores a batch's candidate pairs the same two-pass way: every pair kept
    (>= min_direct) has its exact score, and no pair is lost or gained."""
    wl, live = market

    def build() -> tuple[dict[tuple[str, str], float], int]:
        lookups = _count_lookups(monkeypatch)
        ix = Index(linker=Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False))
        ix.add(wl, watchlist=True)
        for s in range(0, len(live), 50):
            ix.add(live[s : s + 50])
        ids, _, left, right, score, _ = ix._stored()
        pairs = {(ids[int(a)], ids[int(b)]): float(sc) for a, b, sc in zip(left, right, score)}
        monkeypatch.undo()
        return pairs, sum(lookups)

    bounded, n_bounded = build()
    _one_pass(monkeypatch)
    exact, n_exact = build()
    assert bounded == exact and len(exact) >= 30
    assert n_bounded < n_exact


def test_pair_scores_are_exact_where_kept_and_upper_bounds_elsewhere(market: tuple[list[Account], list[Account]]) -> None:
    """The two-pass pair scoring of add/refresh/remove, pair by pair, against one exact pass."""
    wl, live = market
    ix = Index(linker=Linker(signals=[PhrasingSignal()], progress=False), min_direct=0.02)
    ix.add(wl, watchlist=True)
    ix.add(live)
    rids = [r for (r,) in ix._con.execute("SELECT rid FROM accounts ORDER BY rid LIMIT 90")]
    batch = ix._load_batch(rids)
    li, ri = np.triu_indices(len(rids), k=1)
    ctx = ix._context()
    exact = ix._proba(ix._features(ix._tables(batch, ctx), li, ri))
    got = ix._pair_scores(batch, ctx, li, ri)
    kept = exact >= ix.min_direct
    assert kept.sum() >= 5 and (~kept).sum() >= 100
    assert (got[kept] == exact[kept]).all()
    assert (got >= exact - 1e-12).all() and (got[~kept] < ix.min_direct).all()
    assert (got > exact + 1e-12).any()  # a bound, not an exact pass in disguise


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(1, 25)), max_size=120, unique=True),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 34)), max_size=40),
    st.sampled_from([None, 1, 3]),
)
def test_candidates_match_a_loop_over_the_postings(postings: list[tuple[int, int]],
                                                   probes: list[tuple[int, int]], limit: int | None) -> None:  # fmt: skip
    """Index._candidates (vectorised over the probes) against the plain loop it replaced."""
    ix = Index(linker=Linker(signals=[PhrasingSignal()], progress=False, max_block=6))
    ix._con.executemany("INSERT INTO postings (key, rid) VALUES (?, ?)", postings)
    held: dict[int, int] = {}
    for k, _ in postings:
        held[k] = held.get(k, 0) + 1
    ix._con.executemany("INSERT INTO pcounts (key, n) VALUES (?, ?)", held.items())
    rows = np.array([r for r, _ in probes], dtype=np.int64)
    keys = np.array([k for _, k in probes], dtype=np.int64)
    own = np.array([3, 7, 11, 0, 5], dtype=np.int64)  # each probe row's own rid
    got_r, got_c = ix._candidates(keys, rows, limit=limit, own=own)
    # the reference: every posting of every usable key, minus the row's own rid
    pairs: dict[tuple[int, int], float] = {}
    for r, k in probes:
        n = held.get(k, 0)
        if not 0 < n <= ix.max_block:
            continue
        for kk, rid in sorted(postings):
            if kk == k and rid != own[r]:
                pairs[(r, rid)] = pairs.get((r, rid), 0.0) + float(np.log1p(ix.max_block / n))
    if limit is None:
        assert set(zip(got_r.tolist(), got_c.tolist())) == set(pairs)
    else:
        want = set()
        for r in {r for r, _ in pairs}:
            ranked = sorted((-round(w, 9), c) for (rr, c), w in pairs.items() if rr == r)
            want |= {(r, c) for _, c in ranked[:limit]}
        assert set(zip(got_r.tolist(), got_c.tolist())) == want


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([1, 7, 1 << 40]))
def test_names_and_contacts_read_only_the_counts_of_shared_values(
    market: tuple[list[Account], list[Account]], pick: int, other: int
) -> None:
    """``shared_counts_only`` (signals.base): with the counts of every value the focus row does
    not hold replaced by anything, each feature and each piece of evidence of a pair with the
    focus row is exactly the one of the true counts."""
    from sellerlink.signals.base import RarityContext

    wl, live = market
    accs = [*wl, *live]
    for sig in (NamesSignal(), ContactsSignal()):
        assert sig.shared_counts_only
        plain = sig.fingerprint(accs)
        rows, keys = sig.rarity_keys(plain)
        # a focus row that shares something with at least one other row
        uniq, n = np.unique(keys, return_counts=True)
        shared_rows = np.unique(rows[np.isin(keys, uniq[n >= 2])])
        q = int(shared_rows[pick % len(shared_rows)])
        own = set(keys[rows == q].tolist())

        def true(_s: str, k: np.ndarray, uniq: np.ndarray = uniq, n: np.ndarray = n) -> np.ndarray:
            pos = np.minimum(np.searchsorted(uniq, k), len(uniq) - 1)
            return np.where(uniq[pos] == k, n[pos], 0)

        def focus_only(s: str, k: np.ndarray, own: set[int] = own, true: Any = true) -> np.ndarray:
            return np.where([int(x) in own for x in k.tolist()], true(s, k), other)

        exact = sig.fingerprint(accs, rarity=RarityContext(len(accs), true))
        mine = sig.fingerprint(accs, rarity=RarityContext(len(accs), focus_only))
        others = np.array([r for r in range(len(accs)) if r != q], dtype=np.int64)
        for left, right in ((np.full(len(others), q), others), (others, np.full(len(others), q))):
            a, b = sig.compare(exact, left, right), sig.compare(mine, left, right)
            for name in sig.feature_names:
                assert np.array_equal(a[name], b[name]), (sig.name, name)
        sharing = [int(r) for r in others if sig.explain(exact, q, int(r))]
        assert sharing  # not vacuous
        for r in sharing:
            assert sig.explain(exact, q, r) == sig.explain(mine, q, r)
            assert sig.explain(exact, r, q) == sig.explain(mine, r, q)
        # and the replaced counts did reach the table (else the test would pass on a no-op)
        df = "token_df" if sig.name == "names" else "df"
        assert not np.array_equal(getattr(exact, df), getattr(mine, df))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 10_000), max_size=3))
def test_names_and_contacts_with_focus_ask_only_about_the_focus_rows_values(
    market: tuple[list[Account], list[Account]], picks: list[int]
) -> None:
    """``assemble(focus=)``: the context is asked about exactly the values the focus rows hold,
    and every pair with a focus row has the features and evidence of the table that counted
    everything; the keys do not change."""
    from sellerlink.signals.base import RarityContext

    wl, live = market
    accs = [*wl, *live][:120]
    ids = [a.account_id for a in accs]
    focus = sorted({p % len(accs) for p in picks})
    for sig in (NamesSignal(), ContactsSignal()):
        states = sig.extract(accs)
        rows, keys = sig.rarity_keys(sig.fingerprint(accs))
        uniq, n = np.unique(keys, return_counts=True)

        def true(_s: str, k: np.ndarray, uniq: np.ndarray = uniq, n: np.ndarray = n) -> np.ndarray:
            pos = np.minimum(np.searchsorted(uniq, k), len(uniq) - 1)
            return np.where(uniq[pos] == k, 3 * n[pos] + 1, 0)  # never the batch's own count

        asked: list[int] = []

        def spy(s: str, k: np.ndarray, true: Any = true, asked: list[int] = asked) -> np.ndarray:
            asked.extend(np.asarray(k, dtype=np.uint64).tolist())
            return true(s, k)

        full = sig.assemble(ids, states, rarity=RarityContext(len(accs), true))
        mine = sig.assemble(ids, states, rarity=RarityContext(len(accs), spy), focus=focus)
        assert set(asked) == set(keys[np.isin(rows, focus)].tolist())
        for q in focus:
            others = np.array([r for r in range(len(accs)) if r != q], dtype=np.int64)
            for left, right in ((np.full(len(others), q), others), (others, np.full(len(others), q))):
                a, b = sig.compare(full, left, right), sig.compare(mine, left, right)
                for name in sig.feature_names:
                    assert np.array_equal(a[name], b[name]), (sig.name, name)
            for r in others.tolist():
                assert sig.explain(full, q, r) == sig.explain(mine, q, r)
                assert sig.explain(full, r, q) == sig.explain(mine, r, q)
        for method in ("candidate_keys", "rarity_keys"):
            for x, y in zip(getattr(sig, method)(full), getattr(sig, method)(mine)):
                assert np.array_equal(x, y)
        # the values no focus row holds kept other counts (else this would pass on a no-op)
        df = "token_df" if sig.name == "names" else "df"
        if len(set(keys.tolist()) - set(asked)):
            assert not np.array_equal(getattr(full, df), getattr(mine, df))
        for bad in ([len(accs)], [-1], np.ones(len(accs), dtype=bool)):  # (a mask is not rows)
            with pytest.raises(ValueError, match="focus"):
                sig.assemble(ids, states, rarity=RarityContext(len(accs), true), focus=bad)


def test_phrasing_rows_leave_the_pairs_among_them_as_they_were(market: tuple[list[Account], list[Account]]) -> None:
    """``PhrasingSignal.assemble(rows=)``: the features and evidence of pairs among ``rows``
    equal the whole table's; the other rows' shingles and sentences are neither kept nor
    asked about."""
    from sellerlink.signals.base import RarityContext

    wl, live = market
    accs = [*wl, *live]
    sig = PhrasingSignal()
    states = sig.extract(accs)
    ids = [a.account_id for a in accs]
    plain = sig.fingerprint(accs)
    rk_rows, rk_keys = sig.rarity_keys(plain)
    uniq, n = np.unique(rk_keys, return_counts=True)
    asked: list[int] = []

    def counts(_s: str, k: np.ndarray) -> np.ndarray:
        asked.extend(k.tolist())
        pos = np.minimum(np.searchsorted(uniq, k), len(uniq) - 1)
        return np.where(uniq[pos] == k, n[pos], 0)

    for with_stats in (False, True):
        stats = {"phrasing": {"style_mean": np.full(len(plain.style[0]), 0.5), "style_std": np.ones(len(plain.style[0]))}}
        ctx = RarityContext(len(accs), counts, stats if with_stats else {})
        full = sig.assemble(ids, states, rarity=ctx)
        # a query-like pick: the row with the most similar texts and its four nearest rows
        m = len(accs)
        li, ri = np.repeat(np.arange(m), m), np.tile(np.arange(m), m)
        sims = sig.compare(full, li, ri)["text_sim"].reshape(m, m)
        np.fill_diagonal(sims, -1)
        q = int(np.argmax(np.sort(sims, axis=1)[:, -2]))
        near = np.argsort(-sims[q])[:4]
        assert (sims[q, near[:2]] > 0.1).all()
        rows = np.append(near, q)
        asked.clear()
        part = sig.assemble(ids, states, rarity=ctx, rows=rows)
        assert set(asked) <= set(rk_keys[np.isin(rk_rows, rows)].tolist())  # nothing of the others
        li, ri = np.array([a for a in rows for b in rows if a < b]), np.array([b for a in rows for b in rows if a < b])
        a, b = sig.compare(full, li, ri), sig.compare(part, li, ri)
        for name in sig.feature_names:
            assert np.allclose(a[name], b[name], rtol=1e-12, atol=1e-12), name
        for i, j in zip(li.tolist(), ri.tolist()):
            assert sig.explain(full, i, j) == sig.explain(part, i, j)
        left_out = np.setdiff1d(np.arange(len(accs)), rows)
        assert (np.diff(part.sh_offsets)[left_out] == 0).all()
        assert np.array_equal(part.style_unit, full.style_unit)
        assert part.habit_df == full.habit_df
    with pytest.raises(ValueError, match="rows"):
        sig.assemble(ids, states, rarity=ctx, rows=[0, len(accs)])
    # without a context the counts are the batch's own: rows is ignored
    nctx = sig.assemble(ids, states)
    assert np.array_equal(sig.assemble(ids, states, rows=[0, 1]).sh_offsets, nctx.sh_offsets)


def test_min_direct_above_the_threshold_is_refused_before_any_file_is_written(tmp_path: Any) -> None:
    """A query leaves the pairs its first pass rules out at their upper bound, below
    ``min_direct``; a lead may follow pairs from the threshold up, so ``min_direct`` must not
    exceed it (and edges at the threshold would not be stored)."""
    lk = Linker(signals=[NamesSignal()], threshold=0.4, progress=False)
    path = tmp_path / "x.slx"
    with pytest.raises(ValueError, match="min_direct"):
        Index.create(path, linker=lk, min_direct=0.41)
    assert not path.exists()
    Index.create(path, linker=lk, min_direct=0.4).close()  # at the threshold: fine
    with pytest.raises(ValueError, match="min_direct"):
        Index.open(path, linker=lk, min_direct=0.5)
    with Index.open(path, readonly=True, linker=lk) as ix:
        assert ix.threshold == 0.4 and ix.min_direct == 0.01
    with pytest.raises(ValueError, match="min_direct"):
        Index(min_direct=-0.1)


def test_only_candidates_at_min_direct_are_looked_up_on_the_watchlist(
    market: tuple[list[Account], list[Account]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query asks the accounts table whether a candidate is on the watchlist only for the
    candidates scoring min_direct or more (no other can start a lead); its direct leads are
    still every watchlist account among its matches."""
    wl, live = market
    ix = _index(wl, live[:-40])
    watch_ids = {a.account_id for a in wl}
    asked: list[int] = []
    real = Index._watch
    monkeypatch.setattr(Index, "_watch", lambda self, rids: asked.append(len(rids)) or real(self, rids))
    n_direct = n_cands = 0
    for q in live[-40:]:
        before = len(asked)
        r = ix.query(q, k=10_000)
        n_cands += r.n_candidates
        near = [m for m in r.matches if m.score >= ix.min_direct]
        assert sum(asked[before:]) == len(near)  # exactly those candidates, once
        want = {m.right: m.score for m in near if m.right in watch_ids}
        best = {ld.violator_id: ld.score for ld in r.leads}
        # each is a lead (direct, or through others where that scores higher), and every direct
        # lead is one of them
        assert all(v in best and best[v] >= s for v, s in want.items())
        assert all(want.get(ld.violator_id) == ld.score for ld in r.leads if ld.direct)
        n_direct += len(want)
    assert n_direct >= 3 and sum(asked) < n_cands / 3  # not vacuous, and far fewer rows read


def _assert_compare_one_exact(sig: Any, ids: list[str], others: list[bytes], one_id: str, one: bytes,
                              ctx: Any, focus: bool) -> None:
    """``sig.compare_one(others, one)`` is the table's compare of (one, each other), bit for bit."""
    m = len(others)
    kw = {"focus": [m]} if focus else {}
    table = sig.assemble([*ids, one_id], [*others, one], rarity=ctx, **kw)
    want = sig.compare(table, np.full(m, m, dtype=np.int64), np.arange(m, dtype=np.int64))
    got = sig.compare_one(others, one, rarity=ctx)
    assert list(got.values) == list(want.values)
    for name in sig.feature_names:
        assert got[name].dtype == want[name].dtype and np.array_equal(got[name], want[name]), name


_PHRASED: dict[int, Any] = {}


def _phrased(accs: list[Account], max_shingles: int) -> Any:
    """(signal, states, table without a context) of ``accs``, made once per setting."""
    if max_shingles not in _PHRASED:
        sig = PhrasingSignal(max_shingles=max_shingles)
        _PHRASED[max_shingles] = (sig, sig.extract(accs), sig.fingerprint(accs))
    return _PHRASED[max_shingles]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_compare_one_is_the_tables_compare_to_the_last_bit(
    market: tuple[list[Account], list[Account]], data: st.DataObject
) -> None:
    """PhrasingSignal.compare_one (a query's first pass, without a table of the batch) against
    the table's compare, on any account against any rows: the same features exactly (not
    within a tolerance: a query's answers must not depend on which way they were made). Rows
    capped at a few shingles (a small max_shingles) exercise the bottom-k limit; a context with
    and without style statistics, counting every value or only the query's own."""
    from sellerlink.signals.base import RarityContext
    from sellerlink.signals.phrasing import _sentence_keys, _shingle_keys

    wl, live = market
    accs = [*wl, *live, Account("quiet", display_name="no text at all")]
    sig, states, plain = _phrased(accs, data.draw(st.sampled_from([12, 40, 400]), label="max_shingles"))
    uniq, n = np.unique(sig.rarity_keys(plain)[1], return_counts=True)
    q = data.draw(st.integers(0, len(accs) - 1), label="query row")
    pool = [i for i in range(len(accs)) if i != q]
    # mostly the rows most like the query (what a query's candidates are), some at random
    sims = sig.compare(plain, np.full(len(pool), q), np.array(pool))["text_sim"]
    near = [pool[i] for i in np.argsort(-sims, kind="stable")[: data.draw(st.integers(0, 30), label="near")]]
    rows = list(dict.fromkeys(near + data.draw(st.lists(st.sampled_from(pool), max_size=8, unique=True), label="more")))
    if data.draw(st.booleans(), label="no text"):
        rows.append(len(accs) - 1)  # (the account without text)
    rows = [r for r in dict.fromkeys(rows) if r != q]

    def full(_s: str, k: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(uniq, k), len(uniq) - 1)
        return np.where(uniq[pos] == k, n[pos], 0)

    qs = plain.vocab[plain.sh_ids[plain.sh_offsets[q] : plain.sh_offsets[q + 1]]]
    own = set(_shingle_keys(qs).tolist()) | set(
        _sentence_keys(plain.sent_hashes[plain.sent_offsets[q] : plain.sent_offsets[q + 1]]).tolist()
    )

    def bounded(s: str, k: np.ndarray) -> np.ndarray:
        return np.where([int(x) in own for x in k.tolist()], full(s, k), 1 << 40)

    width = len(plain.style[0])
    stats = {"phrasing": {"style_mean": np.full(width, 0.3), "style_std": np.linspace(0.0, 2.0, width)}}
    ctx = RarityContext(
        len(accs) + data.draw(st.integers(0, 5000), label="more accounts"),
        data.draw(st.sampled_from([full, bounded]), label="counts"),
        data.draw(st.sampled_from([stats, {}]), label="stats"),
    )
    ids, others = [accs[i].account_id for i in rows], [states[i] for i in rows]
    if data.draw(st.booleans(), label="pieces of the query"):
        # each of the query's texts as an account of its own: short rows (often under the
        # cap while the query is over it) holding the query's own shingles
        a = accs[q]
        pieces = [Account(f"piece{i}", bio=t) for i, t in enumerate([a.bio, *(x.description for x in a.listings)]) if t]
        ids += [p.account_id for p in pieces]
        others += sig.extract(pieces)
    _assert_compare_one_exact(sig, ids, others, accs[q].account_id, states[q], ctx, focus=False)


def test_compare_one_covers_what_it_claims(market: tuple[list[Account], list[Account]]) -> None:
    """The property above is not vacuous on this market: capped pairs, shared rare sentences,
    style and text all occur among an account's nearest rows; and a state of other settings,
    or a corrupt one, is refused as by assemble."""
    from sellerlink.signals.base import RarityContext

    wl, live = market
    accs = [*wl, *live]
    sig = PhrasingSignal(max_shingles=12)
    states = sig.extract(accs)
    ctx = RarityContext(len(accs), lambda _s, k: np.full(len(k), 2, dtype=np.int64))
    seen = {name: 0 for name in sig.feature_names}
    for q in range(0, len(accs), 7):
        got = sig.compare_one(states[:q] + states[q + 1 :], states[q], rarity=ctx)
        for name in seen:
            seen[name] += int((got[name] > 0).sum())
    assert all(v >= 5 for v in seen.values()), seen
    from sellerlink.signals.phrasing import _parse_state

    assert sum(_parse_state(x)[0][1] for x in states) > len(states) / 2  # most rows capped at 12
    other = PhrasingSignal(k=4).extract(accs[:1])[0]
    with pytest.raises(ValueError, match="settings"):
        sig.compare_one(states[:3], other, rarity=ctx)
    with pytest.raises(ValueError):
        sig.compare_one(states[:3], states[3][:40], rarity=ctx)
    assert sig.compare_one([], states[0], rarity=ctx)["text_sim"].shape == (0,)
    # states stored before the sketch was (no "mh"): the table's way, which sketches again
    from sellerlink.signals.base import pack, unpack

    def unsketched(st: bytes) -> bytes:
        arrs, meta = unpack(st)
        del arrs["mh"]
        return pack(arrs, meta)

    old = [unsketched(x) for x in states[:30]]
    assert old[0] != states[0]
    _assert_compare_one_exact(sig, [a.account_id for a in accs[1:30]], old[1:], accs[0].account_id, old[0], ctx, focus=False)
    assert np.array_equal(sig.compare_one(old[1:], old[0], rarity=ctx)["text_jaccard"],
                          sig.compare_one(states[1:30], states[0], rarity=ctx)["text_jaccard"])  # fmt: skip


def _full_answer(ix: Index, queries: list[Account]) -> list[tuple[Any, ...]]:
    """Every field of every match and lead, evidence items whole (keys, counts, weights)."""
    out = []
    for q in queries:
        r = ix.query(q, k=20)
        out.append((
            [(m.left, m.right, m.score, m.weights, [e.__dict__ for e in m.evidence]) for m in r.matches],
            [(ld.violator_id, ld.score, ld.path, [(s.left, s.right, s.score, [e.__dict__ for e in s.evidence]) for s in ld.steps])
             for ld in r.leads],
            r.n_candidates,
        ))  # fmt: skip
    return out


def test_a_query_answers_the_same_without_compare_one(
    market: tuple[list[Account], list[Account]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index's first pass takes a signal's compare_one when there is one (phrasing,
    contacts, names), and makes the tables of contacts and names only for the pairs it
    reports; the answers are the tables' exactly (matches, scores, evidence with its keys and
    counts, leads and their steps)."""
    wl, live = market
    ix = _index(wl[:-6], live)
    some = [*wl[-6:], *live[:20]]
    calls: list[str] = []
    for cls in (PhrasingSignal, ContactsSignal, NamesSignal):
        real = cls.compare_one

        def spy(self: Any, states: Any, one: bytes, *, rarity: Any, real: Any = real) -> Any:
            calls.append(self.name)
            return real(self, states, one, rarity=rarity)

        monkeypatch.setattr(cls, "compare_one", spy)
    made: list[int] = []  # rows of each names table made
    real_assemble = NamesSignal.assemble

    def assemble(self: NamesSignal, ids: Any, states: Any, **kw: Any) -> Any:
        made.append(len(ids))
        return real_assemble(self, ids, states, **kw)

    monkeypatch.setattr(NamesSignal, "assemble", assemble)
    res = _full_answer(ix, some)
    asked = sum(1 for r in res if r[2])
    # phrasing's once more where its bound kept candidates: the exact pass, for them only
    assert calls.count("contacts") == calls.count("names") == asked < calls.count("phrasing") <= 2 * asked
    assert len(calls) == 3 * asked + calls.count("phrasing") - asked
    assert sum(len(r[0]) for r in res) >= 2 and sum(len(r[1]) for r in res) >= 1
    for signal in ("contacts", "names"):
        assert any(e["signal"] == signal for r in res for m in r[0] for e in m[4])
    with_one, made[:] = sum(made), []
    for cls in (PhrasingSignal, ContactsSignal, NamesSignal):
        monkeypatch.delattr(cls, "compare_one")
    assert res == _full_answer(ix, some)
    # the tables made for what is reported hold its rows and the query's, not every candidate's
    assert with_one < sum(made) - sum(r[2] for r in res) // 2


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_contacts_compare_one_is_the_tables_compare(
    market: tuple[list[Account], list[Account]], data: st.DataObject
) -> None:
    """ContactsSignal.compare_one against the table's compare with the account in focus, on any
    account against any rows (with copies of its own contacts among them), any counts."""
    from sellerlink.signals.base import RarityContext

    wl, live = market
    accs = [*wl, *live, Account("quiet", display_name="no contacts")]
    sig = ContactsSignal()
    states = sig.extract(accs)
    q = data.draw(st.integers(0, len(accs) - 1), label="query row")
    rows = data.draw(st.lists(st.integers(0, len(accs) - 1), max_size=40), label="rows")
    a = accs[q]
    # accounts holding some of the query's own contacts (and nothing else): shared values
    copies = [Account(f"copy{i}", phones=a.phones[: i + 1], emails=a.emails[i:], links=a.links[::2], bank_accounts=a.bank_accounts)
              for i in range(data.draw(st.integers(0, 3), label="copies"))]  # fmt: skip
    others = [states[i] for i in rows] + sig.extract(copies)
    ids = [accs[i].account_id for i in rows] + [c.account_id for c in copies]
    salt = data.draw(st.integers(0, 9), label="counts")
    ctx = RarityContext(len(accs) + 100, lambda _s, k: (k % np.uint64(7 + salt)).astype(np.int64))
    _assert_compare_one_exact(sig, ids, others, a.account_id, states[q], ctx, focus=True)
    if copies and (a.phones or a.emails):  # (not vacuous: the copies share values)
        got = sig.compare_one(others, states[q], rarity=ctx)
        assert got["phone_shared"][-1] + got["email_shared"][-1] >= 1


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_names_compare_one_is_the_tables_compare(
    market: tuple[list[Account], list[Account]], data: st.DataObject
) -> None:
    """NamesSignal.compare_one against the table's compare with the account in focus, to the
    last bit: any account against any rows, among them accounts wearing the query's names
    (swapped, cut to a token, glued), so that exact keys and shared tokens occur; any counts."""
    from sellerlink.signals.base import RarityContext

    wl, live = market
    accs = [*wl, *live, Account("nameless")]
    sig = NamesSignal()
    states = sig.extract(accs)
    q = data.draw(st.integers(0, len(accs) - 1), label="query row")
    rows = data.draw(st.lists(st.integers(0, len(accs) - 1), max_size=40), label="rows")
    a = accs[q]
    d, u = a.display_name or "", a.username or ""
    kin = [Account("k0", display_name=u, username=d), Account("k1", display_name=" ".join(d.split()[:1]) + " jaya"),
           Account("k2", username=d.replace(" ", "")), Account("k3", display_name=" ".join(reversed(d.split()))),
           Account("k4", display_name=" ".join(reversed(f"{d} {u} toko".split())))]  # fmt: skip
    # (k4 first: the tokens take their ids in its order, and the sums of many shared tokens
    # round by that order)
    kin = data.draw(st.lists(st.sampled_from(kin), max_size=5), label="kin")
    others = sig.extract(kin) + [states[i] for i in rows]
    ids = [k.account_id for k in kin] + [accs[i].account_id for i in rows]
    salt = data.draw(st.integers(0, 9), label="counts")
    ctx = RarityContext(len(accs) + 7 * salt, lambda _s, k: (k % np.uint64(5 + salt)).astype(np.int64))
    _assert_compare_one_exact(sig, ids, others, a.account_id, states[q], ctx, focus=True)


def test_names_evidence_does_not_depend_on_the_other_rows(market: tuple[list[Account], list[Account]]) -> None:
    """Of two keys a pair shares that are equally rare, explain names the same one whatever
    the other rows of the table and their order (a query explains its pairs from a table of
    the reported rows only)."""
    _, live = market
    sig = NamesSignal()
    # the pair shares the order-insensitive key "budijaya" and the flat form "jayabudi",
    # equally rare in each table; a row before them holding "jayabudi" gives it the smaller id
    pair = [Account("p", display_name="Jaya Budi"), Account("r", display_name="jaya budi")]
    noise = [Account("n1", display_name="jayabudi"), Account("n2", display_name="budijaya")]
    seen = set()
    for rows in ([*pair], [*noise, *pair], [*reversed(noise), *live[:5], *pair]):
        t = sig.fingerprint(rows)
        ev = sig.explain(t, len(rows) - 2, len(rows) - 1)
        seen.add(tuple((e.kind, e.key, e.left, e.right) for e in ev))
    assert len(seen) == 1 and next(iter(seen))[0][1]  # one answer, naming a key


def test_a_reported_pairs_evidence_counts_the_whole_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tables made for the reported pairs hold a few rows, but a value's count in the
    evidence is the index's (asked for the query's values): "wijaya", shared by the query and
    b only among the accounts reported, is held by eight accounts of the index."""
    lk = Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False)
    ix = Index(linker=lk)
    flowers = ["kenanga", "melati", "anggrek", "mawar", "dahlia", "kamboja"]
    ix.add([
        Account("a", display_name="Sari Collection", phones=("0812-1111-2222",)),
        Account("b", display_name="Wijaya Gallery", emails=("gallery.pl@gmail.com",)),
        *(Account(f"n{i}", display_name=f"Wijaya {w}") for i, w in enumerate(flowers)),
        *(Account(f"f{i}", display_name=f"Akun{i:03d} Qwz{i}") for i in range(60)),
    ])  # fmt: skip
    q = Account("q", display_name="Sari Wijaya", phones=("+62 812 1111 2222",), emails=("gallery.pl@gmail.com",))
    res = _full_answer(ix, [q])
    ((matches, _, _),) = res
    assert [m[1] for m in matches] == ["a", "b"]  # (a first: the row the others' tables start with)
    tok = [e for e in matches[1][4] if e["signal"] == "names"]
    assert tok and tok[0]["extra"]["shared_tokens"] == ["wijaya"] and tok[0]["shared_by"] == 8  # b, n0..n5, q
    for cls in (PhrasingSignal, ContactsSignal, NamesSignal):
        monkeypatch.delattr(cls, "compare_one")
    assert res == _full_answer(ix, [q])


def _habit_counts(accs: list[Account]) -> dict[str, int]:
    """The reference: how many of ``accs`` carry each habit label, one account at a time."""
    from collections import Counter

    from sellerlink.signals.phrasing import style_features

    return dict(Counter(lab for a in accs for lab in style_features(a)[1]))


def _style_item(r: Any, right: str) -> Any:
    (m,) = [m for m in r.matches if m.right == right]
    (item,) = [e for e in m.evidence if e.signal == "phrasing" and e.kind == "style"]
    return item


def test_a_habits_count_in_the_evidence_is_the_index_s() -> None:
    """How many accounts share a habit ("ends with '🙏'") is counted over the whole index, as
    every other value: a query's evidence is explained from a table of its ~33 candidates,
    whose count of the habit stopped at them. Removing accounts takes their habits back."""
    lk = Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False)
    ix = Index(linker=lk)
    goods = ["gamis", "sepatu", "tas", "kemeja", "celana", "jaket", "rok", "kaos", "sandal", "topi"]
    a = Account("a", display_name="Toko Sari", phones=("0812-1111-2222",),
                bio="Halo kak, tersedia sepatu anak murah. Chat dulu ya 🙏")  # fmt: skip
    fillers = [Account(f"f{i}", display_name=f"Akun{i:03d} Qwz{i}",
                       bio=f"Halo kak, jual {goods[i % 10]} nomor {i} di gudang {i * 7}. Tanya dulu ya 🙏")
               for i in range(60)]  # fmt: skip
    others = [Account(f"o{i}", display_name=f"Lain{i:03d} Xyv{i}", bio=f"Grosir {goods[i % 10]} seri {i}.")
              for i in range(20)]  # fmt: skip
    ix.add([a, *fillers, *others])
    q = Account("q", display_name="Sari Store", phones=("+62 812 1111 2222",),
                bio="Halo kak, ready stok gamis baru. Order langsung ya 🙏")  # fmt: skip
    r = ix.query(q, k=5)
    assert r.n_candidates <= ix.query_candidates < len(fillers)  # the batch cannot hold them all
    ref = _habit_counts([a, *fillers, *others, q])
    item = _style_item(r, "a")
    shared = sorted(set(_habit_counts([q])) & set(_habit_counts([a])), key=lambda lab: (ref[lab], lab))
    assert item.extra["shared_habits"] == shared
    assert item.shared_by == ref[shared[0]] > ix.query_candidates + 1
    # the count follows removals
    assert ix.remove([f.account_id for f in fillers[:25]]) == 25
    ref = _habit_counts([a, *fillers[25:], *others, q])
    item = _style_item(ix.query(q, k=5), "a")
    assert item.shared_by == ref[min(shared, key=lambda lab: (ref[lab], lab))] == 37  # a, 35 fillers, q


def _as_written_before_habits(ix: Index) -> None:
    """Make ``ix``'s file what an index written before habits were counted holds: no habit
    counts, no ``habit_n`` statistic, and no habit keys or share of ``habit_n`` in any
    account's book (what a remove takes back)."""
    from sellerlink.index import _i64, _ns
    from sellerlink.signals.base import pack, unpack
    from sellerlink.signals.phrasing import _habit_keys

    labels = sorted({lab for (st,) in ix._con.execute("SELECT state FROM cards") for lab in _labels_of(st)})
    keys = np.asarray(_i64(_habit_keys(labels) ^ _ns("phrasing")), dtype=np.int64)
    ix._con.execute("BEGIN")
    ix._con.executemany("DELETE FROM counts WHERE key = ?", [(k,) for k in keys.tolist()])
    ix._con.execute("DELETE FROM stats WHERE signal = 'phrasing' AND name = 'habit_n'")
    for rid, kind, value in ix._con.execute("SELECT rid, kind, value FROM book WHERE kind IN ('_df', '_st')").fetchall():
        arrs, _ = unpack(value)
        if kind == "_df":
            arrs = {"k": arrs["k"][~np.isin(arrs["k"], keys)]}
        else:
            arrs.pop("phrasing.habit_n")
        ix._con.execute("UPDATE book SET value = ? WHERE rid = ? AND kind = ?", (pack(arrs), rid, kind))
    ix._con.execute("COMMIT")
    ix._writes += 1  # (the query's cache of counts is per version of the file)


def _labels_of(card: bytes) -> tuple[str, ...]:
    from sellerlink.index import _split_states
    from sellerlink.signals.base import unpack

    return tuple(unpack(_split_states(card)["phrasing"])[1][2])


def test_a_file_without_habit_counts_explains_with_the_batch_s() -> None:
    """An index written before habits were counted (no habit counts, no ``habit_n`` among its
    statistics) counts a shared habit over the accounts a query compares, as it did, and
    nothing else of the answer moves. Accounts added to it later do not make its counts
    partial: they are used once every account in the file had its habits counted."""
    lk = Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False)
    ix = Index(linker=lk)
    a = Account("a", display_name="Toko Sari", phones=("0812-1111-2222",), bio="Halo kak, sepatu anak. Chat dulu ya 🙏")
    old = [Account(f"f{i}", display_name=f"Akun{i:03d}", bio=f"Halo kak, jual tas {i}. Tanya ya 🙏") for i in range(40)]
    ix.add([a, *old])
    q = Account("q", display_name="Sari Store", phones=("+62 812 1111 2222",), bio="Halo kak, gamis baru. Order ya 🙏")
    before = _full_answer(ix, [q])
    r = ix.query(q, k=5)
    assert r.n_candidates == 1 and _style_item(r, "a").shared_by == 42  # a, the 40, q
    _as_written_before_habits(ix)
    after = _full_answer(ix, [q])
    assert _style_item(ix.query(q, k=5), "a").shared_by == 2  # a is the only candidate: a and q
    strip = [[(m[:4], [e for e in m[4] if e["kind"] != "style"]) for m in res[0]] for res in before + after]
    assert strip[0] == strip[1] and before[0][1:] == after[0][1:] and before != after
    # five carriers added now, their habits counted: 5 of 46 accounts, so the counts stay unused
    new = [Account(f"g{i}", display_name=f"Baru{i:03d}", bio=f"Halo kak, jual topi {i}. Tanya ya 🙏") for i in range(5)]
    ix.add(new)
    r = ix.query(q, k=5)
    assert r.n_candidates == 1 and _style_item(r, "a").shared_by == 2  # (the file's partial count: 6)


def test_a_file_without_habit_counts_counts_a_habit_over_every_candidate(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a file without habit counts, a pair's habits are counted over the accounts the query
    compares (as before habits were counted), all of them, not only the pairs it reports:
    phrasing's table for the evidence is then the batch's (``rows_independent`` is false)."""
    lk = Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False)
    ix = Index(linker=lk)
    a = Account("a", display_name="Toko Sari", phones=("0812-1111-2222",), bio="Halo kak, sepatu anak. Chat dulu ya 🙏")
    old = [Account(f"f{i}", display_name=f"Akun{i:03d}", bio=f"Halo kak, jual tas {i}. Tanya ya 🙏") for i in range(40)]
    # three accounts sharing a sentence with the query (candidates) and its habits, far below min_direct
    cs = [Account(f"c{i}", display_name=f"Grosir{i:02d} Xq", bio=f"Halo kak, barang impor nomor {i * 13}. Order ya 🙏")
          for i in range(3)]  # fmt: skip
    ix.add([a, *old, *cs])
    q = Account("q", display_name="Sari Store", phones=("+62 812 1111 2222",), bio="Halo kak, gamis baru. Order ya 🙏")
    r = ix.query(q, k=20)
    assert r.n_candidates == 4 and [m.right for m in r.matches] == ["a"]
    assert _style_item(r, "a").shared_by == 45  # the index's count: a, the 40, the 3, q
    _as_written_before_habits(ix)
    ctx = ix._context()
    assert not PhrasingSignal().rows_independent(ctx)
    shared = _style_item(ix.query(q, k=20), "a")
    batch = _habit_counts([a, *cs, q])  # the accounts the query compared
    assert shared.shared_by == batch[shared.extra["shared_habits"][0]] == 5
    # (a table of the reported pair's rows alone would count 2: a and q)
    monkeypatch.setattr(PhrasingSignal, "rows_independent", lambda self, rarity: True)
    assert _style_item(ix.query(q, k=20), "a").shared_by == 2


def test_rows_independent_when_the_context_holds_style_and_every_habit(
    market: tuple[list[Account], list[Account]],
) -> None:
    """``rows_independent``: true only with the style statistics and every account's habits
    counted; then a table of any few rows explains and compares their pairs as the table of
    the whole batch does."""
    from sellerlink.signals.base import RarityContext

    wl, live = market
    accs = [*wl, *live][:80]
    sig = PhrasingSignal()
    ids, states = [a.account_id for a in accs], sig.extract(accs)
    plain = sig.assemble(ids, states)
    _, rk_keys = sig.rarity_keys(plain)
    uniq, cnt = np.unique(rk_keys, return_counts=True)

    def counts(_s: str, k: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(uniq, k), len(uniq) - 1)
        return np.where(uniq[pos] == k, cnt[pos], 0)

    n = len(accs)
    full_stats = PhrasingSignal.stats_to_context(sig.rarity_stats(plain))
    assert set(full_stats) >= {"style_mean", "habit_n"} and full_stats["habit_n"][0] == n
    no_habits = {k: v for k, v in full_stats.items() if k != "habit_n"}
    no_style = {k: v for k, v in full_stats.items() if not k.startswith("style")}
    part_habits = {**full_stats, "habit_n": np.array([n - 1.0])}
    assert not sig.rows_independent(None)
    for st_ in (no_habits, no_style, part_habits):
        assert not sig.rows_independent(RarityContext(n, counts, {"phrasing": st_}))
    ctx = RarityContext(n, counts, {"phrasing": full_stats})
    assert sig.rows_independent(ctx)
    full = sig.assemble(ids, states, rarity=ctx)
    m = len(accs)
    li, ri = np.repeat(np.arange(m), m), np.tile(np.arange(m), m)
    sims = sig.compare(full, li, ri)["text_sim"].reshape(m, m)
    np.fill_diagonal(sims, -1)
    q = int(np.argmax(np.sort(sims, axis=1)[:, -2]))
    rows = np.append(np.argsort(-sims[q])[:3], q)
    sub = sig.assemble([ids[r] for r in rows], [states[r] for r in rows], rarity=ctx)
    si, sj = np.repeat(np.arange(len(rows)), len(rows)), np.tile(np.arange(len(rows)), len(rows))
    a, b = sig.compare(full, rows[si], rows[sj]), sig.compare(sub, si, sj)
    for name in sig.feature_names:
        assert np.array_equal(a[name], b[name]), name
    for i, j in zip(si.tolist(), sj.tolist()):
        if i != j:
            assert sig.explain(full, int(rows[i]), int(rows[j])) == sig.explain(sub, i, j)
    # without the habit counts, the few rows' table counts their habits alone: it differs
    lean = RarityContext(n, counts, {"phrasing": no_habits})
    full_l = sig.assemble(ids, states, rarity=lean)
    sub_l = sig.assemble([ids[r] for r in rows], [states[r] for r in rows], rarity=lean)
    assert full_l.habit_df != sub_l.habit_df
