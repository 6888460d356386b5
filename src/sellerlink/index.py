"""A persistent, incremental index: check a new account against everything seen, in milliseconds.

The index lives in one SQLite file (standard library, WAL mode: several readers and one
writer at a time). Per account it stores the record (JSON), each signal's per-record
fingerprint state (numpy bytes with explicit dtype and JSON, never pickle; all of an
account's states in one row, ``cards``, so a query reads one row per candidate), the keys a
later query looks up (``postings``), and global counts of every value whose rarity a
signal uses (``counts``: phones, name keys and tokens, shingles, sentences, writing
habits), plus additive statistics (phrasing's style mean / standard deviation, and how many
accounts' habits are counted: in a file written before habits were counted, even one added
to since, a shared habit's count is over the accounts a query compares, as it was).
Scored pairs at or above ``min_direct`` are kept (``pairs``), so clusters and leads over
everything indexed are read from the file.

A query fingerprints the one account, looks its candidate keys up in ``postings``
(keys held by more than ``max_block`` accounts are skipped, as in the batch pipeline),
loads the states of those candidates only, assembles them with the query into a small
table whose rarity comes from the global counts (:class:`~sellerlink.signals.base.RarityContext`),
compares and scores with the linker's :class:`~sellerlink.Scorer`. With the same
counts, a pair's features equal those the batch pipeline computes over the whole
collection. Memory and time of a query depend on its candidates, not on the file size.
Scoring takes two passes: the first gives values only a candidate holds no weight
(no look-up; for signals whose features can only fall when such values count, see
``bound_by_own_counts`` in :mod:`sellerlink.signals.base`), which bounds every score from
above; the second counts every value of the candidates whose bound reaches ``min_direct``
(and assembles those signals for them and the query only). Every score reported is the
exact one. Signals whose features and evidence read only the counts of values both
accounts hold (``shared_counts_only``: names, contacts) are exact in the first pass already:
a query never looks up the values only its candidates hold. In the first pass these signals
compare the account with its candidates directly (``compare_one``: no table of the batch,
the same floats); their tables are made afterwards for the pairs a query explains only.

Adding accounts scores the new accounts against their candidates (the same two passes) and re-scores the
stored pairs among those candidates (they share a value whose count just changed), and
re-links the holders of a value that just became too common to block on (a pair only that
value proposed is dropped, as in a batch), in one transaction; a crash loses at most the
add in progress. Pairs whose values did not change keep their scores; ``refresh`` brings
every stored pair to today's counts.

Photos: each account's photo hashes, colour and verification thumbnails are stored
(about 3.6 KB a photo), so nothing is read from disk later. A photo is indexed by exact
halves of its window hashes; a new photo probes with every half within two bits of its
own, so it finds a stored photo it is an edit of (crop, mirror, watermark, re-encode,
small rotation: 97% of the batch's matches on real clothing photos); the reverse (the
stored photo is a crop of the new one) is found only when nearly exact (91%). How many
accounts hold a photo is kept per photo (``links`` records which accounts matched, so
that removing one takes its share back).

Example:
    >>> from sellerlink.index import Index
    >>> with Index() as ix:  # in memory; Index.create("file.slx") for a file
    ...     _ = ix.add([{"account_id": "banned", "display_name": "Budi Thrift", "phones": ["0812-3456-7890"]}],
    ...            watchlist=True)
    ...     _ = ix.add({"account_id": "other", "display_name": "Sari Preloved", "phones": ["0813-1111-2222"]})
    ...     r = ix.query({"account_id": "new", "display_name": "thr1ft_budi", "bio": "wa.me/6281234567890"})
    >>> [(ld.violator_id, ld.score > 0.5) for ld in r.leads]
    [('banned', True)]
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import networkx as nx
import numpy as np

from . import linker as _linker_module
from ._arrays import unique_sorted
from .blocking import merge_pairs
from .linker import (
    Fingerprints,
    Lead,
    Linker,
    Match,
    PairTable,
    _extract_all,
    _fork_pool,
    _fresh_pool,
    _rewarn,
    _sendable,
    cluster_graph,
    trace_graph,
)
from .records import Account, load_accounts
from .scoring import Scorer
from .signals.base import RarityContext, pack, stable_hash64, unpack

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMAT", "FORMAT_VERSION", "Index", "IndexFormatError", "QueryResult"]

log = logging.getLogger(__name__)

FORMAT = "sellerlink.index"
FORMAT_VERSION = 3  # 2: photo states, per-photo counts and links; sketches and name tokens in states
# 3: one row per account for the states a query reads (cards), bookkeeping apart (book), 8 KiB pages
_UPGRADES_FROM = (2,)
_PAGE_SIZE = 8192  # most accounts' states fit in one page, so a query reads one page per candidate
_BUILD_ROWS = 5_000  # a build finds candidates for this many accounts at a time
_BUILD_PAIRS = 200_000  # and scores this many pairs at a time
_BOOK_ROWS = 20_000  # an add sorts the keys and writes the book and counts of this many accounts at a time
_UNHELD = 1 << 40  # the count a bounded query context gives values the query does not hold
_CHUNK = (
    900  # SQLite host parameters per statement (the default limit is 999 on old builds)
)
_STATEMENTS = 512  # compiled statements a connection keeps (each IN-list size is one; see _iter_in)

# version 3: an account's signal states in one row (what a query reads), bookkeeping apart
_SCHEMA_V3 = """
CREATE TABLE cards (rid INTEGER PRIMARY KEY, account_id TEXT NOT NULL, state BLOB NOT NULL);
CREATE TABLE book (rid INTEGER NOT NULL, kind TEXT NOT NULL, value BLOB NOT NULL,
                   PRIMARY KEY (rid, kind)) WITHOUT ROWID;
"""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE accounts (rid INTEGER PRIMARY KEY, account_id TEXT NOT NULL UNIQUE,
                       watchlist INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE postings (key INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (key, rid)) WITHOUT ROWID;
CREATE TABLE pcounts (key INTEGER PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE counts (key INTEGER PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE stats (signal TEXT NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL,
                    PRIMARY KEY (signal, name)) WITHOUT ROWID;
CREATE TABLE pairs (a INTEGER NOT NULL, b INTEGER NOT NULL, score REAL NOT NULL,
                    PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE INDEX pairs_b ON pairs (b, a);
"""

# accounts whose photos matched when one of them was added: removing one takes its share of
# the other's photo counts back (signals with ``rarity_updates``)
_SCHEMA_LINKS = """
CREATE TABLE IF NOT EXISTS links (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_b ON links (b, a);
"""


def _join_states(states: Sequence[tuple[str, bytes]]) -> bytes:
    """One account's signal states as one blob: per signal, its name's length (1 byte), the
    name (UTF-8), the state's length (4 bytes, little-endian) and the state."""
    out = bytearray()
    for name, st in states:
        nb = name.encode("utf-8")
        out += len(nb).to_bytes(1, "little") + nb + len(st).to_bytes(4, "little") + st
    return bytes(out)


def _states_in(blob: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(name as UTF-8, start, end) of each state in a :func:`_join_states` blob; a malformed
    blob raises :class:`IndexFormatError`."""
    pos, end = 0, len(blob)
    try:
        while pos < end:
            n = blob[pos]
            name = blob[pos + 1 : pos + 1 + n]
            pos += 1 + n
            size = int.from_bytes(blob[pos : pos + 4], "little")
            pos += 4
            if pos + size > end or not n:
                raise ValueError("truncated")
            yield name, pos, pos + size
            pos += size
    except (IndexError, ValueError) as exc:
        raise IndexFormatError(f"corrupt account states in the index: {exc}") from exc


def _split_states(blob: bytes) -> dict[str, bytes]:
    """Inverse of :func:`_join_states`; a malformed blob raises :class:`IndexFormatError`."""
    try:
        return {name.decode("utf-8"): blob[a:b] for name, a, b in _states_in(blob)}
    except UnicodeDecodeError as exc:
        raise IndexFormatError(f"corrupt account states in the index: {exc}") from exc


def _state_of(blob: bytes, name: str) -> bytes:
    """The state of signal ``name`` in a :func:`_join_states` blob (the others are not copied).
    Reads up to the first state of that name: unlike :func:`_split_states`, it does not check
    the rest of the blob."""
    key = name.encode("utf-8")
    for got, a, b in _states_in(blob):
        if got == key:
            return blob[a:b]
    raise IndexFormatError(f"an account of the index has no {name!r} state")


class _StoredStates(Sequence[bytes]):
    """One signal's states of the accounts with rids ``1..n`` (a build's), read from the cards
    in rid order each time they are iterated; nothing is held between reads."""

    def __init__(self, con: sqlite3.Connection, name: str, n: int) -> None:
        self._con, self._name, self._n = con, name, n

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for rid, card in self._con.execute("SELECT rid, state FROM cards WHERE rid <= ? ORDER BY rid", (self._n,)):
            seen += 1
            if rid != seen:
                raise IndexFormatError(f"the index has no account with rid {seen}")
            yield _state_of(card, self._name)
        if seen != self._n:
            raise IndexFormatError(f"the index has {seen} accounts' states, not {self._n}")

    @overload
    def __getitem__(self, i: int) -> bytes: ...
    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...
    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        j = i + self._n if i < 0 else i
        if not 0 <= j < self._n:
            raise IndexError(i)
        row = self._con.execute("SELECT state FROM cards WHERE rid = ?", (j + 1,)).fetchone()
        if row is None:
            raise IndexFormatError(f"the index has no account with rid {j + 1}")
        return _state_of(row[0], self._name)


class IndexFormatError(ValueError):
    """The file is not a sellerlink index, or one written by another format version."""


@dataclass
class QueryResult:
    """What :meth:`Index.query` found for one account.

    Attributes:
        account_id: the queried account.
        matches: the best-scoring indexed accounts (at most ``k``, scoring at least
            ``min_direct``), best first, with evidence.
        leads: watchlist accounts it leads to, directly or through strongly linked
            indexed accounts, best first (at or above ``min_direct``; compare
            ``score`` with ``threshold``).
        threshold: the linker's threshold.
        n_candidates: how many indexed accounts were compared.
    """

    account_id: str
    matches: list[Match]
    leads: list[Lead]
    threshold: float
    n_candidates: int = 0

    def to_frame(self) -> pd.DataFrame:
        """``right_id, score, evidence`` for the matches, best first."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"account_id": m.right, "score": m.score, "evidence": m.summary()}
                for m in self.matches
            ],
            columns=["account_id", "score", "evidence"],
        )


def _ns(signal: str) -> np.uint64:
    return np.uint64(stable_hash64(signal, "sellerlink.index.ns"))


