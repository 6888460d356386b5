"""Index.build: the first load of an empty index, linked in memory. It must give the index that
one add of the same accounts gives (every table, byte for byte), the answers of adding in
batches, and nothing at all when it fails part way."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_index_photos import _acc, photos, shared_photo_accounts  # noqa: F401 (a fixture)

from sellerlink import Linker, load_accounts
from sellerlink.index import Index, _tuples
from sellerlink.records import Account
from sellerlink.signals.contacts import ContactsSignal
from sellerlink.signals.names import NamesSignal
from sellerlink.signals.photos import PhotosSignal
from sellerlink.signals.phrasing import PhrasingSignal
from sellerlink.synth import generate_marketplace

_TABLES = (
    "SELECT rid, account_id, watchlist, record FROM accounts",
    "SELECT rid, account_id, state FROM cards",
    "SELECT rid, kind, value FROM book",
    "SELECT key, n FROM counts",
    "SELECT key, n FROM pcounts",
    "SELECT key, rid FROM postings",
    "SELECT signal, name, value FROM stats",
    "SELECT a, b, score FROM pairs",
    "SELECT a, b FROM links",
)


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Account], list[Account]]:
    d = tmp_path_factory.mktemp("market")
    m = generate_marketplace(d, n_accounts=300, seed=11, with_photos=False)
    return m.watchlist_path, m.accounts_path, load_accounts(m.watchlist_path), load_accounts(m.accounts_path)


def _linker() -> Linker:
    return Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False)


def _photo_linker() -> Linker:
    return Linker(signals=[NamesSignal(), PhotosSignal()], progress=False)


def _rows(ix: Index) -> dict[str, list[tuple[object, ...]]]:
    return {sql: sorted(ix._con.execute(sql).fetchall()) for sql in _TABLES}


def _leads(ix: Index) -> list[tuple[str, str, float]]:
    return sorted((ld.account_id, ld.violator_id, round(ld.score, 9)) for ld in ix.leads())


@pytest.mark.parametrize("max_candidates", [64, 3])
def test_build_writes_what_one_add_of_the_same_accounts_writes(
    market: tuple[Path, Path, list[Account], list[Account]], max_candidates: int
) -> None:
    """With 3 candidates an account the cap binds: which candidates win depends on the counts,
    and those of a build are the whole set's, as in one add."""
    _, _, wl, live = market
    accs = [*wl, *live]
    # every candidate pair stored (min_direct), so that the pairs show which candidates won
    added = Index(linker=_linker(), max_candidates=max_candidates, min_direct=1e-12)
    added.add(accs)
    built = Index(linker=_linker(), max_candidates=max_candidates, min_direct=1e-12)
    assert built.build(accs, batch=64) == len(accs)
    want, got = _rows(added), _rows(built)
    for sql in _TABLES:
        assert got[sql] == want[sql], sql
    n_pairs = len(want["SELECT a, b, score FROM pairs"])
    assert n_pairs >= 50  # a linked market: not vacuous
    if max_candidates == 3:  # the cap binds: fewer pairs than without it
        uncapped = Index(linker=_linker(), min_direct=1e-12)
        uncapped.build(accs)
        assert n_pairs < len(_rows(uncapped)["SELECT a, b, score FROM pairs"])


def test_build_answers_like_adding_the_watchlist_then_the_accounts_in_batches(
    market: tuple[Path, Path, list[Account], list[Account]],
) -> None:
    _, _, wl, live = market
    added = Index(linker=_linker())
    added.add(wl, watchlist=True)
    for s in range(0, len(live), 100):
        added.add(live[s : s + 100])
    built = Index(linker=_linker())
    built.build(live[1:] + live[:1], watchlist=wl)  # another order of the live accounts
    ids = dict(built._con.execute("SELECT rid, account_id FROM accounts"))
    ids_a = dict(added._con.execute("SELECT rid, account_id FROM accounts"))
    for sql in ("SELECT key, n FROM counts", "SELECT key, n FROM pcounts"):
        assert _rows(built)[sql] == _rows(added)[sql], sql
    assert sorted((k, ids[r]) for k, r in built._con.execute("SELECT key, rid FROM postings")) == sorted(
        (k, ids_a[r]) for k, r in added._con.execute("SELECT key, rid FROM postings"))
    pairs_b = {frozenset((ids[a], ids[b])): s for a, b, s in built._con.execute("SELECT a, b, score FROM pairs")}
    pairs_a = {frozenset((ids_a[a], ids_a[b])): s for a, b, s in added._con.execute("SELECT a, b, score FROM pairs")}
    assert pairs_b.keys() == pairs_a.keys() and len(pairs_a) >= 50
    assert all(pairs_b[k] == pytest.approx(pairs_a[k], abs=1e-9) for k in pairs_a)
    assert set(built.account_ids(watchlist=True)) == {a.account_id for a in wl}
    assert _leads(built) == _leads(added) and len(_leads(added)) >= 5
    q = live[3]
    rb, ra = built.query(q), added.query(q)
    assert [(m.right, round(m.score, 9)) for m in rb.matches] == [(m.right, round(m.score, 9)) for m in ra.matches]
    assert [(ld.violator_id, round(ld.score, 9)) for ld in rb.leads] == [
        (ld.violator_id, round(ld.score, 9)) for ld in ra.leads]
    # and the built index carries on like any other
    extra = Account("late-arrival", display_name=live[0].display_name, username=live[0].username)
    built.add(extra)
    added.add(extra)
    assert _leads(built) == _leads(added)


