"""The pipeline: accounts -> fingerprints -> candidate pairs -> scores -> graph -> clusters -> leads.

Example:
    >>> from sellerlink import Linker
    >>> accounts = [
    ...     {"account_id": "old", "display_name": "Budi Thrift", "phones": ["0812-3456-7890"]},
    ...     {"account_id": "new", "display_name": "thr1ft_budi", "bio": "wa.me/6281234567890"},
    ...     {"account_id": "other", "display_name": "Sari Preloved", "phones": ["0813-1111-2222"]},
    ... ]
    >>> result = Linker().link(accounts)
    >>> result.clusters["old"] == result.clusters["new"] != result.clusters["other"]
    True
"""

from __future__ import annotations

import logging
import math
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from ._memory import TRIM_MIN
from ._memory import release_freed_heap as _release_freed_heap
from .blocking import PairUnion, pair_codes_from_keys
from .config import DEFAULT_LIMITS, Limits
from .records import Account, load_accounts
from .scoring import TERMS, Scorer, by_signal
from .signals.base import Evidence, Signal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RECOMMENDED_THRESHOLD",
    "Fingerprints",
    "Lead",
    "LinkResult",
    "Linker",
    "Match",
    "PairTable",
    "TraceResult",
    "default_signals",
]

log = logging.getLogger(__name__)

#: The probability at or above which a lead is reported by default. Chosen on generated
#: marketplaces to keep precision of flagged accounts at or above 99% (benchmarks/README.md).
RECOMMENDED_THRESHOLD = 0.5


def default_signals(*, limits: Limits = DEFAULT_LIMITS, workers: int = 1) -> list[Signal]:
    """The four built-in signals with default settings."""
    from .signals.contacts import ContactsSignal
    from .signals.names import NamesSignal
    from .signals.photos import PhotosSignal
    from .signals.phrasing import PhrasingSignal

    return [
        _with(NamesSignal, workers=workers),
        ContactsSignal(),
        _with(PhotosSignal, limits=limits, workers=workers),
        PhrasingSignal(),
    ]


def _with(cls: Any, **kwargs: Any) -> Any:
    """Construct ``cls`` with the keyword arguments it accepts."""
    import inspect

    params = inspect.signature(cls).parameters
    return cls(**{k: v for k, v in kwargs.items() if k in params})


def _progress(iterable: Iterable[Any], *, enabled: bool | None, desc: str, total: int | None = None) -> Iterable[Any]:
    if enabled is False:
        return iterable
    if enabled is None:
        import sys

        interactive = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        if not (interactive or "ipykernel" in sys.modules):  # a terminal or a notebook
            return iterable
    try:  # widgets in a notebook when ipywidgets is there, a text bar otherwise
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm.std import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)


# ---------------------------------------------------------------------------------------
# work in worker processes (started afresh; forked only for signals defined in __main__)

#: accounts per task sent to a worker process (the states of one chunk come back at once)
_EXTRACT_CHUNK = 1000
#: fewer accounts than this are fingerprinted in the calling process (starting the worker
#: processes, ~1 s, would cost more than it saves)
_PARALLEL_MIN = 8 * _EXTRACT_CHUNK
#: accounts whose texts are dropped between two hand-backs of the freed heap (see Linker._drop_text)
_TRIM_EVERY = 32 * _EXTRACT_CHUNK
#: pairs scored between two hand-backs of the freed heap (see Linker.score_candidates)
_TRIM_PAIRS = 3_200_000
#: fewer accounts than this: the freed heap is not handed back at all (see _release_heap_of)
_TRIM_MIN = TRIM_MIN
#: a consuming :meth:`PairTable.concat` of at least this many rows hands the heap back after
#: each column
_TRIM_ROWS = 100_000


def _release_heap_of(n_accounts: int) -> None:
    """:func:`_release_freed_heap` after a step over ``n_accounts`` accounts, unless fewer than
    ``_TRIM_MIN`` (a small link leaves little, and a service linking small batches would walk
    its heap several times a call)."""
    if n_accounts >= _TRIM_MIN:
        _release_freed_heap()


# what the next workers get: the signals whose extract they run
_FORKED: Any = None
_FORK_LOCK = threading.Lock()  # two threads forking at once must not swap what they hand down


def _sendable(sig: Any) -> bool:
    """Whether a worker of :func:`_fresh_pool` can rebuild ``sig``: not when its class is
    defined in the caller's script, which such a worker does not import."""
    return type(sig).__module__ != "__main__"


def _extracts_in_processes(sig: Any) -> bool:
    return (bool(getattr(sig, "extract_in_processes", False)) and hasattr(sig, "extract")
            and hasattr(sig, "assemble") and _sendable(sig))  # fmt: skip


