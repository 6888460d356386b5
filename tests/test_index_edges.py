"""Edges of the persistent index found in review (each failed before its fix): the max_block
rule when the probing account is itself indexed, an account never taking one of its own
candidate slots, photo counts taken back exactly when several accounts leave together, a
refresh interleaved with another writer, a CLI add refused before its first batch, and a
remove that missed pairs its add had re-scored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_photos import jpeg, textured

from sellerlink import Linker
from sellerlink.cli import main
from sellerlink.index import Index
from sellerlink.records import Account, Listing
from sellerlink.signals.contacts import ContactsSignal
from sellerlink.signals.names import NamesSignal
from sellerlink.signals.photos import PhotosSignal

PHONE = ("0812-3456-7890",)


def _contacts_linker(**kw: int) -> Linker:
    return Linker(signals=[NamesSignal(), ContactsSignal()], progress=False, **kw)


def _pairs(ix: Index) -> set[tuple[str, str]]:
    ids = dict(ix._con.execute("SELECT rid, account_id FROM accounts").fetchall())
    return {tuple(sorted((ids[a], ids[b]))) for a, b in ix._con.execute("SELECT a, b FROM pairs")}  # type: ignore[misc]


def _counts(ix: Index) -> dict[int, int]:
    return dict(ix._con.execute("SELECT key, n FROM counts").fetchall())


def test_removing_accounts_together_takes_back_the_same_photo_counts_as_one_by_one(tmp_path: Path) -> None:
    """X, A, B hold the same photo. A was linked with X when added; B's one candidate slot went
    to A (same name), so X's count never got B's share and no (B, X) link exists. Removing A
    and B together still subtracts B's match with X's photo (X is in the table through A's
    link): X's count drops to 0 and the row is deleted, while removing them one at a time
    leaves X's count at 1 (its own)."""
    p = tmp_path / "own.jpg"
    p.write_bytes(jpeg(textured(100), 85))

    def acc(aid: str, name: str) -> Account:
        return Account(aid, display_name=name, listings=(Listing(title="", photos=(str(p),)),))

    def build() -> Index:
        ix = Index(linker=Linker(signals=[NamesSignal(), PhotosSignal()], progress=False), max_candidates=2)
        ix.add(acc("X", "Budi Santoso"))
        ix.add(acc("A", "Rina Dewi"))
        ix.add(acc("B", "Rina Dewi"))
        return ix

    one_by_one = build()
    one_by_one.remove("A")
    one_by_one.remove("B")
    together = build()
    together.remove(["A", "B"])
    assert _counts(together) == _counts(one_by_one)


def test_add_links_through_a_key_held_by_exactly_max_block_accounts() -> None:
    """The batch pipeline blocks on keys held by at most ``max_block`` accounts, and a query
    finds both stored holders of such a key; but add() (and refresh()) count the new account
    among the holders and skip the key at ``max_block`` holders (``held <= max_block - 1``),
    so the pairs the query reported are never stored, and refresh() even drops the old one."""
    accs = [Account(f"a{i}", display_name=n, phones=PHONE) for i, n in enumerate(["Budi Jaya", "Sari Ayu", "Dewi Lestari"])]
    lk = _contacts_linker(max_block=3)
    batch = lk.score_pairs(accs)
    ids = batch.fingerprints.ids
    want = {tuple(sorted((ids[a], ids[b]))) for a, b in zip(batch.left.tolist(), batch.right.tolist())}
    assert want == {("a0", "a1"), ("a0", "a2"), ("a1", "a2")}  # the batch links all three
    ix = Index(linker=_contacts_linker(max_block=3), min_direct=1e-9)
    ix.add(accs[:2])
    assert {m.right for m in ix.query(accs[2]).matches} == {"a0", "a1"}
    ix.add(accs[2])
    assert _pairs(ix) == want
    ix.refresh()
    assert _pairs(ix) == want


def test_max_candidates_counts_other_accounts_not_the_account_itself() -> None:
    """A new account is among its own candidates (its postings are written first) and, sharing
    every key with itself, takes the first of the ``max_candidates`` slots before ``a != cc``
    drops it: with ``max_candidates=1`` nothing is ever linked, though the query (1 candidate)
    finds the match."""
    a = Account("a", display_name="Budi Jaya", phones=PHONE)
    b = Account("b", display_name="Sari Ayu", phones=PHONE)
    ix = Index(linker=_contacts_linker(), max_candidates=1, query_candidates=1)
    ix.add(a)
    assert [m.right for m in ix.query(b).matches] == ["a"]
    ix.add(b)
    assert _pairs(ix) == {("a", "b")}
    # querying an indexed account: it is compared with the others, not with its stored copy
    res = ix.query(b)
    assert res.n_candidates == 1 and [m.right for m in res.matches] == ["a"]


