"""The persistent index: batch equivalence, rarity as it grows, concurrency, crashes, hostile files."""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sellerlink import Linker, load_accounts
from sellerlink.index import FORMAT_VERSION, Index, IndexFormatError
from sellerlink.linker import PairTable
from sellerlink.records import Account
from sellerlink.signals.base import Evidence, RarityContext, pack, unpack
from sellerlink.signals.contacts import ContactsSignal
from sellerlink.signals.names import NamesSignal
from sellerlink.signals.phrasing import PhrasingSignal
from sellerlink.synth import generate_marketplace


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Account], list[Account]]:
    d = tmp_path_factory.mktemp("market")
    m = generate_marketplace(d, n_accounts=120, seed=7, with_photos=False)
    return load_accounts(m.watchlist_path), load_accounts(m.accounts_path)


def _linker() -> Linker:
    # these markets have no photos (tests/test_index_photos.py covers them); every candidate
    # pair kept, so that batch scores of pairs below 0.01 can be compared too
    return Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False, min_score_kept=None)


def batch_scores_of_last(full: PairTable) -> dict[str, float]:
    """Other account id -> score of its pair with the last account, from a batch pair table."""
    ids = full.fingerprints.ids
    last = len(ids) - 1
    out = {}
    for kk in range(len(full)):
        a, b = int(full.left[kk]), int(full.right[kk])
        if last in (a, b):
            out[ids[b if a == last else a]] = float(full.score[kk])
    return out


def _stored(ix: Index) -> dict[tuple[str, ...], float]:
    """The index's stored pairs: (account ids, sorted) -> score."""
    q = ("SELECT x.account_id, y.account_id, p.score FROM pairs p JOIN accounts x ON x.rid = p.a "
         "JOIN accounts y ON y.rid = p.b")  # fmt: skip
    return {tuple(sorted((a, b))): s for a, b, s in ix._con.execute(q)}


def _partition(clusters: dict[str, int]) -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for a, c in clusters.items():
        groups.setdefault(c, []).append(a)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


# -- batch equivalence -----------------------------------------------------------------------


def test_adding_in_batches_equals_linking_at_once(market: tuple[list[Account], list[Account]]) -> None:
    wl, live = market
    lk = _linker()
    linked = lk.link([*wl, *live])
    traced = lk.trace(live, wl)
    ix = Index(linker=_linker())
    ix.add(wl, watchlist=True)
    third = len(live) // 3
    for part in (live[:third], live[third : 2 * third], live[2 * third :]):
        ix.add(part)
    assert len(ix) == len(wl) + len(live)
    got = _partition(ix.clusters())
    assert got == _partition(linked.clusters)
    assert len(got) >= 5  # the market has linked groups: the comparison is not vacuous
    want = {(ld.account_id, ld.violator_id): round(ld.score, 6) for ld in traced.leads if ld.score >= traced.threshold}
    have = {(ld.account_id, ld.violator_id): round(ld.score, 6) for ld in ix.leads()}
    assert have == want and len(want) >= 5


def test_query_features_equal_batch_features(market: tuple[list[Account], list[Account]]) -> None:
    """With the same global counts, a query pair's score equals the batch pipeline's score over everything."""
    wl, live = market
    ix = Index(linker=_linker(), min_direct=1e-12)  # report every candidate
    ix.add(wl, watchlist=True)
    ix.add(live[1:])
    q = live[0]
    res = ix.query(q, k=50)
    batch = batch_scores_of_last(_linker().score_pairs([*wl, *live[1:], q]))
    mine = {m.right: m.score for m in res.matches}
    common = set(batch) & set(mine)
    assert len(common) >= 3
    for other in common:
        assert mine[other] == pytest.approx(batch[other], abs=1e-9), other
    # every batch candidate worth reporting is among the query's matches
    assert {o for o, s in batch.items() if s >= 0.01} <= set(mine)