def _fork_context() -> Any:
    """A multiprocessing context that forks (the work's inputs are inherited, not sent), or
    None where there is none (the work then stays in one process)."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        log.warning("no fork on this platform: the work stays in one process")
        return None
    return mp.get_context("fork")


def _fork_pool(workers: int, inherited: Any) -> Any:
    """``workers`` forked processes that inherit ``inherited`` (as ``_FORKED``), or None
    where nothing forks."""
    import gc

    global _FORKED
    ctx = _fork_context()
    if ctx is None:
        return None
    with _FORK_LOCK:
        _FORKED = inherited
        # objects that exist now are left out of the children's garbage collections: a
        # collection touches every object it tracks and would copy the parent's whole heap
        # (the accounts: gigabytes at 1M) into each child, page by page
        gc.freeze()
        try:
            return ctx.Pool(workers)
        finally:
            gc.unfreeze()
            _FORKED = None  # the children have their copy; the parent holds no reference


def _set_inherited(value: Any) -> None:
    """Pool initializer of :func:`_fresh_pool`'s workers."""
    global _FORKED
    _FORKED = value


def _fresh_pool(workers: int, sent: Any) -> Any:
    """``workers`` processes started afresh (``forkserver``, else ``spawn``), each sent ``sent``
    once (as ``_FORKED``); None where neither start method exists.

    For work whose inputs are small (signals, chunks of accounts): a forked child would
    share the caller's heap, gigabytes at 1M accounts, and copy every page its own
    allocations land in (measured: 1.2 GB a worker at 1M, with ``gc.freeze``)."""
    import multiprocessing as mp
    import sys
    import types

    methods = mp.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn" if "spawn" in methods else None
    if method is None:
        return None
    # The workers need nothing from the caller's script: they are started while __main__ is
    # an empty module, so they do not import the script again (an unguarded script would
    # otherwise run in every worker, and the pool would restart its workers for ever).
    with _FORK_LOCK:
        real_main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            return mp.get_context(method).Pool(workers, initializer=_set_inherited, initargs=(sent,))
        finally:
            if real_main is not None:
                sys.modules["__main__"] = real_main


def _inherited() -> Any:
    if _FORKED is None:  # a worker forked later than its pool (one died and was replaced)
        raise RuntimeError("a sellerlink worker process started without its inputs")
    return _FORKED


#: CPU seconds the worker processes of this process's Linkers spent on their tasks (they
#: report it with each result: a forkserver's workers are not this process's children, so
#: ``getrusage(RUSAGE_CHILDREN)`` never sees them). For benchmarks.
_WORKER_CPU_S = 0.0


#: a warning raised in a worker process, as sent back: (category, message)
_Caught = list[tuple[type[Warning], str]]


def _caught(record: list[warnings.WarningMessage]) -> _Caught:
    return [(w.category, str(w.message)) for w in record]


def _rewarn(caught: _Caught) -> None:
    """Re-raise, in the calling process, warnings a worker caught: under the caller's filters
    (a skipped photo must reach the caller's log, not a worker's stderr)."""
    for category, message in caught:
        warnings.warn(message, category, stacklevel=3)


def _extract_chunk(task: tuple[int, list[Account]]) -> tuple[list[bytes], float, _Caught]:
    """In a worker process: one signal's states of one chunk of accounts, the CPU time, and
    the warnings raised."""
    t0 = time.process_time()
    k, accounts = task
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")  # the caller's filters decide, on _rewarn
        out: list[bytes] = _inherited()[k].extract(accounts)
    return out, time.process_time() - t0, _caught(record)


def _extract_all(accounts: list[Account]) -> tuple[dict[str, list[bytes]], float, _Caught]:
    """In a worker process: every inherited signal's states of the accounts (Index.add_many),
    the CPU time, and the warnings raised."""
    t0 = time.process_time()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out = {sig.name: sig.extract(accounts) for sig in _inherited()}
    return out, time.process_time() - t0, _caught(record)


def _extract_chunks(pool: Any, k: int, accs: list[Account], done: Any = None) -> Iterable[bytes]:
    """Signal ``k``'s states of ``accs``, in order, chunk by chunk as the workers finish them;
    ``done(start, stop)`` after the states of ``accs[start:stop]`` have been taken."""
    tasks = ((k, accs[i : i + _EXTRACT_CHUNK]) for i in range(0, len(accs), _EXTRACT_CHUNK))
    global _WORKER_CPU_S
    for i, (states, cpu, caught) in enumerate(pool.imap(_extract_chunk, tasks)):
        _WORKER_CPU_S += cpu
        _rewarn(caught)
        yield from states
        if done is not None:
            done(i * _EXTRACT_CHUNK, min((i + 1) * _EXTRACT_CHUNK, len(accs)))


# ---------------------------------------------------------------------------------------
# results


@dataclass
class Fingerprints:
    """Per-signal columnar tables over a batch of accounts (row i = ``accounts[i]``).

    ``rows`` (optional, per signal): the row of that signal's table for each account, when
    its table holds only some of them (-1: not there). An index query makes some tables
    only for the pairs it reports.
    """

    accounts: list[Account]
    tables: dict[str, Any]
    rows: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [a.account_id for a in self.accounts]