def test_cli_index_add_rejecting_an_indexed_id_adds_nothing(tmp_path: Path) -> None:
    """'index add --batch N' commits batch by batch; an id already indexed in a later batch
    fails that batch with ValueError after the earlier ones were committed (and the message
    does not say so; re-running the same command now fails on the first batch). Before the
    batches, one add() rejected the whole file up front."""
    ix_path = str(tmp_path / "ix.slx")
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"account_id": "x3", "display_name": "Budi"}) + "\n")
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps({"account_id": f"x{i}", "display_name": f"Toko {i}"}) + "\n" for i in range(6)))
    assert main(["index", "add", "--quiet", "--create", ix_path, str(first)]) == 0
    assert main(["index", "add", "--quiet", "--batch", "2", ix_path, str(more)]) != 0
    with Index.open(ix_path, readonly=True) as ix:
        assert ix.account_ids() == ["x3"]



def test_refresh_survives_a_remove_committed_between_its_batches(tmp_path: Path) -> None:
    """refresh() reads every rid once, then commits batch by batch (so other writers can get in
    between, as WAL allows); an account removed by another connection meanwhile makes
    _load_batch raise KeyError in a later batch."""
    path = str(tmp_path / "ix.slx")
    accs = [Account(f"a{i}", display_name=f"Toko {i}", phones=(f"0812-3456-78{i:02d}",)) for i in range(4)]
    with Index.create(path, linker=_contacts_linker()) as ix, Index.open(path, linker=_contacts_linker()) as other:
        ix.add(accs)
        begin, calls = ix._begin, [0]

        def begin_after_another_writer() -> None:
            calls[0] += 1
            if calls[0] == 2:  # another process commits a remove between two refresh batches
                other.remove("a3")
            begin()

        ix._begin = begin_after_another_writer  # type: ignore[method-assign]
        ix.refresh(batch=2)
        assert len(ix) == 3


def test_stable_hash64_remembers_short_texts_only() -> None:
    """The cache serves names and tokens again; whole sentences (untrusted, up to 20k
    characters) are hashed but not kept alive by it."""
    from sellerlink.signals import base

    long_text = "ready kak " * 500
    base._stable_hash64_cached.cache_clear()
    assert base.stable_hash64("budi", "names:tok") == base._stable_hash64("budi", "names:tok")
    assert base.stable_hash64(long_text, "phrasing.sentence") == base._stable_hash64(long_text, "phrasing.sentence")
    assert base._stable_hash64_cached.cache_info().currsize == 1


def test_phrasing_states_from_other_sketch_settings_are_refused() -> None:
    """A stored MinHash sketch made with another seed would compare as garbage: refused."""
    import pytest

    from sellerlink.signals.phrasing import PhrasingSignal

    acc = [Account("a", bio="ready kak, no tipu. kirim dari bandung setiap hari")]
    states = PhrasingSignal(seed=1).extract(acc)
    with pytest.raises(ValueError, match="settings"):
        PhrasingSignal(seed=2).assemble(["a"], states)
    assert len(PhrasingSignal(seed=1).assemble(["a"], states)) == 1


def test_lookups_of_more_values_than_sqlite_binds_at_once() -> None:
    """Id and key look-ups run in chunks under SQLite's parameter limit: every value is answered."""
    from sellerlink.index import _CHUNK

    ix = Index(linker=_contacts_linker())
    ix.add([Account(f"a{i}", display_name=f"Toko {i}") for i in range(5)])
    asked = [f"x{i}" for i in range(2 * _CHUNK + 7)] + ["a0", "a4"]
    assert ix.existing(asked) == {"a0", "a4"}
    rids = [r[0] for r in ix._con.execute("SELECT rid FROM accounts")]
    # a statement binding the chunk twice (two IN lists) still sees every value
    got = ix._in("SELECT rid FROM accounts WHERE rid IN ({in}) OR -rid IN ({in})", [-5000] * (2 * _CHUNK) + rids)
    assert sorted(r[0] for r in got) == sorted(rids)


