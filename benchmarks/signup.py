"""One account at sign-up: latency (p50, p99) of checking one new account against an index of
N accounts, next to the floor measured in the same run — fingerprinting that one account alone
(every signal, no lookup, no scoring).

Usage (from the repository root):

    .venv/bin/python benchmarks/signup.py --sizes 10000,100000
    .venv/bin/python benchmarks/signup.py --quick                # 2,000 accounts, 50 queries

The index part is the index engineer's ``benchmarks/index_latency.py`` (``run``): a market
without photos from :mod:`sellerlink.synth` (seed 11), watchlist added first, live accounts
in batches, ``--queries`` held-out live accounts queried from a fresh process that opens the
index read-only (so its RSS is the cost of serving). This script adds the floor on the same
held-out accounts. Goal (issue 3): p50 under 10 ms at 1M accounts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C


def fingerprint_floor(qpath: Path) -> tuple[float, float]:
    from sellerlink import load_accounts
    from sellerlink.linker import default_signals

    qs = load_accounts(qpath)
    sigs = default_signals()
    for s in sigs:
        s.fingerprint(qs[:1])  # warm-up
    times = []
    for a in qs:
        t = time.perf_counter()
        for s in sigs:
            s.fingerprint([a])
        times.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="index sizes (live accounts), comma-separated")
    ap.add_argument("--quick", action="store_true", help="2,000 accounts, 50 queries")
    ap.add_argument("--batch", type=int, default=2000, help="accounts per add")
    ap.add_argument("--queries", type=int, default=200, help="held-out accounts queried per size")
    ap.add_argument("--work-dir", default=None, help="where the market and index files go (default: a temp dir)")
    args = ap.parse_args(argv)
    C.print_machine("signup: one account against an index of N (p50/p99) vs fingerprinting it alone")
    try:
        import index_latency  # the index engineer's benchmark

        from sellerlink.index import Index  # noqa: F401
    except ImportError as exc:
        print(f"not yet measurable: {exc}")
        return 0
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    nq = 50 if args.quick else args.queries
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="slx-signup-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"data: markets without photos in {work}; {nq} held-out queries per size")
    rows = []
    for n in sizes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = index_latency.run(n, args.batch, nq, work)
            f50, f99 = fingerprint_floor(work / f"q{n}.jsonl")
        rows.append({"indexed": r["n"], "query p50 ms": r["p50"], "query p99 ms": r["p99"],
                     "floor p50 ms": f50, "floor p99 ms": f99, "p50 / floor": r["p50"] / f50,
                     "candidates/query": r["cands"], "add/s": r["add_per_s"], "file MB": r["file_mb"],
                     "RSS open+query MB": round(r["rss_open_query"])})
        print(C.fmt_table(rows[-1:]), flush=True)
    print()
    print(C.fmt_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