@dataclass
class Match:
    """One scored pair with its evidence (the object form of a row of :class:`PairTable`)."""

    left: str
    right: str
    score: float
    weights: dict[str, float]
    evidence: list[Evidence]

    def summary(self, max_items: int = 4) -> str:
        """A short readable line: the strongest pieces of evidence first."""
        items = sorted(self.evidence, key=lambda e: -e.weight)
        parts = []
        for e in items[:max_items]:
            left, right = _clip(e.left), _clip(e.right)
            if e.signal == "photos":
                what = f"photo {_short(e.left)} ~ {_short(e.right)}"
            elif left == right:
                what = f"{e.kind} {left!r}"
            else:
                what = f"{e.kind} {left!r} ~ {right!r}"
            share = f", shared by {e.shared_by}" if e.shared_by > 2 else ""
            parts.append(f"{what} ({e.weight:+.1f}{share})")
        return "; ".join(parts) if parts else "no evidence"

    def _repr_html_(self) -> str:
        from .report import match_html

        return match_html(self)


def _clip(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _short(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


class PairTable:
    """Scored candidate pairs, columnar: aligned arrays of rows, features, weights, scores."""

    def __init__(
        self,
        fingerprints: Fingerprints,
        signals: Sequence[Signal],
        scorer: Scorer,
        left: np.ndarray,
        right: np.ndarray,
        features: dict[str, np.ndarray],
    ) -> None:
        self.fingerprints = fingerprints
        self.signals = list(signals)
        self.scorer = scorer
        self.left = left
        self.right = right
        self.features = features
        if _plain_scorer(scorer):
            # chunk by chunk into preallocated arrays: the evidence terms' temporaries stay
            # bounded, and the terms are computed once (predict_proba would redo them)
            self.term_weights, self.score = scorer.weights_and_proba(features)
        else:
            self.term_weights = scorer.term_weights(features)
            self.score = scorer.predict_proba(features)

    def __len__(self) -> int:
        return len(self.left)

    def signal_weights(self) -> dict[str, np.ndarray]:
        return by_signal(self.term_weights)

    @staticmethod
    def concat(tables: Sequence[PairTable], *, consume: bool = False) -> PairTable:
        """Row-wise union of tables over the same fingerprints (rows in the given order).

        With ``consume=True`` each column is taken out of ``tables`` as soon as it is joined
        (and, from ``_TRIM_ROWS`` rows, their heap handed back), so the rows are held twice
        for one column at a time, not for the whole table; the tables are left empty.

        >>> import sellerlink as sl
        >>> lk = sl.Linker(progress=False)
        >>> pt = lk.score_pairs([{"account_id": "a", "phones": ["0812-3456-7890"]},
        ...                      {"account_id": "b", "phones": ["0812-3456-7890"]}])
        >>> both = PairTable.concat([pt.select(np.array([True])), pt.select(np.array([False]))])
        >>> len(both), bool(both.score[0] == pt.score[0])
        (1, True)
        """
        if not tables:
            raise ValueError("concat needs at least one table")
        first = tables[0]
        if consume:  # checked before any part is emptied: an error leaves the parts whole
            if len({id(t) for t in tables}) != len(tables):
                raise ValueError("concat(consume=True) needs each table once")
            for t in tables:
                if t.features.keys() != first.features.keys() or t.term_weights.keys() != first.term_weights.keys():
                    raise ValueError("concat(consume=True) needs tables with the same features and weights")
        out = PairTable.__new__(PairTable)
        out.fingerprints = first.fingerprints
        out.signals = first.signals
        out.scorer = first.scorer
        empty = np.empty(0)

        def join(attr: str, key: str | None = None) -> np.ndarray:
            """One column of every table joined: the array ``attr``, or the entry ``key`` of
            the dict ``attr``; with ``consume``, taken out of the tables."""
            if key is not None:
                arrays = [getattr(t, attr).pop(key) if consume else getattr(t, attr)[key] for t in tables]
            else:
                arrays = [getattr(t, attr) for t in tables]
                if consume:
                    for t in tables:
                        setattr(t, attr, empty)
            joined = np.concatenate(arrays)
            del arrays
            if consume and len(joined) >= _TRIM_ROWS:
                # the parts' small arrays lie on the heap: handed back column by column,
                # else the joined copy adds to the resident size all the same
                _release_freed_heap()
            return joined

        out.left = join("left")
        out.right = join("right")
        out.features = {k: join("features", k) for k in list(first.features)}
        out.term_weights = {k: join("term_weights", k) for k in list(first.term_weights)}
        out.score = join("score")
        return out

    def select(self, mask: np.ndarray) -> PairTable:
        sub = PairTable.__new__(PairTable)
        sub.fingerprints = self.fingerprints
        sub.signals = self.signals
        sub.scorer = self.scorer
        sub.left = self.left[mask]
        sub.right = self.right[mask]
        sub.features = {k: v[mask] for k, v in self.features.items()}
        sub.term_weights = {k: v[mask] for k, v in self.term_weights.items()}
        sub.score = self.score[mask]
        return sub

    def match(self, k: int) -> Match:
        """The pair at position ``k`` with its evidence, weights filled in."""
        i, j = int(self.left[k]), int(self.right[k])
        accounts = self.fingerprints.accounts
        term_w = {t: float(self.term_weights[t][k]) for t in TERMS}
        sig_w: dict[str, float] = by_signal(term_w)  # type: ignore[assignment]
        evidence: list[Evidence] = []
        for sig in self.signals:
            at = self.fingerprints.rows.get(sig.name)
            ti, tj = (i, j) if at is None else (int(at[i]), int(at[j]))
            if ti < 0 or tj < 0:
                raise ValueError(f"the {sig.name} table holds no row for pair {k} ({i}, {j})")
            items = sig.explain(self.fingerprints.tables[sig.name], ti, tj)
            total = sig_w.get(sig.name, 0.0)
            evidence.extend(_spread(items, total))
        evidence.sort(key=lambda e: -e.weight)
        return Match(
            left=accounts[i].account_id,
            right=accounts[j].account_id,
            score=float(self.score[k]),
            weights=sig_w,
            evidence=evidence,
        )

    def to_frame(self, *, evidence: bool = False) -> pd.DataFrame:
        """One row per pair: ids, score, per-signal weights (and a readable evidence summary)."""
        import pandas as pd

        ids = np.array(self.fingerprints.ids, dtype=object)
        data: dict[str, Any] = {
            "left_id": ids[self.left] if len(self.left) else np.array([], dtype=object),
            "right_id": ids[self.right] if len(self.right) else np.array([], dtype=object),
            "score": self.score,
        }
        for s, w in self.signal_weights().items():
            data[f"w_{s}"] = w
        df = pd.DataFrame(data)
        if evidence:
            df["evidence"] = [self.match(k).summary() for k in range(len(self))]
        return df.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def _plain_scorer(scorer: Any) -> bool:
    """A :class:`Scorer` whose prediction methods are not overridden (so chunking them is exact)."""
    t = type(scorer)
    return isinstance(scorer, Scorer) and all(
        getattr(t, m) is getattr(Scorer, m) for m in ("term_weights", "log_odds", "predict_proba")
    )


def _store(dst: np.ndarray, start: int, values: np.ndarray) -> None:
    """``dst[start : start + len(values)] = values``, skipped when every value is +0.0:
    ``dst`` comes from ``np.zeros`` (lazily zeroed pages), so untouched stretches of it take
    no resident memory."""
    if values.any() or np.signbit(values).any():
        dst[start : start + len(values)] = values


def _spread(items: list[Evidence], total: float) -> list[Evidence]:
    """Give a signal's weight to its evidence items, in proportion to similarity x rarity."""
    from dataclasses import replace

    if not items:
        return []
    raw = [max(e.similarity, 0.0) / max(1.0, math.log2(max(e.shared_by, 2))) for e in items]
    s = sum(raw) or 1.0
    return [replace(e, weight=total * r / s) for e, r in zip(items, raw)]


@dataclass
class LinkResult:
    """Everything :meth:`Linker.link` found: scored pairs, the graph and the clusters."""

    fingerprints: Fingerprints
    pairs: PairTable
    graph: nx.Graph
    clusters: dict[str, int]
    threshold: float

    def clusters_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {"account_id": list(self.clusters), "cluster_id": list(self.clusters.values())}
        )

    def matches(self, *, min_score: float | None = None) -> list[Match]:
        t = self.threshold if min_score is None else min_score
        order = np.argsort(-self.pairs.score, kind="stable")
        return [self.pairs.match(int(k)) for k in order if self.pairs.score[k] >= t]

    def _repr_html_(self) -> str:
        from .report import link_table_html

        return link_table_html(self)

    def cluster_members(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for a, c in self.clusters.items():
            out.setdefault(c, []).append(a)
        return out


@dataclass
class Lead:
    """A live account traced to a known violator, with the path and the evidence on it."""

    account_id: str
    violator_id: str
    score: float
    path: list[str]
    pair_rows: list[int] = field(default_factory=list, repr=False)
    pairs: PairTable | None = field(default=None, repr=False, compare=False)

    @property
    def steps(self) -> list[Match]:
        """The evidence of each edge along the path (computed on first use)."""
        cached = self.__dict__.get("_steps")
        if cached is None:
            cached = [self.pairs.match(k) for k in self.pair_rows] if self.pairs is not None else []
            self.__dict__["_steps"] = cached
        return cached

    @property
    def direct(self) -> bool:
        return len(self.path) == 2

    def summary(self) -> str:
        if self.direct and self.steps:
            return self.steps[0].summary()
        hops = []
        for m in self.steps:
            hops.append(f"[{m.left} -> {m.right}: {m.summary(max_items=2)}]")
        return "via " + " -> ".join(self.path[1:-1]) + ": " + " ".join(hops)

    def _repr_html_(self) -> str:
        from .report import lead_html

        return lead_html(self)


def leads_frame(leads: Iterable[Lead], threshold: float, *, all_leads: bool = False) -> pd.DataFrame:
    """``account_id, violator_id, score, evidence, hops`` — best leads first; only leads at
    or above ``threshold`` unless ``all_leads``."""
    import pandas as pd

    rows = [
        {
            "account_id": ld.account_id,
            "violator_id": ld.violator_id,
            "score": round(ld.score, 6),
            "evidence": ld.summary(),
            "hops": len(ld.path) - 1,
        }
        for ld in leads
        if all_leads or ld.score >= threshold
    ]
    df = pd.DataFrame(rows, columns=["account_id", "violator_id", "score", "evidence", "hops"])
    return df.sort_values(["score", "account_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


@dataclass
class TraceResult:
    """Leads for every live account, best first."""

    leads: list[Lead]
    threshold: float
    link: LinkResult

    def to_frame(self, *, all_leads: bool = False) -> pd.DataFrame:
        """``account_id, violator_id, score, evidence, hops`` — best leads first.

        By default only leads at or above the threshold; ``all_leads=True`` keeps all.
        """
        return leads_frame(self.leads, self.threshold, all_leads=all_leads)

    def top(self) -> dict[str, Lead]:
        """The best lead per account (above the threshold)."""
        best: dict[str, Lead] = {}
        for ld in self.leads:
            if ld.score >= self.threshold and (
                ld.account_id not in best or ld.score > best[ld.account_id].score
            ):
                best[ld.account_id] = ld
        return best

    def _repr_html_(self) -> str:
        from .report import trace_table_html

        return trace_table_html(self)


# ---------------------------------------------------------------------------------------
# the linker


class Linker:
    """Fingerprint, link and trace seller accounts.

    Args:
        signals: the signal modules (default: names, contacts, photos, phrasing).
        scorer: turns features into calibrated probabilities (default: shipped weights).
        threshold: the probability at or above which pairs become graph edges and leads
            are reported (default :data:`RECOMMENDED_THRESHOLD`).
        max_block: blocking keys held by more accounts than this are dropped.
        min_score_kept: drop scored pairs below this probability as soon as they are scored
            (chunk by chunk), so that only the kept pairs' features are ever held: memory then
            grows with the pairs that matter, not with all candidate pairs (at 10k accounts
            0.5% of candidates score 0.01 or more; at 100k this takes the peak from 4.0 GB to
            about 3 GB). Default 0.01; ``None`` keeps every candidate pair in
            :attr:`LinkResult.pairs`. Graph, clusters and leads at or above ``threshold``
            never change; trace's direct leads go down to 0.01, so with a value of at most
            0.01 the whole trace is unchanged.
        max_hops: how many graph edges a trace may follow from an account to a violator.
        strong_edge: a trace through other accounts follows only edges at least this
            probable: a chain is only as good as its weakest link.
        hop_decay: each extra hop multiplies a path's score by this (a path's edges are
            not independent confirmations of each other).
        workers: worker threads for photo hashing and batch comparisons, and worker
            processes for the per-record part of fingerprinting (see :meth:`fingerprint`).
        progress: show progress bars (None: only on an interactive terminal).
        limits: input limits.
        keep_text: keep the accounts' bios and listing texts in ``Fingerprints.accounts``.
            ``False`` swaps each account for :meth:`~sellerlink.Account.without_text` once
            every signal has read it: names, contacts and photos stay for reports and
            exports, the texts (~4 KB an account, 4 GB at 1M) go. Memory is freed only where
            the linker holds the last reference to an account: accounts read from a path or
            an iterator, as the command line does, not a list the caller keeps.
    """

    def __init__(
        self,
        signals: Sequence[Signal] | None = None,
        scorer: Scorer | None = None,
        *,
        threshold: float = RECOMMENDED_THRESHOLD,
        max_block: int = 100,
        min_score_kept: float | None = 0.01,
        max_hops: int = 2,
        strong_edge: float = 0.97,
        hop_decay: float = 0.9,
        workers: int = 1,
        progress: bool | None = None,
        limits: Limits = DEFAULT_LIMITS,
        keep_text: bool = True,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be a probability strictly between 0 and 1, got {threshold}")
        if max_hops < 1:
            raise ValueError("max_hops must be at least 1")
        self.signals = list(signals) if signals is not None else default_signals(limits=limits, workers=workers)
        self.scorer = scorer if scorer is not None else Scorer()
        self.threshold = threshold
        self.max_block = max_block
        if min_score_kept is not None and not 0.0 <= min_score_kept <= threshold:
            raise ValueError(f"min_score_kept must be between 0 and the threshold ({threshold}), got {min_score_kept}")
        self.min_score_kept = min_score_kept
        self.max_hops = max_hops
        if not 0.0 < strong_edge < 1.0 or not 0.0 < hop_decay <= 1.0:
            raise ValueError("strong_edge must be in (0, 1) and hop_decay in (0, 1]")
        self.strong_edge = strong_edge
        self.hop_decay = hop_decay
        self.workers = workers
        self.progress = progress
        self.limits = limits
        self.keep_text = keep_text

    # -- stages -----------------------------------------------------------------------
    def fingerprint(self, accounts: Any) -> Fingerprints:
        """Every signal's table over the accounts.

        With ``workers`` > 1, the per-record part of the signals that allow it
        (``extract_in_processes``: contacts and phrasing, most of the fingerprinting
        time) runs in ``workers`` worker processes, ``_EXTRACT_CHUNK`` accounts at a time,
        and the calling process assembles the states as they come back, in order: the
        tables are the same as in one process (tested). The workers are started afresh
        (``forkserver``), not forked, so they do not copy this process's heap. For fewer
        than ``_PARALLEL_MIN`` accounts everything stays in this process.
        """
        accs = load_accounts(accounts, limits=self.limits)
        tables = dict(self._fingerprint_tables(accs))
        return Fingerprints(accs, tables)

    def _drop_text(self, accs: list[Account], start: int = 0, stop: int | None = None) -> None:
        """Unless ``keep_text``: each account of ``accs[start:stop]`` (the linker's own list)
        swapped for its text-less copy, in place, so that no second list holds the originals.

        The heap the texts leave is handed back to the system every ``_TRIM_EVERY`` accounts
        and at the end (:func:`_release_freed_heap`): freed, it stayed with the process, and
        the arrays built later (numpy's large ones are fresh mappings) could not reuse it."""
        if self.keep_text:
            return
        stop = len(accs) if stop is None else stop
        for i in range(start, stop):
            accs[i] = accs[i].without_text()
        if stop == len(accs) or stop // _TRIM_EVERY > start // _TRIM_EVERY:
            _release_heap_of(len(accs))

    def _fingerprint_tables(self, accs: list[Account]) -> Iterator[tuple[str, Any]]:
        """(signal name, table), one signal at a time (``benchmarks/speed.py`` times each).

        Unless ``keep_text``, the accounts lose their texts (:meth:`_drop_text`) as soon as
        the last signal has read them: in the worker path chunk by chunk as its workers
        finish them (at 1M accounts the texts held to the end of phrasing's extract, beside
        its states, took the run past the machine's memory), else after it.
        """
        split = [sig for sig in self.signals if _extracts_in_processes(sig)]
        last = self.signals[-1] if self.signals else None
        pool = None
        try:
            if self.workers > 1 and split and len(accs) >= _PARALLEL_MIN:
                pool = _fresh_pool(self.workers, split)
            for sig in _progress(self.signals, enabled=self.progress, desc="fingerprinting"):
                log.info("fingerprinting %d accounts: %s", len(accs), sig.name)
                if pool is not None and sig in split:
                    ids = [a.account_id for a in accs]
                    done = (lambda a, b: self._drop_text(accs, a, b)) if sig is last else None
                    table = sig.assemble(ids, _extract_chunks(pool, split.index(sig), accs, done))
                else:
                    table = sig.fingerprint(accs)
                    if sig is last:
                        self._drop_text(accs)
                _release_heap_of(len(accs))  # what the signal's assembly freed (per-row parts)
                yield sig.name, table
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()

    def candidate_pairs(self, fps: Fingerprints) -> tuple[np.ndarray, np.ndarray]:
        # each signal's pairs as packed codes, folded into one running union: no signal's
        # pairs are held as two int64 arrays beside the others'
        union = PairUnion()
        for sig in self.signals:
            rows, keys = sig.candidate_keys(fps.tables[sig.name])
            codes = pair_codes_from_keys(rows, keys, max_block=self.max_block)
            del rows, keys
            log.info("%s proposed %d candidate pairs", sig.name, len(codes))
            union.add(codes)
            del codes
            # the signals' key arrays (names and contacts build theirs from Python lists) left
            # freed heap behind: ~190 MB of 295 at 117k accounts, handed back here
            _release_heap_of(len(fps.accounts))
        return union.pairs(consume=True)

    def compare(
        self, fps: Fingerprints, left: np.ndarray, right: np.ndarray, *, chunk: int = 200_000
    ) -> dict[str, np.ndarray]:
        """Every signal's features for the pairs, computed ``chunk`` pairs at a time so that
        the signals' intermediate arrays stay bounded however many pairs there are.

        Each feature is written into one array allocated up front (no list of chunks to
        concatenate, which held every feature twice at the end), and a chunk that is all
        zeros is not written at all, so a feature that is zero almost everywhere (photos
        on a market without photos) costs next to no resident memory.
        """
        return self._compare(fps, left, right, chunk=chunk)

    def _compare(self, fps: Fingerprints, left: np.ndarray, right: np.ndarray, *, chunk: int) -> dict[str, np.ndarray]:
        if chunk < 1:
            raise ValueError(f"chunk must be positive, got {chunk}")
        n = len(left)
        if len(right) != n:
            raise ValueError(f"left and right must be aligned, got {n} and {len(right)} pairs")
        out: dict[str, np.ndarray] = {}
        for start in range(0, max(n, 1), chunk):
            lo, hi = left[start : start + chunk], right[start : start + chunk]
            seen: set[str] = set()
            for sig in self.signals:
                for name, values in sig.compare(fps.tables[sig.name], lo, hi).values.items():
                    v = np.asarray(values, dtype=np.float64)
                    if v.shape != lo.shape:
                        raise ValueError(f"{sig.name}.compare returned {v.shape} values of {name!r} for {len(lo)} pairs")
                    if name not in out:
                        if start:
                            raise ValueError(f"{sig.name}.compare returned {name!r} only for some chunks of pairs")
                        out[name] = np.zeros(n, dtype=np.float64)
                    _store(out[name], start, v)
                    seen.add(name)
            if seen != out.keys():
                raise ValueError(f"features missing from a chunk of pairs: {sorted(out.keys() - seen)}")
        return out

    def score_pairs(self, accounts: Any) -> PairTable:
        fps = self.fingerprint(accounts)
        left, right = self.candidate_pairs(fps)
        log.info("%d candidate pairs over %d accounts", len(left), len(fps.accounts))
        return self.score_candidates(fps, left, right)

    def score_candidates(
        self, fps: Fingerprints, left: np.ndarray, right: np.ndarray, *, chunk: int = 200_000
    ) -> PairTable:
        """Compare and score candidate pairs: every pair, or with ``min_score_kept`` only those
        scoring at least that, filtered ``chunk`` pairs at a time."""
        if self.min_score_kept is None:
            return PairTable(fps, self.signals, self.scorer, left, right, self.compare(fps, left, right, chunk=chunk))
        if chunk < 1:
            raise ValueError(f"chunk must be positive, got {chunk}")
        parts: list[PairTable] = []
        # (in this process: forked workers scoring chunks copied 1.4 GB of its pages at 100k
        # accounts, through their allocations and the objects they touch)
        since_trim = 0
        for start in range(0, max(len(left), 1), chunk):
            lo, hi = left[start : start + chunk], right[start : start + chunk]
            pt = PairTable(fps, self.signals, self.scorer, lo, hi, self._compare(fps, lo, hi, chunk=chunk))
            parts.append(pt.select(pt.score >= self.min_score_kept))
            del pt
            since_trim += len(lo)
            if since_trim >= _TRIM_PAIRS:
                # the kept parts are small arrays amid each chunk's freed temporaries: the heap
                # between them went unused (+3 GB over the 1M link's 704 chunks) until handed back
                _release_freed_heap()
                since_trim = 0
        # column by column out of the parts: the 1M link's 2.06M kept pairs are 0.68 GB
        out = PairTable.concat(parts, consume=True)
        del parts
        log.info("kept %d of %d candidate pairs (score >= %g)", len(out), len(left), self.min_score_kept)
        return out

    # -- link -------------------------------------------------------------------------
    def link(self, accounts: Any) -> LinkResult:
        """Score candidate pairs, build the graph and cluster it."""
        pairs = self.score_pairs(accounts)
        graph = build_graph(pairs, self.threshold)
        clusters = cluster_graph(graph, [a.account_id for a in pairs.fingerprints.accounts])
        return LinkResult(pairs.fingerprints, pairs, graph, clusters, self.threshold)

    # -- trace ------------------------------------------------------------------------
    def trace(self, accounts: Any, watchlist: Any, *, threshold: float | None = None) -> TraceResult:
        """Score every account against the watchlist, directly and through the graph.

        Accounts and watchlist are fingerprinted together (so rarity counts both). A lead
        through the graph multiplies the probabilities along its path, so it is never
        stronger than its weakest link.
        """
        live = load_accounts(accounts, limits=self.limits)
        banned = load_accounts(watchlist, limits=self.limits)
        live_ids = {a.account_id for a in live}
        banned_ids = {a.account_id for a in banned}
        both = live_ids & banned_ids
        if both:
            # An account that is already on the watchlist is not a lead for itself.
            live = [a for a in live if a.account_id not in banned_ids]
            live_ids -= both
        accs = [*banned, *live]
        del live, banned
        # handed over item by item, so that with keep_text=False no list here keeps the
        # full accounts alive while the linker holds their text-less copies
        result = self.link(_handover(accs))
        t = self.threshold if threshold is None else threshold
        leads = trace_graph(
            result,
            live_ids,
            banned_ids,
            max_hops=self.max_hops,
            min_edge=max(self.strong_edge, self.threshold),
            hop_decay=self.hop_decay,
        )
        return TraceResult(leads, t, result)


def _handover(items: list[Any]) -> Iterator[Any]:
    """The items in order, each removed from ``items`` as it is yielded."""
    items.reverse()
    while items:
        yield items.pop()


# ---------------------------------------------------------------------------------------
# graph, clusters, trace


def build_graph(pairs: PairTable, threshold: float) -> nx.Graph:
    """Accounts as nodes; pairs scoring at or above ``threshold`` as edges.

    Edge attributes: ``score``, ``weight`` (the log-odds), one ``w_<signal>`` per signal
    and ``pair`` (the row in the pair table, for the full evidence).
    """
    g = nx.Graph()
    ids = pairs.fingerprints.ids
    g.add_nodes_from(ids)
    keep = np.flatnonzero(pairs.score >= threshold)
    # per-pair arithmetic on the kept pairs only (the same values; no full-length temporaries)
    sw = by_signal({t: w[keep] for t, w in pairs.term_weights.items()})
    p = np.clip(pairs.score[keep], 1e-12, 1 - 1e-12)
    logit = np.log(p) - np.log1p(-p)
    for pos, k in enumerate(keep.tolist()):
        attrs = {"score": float(pairs.score[k]), "weight": float(logit[pos]), "pair": int(k)}
        for s, w in sw.items():
            attrs[f"w_{s}"] = float(w[pos])
        g.add_edge(ids[pairs.left[k]], ids[pairs.right[k]], **attrs)
    g.graph["pairs"] = pairs
    return g


def cluster_graph(graph: nx.Graph, ids: Sequence[str], *, strong: float = 0.99) -> dict[str, int]:
    """One actor per cluster, guarded against chaining through single links.

    Edges are merged strongest first (union-find). Two groups that already have two or
    more accounts each are merged only when the linking edge is very strong (``strong``)
    or at least two edges join them: one stray link between two established groups does
    not fuse them. Cluster ids are numbered by the order of the accounts.
    """
    parent = {a: a for a in ids}
    size = {a: 1 for a in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    edges = sorted(graph.edges(data="score"), key=lambda e: (-e[2], e[0], e[1]))
    deferred: dict[tuple[str, str], int] = {}
    for a, b, s in edges:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if size[ra] >= 2 and size[rb] >= 2 and s < strong:
            key = (min(ra, rb), max(ra, rb))
            deferred[key] = deferred.get(key, 0) + 1
            if deferred[key] < 2:
                continue
        if size[ra] < size[rb] or (size[ra] == size[rb] and rb < ra):
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
    numbering: dict[str, int] = {}
    out: dict[str, int] = {}
    for a in ids:
        r = find(a)
        out[a] = numbering.setdefault(r, len(numbering))
    return out


def trace_graph(
    result: LinkResult,
    live: set[str],
    banned: set[str],
    *,
    max_hops: int,
    min_edge: float,
    hop_decay: float = 1.0,
    min_direct: float = 0.01,
) -> list[Lead]:
    """Every live account's leads to violators, best first.

    Direct leads come from every scored pair of a live and a banned account with a
    probability of at least ``min_direct``. Leads through the graph follow edges of at
    least ``min_edge`` for up to ``max_hops`` steps; a path scores the product of its
    edges' probabilities times ``hop_decay`` per hop beyond the first, so it is never
    stronger than its weakest link. For each (account, violator) the better is kept.
    """
    g = result.graph
    pairs = result.pairs
    ids = pairs.fingerprints.ids
    best: dict[tuple[str, str], tuple[float, list[str], list[int]]] = {}

    # direct leads, from the pair table (includes pairs below the edge threshold)
    is_live = np.array([i in live for i in ids], dtype=bool)
    is_banned = np.array([i in banned for i in ids], dtype=bool)
    if len(pairs):
        lv = is_live[pairs.left] & is_banned[pairs.right]
        rv = is_banned[pairs.left] & is_live[pairs.right]
        for k in np.flatnonzero((lv | rv) & (pairs.score >= min_direct)).tolist():
            a, b = ids[pairs.left[k]], ids[pairs.right[k]]
            acc, vio = (a, b) if lv[k] else (b, a)
            best[(acc, vio)] = (float(pairs.score[k]), [acc, vio], [k])

    # leads through other accounts, along strong edges only
    if max_hops >= 2:
        for acc in sorted(live):
            if acc not in g or g.degree(acc) == 0:
                continue
            reach: dict[str, tuple[float, list[str], list[int]]] = {acc: (1.0, [acc], [])}
            frontier = [acc]
            for _ in range(max_hops):
                nxt: list[str] = []
                for u in frontier:
                    su, pu, ku = reach[u]
                    for v in sorted(g[u]):
                        attrs = g[u][v]
                        if attrs["score"] < min_edge or v in pu:
                            continue
                        s = su * attrs["score"] * (hop_decay if len(pu) > 1 else 1.0)
                        # ties go to the lexicographically smaller path: input order never matters
                        if v not in reach or s > reach[v][0] or (s == reach[v][0] and [*pu, v] < reach[v][1]):
                            reach[v] = (s, [*pu, v], [*ku, attrs["pair"]])
                            if v not in banned:
                                nxt.append(v)
                frontier = sorted(set(nxt))
            for v, (s, path, ks) in sorted(reach.items()):
                if v in banned and len(path) > 2 and s > best.get((acc, v), (0.0,))[0]:
                    best[(acc, v)] = (s, path, ks)

    leads = [
        Lead(account_id=acc, violator_id=vio, score=s, path=path, pair_rows=ks, pairs=pairs)
        for (acc, vio), (s, path, ks) in best.items()
    ]
    leads.sort(key=lambda ld: (-ld.score, ld.account_id, ld.violator_id))
    return leads