def test_query_evidence_counts_equal_batch_evidence_counts(market: tuple[list[Account], list[Account]]) -> None:
    """What a query's evidence says about rarity (the rare sentences two accounts share, their
    shared writing habits, and how many accounts hold each) is what the batch pipeline over
    everything says for the same pair: the index counts habits as it counts sentences."""
    wl, live = market
    ix = Index(linker=_linker(), min_direct=1e-12)  # report (and explain) every candidate
    ix.add(wl, watchlist=True)
    ix.add(live[1:])
    res = ix.query(live[0], k=50)
    full = _linker().score_pairs([*wl, *live[1:], live[0]])
    ids = list(full.fingerprints.ids)
    at = {frozenset((int(a), int(b))): kk for kk, (a, b) in enumerate(zip(full.left, full.right))}

    def said(evidence: list[Evidence]) -> set[tuple[str, str, int]]:
        return {(e.kind, e.key, e.shared_by) for e in evidence if e.signal == "phrasing"}

    habits = 0
    for m in res.matches:
        kk = at[frozenset((len(ids) - 1, ids.index(m.right)))]
        assert said(m.evidence) == said(full.match(kk).evidence), m.right
        habits += sum(e.kind == "style" and e.shared_by > 2 for e in m.evidence)
    assert len(res.matches) >= 3 and habits >= 1


_word = st.sampled_from(["halo", "kak", "baju", "ready", "budi", "sari", "thrift", "jaya", "order", "no", "tipu", "!!"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.lists(_word, min_size=0, max_size=3).map(" ".join),
            st.lists(st.lists(_word, min_size=3, max_size=6).map(" ".join), min_size=0, max_size=3).map(". ".join),
            st.sampled_from(["", "0812-3456-7890", "0813 1111 2222"]),
        ),
        min_size=3,
        max_size=8,
    ),
    st.integers(1, 2),
)
def test_rarity_context_from_the_full_batch_reproduces_batch_features(rows: list, split: int) -> None:
    """Property: fingerprinting a subset with the full batch's counts gives the full batch's features."""
    accs = [Account(f"a{i}", display_name=n, bio=b, phones=(p,) if p else ()) for i, (n, b, p) in enumerate(rows)]
    for sig in (NamesSignal(), ContactsSignal(), PhrasingSignal()):
        full = sig.fingerprint(accs)
        _, rk_keys = sig.rarity_keys(full)
        u, c = np.unique(rk_keys, return_counts=True)  # rows hold each key once
        table = dict(zip(u.tolist(), c.tolist()))
        stats = {}
        if hasattr(sig, "rarity_stats"):
            stats = {sig.name: sig.stats_to_context(sig.rarity_stats(full))}
        ctx = RarityContext(len(accs), lambda s, k, t=table: np.array([t.get(x, 0) for x in k.tolist()]), stats)
        sub = accs[split:] + accs[:split]
        part = sig.fingerprint(sub[: len(sub) - 1], rarity=ctx)
        # via extract/assemble too
        part2 = sig.assemble([a.account_id for a in sub[:-1]], sig.extract(sub[:-1]), rarity=ctx)
        n = len(sub) - 1
        left, right = np.triu_indices(n, 1)
        pos = {a.account_id: i for i, a in enumerate(accs)}
        fl = np.array([pos[sub[i].account_id] for i in left], dtype=np.int64)
        fr = np.array([pos[sub[j].account_id] for j in right], dtype=np.int64)
        want = sig.compare(full, fl, fr).values
        for t in (part, part2):
            got = sig.compare(t, left.astype(np.int64), right.astype(np.int64)).values
            for name in want:
                np.testing.assert_allclose(got[name], want[name], atol=1e-6, err_msg=f"{sig.name}.{name}")


# -- rarity as the index grows ------------------------------------------------------------------


