"""Where an index build's memory goes: RSS per step of :meth:`sellerlink.index.Index.build`.

A thread reads this process's RSS from ``/proc`` every ``--interval`` seconds and files it
under the step running then (the index's own methods -- ``_tables`` per signal, ``_keys``,
``_insert_keys``, ``_link_all``, ... -- and each SQL write, wrapped for the run). Prints the
machine, the market, the build's wall and CPU seconds and peak RSS (``ru_maxrss``), and the
steps in order with their RSS at the start and their sampled peak; the step holding the peak
is marked. The baseline of the run is its first line: RSS after imports, before the build.

    .venv/bin/python benchmarks/build_memory.py --market DIR                # accounts.jsonl, watchlist.jsonl
    taskset -c 1 .venv/bin/python benchmarks/build_memory.py --market DIR --workers 1

Markets come from ``sellerlink synth`` or the other benchmarks' ``--work-dir`` (for example
``index_latency.py --market``). The index is written to a temporary file and deleted.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C

_STEPS = ("_tables", "_rarity_per_signal", "_keys", "_insert_keys", "_bump", "_link_all", "_candidates",
          "_features", "_insert_accounts", "_add_stats")  # fmt: skip


class _Probe:
    """RSS samples filed under the step running (a stack of labels, one per wrapped call)."""

    def __init__(self, interval: float, first: str = "(build: fingerprints, accounts and cards)") -> None:
        self.interval = interval
        self.stack = [first]  # what the samples between wrapped steps are filed under
        self.steps: list[list[Any]] = []  # [label, rss at start, peak]
        self._open(self.stack[0])
        threading.Thread(target=self._sample, daemon=True).start()

    def _open(self, label: str) -> None:
        rss = C.rss_mb()
        self.steps.append([label, rss, rss])

    def _sample(self) -> None:
        while True:
            rss = C.rss_mb()
            step = self.steps[-1]
            step[2] = max(step[2], rss)
            time.sleep(self.interval)

    def enter(self, label: str) -> None:
        self.stack.append(label)
        self._open(label)

    def leave(self) -> None:
        self.stack.pop()
        self._open(self.stack[-1] + " (cont.)")

    def wrap(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        def run(*a: Any, **k: Any) -> Any:
            self.enter(label)
            try:
                return fn(*a, **k)
            finally:
                self.leave()

        return run


class _Con:
    """The index's connection, with each ``executemany`` filed as a step of its own."""

    def __init__(self, con: Any, probe: _Probe) -> None:
        self._c, self._p = con, probe

    def executemany(self, sql: str, rows: Any) -> Any:
        return self._p.wrap(self._c.executemany, "SQL " + " ".join(sql.split()[:3]))(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._c, name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--market", required=True, help="folder with accounts.jsonl and watchlist.jsonl")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--interval", type=float, default=0.02, help="seconds between RSS samples")
    ap.add_argument("--all", action="store_true",
                    help="every step (default: the first, the peak's, and each 50 MB above the highest shown)")
    ap.add_argument("--dir", default=None, help="folder for the index file (default: the system's temporary "
                    "folder; on a tmpfs the file itself takes memory that RSS does not show)")
    args = ap.parse_args(argv)
    mdir = Path(args.market)
    for name in ("accounts.jsonl", "watchlist.jsonl"):
        if not (mdir / name).exists():
            ap.error(f"{mdir / name} not found")

    import sellerlink.index as ixmod
    from sellerlink import iter_accounts

    C.print_machine("build_memory: RSS per step of Index.build")
    print(f"market: {mdir}, workers {args.workers}, samples every {args.interval * 1000:.0f} ms")
    probe = _Probe(args.interval)
    for name in _STEPS:
        setattr(ixmod.Index, name, probe.wrap(getattr(ixmod.Index, name), name))
    path = Path(tempfile.mkdtemp(dir=args.dir)) / "build.slx"
    w0, c0 = time.perf_counter(), C.cpu_s()
    try:
        with ixmod.Index.create(path) as ix:
            ix._con = _Con(ix._con, probe)  # type: ignore[assignment]
            n = ix.build(iter_accounts(mdir / "accounts.jsonl"), watchlist=iter_accounts(mdir / "watchlist.jsonl"),
                         workers=args.workers)  # fmt: skip
            ix._con = ix._con._c  # type: ignore[attr-defined]
        wall, cpu = time.perf_counter() - w0, C.cpu_s() - c0
    finally:
        for p in path.parent.glob("build.slx*"):
            p.unlink()
        os.rmdir(path.parent)
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    top = max(range(len(probe.steps)), key=lambda i: probe.steps[i][2])
    print(f"built {n:,} accounts: {wall:.1f} s wall, {cpu:.1f} s CPU (with the workers'), "
          f"peak RSS {ru:,.0f} MB (ru_maxrss; sampled {probe.steps[top][2]:,.0f} MB), "
          f"{ru * 1024 / max(n, 1):.1f} KB an account")
    print_steps(probe.steps, show_all=args.all, rise_mb=50)
    return 0


def print_steps(steps: list[list[Any]], *, show_all: bool, rise_mb: float) -> None:
    """The steps as a table: every one, or the first, the peak's (marked), and each ``rise_mb``
    above the highest shown so far."""
    top = max(range(len(steps)), key=lambda i: steps[i][2])
    print("\n| step | RSS at start MB | sampled peak MB |\n|---|---|---|")
    shown = -1.0
    for i, (label, start, peak) in enumerate(steps):
        if show_all or i in (0, top) or peak > shown + rise_mb:
            mark = " **(peak)**" if i == top else ""
            print(f"| {label}{mark} | {start:,.0f} | {peak:,.0f} |")
            shown = max(shown, peak)


if __name__ == "__main__":
    sys.exit(main())