def _i64(keys: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(keys, dtype=np.uint64).view(np.int64)


def _accepts(fn: Any, name: str) -> bool:
    # a bound method is a new object on every access: its function is what is remembered
    return _accepts_cached(getattr(fn, "__func__", fn), name)


@functools.lru_cache(maxsize=256)
def _accepts_cached(fn: Any, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


_PROBA_CHUNK = 262_144  # pairs scored at a time by _proba beyond which it chunks


@dataclass
class _Batch:
    """Accounts being assembled: ids, rids (-1 = not indexed), states, records."""

    ids: list[str]
    rids: list[int]
    states: dict[str, Sequence[bytes]]  # lists, or a build's _StoredStates
    accounts: list[Account] | None = None


class Index:
    """A persistent index of fingerprinted accounts (see the module docstring).

    Args:
        path: a file path, or ``":memory:"`` (the default) for an index that lives in memory.
        linker: the signals, scorer and settings (threshold, ``max_block``, ``max_hops``)
            to use; default ``Linker()``. Its settings are saved in the file.
        min_direct: pairs scoring at least this are stored (leads below the threshold
            are reported down to it).
        max_candidates: at most this many candidates per account when adding (the ones
            sharing the rarest keys). Each added batch reads and scores its accounts'
            candidates, so this bounds the work of an add whatever the size of the file;
            on a generated market of 12k accounts, 64 kept 1,557 of the 1,558 leads that
            no cap (2000) gave (``benchmarks/index_latency.py --check-batch`` measures it).
        query_candidates: at most this many candidates per :meth:`query`, chosen the same
            way. A query's cost grows with its candidates; on generated markets of 6k and 12k
            accounts, 200 queries found the same leads and matches (scoring 0.1 or more) with
            16 candidates as with 2000 (``benchmarks/index_latency.py`` checks it per size).
        cache_size: value counts remembered between queries (until the file changes); about
            100 bytes each.

    Use :meth:`create` and :meth:`open` for files.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        linker: Linker | None = None,
        min_direct: float = 0.01,
        max_candidates: int = 64,
        query_candidates: int = 32,
        cache_size: int = 1_000_000,
        _mode: str = "create",
        _readonly: bool = False,
    ) -> None:
        self.path = os.fspath(path)
        self.min_direct = float(min_direct)
        if not 0.0 <= self.min_direct < 1.0:
            raise ValueError(f"min_direct must be at least 0 and below 1, got {min_direct!r}")
        self.max_candidates = int(max_candidates)
        self.cache_size = int(cache_size)
        self._cache: dict[str, Any] = {}  # while a query runs: _CountCaches and the stats
        self._cache_version: tuple[int, int, int] | None = None
        self._caching = False
        self._writes = 0
        self.query_candidates = int(query_candidates)
        if self.max_candidates < 1 or self.query_candidates < 1:
            raise ValueError("max_candidates and query_candidates must be at least 1")
        self.readonly = _readonly
        if _mode == "create":
            if (
                self.path != ":memory:"
                and os.path.exists(self.path)
                and os.path.getsize(self.path) > 0
            ):
                raise FileExistsError(
                    f"{self.path} exists; use Index.open to carry on with it"
                )
            self.linker = linker or Linker(progress=False)
            _check_min_direct(self.min_direct, self.linker.threshold)  # before any file is written
            self._con = self._connect(new=True)
            with self._con:
                self._con.executescript(_SCHEMA + _SCHEMA_V3 + _SCHEMA_LINKS)
                self._set_meta("format", FORMAT)
                self._set_meta("version", str(FORMAT_VERSION))
                self._set_meta("settings", json.dumps(self._settings()))
                self._set_meta("n_accounts", "0")
        else:
            self._con = self._connect()
            settings = self._check_format()
            self.linker = linker or Linker(
                scorer=Scorer.from_dict(settings["scorer"]),
                threshold=settings["threshold"],
                max_block=settings["max_block"],
                max_hops=settings["max_hops"],
                # files written before these were saved: the defaults
                **{k: settings[k] for k in ("strong_edge", "hop_decay") if k in settings},
                progress=False,
            )
            names = [s.name for s in self.linker.signals]
            if names != settings["signals"]:
                raise IndexFormatError(
                    f"index was built with signals {settings['signals']}, linker has {names}"
                )
            if not _readonly:
                self._con.executescript(
                    _SCHEMA_LINKS
                )  # files written before photo counts had none
        self.signals = self.linker.signals
        # signals that keep their own counts up to date (photos: a new photo changes the counts
        # of the stored photos it matches), reading raw counts from the context
        self._updaters = [s for s in self.signals if hasattr(s, "rarity_updates")]
        self._raw = {s.name for s in self._updaters}
        self.scorer = self.linker.scorer
        self.threshold = self.linker.threshold
        self.max_block = self.linker.max_block
        if self.min_direct > self.threshold:  # (a file opened with its own settings)
            self.close()
            _check_min_direct(self.min_direct, self.threshold)

    # -- opening and closing ------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str] = ":memory:",
        *,
        linker: Linker | None = None,
        **kw: Any,
    ) -> Index:
        """A new, empty index in ``path`` (which must not exist yet, or be empty)."""
        return cls(path, linker=linker, _mode="create", **kw)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        readonly: bool = False,
        *,
        linker: Linker | None = None,
        **kw: Any,
    ) -> Index:
        """An existing index. Raises :class:`IndexFormatError` for a file that is not one
        (or is from another format version), ``FileNotFoundError`` if there is no file."""
        if not os.path.exists(os.fspath(path)):
            raise FileNotFoundError(f"no index at {os.fspath(path)}")
        return cls(path, linker=linker, _mode="open", _readonly=readonly, **kw)

    def _connect(self, new: bool = False) -> sqlite3.Connection:
        if self.path == ":memory:":
            con = sqlite3.connect(
                ":memory:", isolation_level=None, check_same_thread=False
            )
        elif self.readonly:
            uri = (
                "file:"
                + os.path.abspath(self.path).replace("?", "%3f").replace("#", "%23")
                + "?mode=ro"
            )
            con = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=60.0, cached_statements=_STATEMENTS)
        else:
            con = sqlite3.connect(self.path, isolation_level=None, timeout=60.0, cached_statements=_STATEMENTS)
        try:
            if new:  # only takes effect before the first table, and before WAL mode
                con.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
            con.execute("PRAGMA busy_timeout = 60000")
            if self.path != ":memory:" and not self.readonly:
                con.execute("PRAGMA journal_mode = WAL")
                con.execute("PRAGMA synchronous = NORMAL")
            con.execute("PRAGMA cache_size = -65536")
        except sqlite3.DatabaseError as exc:
            con.close()
            raise IndexFormatError(
                f"{self.path} is not a sellerlink index: {exc}"
            ) from exc
        # explicit transactions only (BEGIN IMMEDIATE ... COMMIT)
        return con

    def _check_format(self) -> dict[str, Any]:
        try:
            rows = dict(self._con.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            self._con.close()
            raise IndexFormatError(
                f"{self.path} is not a sellerlink index: {exc}"
            ) from exc
        if rows.get("format") != FORMAT:
            self._con.close()
            raise IndexFormatError(
                f"{self.path} is not a sellerlink index (format {rows.get('format')!r})"
            )
        if rows.get("version") in {str(v) for v in _UPGRADES_FROM} and not self.readonly:
            self._upgrade(int(rows["version"]))
        elif rows.get("version") in {str(v) for v in _UPGRADES_FROM}:
            self._con.close()
            raise IndexFormatError(
                f"{self.path} is a sellerlink index of format version {rows.get('version')}; this "
                f"sellerlink reads version {FORMAT_VERSION}. Open it for writing once to upgrade it "
                f"in place: sellerlink index upgrade {self.path}"
            )
        elif rows.get("version") != str(FORMAT_VERSION):
            self._con.close()
            raise IndexFormatError(
                f"{self.path} is a sellerlink index of format version {rows.get('version')}; "
                f"this sellerlink reads version {FORMAT_VERSION}"
            )
        try:
            settings = json.loads(rows["settings"])
            if not isinstance(settings, dict):
                raise ValueError("settings is not an object")
            return settings
        except (KeyError, ValueError) as exc:
            self._con.close()
            raise IndexFormatError(f"{self.path}: unreadable settings: {exc}") from exc

    def _upgrade(self, version: int) -> None:
        """Rewrite a version-2 file as version 3, in one transaction: each account's signal
        states move from one row per signal (``states``) to one row (``cards``), the
        bookkeeping rows (``_df``, ``_ix``, ``_st``) to ``book``. Nothing else changes."""
        log.info("upgrading %s from index format %d to %d", self.path, version, FORMAT_VERSION)
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            # another writer may have upgraded the file since it was checked
            now = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if now is not None and now[0] == str(FORMAT_VERSION):
                con.execute("COMMIT")
                return
            # (not executescript: it would commit first, and the upgrade is one transaction)
            for stmt in _SCHEMA_V3.strip().split(";")[:-1]:
                con.execute(stmt)
            con.execute(
                "INSERT INTO book (rid, kind, value) "
                "SELECT rid, signal, state FROM states WHERE signal LIKE '\\_%' ESCAPE '\\'"
            )
            from .linker import _progress

            last = -1
            n = con.execute("SELECT count(*) FROM accounts").fetchone()[0]
            # (a bar on a terminal or in a notebook only: ~0.5 ms per account)
            for _ in _progress(itertools.count(), enabled=None, desc="index upgrade", total=-(-n // 2000)):
                ids = dict(con.execute(
                    "SELECT rid, account_id FROM accounts WHERE rid > ? ORDER BY rid LIMIT 2000", (last,)))
                if not ids:
                    break
                rids = list(ids)
                last = rids[-1]
                per: dict[int, list[tuple[str, bytes]]] = {r: [] for r in rids}
                for rid, sig, st in self._in(
                    "SELECT rid, signal, state FROM states WHERE rid IN ({in}) "
                    "AND signal NOT LIKE '\\_%' ESCAPE '\\' ORDER BY rid, signal", rids
                ):
                    per[rid].append((sig, st))
                con.executemany("INSERT INTO cards (rid, account_id, state) VALUES (?, ?, ?)",
                                ((r, ids[r], _join_states(per[r])) for r in rids))
            con.execute("DROP TABLE states")
            self._set_meta("version", str(FORMAT_VERSION))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    def _settings(self) -> dict[str, Any]:
        lk = self.linker
        return {
            "threshold": lk.threshold,
            "max_block": lk.max_block,
            "max_hops": lk.max_hops,
            "strong_edge": lk.strong_edge,
            "hop_decay": lk.hop_decay,
            "scorer": lk.scorer.to_dict(),
            "signals": [s.name for s in lk.signals],
        }

    def _set_meta(self, key: str, value: str) -> None:
        self._con.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)
        )

    def close(self) -> None:
        """Close the file (idempotent)."""
        con = getattr(self, "_con", None)
        if con is not None:
            con.close()
            self._con = None  # type: ignore[assignment]

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM accounts").fetchone()[0])

    def __contains__(self, account_id: object) -> bool:
        return (
            self._con.execute(
                "SELECT 1 FROM accounts WHERE account_id = ?", (str(account_id),)
            ).fetchone()
            is not None
        )

    def account_ids(self, *, watchlist: bool | None = None) -> list[str]:
        """Indexed account ids in insertion order (only the watchlist, or only the rest)."""
        if watchlist is None:
            q = self._con.execute("SELECT account_id FROM accounts ORDER BY rid")
        else:
            q = self._con.execute(
                "SELECT account_id FROM accounts WHERE watchlist = ? ORDER BY rid",
                (int(watchlist),),
            )
        return [r[0] for r in q]

    # -- counts ---------------------------------------------------------------------------
    def _n_accounts(self) -> int:
        return int(
            self._con.execute(
                "SELECT value FROM meta WHERE key = 'n_accounts'"
            ).fetchone()[0]
        )

    def _lookup(self, table: str, keys: np.ndarray) -> np.ndarray:
        """Values of ``table`` (counts / pcounts) for int64 keys; 0 where absent.

        During a query, values are remembered (``_cache``) until the file changes: most
        keys a query asks about (common shingles, the candidates' values) were asked
        about by an earlier query.
        """
        if not len(keys):
            return np.zeros(0, dtype=np.int64)
        cache = self._cache.get(table) if self._caching else None
        if cache is not None:
            # the keys as given (a query asks ~15 times, mostly a few keys, all remembered):
            # only the ones not remembered are made distinct and looked up
            vals = cache.get(keys)
            miss = np.flatnonzero(vals < 0)
            if len(miss):
                need = unique_sorted(keys[miss])
                fresh = self._lookup_sql(table, need)
                cache.put(need, fresh)
                vals[miss] = fresh[np.searchsorted(need, keys[miss])]
            return vals
        uniq, inv = np.unique(keys, return_inverse=True)
        return self._lookup_sql(table, uniq)[inv.ravel()]

    def _in(self, sql: str, values: Sequence[Any] | np.ndarray) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` for every value, in chunks under SQLite's parameter limit; each
        ``{in}`` of ``sql`` becomes the chunk's placeholders (bound once per occurrence)."""
        return list(self._iter_in(sql, values))

    def _iter_in(self, sql: str, values: Sequence[Any] | np.ndarray) -> Iterator[tuple[Any, ...]]:
        """:meth:`_in` one chunk at a time (only one chunk's rows are held)."""
        vals = values.tolist() if isinstance(values, np.ndarray) else list(values)
        n_in = max(1, sql.count("{in}"))
        step = _CHUNK // n_in
        for s in range(0, len(vals), step):
            part = vals[s : s + step]
            # a list padded to the next of a few sizes with its last value (IN is a set: the
            # rows are the same), so that the statement is one SQLite compiled before: with 300
            # values, compiling a new one cost 0.1-0.3 ms beside the 0.25 ms of running it
            size = _in_size(len(part), step)
            part += part[-1:] * (size - len(part))
            yield from self._con.execute(sql.replace("{in}", ",".join("?" * size)), part * n_in).fetchall()

    def _lookup_sql(self, table: str, uniq: np.ndarray) -> np.ndarray:
        rows = self._in(f"SELECT key, n FROM {table} WHERE key IN ({{in}})", uniq)
        vals = np.zeros(len(uniq), dtype=np.int64)
        if rows:
            got = np.asarray(rows, dtype=np.int64)
            vals[np.searchsorted(uniq, got[:, 0])] = got[:, 1]
        return vals

    def _stats(self) -> dict[str, dict[str, np.ndarray]]:
        out: dict[str, dict[str, np.ndarray]] = {}
        for sig_name, name, blob in self._con.execute(
            "SELECT signal, name, value FROM stats"
        ):
            arrs, _ = unpack(blob)
            out.setdefault(sig_name, {})[name] = arrs["v"]
        return out

    def _context(
        self,
        extra: dict[str, Any] | None = None,
        n_extra: int = 0,
        plus_one: bool = False,
    ) -> RarityContext:
        """Global counts, plus ``extra`` (per signal: sorted int64 keys and their counts) for accounts not in the file
        (``plus_one``: every key asked about counts once more)."""
        extra = extra or {}

        def counts(signal: str, keys: np.ndarray) -> np.ndarray:
            k = _i64(np.asarray(keys, dtype=np.uint64) ^ _ns(signal))
            if signal in self._raw:
                return self._lookup(
                    "counts", k
                )  # 0 = not in the file: the signal knows what to do
            c = self._lookup("counts", k) + int(plus_one)
            add = extra.get(signal)
            if add is not None and len(add[0]):
                ek, ev = add
                pos = np.minimum(np.searchsorted(ek, k), len(ek) - 1)
                c = c + np.where(ek[pos] == k, ev[pos], 0)
            return c

        stats: dict[str, dict[str, np.ndarray]] = {}
        # a query reads the stored statistics once per version of the file (see query)
        if not self._caching:
            stored = self._stats()
        else:
            if "stats" not in self._cache:
                self._cache["stats"] = self._stats()
            stored = self._cache["stats"]
        for sig in self.signals:
            to_ctx = getattr(sig, "stats_to_context", None)
            if to_ctx is None:
                continue
            st = stored.get(sig.name, {})
            add = extra.get("__stats__" + sig.name)  # type: ignore[call-overload]
            if add:
                st = {k: st.get(k, 0) + v for k, v in add.items()}  # type: ignore[union-attr]
            if st:
                stats[sig.name] = to_ctx(st)
        return RarityContext(self._n_accounts() + n_extra, counts, stats)

    # -- assembling tables -------------------------------------------------------------
    def _tables(self, batch: _Batch, ctx: RarityContext | None, focus: np.ndarray | None = None,
                only: Sequence[Any] | None = None, rows: np.ndarray | None = None) -> dict[str, Any]:  # fmt: skip
        """Each signal's table for ``batch``; ``focus``: the rows whose pairs will be compared
        (a signal whose ``assemble`` takes ``focus`` may skip work among the other rows);
        ``rows``: only pairs among these rows will be compared (a signal whose ``assemble``
        takes ``rows`` may leave the others' values out)."""
        tables: dict[str, Any] = {}
        for sig in only if only is not None else self.signals:
            if hasattr(sig, "assemble") and sig.name in batch.states:
                kw: dict[str, Any] = {}
                if focus is not None and _accepts(sig.assemble, "focus"):
                    kw["focus"] = focus
                if rows is not None and _accepts(sig.assemble, "rows"):
                    kw["rows"] = rows
                tables[sig.name] = sig.assemble(batch.ids, batch.states[sig.name], rarity=ctx, **kw)
            else:
                accs = self._accounts_of(batch)
                if _accepts(sig.fingerprint, "rarity"):
                    tables[sig.name] = sig.fingerprint(accs, rarity=ctx)
                else:
                    tables[sig.name] = sig.fingerprint(accs)
        return tables

    def _accounts_of(self, batch: _Batch) -> list[Account]:
        if batch.accounts is None:
            recs = self._records([r for r in batch.rids if r >= 0])
            batch.accounts = [
                Account.from_dict(json.loads(recs[r])) if r >= 0 else Account(i)
                for i, r in zip(batch.ids, batch.rids)
            ]
        return batch.accounts

    def _records(self, rids: Sequence[int]) -> dict[int, str]:
        return dict(self._in("SELECT rid, record FROM accounts WHERE rid IN ({in})", rids))

    def _load_batch(self, rids: Sequence[int], signals: Sequence[str] | None = None) -> _Batch:
        """Ids and stored states of ``rids`` (of every signal, or of ``signals``)."""
        rids = [int(r) for r in rids]
        ids: dict[int, str] = {}
        states: dict[str, dict[int, bytes]] = {}
        # chunk by chunk, so that only one chunk's cards are held beside the split states
        for rid, account_id, card in self._iter_in("SELECT rid, account_id, state FROM cards WHERE rid IN ({in})", rids):
            ids[rid] = account_id
            for sig, st in _split_states(card).items():
                if signals is None or sig in signals:
                    states.setdefault(sig, {})[rid] = st
        return _Batch(
            ids=[ids[r] for r in rids],
            rids=rids,
            states={
                k: [v[r] for r in rids]
                for k, v in states.items()
                if len(v) == len(rids)
            },
        )

    @staticmethod
    def _concat(a: _Batch, b: _Batch) -> _Batch:
        states = {k: [*a.states[k], *b.states[k]] for k in a.states if k in b.states}
        accs = None
        if a.accounts is not None and b.accounts is not None:
            accs = a.accounts + b.accounts
        return _Batch(a.ids + b.ids, a.rids + b.rids, states, accs)

    def _extract(self, accs: list[Account]) -> _Batch:
        states = {
            sig.name: sig.extract(accs)
            for sig in self.signals
            if hasattr(sig, "extract")
        }
        return _Batch(
            [a.account_id for a in accs], [-1] * len(accs), states, list(accs)
        )

    def _keys(self, tables: dict[str, Any], method: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, namespaced int64 keys) over all signals, from ``rarity_keys`` / ``index_keys`` /
        ``probe_keys`` (falling back to ``candidate_keys``); sorted by row then key, distinct per
        row. Sorted ``_BOOK_ROWS`` rows at a time into one array: a build's tens of millions of
        keys were sorted with copies of all of them at once, its largest peak of memory. (Up to
        ``_BOOK_ROWS`` rows, a query's or an add's, in one sort without cutting them into runs.)"""
        found: list[tuple[np.ndarray, np.ndarray]] = []
        n_rows = 0
        for sig in self.signals:
            fn = getattr(sig, method, None)
            if fn is None and method == "probe_keys":
                fn = getattr(sig, "candidate_keys", None)
            if fn is None:
                continue
            r, k = fn(tables[sig.name])
            r = np.asarray(r, dtype=np.int64)
            if len(r):
                found.append((r, _i64(np.asarray(k, dtype=np.uint64) ^ _ns(sig.name))))
                n_rows = max(n_rows, int(r.max()) + 1)
        if n_rows <= _BOOK_ROWS:  # (a query's one row, an add's batch): one sort of them all
            if not found:
                return np.zeros(0, np.int64), np.zeros(0, np.int64)
            return _distinct_pairs(np.concatenate([r for r, _ in found]), np.concatenate([k for _, k in found]))
        parts = [p for r, k in found for p in _row_runs(r, k)]
        found.clear()
        total = sum(len(r) for r, _ in parts)
        rows, keys = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
        m = 0
        for s0 in range(0, n_rows, _BOOK_ROWS):
            r, k = _distinct_pairs(*_parts_between(parts, s0, s0 + _BOOK_ROWS))
            rows[m : m + len(r)], keys[m : m + len(r)] = r, k
            m += len(r)
        return rows[:m], keys[:m]

    def _rarity_per_signal(
        self, tables: dict[str, Any]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for sig in self.signals:
            fn = getattr(sig, "rarity_keys", None)
            if fn is not None:
                r, k = fn(tables[sig.name])
                out[sig.name] = (
                    np.asarray(r, dtype=np.int64),
                    _i64(np.asarray(k, np.uint64) ^ _ns(sig.name)),
                )
        return out

    def _candidates(self, keys: np.ndarray, rows: np.ndarray | None = None, *, limit: int | None = None,
                    own: np.ndarray | None = None,
                    postings: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """(rows, rids) of indexed accounts sharing a candidate key with each row, at most
        ``limit`` per row (those sharing the rarest keys).

        As in the batch pipeline, a key held by more than ``max_block`` accounts proposes no
        pairs. For a query (``own`` None) the account is not indexed, so a key counts as held
        by one more account than the file says. ``own``: each row's own rid (indexed rows,
        when adding, refreshing or removing): its postings are in the file already, and the
        row never takes one of its own ``limit`` slots. ``postings``: (keys, rids) sorted by
        key then rid, to use instead of the file's (a build, whose postings are all in memory).
        """
        if rows is None:
            rows = np.zeros(len(keys), dtype=np.int64)
        if not len(keys):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if postings is None:
            held = self._lookup("pcounts", keys)
        else:  # a key's count is its number of postings
            held = np.searchsorted(postings[0], keys, side="right") - np.searchsorted(postings[0], keys, side="left")
        ok = (held > 0) & (held + (own is None) <= self.max_block)
        keys, rows, held = keys[ok], rows[ok], held[ok]
        # a shared key is worth more the fewer accounts hold it (ranks candidates under ``limit``)
        weight = np.log1p(self.max_block / np.maximum(held, 1))
        # postings sorted by (key, rid); each probe takes its key's run (no loop over probes:
        # an add probes with ~300 keys per account)
        if postings is None:
            got = self._in("SELECT key, rid FROM postings WHERE key IN ({in})", unique_sorted(keys))
            post = np.asarray(got, dtype=np.int64).reshape(-1, 2)
            post = post[np.lexsort((post[:, 1], post[:, 0]))]
            pkeys, prids = post[:, 0], post[:, 1]
        else:
            pkeys, prids = postings
        start = np.searchsorted(pkeys, keys, side="left")
        n_hits = np.searchsorted(pkeys, keys, side="right") - start
        cr = np.repeat(rows, n_hits)
        kw = np.repeat(weight, n_hits)
        first = np.repeat(start - (np.cumsum(n_hits) - n_hits), n_hits)
        cc = prids[first + np.arange(len(cr), dtype=np.int64)] if len(cr) else np.zeros(0, np.int64)
        if own is not None and len(cc):
            other = cc != np.asarray(own, dtype=np.int64)[cr]
            cr, cc, kw = cr[other], cc[other], kw[other]
        if limit is not None and len(cc):
            # per row, the candidates sharing the rarest keys first (sum of key weights); each
            # (row, candidate) as one int64 (a stable sort keeps each pair's weights in their
            # order, so the sums are those of a bincount over the unsorted hits)
            span = int(cc.max()) + 1
            code = cr * span + cc
            order = np.argsort(code, kind="stable")
            code = code[order]
            first = np.ones(len(code), dtype=bool)
            first[1:] = code[1:] != code[:-1]
            total = np.bincount(np.cumsum(first) - 1, weights=kw[order])
            code = code[first]
            cr, cc = code // span, code % span
            order = np.lexsort((cc, -np.round(total, 9), cr))
            cr, cc = cr[order], cc[order]
            rank = np.arange(len(cr)) - np.searchsorted(cr, cr, side="left")
            cr, cc = cr[rank < limit], cc[rank < limit]
        return cr, cc

    def _features(self, tables: dict[str, Any], left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
        feats: dict[str, np.ndarray] = {}
        for sig in self.signals:
            feats.update(sig.compare(tables[sig.name], left, right).values)
        return feats

    def _score(
        self, batch: _Batch, tables: dict[str, Any], left: np.ndarray, right: np.ndarray,
        feats: dict[str, np.ndarray] | None = None,
    ) -> PairTable:  # fmt: skip
        accs = batch.accounts if batch.accounts is not None else [Account(i) for i in batch.ids]
        feats = self._features(tables, left, right) if feats is None else feats
        return PairTable(Fingerprints(list(accs), dict(tables)), self.signals, self.scorer, left, right, dict(feats))

    # -- add / remove -----------------------------------------------------------------------
    def _begin(self) -> None:
        if self.readonly:
            raise PermissionError("this index was opened read-only")
        self._con.execute("BEGIN IMMEDIATE")
        self._writes += 1

    def add(self, accounts: Any, *, watchlist: bool = False) -> int:
        """Add one account or a batch (anything :func:`~sellerlink.load_accounts` reads, or one
        record / :class:`~sellerlink.Account`), on the watchlist or not, in one transaction.

        Raises ``ValueError`` for an id that is already indexed (remove it first). Returns
        the number of accounts added.
        """
        accs = _as_accounts(accounts, self.linker)
        if not accs:
            return 0
        return self._add(accs, None, watchlist)

    def add_many(
        self,
        accounts: Iterable[Any],
        *,
        batch: int = 2000,
        watchlist: bool = False,
        workers: int = 1,
        progress: bool | None = False,
        total: int | None = None,
    ) -> int:
        """Add a stream of accounts, ``batch`` per transaction: an iterable of records or
        :class:`~sellerlink.Account`, or a file (path or open file, read as it goes), or
        anything :meth:`add` takes. The result is that of :meth:`add` on each batch in turn.

        With ``workers`` > 1, ``workers - 1`` worker processes fingerprint the next batches
        while this one links the current batch (fingerprinting is a third to a half of the
        work; linking stays in this process, the one writer): ``workers`` is the number of
        cores kept busy. An interruption keeps the batches
        committed so far (their count is in the exception's notes). ``total``: accounts
        expected, for the progress bar. Returns the number of accounts added.
        """
        from .linker import _progress

        if batch < 1 or workers < 1:
            raise ValueError("batch and workers must be at least 1")
        chunks = _chunks(self._stream(accounts), batch, self.linker)
        bar = _progress(chunks, enabled=progress, desc="index add",
                        total=None if total is None else -(-total // batch))  # fmt: skip
        added = 0
        try:
            for accs, states in self._extracted(bar, workers):
                added += self._add(accs, states, watchlist)
            return added
        except BaseException as exc:
            if hasattr(exc, "add_note"):  # Python 3.11+
                exc.add_note(f"{added} accounts were added (in committed batches of {batch}) before this")
            raise

    def _stream(self, accounts: Any) -> Iterable[Any]:
        """What :meth:`add_many` takes, as an iterable (a file is read as it goes)."""
        if isinstance(accounts, (str, os.PathLike)) or hasattr(accounts, "read"):  # a file: streamed
            from .records import iter_accounts

            return iter_accounts(accounts, limits=self.linker.limits)
        if isinstance(accounts, (dict, bytes, Account)) or hasattr(accounts, "iterrows"):  # one value
            return _as_accounts(accounts, self.linker)
        return accounts

    def build(
        self,
        accounts: Any,
        *,
        watchlist: Any = (),
        batch: int = 2000,
        workers: int = 1,
        progress: bool | None = False,
        total: int | None = None,
    ) -> int:
        """Fill an empty index with ``watchlist`` (known violators) and ``accounts`` in one
        pass: each is anything :meth:`add_many` takes.

        The accounts are fingerprinted ``batch`` at a time (by ``workers`` worker processes
        when ``workers`` > 1), then counted and linked among themselves in memory,
        as :class:`~sellerlink.Linker` links a batch, instead of looking each account's
        candidates up in the file as :meth:`add` does. The result is the index that adding all
        of them in one :meth:`add` would give (the same counts, postings and candidates, at most
        ``max_candidates`` an account; the same pair scores), in a fraction of the time of
        :meth:`add_many` for a large first load (``benchmarks/README.md``, section 4). Memory
        grows with the accounts, as for a link.

        One transaction: an interrupted build leaves the index empty. On a file, the build
        writes a rollback journal instead of the write-ahead log when no one else has the file
        open, so that it needs no second copy of the file on disk. ``total``: live accounts
        expected, for the progress bar. Returns the number of accounts added.
        """
        from .linker import _progress

        if batch < 1 or workers < 1:
            raise ValueError("batch and workers must be at least 1")
        if len(self):
            raise ValueError(f"build fills an empty index; this one holds {len(self)} accounts "
                             "(use add or add_many)")  # fmt: skip
        if self.readonly:
            raise PermissionError("this index was opened read-only")
        journal = self._path_journal("DELETE")
        ids: list[str] = []
        seen: set[str] = set()
        names: list[str] = []  # the signals that wrote states
        try:
            self._begin()
            for stream, flag in ((watchlist, True), (accounts, False)):
                chunks = _chunks(self._stream(stream), batch, self.linker)
                desc = "index build: fingerprints" + (" (watchlist)" if flag else "")
                bar = _progress(chunks, enabled=progress, desc=desc,
                                total=None if total is None or flag else -(-total // batch))  # fmt: skip
                # this process only writes the states as they come: every core fingerprints
                for accs, st in self._extracted(bar, workers, all_cores=True):
                    if st is None:
                        st = self._extract(accs).states
                    for a in accs:
                        if a.account_id in seen:
                            raise ValueError(f"duplicate account_id: {a.account_id!r}")
                        seen.add(a.account_id)
                    rids = list(range(len(ids) + 1, len(ids) + 1 + len(accs)))
                    self._insert_accounts(rids, accs, st, flag)
                    ids.extend(a.account_id for a in accs)
                    names = names or list(st)
            if ids:
                # the states are read back from the file, a signal at a time, as its table is
                # assembled: holding them all was ~6 KB an account (7 GB at 1M), and the heap
                # they had freed stayed with the process through the rest of the build
                states = {name: _StoredStates(self._con, name, len(ids)) for name in names}
                new = _Batch(ids, list(range(1, len(ids) + 1)), states, None)
                # the counts of the whole set are those of the file
                local: dict[str, Any] = {}
                for sig in _progress(self.signals, enabled=progress, desc="index build: tables"):
                    local.update(self._tables(new, None, only=[sig]))
                _, postings = self._insert_keys(new.rids, local, empty=True)
                self._link_all(new, local, postings, progress)
            self._con.execute("COMMIT")
        except BaseException:
            if self._con.in_transaction:
                self._con.execute("ROLLBACK")
            raise
        finally:
            if journal and self._path_journal(journal) is None:
                log.warning("%s: could not switch back to %s journal mode (another connection has the "
                            "file open); the next writer to open it will", self.path, journal)
        return len(ids)

    def _path_journal(self, mode: str) -> str | None:
        """Switch a file index's journal mode to ``mode``; the mode it had, or None if nothing
        changed (in memory, already in ``mode``, or another connection has the file open)."""
        if self.path == ":memory:":
            return None
        old = str(self._con.execute("PRAGMA journal_mode").fetchone()[0]).upper()
        try:
            got = str(self._con.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0]).upper()
        except sqlite3.OperationalError:
            return None
        return old if got == mode.upper() and old != got else None

    def _updating(self, tables: dict[str, Any]) -> list[Any]:
        """The signals keeping their own counts (photos) that some row of ``tables`` has a value of."""
        return [sig for sig in self._updaters if sig.name in tables and len(sig.index_keys(tables[sig.name])[1])]

    def _link_all(self, new: _Batch, local: dict[str, Any], postings: tuple[np.ndarray, np.ndarray],
                  progress: bool | None) -> None:  # fmt: skip
        """Pairs among a build's accounts (all of the file's): :meth:`_link_new`'s candidates
        and scores, from the postings (keys, rids sorted by key then rid) and tables in memory."""
        from .linker import _progress

        rid_arr = np.asarray(new.rids, dtype=np.int64)
        tables = dict(local)
        # counts the signals keep themselves (photos) are the file's once these are done; a
        # signal none of the accounts has a value of (no photos) changes none
        upd = self._updating(local)
        if upd:
            ctx = self._context()
            self._update_counts(rid_arr, np.zeros(0, dtype=np.int64), ctx, +1)
            tables.update(self._tables(new, ctx, only=upd))
        rows, keys = self._keys(tables, "probe_keys")  # sorted by row
        edges = np.searchsorted(rows, np.arange(0, len(rid_arr) + _BUILD_ROWS, _BUILD_ROWS))
        lo_l, hi_l = [], []
        spans = list(zip(edges[:-1].tolist(), edges[1:].tolist()))
        for s0, s1 in _progress(spans, enabled=progress, desc="index build: candidates", total=len(spans)):
            cr, cc = self._candidates(keys[s0:s1], rows[s0:s1], limit=self.max_candidates, own=rid_arr,
                                      postings=postings)  # fmt: skip
            a = rid_arr[cr]
            keep = a != cc
            lo_l.append(a[keep])
            hi_l.append(cc[keep])
        del postings, rows, keys
        lo, hi = merge_pairs([(np.concatenate(lo_l), np.concatenate(hi_l))])
        del lo_l, hi_l
        starts = range(0, len(lo), _BUILD_PAIRS)
        for s0 in _progress(starts, enabled=progress, desc="index build: pairs", total=len(starts)):
            a, b = lo[s0 : s0 + _BUILD_PAIRS], hi[s0 : s0 + _BUILD_PAIRS]
            score = self._proba(self._features(tables, np.searchsorted(rid_arr, a), np.searchsorted(rid_arr, b)))
            ok = score >= self.min_direct
            self._con.executemany("INSERT INTO pairs (a, b, score) VALUES (?, ?, ?)", _tuples(a[ok], b[ok], score[ok]))

    def _extracted(self, chunks: Iterable[list[Account]], workers: int, *, all_cores: bool = False
                   ) -> Iterator[tuple[list[Account], dict[str, list[bytes]] | None]]:  # fmt: skip
        """Each chunk with its states: fingerprinted by ``workers - 1`` worker processes a few
        chunks ahead (``None``: to fingerprint in this process, ``workers`` 1), or by
        ``workers`` processes (``all_cores``: this one has little else to do meanwhile)."""
        if workers <= 1:
            for accs in chunks:
                yield accs, None
            return
        if all_cores:
            workers += 1
        sigs = [sig for sig in self.signals if hasattr(sig, "extract")]
        # started afresh, so they do not pin this process's pages (forked children
        # keep the old copy of every page the writer changes); signals that cannot
        # be sent to such a process are inherited by forked ones instead
        fresh = all(_sendable(sig) for sig in sigs)
        pool = (_fresh_pool if fresh else _fork_pool)(workers - 1, sigs)
        try:
            pending: list[tuple[list[Account], Any]] = []
            it = iter(chunks)
            while True:
                while len(pending) < workers:  # the worker processes stay busy, memory stays bounded
                    accs = next(it, None)
                    if accs is None:
                        break
                    pending.append((accs, pool.apply_async(_extract_all, (accs,))))
                if not pending:
                    return
                accs, job = pending.pop(0)
                states, cpu, caught = job.get()
                _linker_module._WORKER_CPU_S += cpu  # what the workers spent, for benchmarks
                _rewarn(caught)
                yield accs, states
        finally:
            pool.terminate()
            pool.join()

    def _add(self, accs: list[Account], states: dict[str, list[bytes]] | None, watchlist: bool) -> int:
        ids = [a.account_id for a in accs]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate account_id within the batch")
        known = self._existing(ids)
        if known:
            raise ValueError(
                f"already indexed (remove them first): {sorted(known)[:5]}"
            )
        new = self._extract(accs) if states is None else _Batch(ids, [-1] * len(accs), states, list(accs))
        local = self._tables(new, None)
        self._begin()
        try:
            start = self._next_rid()
            rids = list(range(start, start + len(accs)))
            self._insert_accounts(rids, accs, new.states, watchlist)
            crossed, _ = self._insert_keys(rids, local)
            new.rids = rids
            self._link_new(new, self._holders(crossed))
            self._con.execute("COMMIT")
        except BaseException:
            if self._con.in_transaction:
                self._con.execute("ROLLBACK")
            raise
        return len(accs)

    def _next_rid(self) -> int:
        return int(self._con.execute("SELECT COALESCE(MAX(rid), 0) FROM accounts").fetchone()[0]) + 1

    def _insert_accounts(self, rids: Sequence[int], accs: Sequence[Account], states: dict[str, list[bytes]],
                         watchlist: bool) -> None:  # fmt: skip
        """The accounts' records and their states (one row each), under ``rids``."""
        self._con.executemany(
            "INSERT INTO accounts (rid, account_id, watchlist, record) VALUES (?, ?, ?, ?)",
            [
                (r, a.account_id, int(watchlist), json.dumps(a.to_dict(), ensure_ascii=False))
                for r, a in zip(rids, accs)
            ],
        )
        self._con.executemany(
            "INSERT INTO cards (rid, account_id, state) VALUES (?, ?, ?)",
            [
                (rids[i], accs[i].account_id, _join_states([(name, sts[i]) for name, sts in states.items()]))
                for i in range(len(accs))
            ],
        )

    def _insert_keys(self, rids: Sequence[int], local: dict[str, Any], *, empty: bool = False
                     ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:  # fmt: skip
        """What new accounts (``rids``, whose tables among themselves are ``local``) add to the
        counts, postings, statistics and book. Returns the keys this makes too common to
        propose pairs (none if the file was ``empty``), and the accounts' postings (keys,
        rids; sorted by key then rid)."""
        n = len(rids)
        # per account, what it added to the counts (so that remove() can take it back) and its
        # index keys, a chunk of rows at a time: each signal's keys cut into its runs of rows
        # (views; sorted by row only when there are many runs), not a scan per account (that was
        # quadratic in the batch) nor a sorted copy of all of them beside them
        df_parts = [run for r, k in self._rarity_per_signal(local).values() for run in _row_runs(r, k)]
        ix_rows, ix_keys = self._keys(local, "index_keys")  # sorted by row
        stat_sigs = [s for s in self.signals if hasattr(s, "rarity_stats")]
        stats = {s.name: s.rarity_stats(local[s.name]) for s in stat_sigs}
        def book(s0: int, df_own: list[np.ndarray], ix_own: list[np.ndarray]) -> Iterator[tuple[int, str, bytes]]:
            for j in range(len(df_own)):
                i = s0 + j
                yield rids[i], "_df", pack({"k": df_own[j]})
                yield rids[i], "_ix", pack({"k": ix_own[j]})
                # each row's share of the additive statistics (so that remove() can subtract it)
                one = np.array([i])
                per = {f"{sig.name}.{k}": v for sig in stat_sigs for k, v in sig.rarity_stats(local[sig.name], rows=one).items()}
                yield rids[i], "_st", pack({k: np.asarray(v, np.float64) for k, v in per.items()})

        for s0 in range(0, n, _BOOK_ROWS):
            s1 = min(n, s0 + _BOOK_ROWS)
            df_own, df_keys = _rows_between(df_parts, s0, s1)
            ix_own, _ = _rows_between([(ix_rows, ix_keys)], s0, s1)
            self._bump("counts", df_keys, +1)
            self._con.executemany("INSERT INTO book (rid, kind, value) VALUES (?, ?, ?)", book(s0, df_own, ix_own))
        del df_parts
        # keys this add makes too common to propose pairs: the stored pairs among their
        # holders were found through them while they were rare, and must be re-scored now
        if empty:
            crossed = np.zeros(0, dtype=np.int64)
        else:
            uk, inc = np.unique(ix_keys, return_counts=True)
            before = self._lookup("pcounts", uk)
            crossed = uk[(before > 0) & (before <= self.max_block) & (before + inc > self.max_block)]
        self._bump("pcounts", ix_keys, +1)
        rid_arr = np.asarray(rids, dtype=np.int64)[ix_rows]
        del ix_rows
        order = np.lexsort((rid_arr, ix_keys))  # in the table's order: B-tree appends, not random inserts
        postings = (ix_keys[order], rid_arr[order])
        del rid_arr, order, ix_keys
        self._con.executemany("INSERT OR IGNORE INTO postings (key, rid) VALUES (?, ?)", _tuples(*postings))
        for sname, st in stats.items():
            self._add_stats(sname, st, +1)
        self._set_meta("n_accounts", str(self._n_accounts() + n))
        return crossed, postings

    def existing(self, account_ids: Iterable[str]) -> set[str]:
        """The ids among ``account_ids`` that are indexed."""
        return self._existing([str(x) for x in account_ids])

    def _existing(self, ids: Sequence[str]) -> set[str]:
        return {r[0] for r in self._in("SELECT account_id FROM accounts WHERE account_id IN ({in})", ids)}

    def _bump(self, table: str, keys: np.ndarray, sign: int) -> None:
        if not len(keys):
            return
        u, c = np.unique(keys, return_counts=True)
        self._con.executemany(
            f"INSERT INTO {table} (key, n) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET n = n + excluded.n",
            _tuples(u, c * sign),
        )
        if sign < 0:
            self._drop_empty(table, u)

    def _add_stats(self, sname: str, st: dict[str, np.ndarray], sign: int) -> None:
        cur = self._stats().get(sname, {})
        for name, v in st.items():
            val = cur.get(name, 0) + sign * np.asarray(v, dtype=np.float64)
            self._con.execute(
                "INSERT OR REPLACE INTO stats (signal, name, value) VALUES (?, ?, ?)",
                (sname, name, pack({"v": np.asarray(val, dtype=np.float64)})),
            )

    def _holders(self, keys: np.ndarray) -> np.ndarray:
        """Indexed accounts holding any of ``keys`` (postings)."""
        rows = self._in("SELECT DISTINCT rid FROM postings WHERE key IN ({in})", keys)
        return unique_sorted(np.asarray([r[0] for r in rows], dtype=np.int64))

    def _probe_candidates(self, batch: _Batch, ctx: RarityContext) -> tuple[np.ndarray, np.ndarray]:
        """(rows, rids): each indexed row's candidates as its add links them: its probe keys
        under ``ctx``, at most ``max_candidates`` a row. (A remove finds them again the same
        way, to re-score the pairs its add re-scored; a re-link proposes its rows' pairs so.)"""
        # probe keys need no matching among the rows (empty focus skips it)
        tables = self._tables(batch, ctx, focus=np.zeros(0, dtype=np.int64))
        rows, keys = self._keys(tables, "probe_keys")
        return self._candidates(keys, rows, limit=self.max_candidates, own=np.asarray(batch.rids, dtype=np.int64))

    def _link_new(self, new: _Batch, holders: np.ndarray | None = None) -> None:
        """Score new accounts against their candidates; re-score stored pairs among the candidates
        (and among ``holders``: accounts sharing a value that just became too common)."""
        ctx = self._context()
        rid_new = np.asarray(new.rids, dtype=np.int64)
        cr, cc = self._probe_candidates(new, ctx)
        a = rid_new[cr]
        keep = a != cc
        a, b = a[keep], cc[keep]
        affected = unique_sorted(b)
        old = np.setdiff1d(affected, rid_new)
        self._update_counts(rid_new, old, ctx, +1)
        stored = self._pairs_within(old)
        self._rescore(np.concatenate([a, stored[0]]), np.concatenate([b, stored[1]]), ctx, stored)
        if holders is not None and len(holders):
            # their pairs through the now-common value are gone, as in a batch: keep only the
            # stored pairs still proposed by another key. A key only ever grows on add, so no
            # pair among the holders that was not stored can appear: only the stored ones (few:
            # most holders of a common value share nothing else) need their candidates again.
            old_h = np.setdiff1d(holders, rid_new)
            sa, sb = self._pairs_within(old_h)
            self._relink_within(unique_sorted(np.concatenate([sa, sb])), ctx, keep_stored=False)

    def _relink_within(self, rids: np.ndarray, ctx: RarityContext, *, keep_stored: bool) -> None:
        """Re-score the pairs among ``rids`` that their candidate keys propose today (and, with
        ``keep_stored``, the pairs among them stored already; without it those not proposed
        any more are dropped)."""
        if not len(rids):
            return
        cr, cc = self._probe_candidates(self._load_batch(rids.tolist()), ctx)
        a = rids[cr]
        inside = np.isin(cc, rids) & (a != cc)
        stored = self._pairs_within(rids)
        if keep_stored:
            self._rescore(np.concatenate([a[inside], stored[0]]), np.concatenate([cc[inside], stored[1]]), ctx, stored)
        else:
            self._rescore(a[inside], cc[inside], ctx, stored)

    def _update_counts(
        self, rids: np.ndarray, others: np.ndarray, ctx: RarityContext, sign: int
    ) -> None:
        """Counts kept by the signals themselves (``rarity_updates``) as ``rids`` join (+1) or
        leave (-1) the file; ``others``: the indexed accounts whose values may match theirs."""
        if not self._updaters or not len(rids):
            return
        rows = np.arange(len(rids), dtype=np.int64)
        # accounts with no value of these signals (no photos) change no count: only their
        # own states are read to find that out
        own = self._load_batch(np.asarray(rids).tolist(), [s.name for s in self._updaters])
        updaters = [s for s in self._updaters if s.name in own.states and len(s.index_keys(
            self._tables(own, ctx, focus=rows, only=[s])[s.name])[1])]  # fmt: skip
        if not updaters:
            return
        allr = np.concatenate(
            [np.asarray(rids, dtype=np.int64), np.setdiff1d(others, rids)]
        )
        batch = self._load_batch(allr.tolist(), [s.name for s in updaters])
        tables = self._tables(batch, ctx, focus=rows, only=updaters)
        links: list[tuple[int, int]] = []
        for sig in updaters:
            if sig.name not in tables:
                continue
            t = tables[sig.name]
            keys, deltas = sig.rarity_updates(t, rows)
            nk = _i64(np.asarray(keys, dtype=np.uint64) ^ _ns(sig.name))
            self._bump_by("counts", nk, sign * np.asarray(deltas, dtype=np.int64))
            if (
                sign < 0
            ):  # the leaving accounts' own values are gone, whatever their count was
                own = getattr(sig, "own_keys", None)
                if own is not None:
                    ok = _i64(np.asarray(own(t, rows), dtype=np.uint64) ^ _ns(sig.name))
                    self._con.executemany(
                        "DELETE FROM counts WHERE key = ?",
                        ((int(k),) for k in ok.tolist()),
                    )
            elif hasattr(sig, "linked_rows"):
                la, lb = sig.linked_rows(t, rows)
                links.extend(zip(allr[la].tolist(), allr[lb].tolist()))
        if links:
            self._con.executemany("INSERT OR IGNORE INTO links (a, b) VALUES (?, ?)",
                                  ((min(x, y), max(x, y)) for x, y in links if x != y))  # fmt: skip

    def _linked(self, rids: np.ndarray) -> np.ndarray:
        """Accounts recorded in ``links`` with any of ``rids``."""
        rows = self._in("SELECT b FROM links WHERE a IN ({in}) UNION SELECT a FROM links WHERE b IN ({in})", rids)
        return np.setdiff1d(np.asarray([r[0] for r in rows], dtype=np.int64), rids)

    def _bump_by(self, table: str, keys: np.ndarray, deltas: np.ndarray) -> None:
        if not len(keys):
            return
        u, inv = np.unique(keys, return_inverse=True)
        d = np.bincount(inv.ravel(), weights=deltas, minlength=len(u)).astype(np.int64)
        nz = d != 0
        self._con.executemany(
            f"INSERT INTO {table} (key, n) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET n = n + excluded.n",
            _tuples(u[nz], d[nz]),
        )
        if (d < 0).any():
            self._drop_empty(table, u[d < 0])

    def _drop_empty(self, table: str, keys: np.ndarray) -> None:
        """Delete the rows of ``keys`` whose count fell to zero (looked up by key: a scan of
        ``n`` would read the whole table on every remove)."""
        self._in(f"DELETE FROM {table} WHERE key IN ({{in}}) AND n <= 0", keys)

    def _pairs_within(self, rids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(rids):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        self._con.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _sel (rid INTEGER PRIMARY KEY)"
        )
        self._con.execute("DELETE FROM _sel")
        self._con.executemany(
            "INSERT INTO _sel (rid) VALUES (?)", ((int(r),) for r in rids)
        )
        got = self._con.execute(
            "SELECT p.a, p.b FROM pairs p JOIN _sel s1 ON p.a = s1.rid JOIN _sel s2 ON p.b = s2.rid"
        ).fetchall()
        self._con.execute("DELETE FROM _sel")
        arr = np.asarray(got, dtype=np.int64).reshape(-1, 2)
        return arr[:, 0].copy(), arr[:, 1].copy()

    def _rescore(self, a: np.ndarray, b: np.ndarray, ctx: RarityContext, replace: tuple[np.ndarray, np.ndarray]
                 ) -> None:  # fmt: skip
        """Score pairs of rids with the global counts; store those >= min_direct, drop the rest."""
        lo, hi = merge_pairs([(a, b)])
        if len(replace[0]):
            self._con.executemany(
                "DELETE FROM pairs WHERE a = ? AND b = ?",
                zip(replace[0].tolist(), replace[1].tolist()),
            )
        if not len(lo):
            return
        need = unique_sorted(np.concatenate([lo, hi]))
        batch = self._load_batch(need.tolist())
        li = np.searchsorted(need, lo)
        ri = np.searchsorted(need, hi)
        score = self._pair_scores(batch, ctx, li, ri)
        ok = score >= self.min_direct
        self._con.executemany(
            "INSERT OR REPLACE INTO pairs (a, b, score) VALUES (?, ?, ?)",
            zip(lo[ok].tolist(), hi[ok].tolist(), score[ok].tolist()),
        )

    def _pair_scores(self, batch: _Batch, ctx: RarityContext, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
        """Scores of the pairs ``(li, ri)`` of ``batch`` rows, exact for every pair scoring at
        least ``min_direct`` (the others are at most that: they are not kept).

        As in a query, a first pass does not look up the values that only the far end of
        a pair holds (for signals that allow it, see ``signals.base``): a pair whose bound
        falls short is done; the others are scored again among the rows they involve,
        with every value counted.
        """
        focus = unique_sorted(li)  # every pair has its left end in focus
        bound = self._bound_signals()
        if not bound or not len(li):
            return self._proba(self._features(self._tables(batch, ctx, focus=focus), li, ri))
        # one end of each pair is counted exactly: the side with fewer distinct rows
        near = focus if len(focus) <= len(unique_sorted(ri)) else unique_sorted(ri)
        sub = self._subset(batch, near)
        keys = {sig.name: self._row_keys(sig, self._tables(sub, None, only=[sig])[sig.name]) for sig in bound}
        tables = self._tables(batch, self._bounded(ctx, keys), focus=focus)
        feats = self._features(tables, li, ri)
        score = self._proba(feats)
        kept = np.flatnonzero(score >= self.min_direct)
        if not len(kept):
            return score
        rows = unique_sorted(np.concatenate([li[kept], ri[kept]]))
        sl, sr = np.searchsorted(rows, li[kept]), np.searchsorted(rows, ri[kept])
        exact = self._tables(self._subset(batch, rows), ctx, focus=unique_sorted(sl), only=bound)
        feats = {k: v.copy() for k, v in feats.items()}
        for sig in bound:
            for name, v in sig.compare(exact[sig.name], sl, sr).values.items():
                feats[name][kept] = v
        return self._proba(feats)

    def _proba(self, feats: dict[str, np.ndarray]) -> np.ndarray:
        """The scores a :class:`PairTable` of these features would hold."""
        from .linker import _plain_scorer

        if _plain_scorer(self.scorer) and next(map(len, feats.values()), 0) > _PROBA_CHUNK:
            return self.scorer.weights_and_proba(feats, chunk=_PROBA_CHUNK)[1]  # (bounded temporaries)
        return self.scorer.predict_proba(feats)  # (the same floats: see weights_and_proba)

    def _bound_signals(self) -> list[Any]:
        """Signals whose scores a first pass may bound without counting the far end's values
        (``bound_by_own_counts``, and a scorer that never falls as their features rise)."""
        return [sig for sig in self.signals
                if getattr(sig, "bound_by_own_counts", False) and self.scorer.nondecreasing(sig.name)]  # fmt: skip

    def _shared_count_signals(self) -> list[Any]:
        """Signals whose features and evidence for a pair read only the counts of values both
        rows hold (``shared_counts_only``): exact with a context that knows only one row's."""
        return [sig for sig in self.signals if getattr(sig, "shared_counts_only", False)]

    @staticmethod
    def _row_keys(sig: Any, table: Any, rows: np.ndarray | None = None) -> np.ndarray:
        """Sorted distinct namespaced rarity keys of a signal's table (of ``rows``: all if None)."""
        r, k = sig.rarity_keys(table)
        k = _i64(np.asarray(k, dtype=np.uint64) ^ _ns(sig.name))
        return unique_sorted(k if rows is None else k[np.isin(r, rows)])

    @staticmethod
    def _subset(batch: _Batch, rows: Sequence[int] | np.ndarray) -> _Batch:
        rows = [int(r) for r in rows]
        return _Batch(
            [batch.ids[r] for r in rows],
            [batch.rids[r] for r in rows],
            {k: [v[r] for r in rows] for k, v in batch.states.items()},
            None if batch.accounts is None else [batch.accounts[r] for r in rows],
        )

    def compact(self) -> None:
        """Rewrite the file without its free pages, in 8 KiB pages (``VACUUM``): after an
        upgrade or many removals. Needs the index to itself (no other reader or writer) and
        free disk space about the file's size; the index stays usable, and in WAL mode, after."""
        if self.readonly:
            raise PermissionError("index opened read-only")
        if self.path == ":memory:":
            return
        try:
            # the page size can only change outside WAL mode
            self._con.execute("PRAGMA journal_mode = DELETE")
            self._con.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
            self._con.execute("VACUUM")
        finally:
            self._con.execute("PRAGMA journal_mode = WAL")
        self._writes += 1

    def refresh(self, *, batch: int = 2000, progress: bool | None = False) -> int:
        """Re-link every indexed account against its candidates with today's counts.

        Adding accounts re-scores the pairs around each new value, but a pair whose
        values did not change keeps the score it got when it was stored, computed with the
        counts and style statistics of that day. After the collection has grown a lot
        (say, doubled), ``refresh`` brings every stored pair to what linking everything at
        once would give now. ``batch`` accounts at a time, one transaction each (a crash
        loses at most the batch in progress, and a stale score is all it loses). Returns
        the number of pairs stored afterwards.
        """
        if batch < 1:
            raise ValueError("batch must be at least 1")
        from .linker import _progress

        last = -1
        # until no account is left (another writer may add or remove meanwhile)
        for _ in _progress(itertools.count(), enabled=progress, desc="refresh", total=-(-len(self) // batch)):
            self._begin()
            try:
                # the next batch is read inside the transaction: another writer may have
                # removed accounts since the last one
                chunk = [r[0] for r in self._con.execute(
                    "SELECT rid FROM accounts WHERE rid > ? ORDER BY rid LIMIT ?", (last, batch))]  # fmt: skip
                if not chunk:
                    self._con.execute("COMMIT")
                    break
                ctx = self._context()
                arr = np.asarray(chunk, dtype=np.int64)
                cr, cc = self._probe_candidates(self._load_batch(chunk), ctx)
                a, b = merge_pairs([(arr[cr], cc)])
                stored = self._pairs_touching(arr)
                a, b = merge_pairs([(a, b), self._proposed_by_far_ends(arr, (a, b), stored, ctx)])
                self._rescore(a, b, ctx, stored)
                self._con.execute("COMMIT")
                last = chunk[-1]
            except BaseException:
                if self._con.in_transaction:
                    self._con.execute("ROLLBACK")
                raise
        return int(self._con.execute("SELECT COUNT(*) FROM pairs").fetchone()[0])

    def _proposed_by_far_ends(self, rids: np.ndarray, proposed: tuple[np.ndarray, np.ndarray],
                              stored: tuple[np.ndarray, np.ndarray], ctx: RarityContext
                              ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The ``stored`` pairs (lo < hi) that ``rids`` did not propose (``proposed``: lo < hi)
        but whose other end, outside ``rids``, proposes today. A pair is linked when either
        end proposes it (as a build links the union of both ends' candidates): a re-link of
        ``rids`` that kept only its own proposals dropped the pairs only the far end proposes
        (at 10k accounts, a refresh of a fresh build dropped 23 of 3,271 pairs, two at 0.985)."""
        def code(lo: np.ndarray, hi: np.ndarray, span: int) -> np.ndarray:
            return lo * span + hi

        span = int(max(stored[1].max(initial=0), proposed[1].max(initial=0))) + 1
        mine = np.isin(code(*stored, span), code(*proposed, span), invert=True)
        lo, hi = stored[0][mine], stored[1][mine]
        lo_in, hi_in = np.isin(lo, rids), np.isin(hi, rids)
        far = unique_sorted(np.concatenate([lo[~lo_in], hi[~hi_in]]))  # (both ends in rids: both asked)
        if not len(far):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        cr, cc = self._probe_candidates(self._load_batch(far.tolist()), ctx)
        fa, fb = merge_pairs([(far[cr], cc)])
        span = max(span, int(fb.max(initial=0)) + 1)
        back = np.isin(code(fa, fb, span), code(lo, hi, span))
        return fa[back], fb[back]

    def _pairs_touching(self, rids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stored pairs with at least one end in ``rids``."""
        got = self._in("SELECT a, b FROM pairs WHERE a IN ({in}) UNION SELECT a, b FROM pairs WHERE b IN ({in})", rids)
        arr = np.unique(np.asarray(got, dtype=np.int64).reshape(-1, 2), axis=0)
        return arr[:, 0].copy(), arr[:, 1].copy()

    def remove(self, account_ids: str | Iterable[str]) -> int:
        """Remove accounts by id (unknown ids are ignored), in one transaction; pairs among the
        accounts that shared a value with them are re-scored. Returns how many were removed.

        Removing accounts right after adding them gives back the stored pairs, their scores to
        rounding, when the stored scores were current before the add (after a build, a
        refresh, or everything added in one call): the remove re-scores at least the pairs the
        add re-scored. Otherwise the pairs around them come out at today's counts."""
        ids = (
            [account_ids]
            if isinstance(account_ids, str)
            else [str(x) for x in account_ids]
        )
        self._begin()
        try:
            rids = [r[0] for r in self._in("SELECT rid FROM accounts WHERE account_id IN ({in})", ids)]
            if not rids:
                self._con.execute("COMMIT")
                return 0
            ctx = self._context()
            # the accounts each one's add re-scored the stored pairs among: its candidates,
            # found again as the add found them (under today's counts). Its index keys below
            # miss those it reached through a rare shingle outside the sample of shingles it
            # stored, whose pairs would keep the add's scores
            neighbours: set[int] = set(self._probe_candidates(self._load_batch(rids), ctx)[1].tolist())
            if self._updaters:
                # one account at a time, against the accounts it was linked with: exactly the
                # shares its add gave (removing several together would also take back shares
                # between them and accounts only one of them had been counted with)
                for rid in rids:
                    one = np.array([rid], dtype=np.int64)
                    linked = self._linked(one)
                    self._update_counts(one, linked, ctx, -1)
                    neighbours.update(linked.tolist())
                    self._con.execute("DELETE FROM links WHERE a = ? OR b = ?", (rid, rid))
            for rid in rids:
                meta = dict(
                    self._con.execute(
                        "SELECT kind, value FROM book WHERE rid = ?",
                        (rid,),
                    ).fetchall()
                )
                dfk = unpack(meta["_df"])[0]["k"]
                ixk = unpack(meta["_ix"])[0]["k"]
                st, _ = unpack(meta["_st"])
                _, nb = self._candidates(ixk, own=np.array([rid], dtype=np.int64))
                neighbours.update(nb.tolist())
                # keys that become rare enough to propose pairs again: their holders re-link
                before = self._lookup("pcounts", ixk)
                neighbours.update(self._holders(ixk[before == self.max_block + 1]).tolist())
                self._bump("counts", dfk, -1)
                self._bump("pcounts", ixk, -1)
                self._con.executemany(
                    "DELETE FROM postings WHERE key = ? AND rid = ?",
                    ((int(k), rid) for k in ixk.tolist()),
                )
                per_sig: dict[str, dict[str, np.ndarray]] = {}
                for k, v in st.items():
                    sname, _, name = k.partition(".")
                    per_sig.setdefault(sname, {})[name] = v
                for sname, d in per_sig.items():
                    self._add_stats(sname, d, -1)
                neighbours.update(
                    r[0]
                    for r in self._con.execute(
                        "SELECT b FROM pairs WHERE a = ?", (rid,)
                    )
                )
                neighbours.update(
                    r[0]
                    for r in self._con.execute(
                        "SELECT a FROM pairs WHERE b = ?", (rid,)
                    )
                )
                for t in ("accounts", "cards", "book"):
                    self._con.execute(f"DELETE FROM {t} WHERE rid = ?", (rid,))
                self._con.execute("DELETE FROM pairs WHERE a = ? OR b = ?", (rid, rid))
            self._set_meta("n_accounts", str(self._n_accounts() - len(rids)))
            nb_arr = np.setdiff1d(
                np.asarray(sorted(neighbours), dtype=np.int64),
                np.asarray(rids, dtype=np.int64),
            )
            # re-link the neighbourhood: their values just became rarer
            self._relink_within(nb_arr, self._context(), keep_stored=True)
            self._con.execute("COMMIT")
        except BaseException:
            if self._con.in_transaction:
                self._con.execute("ROLLBACK")
            raise
        return len(rids)

    # -- query ----------------------------------------------------------------------------
    def query(self, account: Any, *, k: int = 10) -> QueryResult:
        """The best ``k`` matches of one account among the indexed ones, and its leads to the watchlist.

        The account is not added. If an account with the same id is indexed, it is
        compared with the others as itself (not with its stored copy).
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        accs = _as_accounts(account, self.linker)
        if len(accs) != 1:
            raise ValueError(f"query takes one account, got {len(accs)}")
        acc = accs[0]
        self._con.execute("BEGIN")  # one consistent snapshot for the whole query
        try:
            # the snapshot starts with the first read; a change by anyone since the last
            # query (data_version: other connections; _writes: this one) empties the cache
            version = (
                self._n_accounts(),
                self._con.execute("PRAGMA data_version").fetchone()[0],
                self._writes,
            )
            if version != self._cache_version:
                self._cache = {
                    "counts": _CountCache(self.cache_size),
                    "pcounts": _CountCache(self.cache_size),
                }
                self._cache_version = version
            self._caching = True
            return self._query(acc, k)
        finally:
            self._caching = False
            self._con.execute("COMMIT")

    def _query(self, acc: Account, k: int) -> QueryResult:
        own = self._con.execute(
            "SELECT rid FROM accounts WHERE account_id = ?", (acc.account_id,)
        ).fetchone()
        outside = own is None
        q = self._extract([acc])
        # 1. the account alone: every value of a one-row table is the account's own, so
        #    its counts are the stored ones plus one (it is not in the file)
        ctx1 = self._context(n_extra=int(outside), plus_one=outside)
        q_tables = self._tables(q, ctx1)
        rk = self._rarity_per_signal(q_tables)
        extra: dict[str, Any] = {}
        if outside:
            for sname, (_, keys) in rk.items():
                uk = unique_sorted(keys)
                extra[sname] = (uk, np.ones(len(uk), dtype=np.int64))
            for sig in self.signals:
                if hasattr(sig, "rarity_stats"):
                    extra["__stats__" + sig.name] = sig.rarity_stats(q_tables[sig.name])
        ctx = self._context(extra, n_extra=int(outside))
        _, keys = self._keys(q_tables, "probe_keys")
        # an indexed account is compared with the others as itself: it is among the holders
        # of its keys already, and takes none of its own candidate slots
        mine = None if outside else np.array([own[0]], dtype=np.int64)
        _, cand = self._candidates(keys, limit=self.query_candidates, own=mine)
        cand = unique_sorted(cand)
        batch = self._concat(self._load_batch(cand.tolist()), q)
        if batch.accounts is None:
            batch.accounts = [Account(i) for i in batch.ids[:-1]] + [acc]
        n = len(cand)
        if not n:
            return QueryResult(acc.account_id, [], [], self.threshold, 0)
        focus, left, right = np.array([n]), np.full(n, n, dtype=np.int64), np.arange(n, dtype=np.int64)
        # 2. an upper bound first: values only a candidate holds are not looked up (for the
        #    signals that allow it); then exact counts for the candidates the bound keeps
        #    above min_direct. The others' scores only fall, so the answer is the same.
        bound = {sig.name: unique_sorted(rk[sig.name][1]) for sig in self._bound_signals() if sig.name in rk}
        # signals whose pairs read only shared values' counts: the query's own values are all
        # a pair with it can share, so the candidates' other values are never looked up
        own = {sig.name: unique_sorted(rk[sig.name][1]) for sig in self._shared_count_signals() if sig.name in rk}
        own.update(bound)
        bctx = self._bounded(ctx, own) if own else ctx
        # a signal of the first pass that can compare one row with many does so without a
        # table of the batch: its table is made later for the pairs it must explain (a bound
        # signal's by the exact pass, for the pairs the bound keeps; the others' for the
        # pairs reported)
        direct = [sig for sig in self.signals
                  if sig.name in own and hasattr(sig, "compare_one") and sig.name in batch.states]  # fmt: skip
        tables = self._tables(batch, bctx, focus=focus, only=[sig for sig in self.signals if sig not in direct])
        feats: dict[str, np.ndarray] = {}
        for sig in self.signals:  # (in the signals' order, as _features)
            if sig in direct:
                states = batch.states[sig.name]
                feats.update(sig.compare_one(states[:n], states[n], rarity=bctx).values)
            else:
                feats.update(sig.compare(tables[sig.name], left, right).values)
        exact: list[Any] = []
        if bound:
            keep = np.flatnonzero(self._proba(feats) >= self.min_direct)
            if not len(keep):
                return QueryResult(acc.account_id, [], [], self.threshold, n)
            exact = [sig for sig in self.signals if sig.name in bound]
            # exact counts for the kept pairs only (the others stay at their bound, below
            # min_direct: never reported, never a hop): each asks only about the values of
            # the rows kept and the query's own, counted exactly by ``ctx``. One row against
            # a few where the signal can (the features of the table's pairs, without a table);
            # else a table of the batch that holds only their values.
            for sig in exact:
                if sig in direct:
                    states = batch.states[sig.name]
                    got = sig.compare_one([states[j] for j in keep.tolist()], states[n], rarity=ctx).values
                else:
                    tables.update(self._tables(batch, ctx, focus=focus, only=[sig], rows=np.append(keep, n)))
                    got = sig.compare(tables[sig.name], left[keep], right[keep]).values
                for name, v in got.items():
                    feats[name] = feats[name].copy()  # (a signal's arrays may be shared or read-only)
                    feats[name][keep] = v
        pt = self._score(batch, tables, left, right, feats)
        later = [sig for sig in direct if sig.name not in tables]
        near = np.flatnonzero(pt.score >= self.min_direct)
        if later and len(near):
            # only pairs at min_direct or above are ever explained (matches, and the first
            # edge of a lead): their tables are made now, with the query in focus. A bound
            # signal's evidence reads counts of values only the candidate holds, so its
            # table counts exactly (``ctx``); the others' read only the query's values.
            # A table of their rows and the query's only, unless a signal's table reads
            # other rows too under this context (``rows_independent``): then the batch's,
            # holding only their values (as the exact pass's was).
            rows = np.append(near, n)
            at = np.full(n + 1, -1, dtype=np.int64)
            at[rows] = np.arange(len(rows))
            whole = [sig for sig in later if sig in exact and not _rows_independent(sig, ctx)]
            if whole:
                pt.fingerprints.tables.update(self._tables(batch, ctx, focus=focus, only=whole, rows=rows))
            sub = self._subset(batch, rows)
            for group, c in (([sig for sig in later if sig in exact and sig not in whole], ctx),
                             ([sig for sig in later if sig not in exact], bctx)):  # fmt: skip
                if group:
                    pt.fingerprints.tables.update(self._tables(sub, c, focus=np.array([len(near)]), only=group))
                    pt.fingerprints.rows.update({sig.name: at for sig in group})
        order = np.lexsort((np.asarray(batch.ids[:n], dtype=object).astype(str), -pt.score))
        matches = [
            pt.match(int(j)) for j in order[:k] if pt.score[j] >= self.min_direct
        ]
        leads = self._query_leads(acc.account_id, pt, cand)
        return QueryResult(acc.account_id, matches, leads, self.threshold, n)

    def _bounded(self, ctx: RarityContext, own: dict[str, np.ndarray]) -> RarityContext:
        """``ctx``, except that for the signals in ``own`` (namespaced keys the query holds,
        sorted) every other value counts as held by so many accounts that it weighs nothing.
        The counts of ``own`` are asked for once per signal, on first use: a table asks about
        its keys in several calls (names: keys and tokens; phrasing: shingles, sentences, habits)."""
        known: dict[str, np.ndarray] = {}

        def counts(signal: str, keys: np.ndarray) -> np.ndarray:
            mine = own.get(signal)
            if mine is None:
                return ctx.counts(signal, keys)
            keys = np.asarray(keys, dtype=np.uint64)
            k = _i64(keys ^ _ns(signal))
            pos = np.minimum(np.searchsorted(mine, k), max(len(mine) - 1, 0))
            held = mine[pos] == k if len(mine) else np.zeros(len(k), dtype=bool)
            out = np.full(len(keys), _UNHELD, dtype=np.int64)
            if held.any():
                if signal not in known:
                    known[signal] = np.asarray(ctx.counts(signal, mine.view(np.uint64) ^ _ns(signal)), dtype=np.int64)
                out[held] = known[signal][pos[held]]
            return out

        return RarityContext(ctx.n_accounts, counts, ctx.stats)

    def _query_leads(
        self, account_id: str, pt: PairTable, cand: np.ndarray
    ) -> list[Lead]:
        if not len(cand):
            return []
        # only candidates at min_direct or above can make a lead (a direct one, or the first
        # edge of a path: min_edge >= threshold >= min_direct), so only theirs is looked up
        # (one row of the large accounts table each; a query has ~32 candidates, ~1.5 there)
        near = np.flatnonzero(pt.score[: len(cand)] >= self.min_direct)
        wl = self._watch(cand[near]) if len(near) else np.zeros(0, dtype=bool)
        best: dict[str, Lead] = {}
        for j, on_list in zip(near.tolist(), wl.tolist()):
            if on_list:
                vid = pt.fingerprints.ids[j]
                best[vid] = Lead(account_id, vid, float(pt.score[j]), [account_id, vid], [j], pt)
        # through strongly linked indexed accounts (up to max_hops edges of at least the
        # linker's strong_edge, each hop after the first times hop_decay: as Linker.trace)
        min_edge = self._min_edge()
        strong = [
            (int(cand[j]), float(pt.score[j]), j)
            for j, on_list in zip(near.tolist(), wl.tolist())
            if pt.score[j] >= min_edge and not on_list
        ]
        if strong and self.linker.max_hops >= 2:
            for rid, s0, j in strong:
                for path_rids, s in self._paths_to_watchlist(
                    rid, self.linker.max_hops - 1
                ):
                    score = s0 * s * self.linker.hop_decay ** len(path_rids)
                    ids = self._ids_of([rid, *path_rids])
                    vid = ids[-1]
                    path = [account_id, *ids]
                    if vid in best and best[vid].score >= score:
                        continue
                    lead = Lead(account_id, vid, score, path, [], None)
                    first = pt.match(j)
                    hops = [(p, q) for p, q in zip([rid, *path_rids[:-1]], path_rids)]
                    lead.__dict__["_steps"] = [
                        first,
                        *(self._explain_pair(x, y) for x, y in hops),
                    ]
                    best[vid] = lead
        out = sorted(best.values(), key=lambda ld: (-ld.score, ld.violator_id))
        return out

    def _watch(self, rids: np.ndarray) -> np.ndarray:
        wl = {r[0] for r in self._in("SELECT rid FROM accounts WHERE watchlist = 1 AND rid IN ({in})", rids)}
        return np.array([r in wl for r in rids.tolist()], dtype=bool)

    def _min_edge(self) -> float:
        """The weakest edge a lead through other accounts may follow (as Linker.trace)."""
        return max(self.linker.strong_edge, self.threshold)

    def _paths_to_watchlist(
        self, start: int, hops: int
    ) -> list[tuple[list[int], float]]:
        """Paths of stored edges (>= :meth:`_min_edge`) from ``start`` to watchlist accounts, at most ``hops`` long."""
        out: list[tuple[list[int], float]] = []
        frontier: list[tuple[list[int], float]] = [([start], 1.0)]
        for _ in range(hops):
            nxt = []
            for path, s in frontier:
                u = path[-1]
                rows = self._con.execute(
                    "SELECT b, score, (SELECT watchlist FROM accounts WHERE rid = b) FROM pairs WHERE a = ? AND score >= ? "
                    "UNION ALL SELECT a, score, (SELECT watchlist FROM accounts WHERE rid = a) FROM pairs "
                    "WHERE b = ? AND score >= ?",
                    (u, self._min_edge(), u, self._min_edge()),
                ).fetchall()
                for v, sv, w in rows:
                    if v in path:
                        continue
                    if w:
                        out.append((path[1:] + [v], s * sv))
                    else:
                        nxt.append((path + [v], s * sv))
            frontier = nxt
        return out

    def _ids_of(self, rids: Sequence[int]) -> list[str]:
        got = dict(self._con.execute(
            f"SELECT rid, account_id FROM accounts WHERE rid IN ({','.join('?' * len(rids))})", list(rids)
        ).fetchall())  # fmt: skip
        return [got[r] for r in rids]

    def _explain_pair(self, a: int, b: int) -> Match:
        batch = self._load_batch([a, b])
        tables = self._tables(batch, self._context())
        pt = self._score(batch, tables, np.array([0]), np.array([1]))
        return pt.match(0)

    # -- everything indexed -----------------------------------------------------------------
    def _stored(
        self,
    ) -> tuple[list[str], dict[int, int], np.ndarray, np.ndarray, np.ndarray, set[str]]:
        rows = self._con.execute(
            "SELECT rid, account_id, watchlist FROM accounts ORDER BY rid"
        ).fetchall()
        ids = [r[1] for r in rows]
        pos = {r[0]: i for i, r in enumerate(rows)}
        banned = {r[1] for r in rows if r[2]}
        pr = np.asarray(
            self._con.execute("SELECT a, b, score FROM pairs ORDER BY a, b").fetchall(),
            dtype=np.float64,
        )
        pr = pr.reshape(-1, 3)
        left = np.asarray([pos[int(x)] for x in pr[:, 0]], dtype=np.int64)
        right = np.asarray([pos[int(x)] for x in pr[:, 1]], dtype=np.int64)
        return ids, pos, left, right, pr[:, 2].copy(), banned

    def _graph(self) -> tuple[nx.Graph, _StoredPairs, set[str]]:
        ids, pos, left, right, score, banned = self._stored()
        g = nx.Graph()
        g.add_nodes_from(ids)
        for kk in np.flatnonzero(score >= self.threshold).tolist():
            g.add_edge(
                ids[left[kk]], ids[right[kk]], score=float(score[kk]), pair=int(kk)
            )
        rid_of = {i: r for r, i in pos.items()}
        sp = _StoredPairs(
            self, ids, left, right, score, [rid_of[i] for i in range(len(ids))]
        )
        g.graph["pairs"] = sp
        return g, sp, banned

    def clusters(self) -> dict[str, int]:
        """Account id -> cluster id over everything indexed (as :meth:`Linker.link` would cluster it)."""
        g, _, _ = self._graph()
        return cluster_graph(g, list(g.nodes))

    def leads(self, *, all_leads: bool = False) -> list[Lead]:
        """Every indexed account's leads to the watchlist accounts, best first (as :meth:`Linker.trace`)."""
        g, sp, banned = self._graph()
        live = set(sp.fingerprints.ids) - banned
        res = _Result(g, sp)
        out = trace_graph(res, live, banned, max_hops=self.linker.max_hops, min_edge=self._min_edge(),  # type: ignore[arg-type]
                          hop_decay=self.linker.hop_decay)  # fmt: skip
        return out if all_leads else [ld for ld in out if ld.score >= self.threshold]


class _CountCache:
    """int64 key -> count: a large sorted numpy run, and a dict of recent answers merged into
    it when the dict grows (inserting each query's answers into a sorted array copied it
    every time); emptied when it holds more than ``limit`` keys."""

    _RECENT = 1 << 16

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.keys = self.vals = np.zeros(0, dtype=np.int64)
        self.recent: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.keys) + len(self.recent)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """Counts of int64 ``keys`` (any order, repeats allowed); -1 where not cached."""
        n = len(keys)
        if not len(self.keys):
            if not self.recent:
                return np.full(n, -1, dtype=np.int64)
            return np.fromiter(map(self.recent.get, keys.tolist(), itertools.repeat(-1, n)), dtype=np.int64, count=n)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        hit = self.keys[pos] == keys
        out = np.where(hit, self.vals[pos], -1)
        if self.recent:
            miss = np.flatnonzero(~hit)
            if len(miss):
                got = map(self.recent.get, keys[miss].tolist(), itertools.repeat(-1, len(miss)))
                out[miss] = np.fromiter(got, dtype=np.int64, count=len(miss))
        return out

    def put(self, keys: np.ndarray, vals: np.ndarray) -> None:
        """Remember counts of keys not cached yet."""
        if len(self) + len(keys) > self.limit:
            self.__init__(self.limit)  # type: ignore[misc]
        self.recent.update(zip(keys.tolist(), vals.tolist()))
        if len(self.recent) > self._RECENT:
            k = np.concatenate([self.keys, np.fromiter(self.recent.keys(), dtype=np.int64, count=len(self.recent))])
            v = np.concatenate([self.vals, np.fromiter(self.recent.values(), dtype=np.int64, count=len(self.recent))])
            order = np.argsort(k, kind="stable")
            self.keys, self.vals = k[order], v[order]
            self.recent = {}


class _Ids:
    def __init__(self, ids: list[str]) -> None:
        self.ids = ids


class _StoredPairs:
    """The stored pairs in the shape :func:`~sellerlink.linker.trace_graph` reads; evidence on demand."""

    def __init__(self, index: Index, ids: list[str], left: np.ndarray, right: np.ndarray, score: np.ndarray,
                 rids: list[int]) -> None:  # fmt: skip
        self.index = index
        self.fingerprints = _Ids(ids)
        self.left, self.right, self.score = left, right, score
        self.rids = rids

    def __len__(self) -> int:
        return len(self.left)

    def match(self, k: int) -> Match:
        return self.index._explain_pair(
            self.rids[int(self.left[k])], self.rids[int(self.right[k])]
        )


@dataclass
class _Result:
    graph: nx.Graph
    pairs: _StoredPairs


def _rows_independent(sig: Any, ctx: RarityContext) -> bool:
    """Whether ``sig``'s table, counted by ``ctx``, gives a pair the features and evidence it
    would have in a table of any other rows beside the pair's (``rows_independent``; a
    signal without the hook is taken not to)."""
    fn = getattr(sig, "rows_independent", None)
    return bool(fn is not None and fn(ctx))


def _check_min_direct(min_direct: float, threshold: float) -> None:
    # above the threshold, edges at it would not be stored, and a query could follow a pair
    # its first pass left at an upper bound
    if min_direct > threshold:
        raise ValueError(f"min_direct ({min_direct}) must not exceed the linker's threshold ({threshold})")


def _in_size(n: int, most: int) -> int:
    """The number of parameters an ``IN`` list of ``n`` values is padded to: ``n`` up to 8,
    then the next power of two, at most ``most``."""
    if n <= 8:
        return n
    return min(1 << (n - 1).bit_length(), max(most, n))


def _tuples(*columns: np.ndarray, chunk: int = 1 << 18) -> Iterator[tuple[Any, ...]]:
    """Rows of equal-length arrays as tuples of Python values, converted a chunk at a time (for
    ``executemany``: a build's hundreds of millions of keys as Python ints would take ~30 bytes
    each at once)."""
    for s in range(0, len(columns[0]), chunk):
        yield from zip(*(c[s : s + chunk].tolist() for c in columns))


def _distinct_pairs(rows: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(row, key)`` pairs, sorted by row then key."""
    order = np.lexsort((keys, rows))
    rows, keys = rows[order], keys[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (keys[1:] != keys[:-1])
    return rows[first], keys[first]


def _sorted_by_row(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, values)`` in row order, each row's values in their order (a stable sort, only if
    ``rows`` is not sorted already)."""
    rows = np.asarray(rows, dtype=np.int64)
    values = np.asarray(values)
    if len(rows) and not bool(np.all(rows[1:] >= rows[:-1])):
        order = np.argsort(rows, kind="stable")
        return rows[order], values[order]
    return rows, values


def _row_runs(rows: np.ndarray, values: np.ndarray, most: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(rows, values)`` as parts sorted by row, in their order: views of the runs in which
    ``rows`` never decreases (a signal's keys are a few such runs, one per kind of key), or one
    stably sorted copy when there are more than ``most`` of them."""
    breaks = np.flatnonzero(rows[1:] < rows[:-1]) + 1
    if len(breaks) >= most:
        return [_sorted_by_row(rows, values)]
    edges = [0, *breaks.tolist(), len(rows)]
    return [(rows[a:b], values[a:b]) for a, b in itertools.pairwise(edges)]


def _parts_between(parts: Sequence[tuple[np.ndarray, np.ndarray]], start: int, stop: int
                   ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The rows in ``start..stop`` of parts sorted by row and their values, those of the first
    part first."""
    rr, vv = [], []
    for rows, values in parts:
        lo, hi = np.searchsorted(rows, [start, stop])
        rr.append(rows[lo:hi])
        vv.append(values[lo:hi])
    rows = np.concatenate(rr) if rr else np.zeros(0, np.int64)
    values = np.concatenate(vv) if vv else np.zeros(0, np.int64)
    return rows, values


def _rows_between(parts: Sequence[tuple[np.ndarray, np.ndarray]], start: int, stop: int
                  ) -> tuple[list[np.ndarray], np.ndarray]:  # fmt: skip
    """Each row of ``start..stop``'s values, those of the first part first (parts sorted by
    row, see :func:`_row_runs`), and all of them."""
    rows, values = _parts_between(parts, start, stop)
    return _split_by_row(rows - start, values, stop - start), values


def _split_by_row(rows: np.ndarray, values: np.ndarray, n: int) -> list[np.ndarray]:
    """``values[rows == i]`` for each ``i < n``, in their order, in one stable sort (none if
    ``rows`` is sorted: then the parts are views of ``values``)."""
    rows, v = _sorted_by_row(rows, values)
    bounds = np.searchsorted(rows, np.arange(n + 1))
    return [v[bounds[i] : bounds[i + 1]] for i in range(n)]


def _chunks(accounts: Iterable[Any], size: int, linker: Linker) -> Iterator[list[Account]]:
    chunk: list[Account] = []
    for value in accounts:
        chunk.extend(_as_accounts(value, linker))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _as_accounts(value: Any, linker: Linker) -> list[Account]:
    if isinstance(value, Account):
        return [value]
    if isinstance(value, dict):
        return load_accounts([value], limits=linker.limits)
    return load_accounts(value, limits=linker.limits)