def test_a_phone_that_becomes_common_stops_counting() -> None:
    agency = "0812-7777-1234"
    ix = Index(linker=_linker())
    ix.add([Account("banned", display_name="Rina Collection", phones=(agency,))], watchlist=True)
    q = Account("new", display_name="Kios Dewi", phones=(agency,))
    before = ix.query(q)
    assert before.leads and before.leads[0].violator_id == "banned" and before.leads[0].score > 0.9
    ix.add([Account("x0", display_name="Toko Ani", phones=(agency,))])
    # the stored pair x0-banned is strong while the phone is on 2 accounts
    assert any(ld.violator_id == "banned" for ld in ix.leads())
    ix.add([Account(f"x{i}", display_name=f"Seller {chr(97 + i)}{i}", phones=(agency,)) for i in range(1, 30)])
    after = ix.query(q)
    assert not after.leads or after.leads[0].score < 0.05
    # and the stored pairs were re-scored as the phone became common
    assert ix.leads() == []
    # removing the crowd makes it rare again
    ix.remove([f"x{i}" for i in range(30)])
    again = ix.query(q)
    assert again.leads and again.leads[0].score == pytest.approx(before.leads[0].score, rel=1e-6)


# -- persistence, formats, hostile files ------------------------------------------------------


def test_reopen_and_carry_on(tmp_path: Path, market: tuple[list[Account], list[Account]]) -> None:
    wl, live = market
    p = tmp_path / "ix.slx"
    with Index.create(p, linker=_linker()) as ix:
        ix.add(wl, watchlist=True)
    with Index.open(p, linker=_linker()) as ix:
        assert len(ix) == len(wl)
        ix.add(live)
        leads = {(ld.account_id, ld.violator_id) for ld in ix.leads()}
    with Index.open(p, readonly=True, linker=_linker()) as ix:
        assert {(ld.account_id, ld.violator_id) for ld in ix.leads()} == leads
        with pytest.raises(PermissionError):
            ix.add([Account("zz")])
    with pytest.raises(FileExistsError):
        Index.create(p)


def test_garbage_and_wrong_version_files_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.slx"
    junk.write_bytes(b"\x80\x04\x95" + os.urandom(2000))  # starts like a pickle; must never be unpickled
    with pytest.raises(IndexFormatError):
        Index.open(junk)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(IndexFormatError, match="not a sellerlink index"):
        Index.open(other)
    p = tmp_path / "v.slx"
    Index.create(p, linker=_linker()).close()
    con = sqlite3.connect(p)
    con.execute("UPDATE meta SET value = ? WHERE key = 'version'", (str(FORMAT_VERSION + 1),))
    con.commit()
    con.close()
    with pytest.raises(IndexFormatError, match="version"):
        Index.open(p)


def test_corrupt_state_blob_fails_cleanly() -> None:
    with pytest.raises(ValueError):
        unpack(b"\x05\x00\x00\x00{bad}")
    arrs, meta = unpack(pack({"k": np.arange(4, dtype=np.uint64)}, ["x"]))
    assert arrs["k"].tolist() == [0, 1, 2, 3] and meta == ["x"]
    with pytest.raises(ValueError):
        pack({"o": np.array(["a"], dtype=object)})


def test_duplicate_ids_and_bad_arguments() -> None:
    ix = Index(linker=_linker())
    ix.add(Account("a", display_name="Budi"))
    with pytest.raises(ValueError, match="already indexed"):
        ix.add(Account("a"))
    with pytest.raises(ValueError, match="k must"):
        ix.query(Account("q"), k=0)
    assert ix.remove(["nope"]) == 0
    assert ix.remove("a") == 1 and len(ix) == 0


# -- concurrency and crashes ---------------------------------------------------------------


def _writer(path: str, n: int) -> None:
    with Index.open(path, linker=_linker()) as ix:
        for b in range(n):
            ix.add([Account(f"w{b}_{i}", display_name=f"Penjual {b} {i}", phones=(f"0812{b:04d}{i:04d}",)) for i in range(20)])


def _reader(path: str, n: int, out: mp.Queue) -> None:
    ok = 0
    with Index.open(path, readonly=True, linker=_linker()) as ix:
        for _ in range(n):
            r = ix.query(Account("q", display_name="Penjual", phones=("0812-0000-0001",)))
            ok += isinstance(r.matches, list)
            assert len(ix) % 20 == 0  # never a half-written batch
    out.put(ok)