def test_build_refuses_a_non_empty_index_and_a_duplicate_id_leaves_it_empty(
    market: tuple[Path, Path, list[Account], list[Account]],
) -> None:
    _, _, wl, live = market
    ix = Index(linker=_linker())
    with pytest.raises(ValueError, match="duplicate account_id"):
        ix.build(live[:50] + live[10:11], watchlist=wl[:5])
    assert len(ix) == 0 and ix._con.execute("SELECT COUNT(*) FROM postings").fetchone()[0] == 0
    ix.add(live[:2])
    with pytest.raises(ValueError, match="empty index"):
        ix.build(live[2:5])
    assert len(ix) == 2
    with pytest.raises(ValueError, match="at least 1"):
        Index(linker=_linker()).build(live, batch=0)


def test_an_interrupted_build_of_a_file_leaves_it_empty_and_in_wal_mode(
    tmp_path: Path, market: tuple[Path, Path, list[Account], list[Account]],
) -> None:
    _, _, wl, live = market

    def stream() -> Iterator[Account]:
        yield from live[:120]
        raise KeyboardInterrupt  # the operator stops it after the first batches were written

    path = tmp_path / "ix.slx"
    with Index.create(path, linker=_linker()) as ix:
        with pytest.raises(KeyboardInterrupt):
            ix.build(stream(), watchlist=wl, batch=40)
        assert len(ix) == 0
        assert ix._con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        ix.build(live, watchlist=wl)  # the same index can be built afterwards
        # written through a rollback journal: the write-ahead log did not take a second copy
        wal = Path(str(path) + "-wal")
        assert not wal.exists() or wal.stat().st_size < path.stat().st_size / 10
    with Index.open(path, readonly=True, linker=_linker()) as ix:
        assert len(ix) == len(wl) + len(live)
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        con.close()


def test_build_from_files_with_workers_equals_the_build_in_one_process(
    tmp_path: Path, market: tuple[Path, Path, list[Account], list[Account]],
) -> None:
    wl_path, live_path, _, _ = market
    one = Index.create(tmp_path / "one.slx", linker=_linker())
    two = Index.create(tmp_path / "two.slx", linker=_linker())
    one.build(live_path, watchlist=wl_path, batch=70)
    two.build(live_path, watchlist=wl_path, batch=70, workers=2)
    assert _rows(one) == _rows(two)
    one.close()
    two.close()


def test_cli_index_build(tmp_path: Path, market: tuple[Path, Path, list[Account], list[Account]]) -> None:
    from sellerlink.cli import main

    wl_path, live_path, _, _ = market
    built, added = tmp_path / "b.slx", tmp_path / "a.slx"
    assert main(["index", "build", str(built), str(live_path), "--watchlist", str(wl_path), "--quiet"]) == 0
    assert main(["index", "add", str(added), str(wl_path), "--watchlist", "--create", "--quiet"]) == 0
    assert main(["index", "add", str(added), str(live_path), "--quiet"]) == 0
    out_b, out_a = tmp_path / "b.csv", tmp_path / "a.csv"
    assert main(["index", "leads", str(built), "-o", str(out_b), "--quiet"]) == 0
    assert main(["index", "leads", str(added), "-o", str(out_a), "--quiet"]) == 0
    assert out_b.read_text() == out_a.read_text() and out_a.read_text().count("\n") > 5
    # an existing file is refused, and left as it was
    before = built.stat().st_size
    assert main(["index", "build", str(built), str(live_path), "--quiet"]) != 0
    assert built.stat().st_size == before
    # a build that fails part way (the same account twice, refused with --strict; without it the
    # second copy is skipped with a warning, as every reader does) leaves no file behind
    twice = tmp_path / "twice.jsonl"
    lines = live_path.read_text().splitlines()
    twice.write_text("\n".join([*lines, lines[0]]) + "\n")
    failed = tmp_path / "failed.slx"
    assert main(["index", "build", str(failed), str(twice), "--strict", "--quiet"]) != 0
    assert not any(tmp_path.glob("failed.slx*"))


