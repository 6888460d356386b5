"""Query latency and add throughput of :class:`sellerlink.index.Index` at growing sizes.

Accounts without photos from :mod:`sellerlink.synth`; the watchlist is added first, then
the live accounts in batches of ``--batch``; queries are held-out live accounts of the
same market (so they have real matches). Prints the machine, then one line per size:
add throughput (accounts/s), query p50 / p99 (ms), mean candidates per query, file size,
peak RSS of the building process and the RSS a fresh process needs to open the index and
run the queries.

    .venv/bin/python benchmarks/index_latency.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def machine() -> str:
    cores = os.cpu_count()
    mem = 0
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal"):
                    mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return f"cores={cores} memory={mem} MB python={sys.version.split()[0]}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM: reset by exec, unlike ru_maxrss)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def query_child(path: str, queries: str, n: int) -> None:
    """Run in a fresh process: open the index read-only, time ``n`` queries."""
    from sellerlink import load_accounts
    from sellerlink.index import Index

    base = peak_rss_mb()
    qs = load_accounts(queries)[:n]
    with Index.open(path, readonly=True) as ix:
        ix.query(qs[0])  # warm-up (imports, regex compilation)
        times, cands = [], []
        for q in qs:
            t = time.perf_counter()
            r = ix.query(q)
            times.append((time.perf_counter() - t) * 1000)
            cands.append(r.n_candidates)
    print(json.dumps({"p50": float(np.percentile(times, 50)), "p99": float(np.percentile(times, 99)),
                      "cands": float(np.mean(cands)), "rss_open_query": peak_rss_mb(), "rss_base": base}))


def run(size: int, batch: int, n_queries: int, workdir: Path) -> dict[str, float]:
    from sellerlink import load_accounts
    from sellerlink.index import Index
    from sellerlink.synth import generate_marketplace

    mdir = workdir / f"m{size}"
    m = generate_marketplace(mdir, n_accounts=size + n_queries, seed=11, with_photos=False, workers=2)
    wl = load_accounts(m.watchlist_path)
    live = load_accounts(m.accounts_path)
    rng = np.random.default_rng(0)
    held = set(rng.choice(len(live), size=n_queries, replace=False).tolist())
    queries = [a for i, a in enumerate(live) if i in held]
    live = [a for i, a in enumerate(live) if i not in held]
    qpath = workdir / f"q{size}.jsonl"
    with open(qpath, "w") as fh:
        fh.writelines(json.dumps(a.to_dict()) + "\n" for a in queries)
    path = workdir / f"ix{size}.slx"
    t = time.perf_counter()
    with Index.create(path) as ix:
        ix.add(wl, watchlist=True)
        for s in range(0, len(live), batch):
            ix.add(live[s : s + batch])
        n = len(ix)
    add_s = time.perf_counter() - t
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(qpath), str(n_queries)],
        capture_output=True, text=True, check=True,
    )
    q = json.loads(out.stdout.strip().splitlines()[-1])
    return {"n": n, "add_per_s": n / add_s, "add_s": add_s, **q, "file_mb": path.stat().st_size / 2**20,
            "rss_build": peak_rss_mb()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated index sizes (default 10000,100000)")
    ap.add_argument("--batch", type=int, default=2000, help="accounts per add (default 2000)")
    ap.add_argument("--queries", type=int, default=200, help="queries per size (default 200)")
    ap.add_argument("--workdir", default=None, help="where to write markets and index files (default: a temp dir)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        query_child(args.child[0], args.child[1], int(args.child[2]))
        return
    print(machine(), flush=True)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="slx-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'indexed':>9} {'add/s':>7} {'add s':>8} {'p50 ms':>7} {'p99 ms':>7} {'cands':>6} {'file MB':>8} "
          f"{'RSS open+query MB':>18} {'RSS build MB':>13}", flush=True)
    for size in (int(x) for x in args.sizes.split(",")):
        r = run(size, args.batch, args.queries, work)
        print(f"{r['n']:>9} {r['add_per_s']:>7.0f} {r['add_s']:>8.1f} {r['p50']:>7.1f} {r['p99']:>7.1f} "
              f"{r['cands']:>6.1f} {r['file_mb']:>8.1f} {r['rss_open_query']:>18.0f} {r['rss_build']:>13.0f}",
              flush=True)


if __name__ == "__main__":
    main()