def test_readers_query_while_a_writer_adds(tmp_path: Path) -> None:
    p = str(tmp_path / "c.slx")
    Index.create(p, linker=_linker()).close()
    ctx = mp.get_context("fork")
    q: mp.Queue = ctx.Queue()
    w = ctx.Process(target=_writer, args=(p, 8))
    readers = [ctx.Process(target=_reader, args=(p, 15, q)) for _ in range(2)]
    w.start()
    for r in readers:
        r.start()
    for proc in (w, *readers):
        proc.join(60)
        assert proc.exitcode == 0
    assert sorted(q.get(timeout=5) for _ in readers) == [15, 15]
    with Index.open(p, linker=_linker()) as ix:
        assert len(ix) == 160


class _StallingConnection:
    """Passes everything to the real connection, but stalls after the second bulk write:
    the add is then reliably in the middle of its transaction, with part of it written,
    when the test kills the process (however fast the machine is)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con
        self._writes = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)

    def executemany(self, *args: object, **kwargs: object) -> object:
        out = self._con.executemany(*args, **kwargs)
        self._writes += 1
        if self._writes == 2:
            time.sleep(60)
        return out


def _slow_adder(path: str) -> None:
    with Index.open(path, linker=_linker()) as ix:
        ix._con = _StallingConnection(ix._con)  # type: ignore[assignment]
        ix.add([Account(f"big{i}", display_name=f"Toko {i}", bio="halo kak ready stok " * 20) for i in range(800)])


def test_a_crash_during_add_loses_only_that_add(tmp_path: Path) -> None:
    p = str(tmp_path / "k.slx")
    with Index.create(p, linker=_linker()) as ix:
        ix.add([Account("a", display_name="Budi Jaya", phones=("0812-3456-7890",))], watchlist=True)
        ix.add([Account("b", display_name="budi jaya", phones=("0812 3456 7890",))])
        leads_before = [(ld.account_id, ld.violator_id, round(ld.score, 9)) for ld in ix.leads()]
    ctx = mp.get_context("fork")
    proc = ctx.Process(target=_slow_adder, args=(p,))
    proc.start()
    # wait until the writer holds the write lock, i.e. it is inside the add transaction
    probe = sqlite3.connect(p, timeout=0, isolation_level=None)
    locked = False
    deadline = time.time() + 30
    while time.time() < deadline and not locked:
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            time.sleep(0.01)
        except sqlite3.OperationalError:
            locked = True
    probe.close()
    time.sleep(0.3)  # let it write part of the batch
    assert locked and proc.is_alive()
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    with Index.open(p, linker=_linker()) as ix:
        assert sorted(ix.account_ids()) == ["a", "b"]
        assert [(ld.account_id, ld.violator_id, round(ld.score, 9)) for ld in ix.leads()] == leads_before
        assert leads_before and leads_before[0][:2] == ("b", "a")
        n = ix._con.execute("SELECT COUNT(*) FROM postings WHERE rid NOT IN (SELECT rid FROM accounts)").fetchone()[0]
        assert n == 0
        ix.add([Account("c", display_name="Sari")])  # and it carries on
        assert len(ix) == 3


# -- query cost: candidate cap, counts cache ------------------------------------------------------


def test_query_candidates_are_capped_and_the_rarest_shared_keys_win() -> None:
    """A query compares at most ``query_candidates`` accounts: those sharing its rarest keys,
    not those sharing the most keys."""
    common_phone = "0812-7777-1234"  # a dropship agency's number and e-mail, on 40 accounts
    common_email = "order.gudangthrift@gmail.com"
    rare_bank = "bca 8800123456"
    crowd = [Account(f"c{i:02d}", display_name=f"Gudang {i}", phones=(common_phone,), emails=(common_email,))
             for i in range(40)]  # fmt: skip
    target = Account("banned", display_name="Rina Collection", bank_accounts=(rare_bank,))
    q = Account("new", display_name="Kios Dewi", phones=(common_phone,), emails=(common_email,),
                bank_accounts=(rare_bank,))  # fmt: skip
    ix = Index(linker=_linker(), query_candidates=3)
    ix.add(crowd)
    ix.add([target], watchlist=True)
    res = ix.query(q)
    assert res.n_candidates == 3  # 41 accounts share a key with it
    # the crowd shares two keys with it, the banned seller one: the rarer one wins the slot
    assert res.matches[0].right == "banned" and res.leads[0].violator_id == "banned"
    wide = Index(linker=_linker(), query_candidates=1000)
    wide.add(crowd)
    wide.add([target], watchlist=True)
    res_wide = wide.query(q)
    assert res_wide.n_candidates == 41
    # the capped query scores its best match exactly as the uncapped one
    assert res.matches[0].score == pytest.approx(res_wide.matches[0].score, abs=1e-12)
    with pytest.raises(ValueError, match="query_candidates"):
        Index(query_candidates=0)


def test_a_reader_sees_counts_another_process_changed(tmp_path: Path) -> None:
    """Counts remembered between queries are dropped when another connection writes."""
    agency = "0812-7777-1234"
    path = tmp_path / "ix.slx"
    with Index.create(path, linker=_linker()) as w:
        w.add([Account("banned", display_name="Rina Collection", phones=(agency,))], watchlist=True)
    q = Account("new", display_name="Kios Dewi", phones=(agency,))
    with Index.open(path, readonly=True, linker=_linker()) as reader, Index.open(path, linker=_linker()) as writer:
        before = reader.query(q)
        assert before.leads and before.leads[0].score > 0.9
        assert len(reader._cache["counts"]) > 0  # the query remembered counts
        writer.add([Account(f"x{i}", display_name=f"Seller {chr(97 + i)}{i}", phones=(agency,)) for i in range(30)])
        after = reader.query(q)
        assert not after.leads or after.leads[0].score < 0.05
        # and a second query on unchanged data is served from the cache with the same answer
        again = reader.query(q)
        assert [(m.right, m.score) for m in again.matches] == [(m.right, m.score) for m in after.matches]


def test_states_written_before_sketches_and_tokens_were_stored_still_assemble() -> None:
    """Index files from before phrasing kept its MinHash sketch and names their tokens still read."""
    accs = [Account("a", display_name="Budi Thrift", bio="ready kak, no tipu. kirim dari bandung"),
            Account("b", display_name="thr1ft_budi", bio="ready kak no tipu!! kirim dr bandung")]  # fmt: skip
    ids = [a.account_id for a in accs]
    ph, nm = PhrasingSignal(), NamesSignal()
    new_ph, new_nm = ph.extract(accs), nm.extract(accs)
    old_ph = []
    for blob in new_ph:
        arrs, meta = unpack(blob)
        arrs.pop("mh")
        old_ph.append(pack(arrs, meta))
    old_nm = [pack(None, unpack(st)[1][:2]) for st in new_nm]
    left, right = np.array([0]), np.array([1])
    for sig, new, old in ((ph, new_ph, old_ph), (nm, new_nm, old_nm)):
        want = sig.compare(sig.fingerprint(accs), left, right).values
        for states in (new, old):
            got = sig.compare(sig.assemble(ids, states), left, right).values
            for name in want:
                np.testing.assert_allclose(got[name], want[name], err_msg=f"{sig.name}.{name}")
    bad = unpack(new_ph[0])
    bad[0]["mh"] = bad[0]["mh"][:5]
    with pytest.raises(ValueError, match="corrupt"):
        ph.assemble(["a"], [pack(*bad)])


def test_a_phone_that_becomes_too_common_to_block_on_drops_the_stored_lead() -> None:
    """Past ``max_block`` holders a value proposes no pairs; the pairs it made while rare are re-scored."""
    agency = "0812-7777-1234"
    linker = Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False, max_block=10)
    ix = Index(linker=linker, min_direct=1e-9)  # keep even the weakest pairs: none may be stale
    ix.add([Account("banned", display_name="Rina Collection", phones=(agency,))], watchlist=True)
    ix.add([Account("x0", display_name="Toko Ani", phones=(agency,))])
    assert [(ld.account_id, ld.violator_id) for ld in ix.leads()] == [("x0", "banned")]
    crowd = [Account(f"y{i}", display_name=f"Seller {chr(97 + i)}{i}", phones=(agency,)) for i in range(20)]
    ix.add(crowd)
    assert ix.leads() == []  # as linking all 22 at once gives
    # and the pair through the phone is not kept at all (a batch would not propose it), as after refresh
    stored = set(ix._con.execute("SELECT a, b FROM pairs").fetchall())
    assert ix.refresh() == len(stored) and set(ix._con.execute("SELECT a, b FROM pairs").fetchall()) == stored
    batch = linker.trace([*crowd, Account("x0", display_name="Toko Ani", phones=(agency,))],
                         [Account("banned", display_name="Rina Collection", phones=(agency,))])  # fmt: skip
    assert [ld for ld in batch.leads if ld.score >= batch.threshold] == []
    # removing the crowd makes the phone rare again: the pair comes back
    ix.remove([a.account_id for a in crowd])
    assert [(ld.account_id, ld.violator_id) for ld in ix.leads()] == [("x0", "banned")]


def test_adding_then_removing_the_same_accounts_gives_back_the_stored_pairs(
    market: tuple[list[Account], list[Account]],
) -> None:
    """A remove takes back what the add of the same accounts did: every stored pair, with its
    score (to the last bits a different order of sums may change), and every query's answer.
    (The stored scores are current before the add: each part was added in one call. A property
    test: this small market does not reach the case of the test in test_index_edges.py.)"""
    wl, live = market
    ix = Index(linker=_linker())
    ix.add(wl, watchlist=True)
    ix.add(live[30:])

    before, answers = _stored(ix), [ix.query(q, k=50) for q in live[:30]]
    ix.add(live[:30])
    during = _stored(ix)
    # the add re-scored pairs stored before it, not only added its own
    assert any(during[k] != v for k, v in before.items() if k in during)
    ix.remove([a.account_id for a in live[:30]])
    after = _stored(ix)
    assert after.keys() == before.keys() and len(before) >= 15
    assert all(after[k] == pytest.approx(v, rel=1e-9, abs=1e-12) for k, v in before.items())
    for q, was in zip(live[:30], answers):
        now = ix.query(q, k=50)
        assert [(m.right, round(m.score, 9)) for m in now.matches] == [(m.right, round(m.score, 9)) for m in was.matches]
        assert [(ld.violator_id, round(ld.score, 9)) for ld in now.leads] == [
            (ld.violator_id, round(ld.score, 9)) for ld in was.leads
        ]


def test_refresh_brings_every_stored_pair_to_the_batch_scores(market: tuple[list[Account], list[Account]]) -> None:
    wl, live = market
    ix = Index(linker=_linker(), min_direct=1e-9)
    ix.add(wl, watchlist=True)
    ix.add(live[:30])
    ix.add(live[30:])
    full = _linker().score_pairs([*wl, *live])
    ids = full.fingerprints.ids
    want = {tuple(sorted((ids[a], ids[b]))): s for a, b, s in zip(full.left, full.right, full.score) if s >= 1e-9}

    # stale scores (as if stored with the counts of long ago): refresh must recompute every one
    ix._con.execute("UPDATE pairs SET score = 0.5")
    n = ix.refresh(batch=37)
    have = _stored(ix)
    assert n == len(have)
    common = set(have) & set(want)
    assert len(common) > 0.9 * len(want)
    for k in common:
        assert have[k] == pytest.approx(want[k], abs=1e-12), k
    # pairs only one side has are candidates the other did not propose; none of them matters
    assert max([have[k] for k in set(have) - set(want)] + [want[k] for k in set(want) - set(have)]) < 0.01
    with pytest.raises(ValueError, match="batch"):
        ix.refresh(batch=0)


def test_refresh_keeps_a_pair_only_its_far_end_proposes() -> None:
    """A pair is linked when either end proposes it (a build and an add link the union of both
    ends' candidates). Here y has two candidates sharing two values each, so under
    ``max_candidates=2`` it never proposes x, which shares one; x proposes y. A refresh of
    y's batch must keep (x, y): x, outside that batch, still proposes it."""
    x = Account("x", display_name="Qwerty Alpha", bank_accounts=("BCA 1234567890",))
    y = Account("y", display_name="Zxcvb Beta", phones=("0812-1111-2222",), emails=("yy.shop@gmail.com",),
                links=("https://tokopedia.com/yyshop",), bank_accounts=("BCA 1234567890", "BRI 555501234567"))  # fmt: skip
    z1 = Account("z1", display_name="Mnbvc Gamma", phones=("+62 812 1111 2222",), links=("tokopedia.com/yyshop",))
    z2 = Account("z2", display_name="Lkjhg Delta", emails=("YY.shop@gmail.com",), bank_accounts=("BRI 5555-0123-4567",))
    for batch in (1, 2, 4):
        ix = Index(linker=_linker(), max_candidates=2)
        ix.add([x, y, z1, z2])
        before = _stored(ix)
        assert before.get(("x", "y"), 0.0) > 0.5 and {("y", "z1"), ("y", "z2")} <= set(before)
        ix.refresh(batch=batch)
        assert _stored(ix) == pytest.approx(before, abs=1e-12), batch


def test_assemble_refuses_a_number_of_states_that_is_not_the_number_of_accounts() -> None:
    """States may come as a stream (Linker.fingerprint's worker processes): one too few or
    too many is an error, never a table with rows shifted or missing."""
    from sellerlink.synth import generate

    _, raw, _ = generate(n_accounts=12, seed=3, with_photos=False)
    live = load_accounts(raw)
    ids = [a.account_id for a in live]
    for sig in _linker().signals:
        states = sig.extract(live)
        streamed, listed = sig.assemble(ids, iter(states)), sig.assemble(ids, states)
        for got, want in zip(sig.candidate_keys(streamed), sig.candidate_keys(listed)):
            assert np.array_equal(got, want)  # a stream of the right length is fine
        with pytest.raises(ValueError):
            sig.assemble(ids, iter(states[:-1]))
        with pytest.raises(ValueError):
            sig.assemble(ids[:-1], iter(states))


_ARRAY_DTYPES = ["<u8", "<i8", "<f8", "<f4", "|b1", "|u1", "<i4", "|i1"]


def test_unpack_reads_back_what_the_json_module_writes_and_orjson_refuses() -> None:
    """NaN and infinities: json.dumps writes them, orjson will not read them, and unpack must
    still give them back. Integers at the ends of the 64-bit ranges come back as integers;
    beyond them (orjson would turn them into floats) pack refuses, wherever they are."""
    edges = [(1 << 64) - 1, -(1 << 63), (1 << 63) + 1]
    meta = [float("nan"), float("inf"), -float("inf"), edges, {"k": [1.5, None, True]}]
    arrs, got = unpack(pack({"x": np.arange(3, dtype=np.int64)}, meta))
    assert math.isnan(got[0]) and got[1:3] == [float("inf"), -float("inf")]
    assert got[3] == edges and all(type(v) is int for v in got[3]) and got[4] == {"k": [1.5, None, True]}
    assert arrs["x"].tolist() == [0, 1, 2]
    for big in ((1 << 70) + 1, -(1 << 63) - 1, 1 << 64):
        for where in (big, [1, [big]], {"a": ("x", big)}):
            with pytest.raises(ValueError, match="64 bits"):
                pack(None, where)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_ARRAY_DTYPES), st.lists(st.integers(0, 4), min_size=0, max_size=3)),
        max_size=4,
    ),
    st.one_of(st.none(), st.lists(st.text(max_size=5), max_size=3)),
    st.integers(0, 10_000),
    st.data(),
)
def test_pack_unpack_round_trip_and_every_damaged_blob_is_a_value_error(arrays, meta, seed, data) -> None:
    """Every shape (0-d, empty, 1-d, n-d) and dtype round-trips exactly; any truncation or
    flipped byte raises ValueError or gives arrays of the declared sizes, never anything else."""
    rng = np.random.default_rng(seed)
    named = {}
    for i, (dt, shape) in enumerate(arrays):
        raw = rng.integers(0, 256, size=int(np.prod(shape)) * np.dtype(dt).itemsize, dtype=np.uint8)
        named[f"a{i}"] = np.frombuffer(raw.tobytes(), dtype=dt).reshape(shape)
    blob = pack(named, meta)
    arrs, got_meta = unpack(blob)
    assert got_meta == meta and list(arrs) == list(named)
    for k, v in named.items():
        assert arrs[k].dtype == v.dtype and arrs[k].shape == v.shape
        assert arrs[k].tobytes() == v.tobytes() and arrs[k].flags.writeable
    # without copies: the same arrays, read-only (views of the blob)
    views, got_meta = unpack(blob, copy=False)
    assert got_meta == meta and list(views) == list(named)
    for k, v in named.items():
        assert views[k].dtype == v.dtype and views[k].shape == v.shape and views[k].tobytes() == v.tobytes()
        assert not views[k].flags.writeable
    cut = data.draw(st.integers(0, max(len(blob) - 1, 0)))
    damaged = [blob[:cut]]
    if blob:
        pos = data.draw(st.integers(0, len(blob) - 1))
        damaged.append(blob[:pos] + bytes([blob[pos] ^ 0xFF]) + blob[pos + 1 :])
    for bad in damaged:
        try:
            out, _ = unpack(bad)
        except ValueError:
            continue
        for v in out.values():  # a flipped data byte changes values, not structure
            assert isinstance(v, np.ndarray)