def test_build_with_photos_writes_what_one_add_writes(photos: dict[str, str]) -> None:  # noqa: F811
    """Photos keep their own counts (a re-edited copy counts as the same photo) and links: a
    build must write them as an add does, and without photos skip that work, not the result."""
    accs = [*shared_photo_accounts(photos), _acc("f", "Rina", [])]  # and one without photos
    added = Index(linker=_photo_linker(), min_direct=1e-9)
    added.add(accs)
    built = Index(linker=_photo_linker(), min_direct=1e-9)
    built.build(accs, batch=2)
    want, got = _rows(added), _rows(built)
    for sql in _TABLES:
        assert got[sql] == want[sql], sql
    assert want["SELECT a, b FROM links"]  # re-edited copies were linked: not vacuous
    assert max(n for _, n in want["SELECT key, n FROM counts"]) >= 3


def test_a_build_while_a_reader_has_the_file_open_keeps_the_write_ahead_log(
    tmp_path: Path, market: tuple[Path, Path, list[Account], list[Account]],
) -> None:
    _, _, wl, live = market
    path = tmp_path / "ix.slx"
    with Index.create(path, linker=_linker()) as ix:
        reader = Index.open(path, readonly=True, linker=_linker())
        assert len(reader) == 0
        assert ix._path_journal("DELETE") is None  # the reader's open file stops the switch
        ix.build(live[:80], watchlist=wl[:10])
        assert ix._con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert len(reader) == 90  # and the reader sees the committed build
        reader.close()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False)), max_size=40),
       st.integers(1, 7))
def test_tuples_are_the_rows_of_the_columns_whatever_the_chunk(rows: list[tuple[int, float]], chunk: int) -> None:
    keys = np.array([r[0] for r in rows], dtype=np.int64)
    vals = np.array([r[1] for r in rows], dtype=np.float64)
    got = list(_tuples(keys, vals, chunk=chunk))
    assert got == rows
    assert all(type(k) is int and type(v) is float for k, v in got)  # Python values, as SQLite binds them