@pytest.mark.parametrize("strong_edge, hop_decay", [(0.97, 0.9), (0.6, 0.5), (0.9999, 1.0)])
def test_leads_through_other_accounts_follow_the_linkers_strong_edge_and_hop_decay(
    tmp_path: Path, strong_edge: float, hop_decay: float
) -> None:
    """Index.leads() and Index.query() follow the same edges as Linker.trace: only edges of at
    least strong_edge, each hop after the first times hop_decay (they used the threshold and no
    decay, so at 10k accounts the index reported 48 two-hop leads the batch trace does not);
    the settings are saved in the file."""
    banned = Account("banned", display_name="Budi Thrift", phones=("0812-3456-7890",))
    # "mid" kept the banned seller's phone; "far" shares only mid's e-mail: a lead through mid
    mid = Account("mid", display_name="Sari Preloved", phones=("0812 3456 7890",), emails=("sari.pl@gmail.com",))
    far = Account("far", display_name="Toko Kain Murah", emails=("Sari.PL@gmail.com",))
    others = [Account(f"o{i}", display_name=f"Seller Nomor {i}", phones=(f"0813-2222-{1000 + i}",)) for i in range(12)]

    def linker() -> Linker:
        return Linker(progress=False, strong_edge=strong_edge, hop_decay=hop_decay)  # default signals: reopened as saved

    traced = linker().trace([mid, far, *others], [banned])
    want = {(ld.account_id, ld.violator_id): round(ld.score, 9) for ld in traced.leads}
    through = want.get(("far", "banned"))
    if strong_edge < 0.99:
        assert through is not None and through < 0.999 * hop_decay  # decayed, through mid
    else:
        assert through is None  # the far-mid edge is not strong enough to follow
    path = tmp_path / "ix.slx"
    with Index.create(path, linker=linker()) as ix:
        ix.add([banned], watchlist=True)
        ix.add([mid, *others])
    with Index.open(path) as ix:  # settings come back from the file
        assert (ix.linker.strong_edge, ix.linker.hop_decay) == (strong_edge, hop_decay)
        got = {x.violator_id: round(x.score, 9) for x in ix.query(far).leads}
        assert got.get("banned") == through
        ix.add([far])
        have = {(ld.account_id, ld.violator_id): round(ld.score, 9) for ld in ix.leads(all_leads=True)}
    assert have == want


def test_a_remove_takes_back_the_scores_its_add_changed_through_an_unstored_shingle() -> None:
    """X shares one rare shingle with U and V, a stored pair. Adding X re-scores (U, V): their
    shared phrase is held by one more account. Phrasing stores a sample of each account's
    shingles (the ``4 * max_shingle_keys`` smallest), and the phrase is not in X's sample: X
    found U and V through its probe keys (the rarest shingles it holds). Before its fix the
    remove found neighbours by X's stored keys only, missed U and V, and left (U, V) at the
    add's score."""
    from sellerlink.signals.phrasing import PhrasingSignal

    def linker() -> Linker:
        return Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal(max_shingle_keys=2)], progress=False)

    phrase = "zorblat quintex vambrace"
    u = Account("U", display_name="Toko Melati Jaya", bio=f"{phrase}. barang bagus sekali")
    v = Account("V", display_name="Grosir Anggrek", bio=f"{phrase}. harga pas kirim cepat")
    x = Account("X", display_name="Rumah Kain Sentosa", phones=PHONE,
                bio=f"kami alun bening cahaya damar embun fajar gelora {phrase} hujan intan jingga kemuning lembayung "
                    "mentari nirwana selalu")  # fmt: skip
    others = [Account(f"o{i}", display_name=f"Penjual Nomor {i}", bio=f"produk {i} kualitas terbaik untuk anda")
              for i in range(12)]  # fmt: skip

    def uv(ix: Index) -> float:
        rid = dict(ix._con.execute("SELECT account_id, rid FROM accounts").fetchall())
        a, b = sorted((rid["U"], rid["V"]))
        return float(ix._con.execute("SELECT score FROM pairs WHERE a = ? AND b = ?", (a, b)).fetchone()[0])

    ix = Index(linker=linker())
    ix.add([*others, u, v])
    before = uv(ix)
    ix.add(x)
    # the setting: X reaches U and V by its probe keys, none of its stored keys is theirs
    # (else the remove found them anyway), and adding X moved their pair's score
    xr = ix._con.execute("SELECT rid FROM accounts WHERE account_id = 'X'").fetchone()[0]
    tables = ix._tables(ix._load_batch([xr]), ix._context())
    rid = dict(ix._con.execute("SELECT account_id, rid FROM accounts").fetchall())
    _, found = ix._candidates(*reversed(ix._keys(tables, "probe_keys")), own=np.array([xr]))
    _, held = ix._candidates(*reversed(ix._keys(tables, "index_keys")), own=np.array([xr]))
    assert {rid["U"], rid["V"]} <= set(found.tolist()) and not {rid["U"], rid["V"]} & set(held.tolist())
    during = uv(ix)
    assert during < before - 0.01
    ix.remove("X")
    assert uv(ix) == pytest.approx(before, abs=1e-12)  # was left at `during`
    # and a fresh index of the same accounts scores the pair alike
    fresh = Index(linker=linker())
    fresh.add([*others, u, v])
    assert uv(ix) == pytest.approx(uv(fresh), abs=1e-12)