def test_in_lists_padded_to_a_few_sizes_give_every_row_once() -> None:
    """``Index._in`` pads each chunk of values to one of a few sizes (so that SQLite reuses
    the compiled statement): for every length, across the chunk limit and with repeated
    values, the rows are those of one lookup per value, each once; and lists of 1 to 1,000
    values run as a handful of distinct statements."""
    import sellerlink.index as ixmod

    ix = Index()
    ix._con.execute("CREATE TEMP TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
    ix._con.executemany("INSERT INTO t VALUES (?, ?)", [(k, k * 7) for k in range(0, 4000, 2)])
    statements: set[str] = set()
    ix._con.set_trace_callback(lambda sql: statements.add(sql) if "FROM t WHERE" in sql else None)
    rng = np.random.default_rng(5)
    for n in [*range(1, 40), 127, 128, 129, ixmod._CHUNK - 1, ixmod._CHUNK, ixmod._CHUNK + 1, 1000]:
        values = rng.choice(4000, size=n, replace=False)
        if n <= ixmod._CHUNK // 2:  # repeats within one chunk (across chunks, rows would repeat)
            values[n // 2 :] = values[: n - n // 2]
        got = ix._in("SELECT k, v FROM t WHERE k IN ({in})", values)
        want = [(k, k * 7) for k in sorted(set(values.tolist())) if k % 2 == 0]
        assert sorted(got) == want, n
        # two lists per statement (each chunk half as long; chunks' rows may repeat, as before)
        both = ix._in("SELECT k FROM t WHERE k IN ({in}) UNION SELECT k FROM t WHERE k + 1 IN ({in})", values)
        assert sorted(set(both)) == sorted({(k,) for k in values.tolist() if k % 2 == 0}
                                      | {(k - 1,) for k in values.tolist() if k % 2 == 1 and k - 1 >= 0}), n
    # (the trace shows the statements with their values in place)
    sizes = {len(re.search(r"IN \(([^)]*)\)", sql).group(1).split(",")) for sql in statements if "UNION" not in sql}
    assert len(sizes) <= 8 + 8 and max(sizes) == ixmod._CHUNK
    assert all(s <= 8 or s == ixmod._CHUNK or s & (s - 1) == 0 for s in sizes)
    for n in range(1, 2000):
        size = ixmod._in_size(min(n, ixmod._CHUNK), ixmod._CHUNK)
        assert min(n, ixmod._CHUNK) <= size <= ixmod._CHUNK