def test_book_and_counts_written_in_chunks_of_rows_are_the_same(
    market: tuple[Path, Path, list[Account], list[Account]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build writes each account's keys and the counts a chunk of rows at a time; chunks that
    cut the accounts anywhere give the same tables as one chunk."""
    import sellerlink.index as ixmod

    _, _, wl, live = market
    whole = Index(linker=_linker())
    whole.build(live, watchlist=wl)
    monkeypatch.setattr(ixmod, "_BOOK_ROWS", 7)
    chunked = Index(linker=_linker())
    chunked.build(live, watchlist=wl)
    assert _rows(chunked) == _rows(whole)


class _KeysOf:
    """A signal whose index keys are given (rows in any order, repeats allowed)."""

    def __init__(self, name: str, rows: list[int], keys: list[int]) -> None:
        self.name = name
        self._rk = np.array(rows, dtype=np.int64), np.array(keys, dtype=np.uint64)

    def index_keys(self, table: object) -> tuple[np.ndarray, np.ndarray]:
        return self._rk


_ROW_KEYS = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 2**64 - 1)), max_size=60)


@settings(max_examples=80, deadline=None)
@given(st.lists(_ROW_KEYS, min_size=1, max_size=3), st.sampled_from([1, 4, 7, 50_000]), st.booleans())
def test_keys_sorted_a_chunk_of_rows_at_a_time_are_every_distinct_row_and_key_in_order(
    per_signal: list[list[tuple[int, int]]], chunk: int, by_row: bool
) -> None:
    """Index._keys sorts the keys of ``_BOOK_ROWS`` rows at a time, over parts that are each
    signal's runs of rows: the result is every distinct (row, namespaced key), by row then key."""
    from types import SimpleNamespace

    import sellerlink.index as ixmod

    sigs = []
    for j, pairs in enumerate(per_signal):
        pairs = sorted(pairs, key=lambda p: p[0]) if by_row else pairs  # sorted rows: views, no sort
        sigs.append(_KeysOf(f"s{j}", [p[0] for p in pairs], [p[1] for p in pairs]))
    want = sorted({(r, int(ixmod._i64(np.array([k], np.uint64) ^ ixmod._ns(s.name))[0]))
                   for s, pairs in zip(sigs, per_signal) for r, k in pairs})  # fmt: skip
    old = ixmod._BOOK_ROWS
    ixmod._BOOK_ROWS = chunk
    try:
        rows, keys = Index._keys(SimpleNamespace(signals=sigs), {s.name: None for s in sigs}, "index_keys")  # type: ignore[arg-type]
    finally:
        ixmod._BOOK_ROWS = old
    assert rows.dtype == keys.dtype == np.int64
    assert list(zip(rows.tolist(), keys.tolist())) == want


@settings(max_examples=80, deadline=None)
@given(_ROW_KEYS, st.integers(0, 31), st.integers(0, 31))
def test_row_runs_then_rows_between_equal_a_stable_sort_by_row(pairs: list[tuple[int, int]], a: int, b: int) -> None:
    """The book's keys of rows start..stop, from a signal's keys cut into runs of rows (or sorted
    when there are many runs), are those of a stable sort of all of them by row."""
    from sellerlink.index import _row_runs, _rows_between

    rows = np.array([p[0] for p in pairs], dtype=np.int64)
    vals = np.array([p[1] for p in pairs], dtype=np.uint64)
    start, stop = min(a, b), max(a, b)
    for most in (1, 3, 8):
        parts = _row_runs(rows, vals, most=most)
        assert sum(len(r) for r, _ in parts) == len(rows)
        for r, _ in parts:
            assert np.all(r[1:] >= r[:-1])
        per_row, flat = _rows_between(parts, start, stop)
        order = np.argsort(rows, kind="stable")
        for i in range(start, stop):
            assert per_row[i - start].tolist() == [int(v) for v in vals[order][rows[order] == i]]
        assert sorted(flat.tolist()) == sorted(int(v) for v in vals[(rows >= start) & (rows < stop)])


def test_a_build_reads_each_signals_states_back_from_the_file(
    tmp_path: Path, market: tuple[Path, Path, list[Account], list[Account]]
) -> None:
    """A build holds no states: each signal reads its own from the cards, in rid order, as a
    sequence (iterated, indexed, sliced) equal to the cards' states."""
    from sellerlink.index import IndexFormatError, _split_states, _StoredStates

    _, _, wl, live = market
    with Index.create(tmp_path / "ix.slx", linker=_linker()) as ix:
        ix.build(live[:40], watchlist=wl[:5])
        cards = [c for (c,) in ix._con.execute("SELECT state FROM cards ORDER BY rid")]
        assert len(cards) == 45
        for name in ("names", "contacts", "phrasing"):
            want = [_split_states(c)[name] for c in cards]
            seq = _StoredStates(ix._con, name, len(cards))
            assert len(seq) == 45
            assert list(seq) == want
            assert seq[0] == want[0] and seq[-1] == want[-1] and seq[44] == want[44]
            assert seq[3:9:2] == want[3:9:2]
            with pytest.raises(IndexError):
                seq[45]
            assert list(_StoredStates(ix._con, name, 10)) == want[:10]  # rids 1..n only
        with pytest.raises(IndexFormatError, match="no 'photos' state"):
            next(iter(_StoredStates(ix._con, "photos", 45)))
        assert len(list(_StoredStates(ix._con, "names", 45))) == 45
        with pytest.raises(IndexFormatError, match="45 accounts' states, not 46"):  # a rid short
            list(_StoredStates(ix._con, "names", 46))
        ix._con.execute("DELETE FROM cards WHERE rid = 7")  # a gap is an error, not a short table
        with pytest.raises(IndexFormatError, match="no account with rid 7"):
            list(_StoredStates(ix._con, "names", 45))
        with pytest.raises(IndexFormatError, match="no account with rid 7"):
            _StoredStates(ix._con, "names", 45)[6]
