"""Index.add_many: a stream of accounts in committed batches, fingerprinted ahead in worker
processes; the same index as adding each batch with Index.add."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sellerlink import Linker, load_accounts
from sellerlink.index import Index
from sellerlink.records import Account
from sellerlink.signals.contacts import ContactsSignal
from sellerlink.signals.names import NamesSignal
from sellerlink.signals.phrasing import PhrasingSignal
from sellerlink.synth import generate_marketplace


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Account], list[Account]]:
    d = tmp_path_factory.mktemp("market")
    m = generate_marketplace(d, n_accounts=150, seed=5, with_photos=False)
    return m.accounts_path, load_accounts(m.watchlist_path), load_accounts(m.accounts_path)


def _linker() -> Linker:
    return Linker(signals=[NamesSignal(), ContactsSignal(), PhrasingSignal()], progress=False)


def _dump(path: Path) -> tuple[object, ...]:
    con = sqlite3.connect(path)
    try:
        ids = dict(con.execute("SELECT rid, account_id FROM accounts"))
        pairs = sorted((ids[a], ids[b], s) for a, b, s in con.execute("SELECT a, b, score FROM pairs"))
        counts = sorted(con.execute("SELECT key, n FROM counts"))
        postings = sorted((k, ids[r]) for k, r in con.execute("SELECT key, rid FROM postings"))
        states = sorted((ids[r], "card", st) for r, st in con.execute("SELECT rid, state FROM cards"))
        states += sorted((ids[r], kind, v) for r, kind, v in con.execute("SELECT rid, kind, value FROM book"))
    finally:
        con.close()
    return pairs, counts, postings, states


@pytest.mark.parametrize("workers", [1, 2])
def test_add_many_builds_the_index_add_builds(tmp_path: Path, market: tuple[Path, list[Account], list[Account]],
                                              workers: int) -> None:  # fmt: skip
    _, wl, live = market
    a, b = tmp_path / "a.slx", tmp_path / "b.slx"
    with Index.create(a, linker=_linker()) as ix:
        ix.add(wl, watchlist=True)
        for s in range(0, len(live), 40):
            ix.add(live[s : s + 40])
    with Index.create(b, linker=_linker()) as ix:
        assert ix.add_many(iter(wl), watchlist=True, batch=1000, workers=workers) == len(wl)
        # records (dicts) and accounts alike
        assert ix.add_many((acc.to_dict() for acc in live), batch=40, workers=workers) == len(live)
        leads = ix.leads()
    got, want = _dump(b), _dump(a)
    assert len(got[0]) >= 10 and len(leads) >= 3
    assert got == want


def test_add_many_reads_a_file_and_reports_how_far_an_interrupted_stream_got(
    tmp_path: Path, market: tuple[Path, list[Account], list[Account]]
) -> None:
    path, _, live = market
    with Index.create(tmp_path / "f.slx", linker=_linker()) as ix:
        assert ix.add_many(path, batch=64, workers=2) == len(live)
    # the third batch of 32 repeats an account of the first
    stream = [*live[:64], live[3], *live[65:100]]
    with Index.create(tmp_path / "g.slx", linker=_linker()) as ix:
        with pytest.raises(ValueError, match="already indexed") as info:
            ix.add_many(iter(stream), batch=32, workers=2)
        assert len(ix) == 64  # the two committed batches stay, nothing of the third
        if hasattr(info.value, "__notes__"):
            assert "64 accounts were added" in info.value.__notes__[0]


def test_add_many_rejects_bad_arguments() -> None:
    ix = Index(linker=_linker())
    with pytest.raises(ValueError, match="at least 1"):
        ix.add_many([], batch=0)
    with pytest.raises(ValueError, match="at least 1"):
        ix.add_many([], workers=0)
    assert ix.add_many([]) == 0


def test_add_many_takes_what_add_takes(tmp_path: Path, market: tuple[Path, list[Account], list[Account]]) -> None:
    import pandas as pd

    path, _, live = market
    ids = sorted(a.account_id for a in live)
    frame = pd.DataFrame([a.to_dict() for a in live])
    for source in (frame, open(path, encoding="utf-8"), live[0].to_dict()):
        ix = Index(linker=_linker())
        ix.add_many(source, batch=37)
        assert sorted(ix.account_ids()) == (ids if not isinstance(source, dict) else [live[0].account_id])
        if hasattr(source, "close"):
            source.close()


def test_a_warning_in_a_worker_reaches_the_caller(tmp_path: Path) -> None:
    """A photo skipped while a worker process fingerprints is reported to the caller's warning
    filters (it used to go to the worker's stderr), and the account is still added."""
    from sellerlink import PhotoWarning

    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    accs = [{"account_id": f"a{i}", "display_name": f"toko {i}", "photos": [str(bad)] if i == 3 else []}
            for i in range(6)]  # fmt: skip
    with Index.create(tmp_path / "ix.slx", linker=Linker(progress=False)) as ix:
        with pytest.warns(PhotoWarning, match="broken.jpg"):
            assert ix.add_many(accs, batch=2, workers=2) == 6
        assert "a3" in ix


def test_split_by_row_equals_a_mask_per_row() -> None:
    import numpy as np

    from sellerlink.index import _split_by_row

    rng = np.random.default_rng(3)
    for n in (0, 1, 7):
        for sort in (False, True):  # sorted rows take the path without a sort
            rows = rng.integers(0, max(n, 1), 50) if n else np.zeros(0, dtype=np.int64)
            rows = np.sort(rows) if sort else rows
            vals = rng.integers(-(2**62), 2**62, len(rows))
            got = _split_by_row(rows, vals, n)
            assert len(got) == n
            for i in range(n):
                assert np.array_equal(got[i], vals[rows == i])


def test_the_workers_cpu_time_is_reported(market: tuple[Path, list[Account], list[Account]]) -> None:
    """Worker processes started by a fork server are not this process's children: their CPU
    time reaches the benchmarks only as the workers report it."""
    from sellerlink import linker

    _, _, live = market
    before = linker._WORKER_CPU_S
    with Index(linker=_linker()) as ix:
        ix.add_many(live[:60], batch=20, workers=2)
    assert linker._WORKER_CPU_S > before
