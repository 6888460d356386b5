"""Index file layout, version 3: one row of states per account (``cards``), bookkeeping apart
(``book``), 8 KiB pages for new files, and the in-place upgrade of version-2 files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sellerlink import Linker, load_accounts
from sellerlink.index import FORMAT_VERSION, Index, IndexFormatError, _join_states, _split_states
from sellerlink.records import Account
from sellerlink.signals.contacts import ContactsSignal
from sellerlink.signals.names import NamesSignal
from sellerlink.signals.phrasing import PhrasingSignal
from sellerlink.synth import generate_marketplace


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Account], list[Account]]:
    d = tmp_path_factory.mktemp("market")
    m = generate_marketplace(d, n_accounts=120, seed=3, with_photos=False)
    return load_accounts(m.watchlist_path), load_accounts(m.accounts_path)


def _linker() -> Linker:
    return Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False)


def _to_version_2(path: Path) -> None:
    """Rewrite a version-3 file the way version 2 stored it: one ``states`` row per account and
    signal (WITHOUT ROWID, keyed by (rid, signal)) holding both signal states and the
    ``_df``/``_ix``/``_st`` bookkeeping rows; no ``cards`` or ``book``; 4 KiB pages."""
    con = sqlite3.connect(path)
    try:
        con.execute(
            "CREATE TABLE states (rid INTEGER NOT NULL, signal TEXT NOT NULL, state BLOB NOT NULL, "
            "PRIMARY KEY (rid, signal)) WITHOUT ROWID"
        )
        for rid, card in con.execute("SELECT rid, state FROM cards").fetchall():
            con.executemany(
                "INSERT INTO states VALUES (?, ?, ?)", [(rid, k, v) for k, v in _split_states(card).items()]
            )
        con.execute("INSERT INTO states SELECT rid, kind, value FROM book")
        con.execute("DROP TABLE cards")
        con.execute("DROP TABLE book")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'version'")
        con.commit()
        con.execute("PRAGMA journal_mode = DELETE")  # version 2 files have sqlite3's default page size
        con.execute("PRAGMA page_size = 4096")
        con.execute("VACUUM")
        con.execute("PRAGMA journal_mode = WAL")
    finally:
        con.close()


def _answers(ix: Index, queries: list[Account]) -> tuple[object, ...]:
    res = []
    for q in queries:
        r = ix.query(q)
        res.append(([(m.left, m.right, m.score, m.weights) for m in r.matches], [(ld.violator_id, ld.score) for ld in r.leads]))
    leads = sorted((ld.account_id, ld.violator_id, ld.score) for ld in ix.leads(all_leads=True))
    return res, leads, sorted(ix.clusters().items())


def _tables(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        con.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=40).filter(lambda s: len(s.encode()) < 256),
                          st.binary(max_size=300)), unique_by=lambda t: t[0], max_size=6))
def test_states_blob_round_trips(states: list[tuple[str, bytes]]) -> None:
    assert _split_states(_join_states(states)) == dict(states)


def test_a_corrupt_states_blob_is_a_format_error_not_a_crash() -> None:
    blob = _join_states([("names", b"abc"), ("phrasing", b"x" * 50)])
    for bad in (blob[:-1], blob[:3], b"\x05nam"):
        with pytest.raises(IndexFormatError, match="corrupt"):
            _split_states(bad)


def test_new_files_use_8k_pages_and_one_row_of_states_per_account(
    tmp_path: Path, market: tuple[list[Account], list[Account]]
) -> None:
    wl, live = market
    p = tmp_path / "ix.slx"
    with Index.create(p, linker=_linker()) as ix:
        ix.add(wl, watchlist=True)
        ix.add(live[:40])
        first = ix._con.execute("SELECT min(rid) FROM accounts").fetchone()[0]
        card = ix._load_batch([first])
    con = sqlite3.connect(p)
    try:
        assert con.execute("PRAGMA page_size").fetchone()[0] == 8192
        assert con.execute("SELECT count(*) FROM cards").fetchone()[0] == len(wl) + 40
        kinds = {r[0] for r in con.execute("SELECT DISTINCT kind FROM book")}
        ids = dict(con.execute("SELECT rid, account_id FROM accounts"))
        assert dict(con.execute("SELECT rid, account_id FROM cards")) == ids
    finally:
        con.close()
    assert kinds == {"_df", "_ix", "_st"}
    assert "states" not in _tables(p)
    # the card holds exactly what the signals extract from the record
    assert card.ids == [wl[0].account_id]
    for sig in _linker().signals:
        assert card.states[sig.name] == sig.extract([wl[0]])


def test_a_version_2_file_is_upgraded_in_place_and_answers_the_same(
    tmp_path: Path, market: tuple[list[Account], list[Account]]
) -> None:
    wl, live = market
    p = tmp_path / "ix.slx"
    with Index.create(p, linker=_linker()) as ix:
        ix.add(wl, watchlist=True)
        ix.add(live[:-20])
        before = _answers(ix, live[-20:])
    _to_version_2(p)
    assert "cards" not in _tables(p)
    # a reader cannot write, so it cannot upgrade: it says how
    with pytest.raises(IndexFormatError, match="index upgrade"):
        Index.open(p, readonly=True)
    with Index.open(p, linker=_linker()) as ix:
        assert _answers(ix, live[-20:]) == before
        # and it carries on: add and remove work on the upgraded file
        ix.add(live[-20:-10])
        assert ix.remove(live[0].account_id) == 1
    assert {"cards", "book"} <= _tables(p) and "states" not in _tables(p)
    con = sqlite3.connect(p)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0] == str(FORMAT_VERSION)
    finally:
        con.close()
    with Index.open(p, readonly=True, linker=_linker()) as ix:
        assert len(ix) == len(wl) + len(live) - 20 + 10 - 1


def test_cli_upgrade(tmp_path: Path, market: tuple[list[Account], list[Account]],
                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from sellerlink.cli import main

    wl, live = market
    p = tmp_path / "ix.slx"
    with Index.create(p) as ix:
        ix.add(wl, watchlist=True)
    _to_version_2(p)
    pages = _pages(p)
    assert pages[0] == 4096  # sqlite3's default: the page size of files written before version 3
    assert main(["index", "upgrade", str(p)]) == 0
    assert f"format version {FORMAT_VERSION}, {len(wl)} accounts" in capsys.readouterr().err
    # compacted: 8 KiB pages, no free pages left from the old table
    assert _pages(p)[0] == 8192 and _pages(p)[2] == 0
    with Index.open(p, readonly=True) as ix:
        assert len(ix) == len(wl)
        assert ix.leads() == [] and ix.query(live[0]).n_candidates >= 0


def test_compact_keeps_the_answers(tmp_path: Path, market: tuple[list[Account], list[Account]]) -> None:
    wl, live = market
    p = tmp_path / "ix.slx"
    with Index.create(p, linker=_linker()) as ix:
        ix.add(wl, watchlist=True)
        ix.add(live[:-20])
        ix.remove([a.account_id for a in live[:30]])
        before = _answers(ix, live[-20:])
        assert _pages(p)[2] > 0  # removals leave free pages
        ix.compact()
        assert _pages(p)[2] == 0
        assert _answers(ix, live[-20:]) == before
        ix.add(live[-20:])  # and it carries on, in WAL mode
        assert ix._con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Index.open(p, readonly=True, linker=_linker()) as ix:
        with pytest.raises(PermissionError):
            ix.compact()


def _pages(path: Path) -> tuple[int, int, int]:
    """page size, page count, free pages"""
    con = sqlite3.connect(path)
    try:
        return tuple(con.execute(f"PRAGMA {k}").fetchone()[0] for k in ("page_size", "page_count", "freelist_count"))
    finally:
        con.close()


def test_two_writers_opening_a_version_2_file_upgrade_it_once(
    tmp_path: Path, market: tuple[list[Account], list[Account]]
) -> None:
    wl, _ = market
    p = tmp_path / "ix.slx"
    with Index.create(p, linker=_linker()) as ix:
        ix.add(wl, watchlist=True)
    _to_version_2(p)
    with Index.open(p, linker=_linker()) as first, Index.open(p, linker=_linker()) as second:
        # as if the second writer had checked the version before the first committed its
        # upgrade: inside its transaction it finds version 3, and does nothing
        second._upgrade(2)
        assert not second._con.in_transaction
        assert len(second) == len(wl) == len(first)
        assert second._con.execute("SELECT count(*) FROM cards").fetchone()[0] == len(wl)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=40).filter(lambda s: len(s.encode()) < 256),
                          st.binary(max_size=300)), unique_by=lambda t: t[0], max_size=6))
def test_one_state_read_from_a_blob_is_the_one_joined(states: list[tuple[str, bytes]]) -> None:
    from sellerlink.index import _state_of

    blob = _join_states(states)
    for name, st_ in states:
        assert _state_of(blob, name) == st_
    with pytest.raises(IndexFormatError, match="no 'absent' state"):
        _state_of(blob, "absent") if "absent" not in dict(states) else _state_of(b"", "absent")


def test_one_state_of_a_corrupt_blob_is_a_format_error() -> None:
    from sellerlink.index import _state_of

    blob = _join_states([("names", b"abc"), ("phrasing", b"x" * 50)])
    for bad in (blob[:-1], b"\x05nam"):
        with pytest.raises(IndexFormatError, match="corrupt"):
            _state_of(bad, "phrasing")
