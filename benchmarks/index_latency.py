"""Query latency and add throughput of :class:`sellerlink.index.Index` at growing sizes.

Accounts without photos from :mod:`sellerlink.synth`; the watchlist is added first, then
the live accounts (streamed from the file) in batches of ``--batch``; queries are held-out
live accounts of the same market (so some have real matches). Prints the machine, then one
line per size: add throughput (accounts/s, wall and CPU seconds), query p50 / p99 (ms, wall
and CPU of the querying process), mean candidates per query, how many queries found the
same leads as the same query without the candidate cap, file size, peak RSS of the
building process and the RSS a fresh process needs to open the index and run the queries;
then the floor measured in the same process on the same accounts (fingerprinting each one
alone with every signal of the index: no lookup, no scoring) and the query's CPU p50 as a
multiple of it, the figure that holds from one machine to another.
``--load build`` fills the index with :meth:`~sellerlink.index.Index.build` (one pass, linked in
memory) instead; ``--load both`` does one and then the other on the same market.

    .venv/bin/python benchmarks/index_latency.py --sizes 10000,100000
    .venv/bin/python benchmarks/index_latency.py --sizes 10000 --load both   # add_many against build
    .venv/bin/python benchmarks/index_latency.py --sizes 1000000 --market DIR   # an existing market
    .venv/bin/python benchmarks/index_latency.py --index FILE QUERIES --cold      # queries only
    .venv/bin/python benchmarks/index_latency.py --index FILE QUERIES --signup-fields   # as at sign-up
    .venv/bin/python benchmarks/index_latency.py --index FILE QUERIES --against OTHER/src  # paired A/B
    .venv/bin/python benchmarks/index_latency.py --index FILE QUERIES --add-remove   # add, then remove them
    .venv/bin/python benchmarks/index_latency.py --index FILE QUERIES --refresh   # refresh; did anything move?
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def evict(path: str) -> None:
    """Drop the index file's pages from the OS page cache (``POSIX_FADV_DONTNEED``; needs no
    privilege, affects clean pages only), so the next query reads what it needs from disk."""
    for p in (path, path + "-wal"):
        if os.path.exists(p):
            fd = os.open(p, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def query_child(path: str, queries: str, n: int, cold: bool = False, query_candidates: int = 32,
                signup: bool = False) -> None:
    """Run in a fresh process: open the index read-only, time ``n`` queries (wall and CPU),
    then (``cold``) the same queries each with the file evicted from the page cache first,
    then the same queries with no candidate cap, to check that the cap loses no lead.
    ``signup``: each query account as it is while being created, without listings or photos
    (names, bio and contacts only)."""
    import dataclasses

    from sellerlink import load_accounts
    from sellerlink.index import Index

    base = peak_rss_mb()
    qs = load_accounts(queries)[:n]
    if signup:
        qs = [dataclasses.replace(q, listings=(), photos=()) for q in qs]
    res: dict[str, float] = {}
    with Index.open(path, readonly=True, query_candidates=query_candidates) as ix:
        ix.query(qs[0])  # warm-up (imports, regex compilation)
        times, cpu, cands, leads, matches, floor = [], [], [], [], [], []
        for q in qs:
            t, c = time.perf_counter(), time.process_time()
            r = ix.query(q)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            cands.append(r.n_candidates)
            leads.append({ld.violator_id for ld in r.leads if ld.score >= r.threshold})
            matches.append({m.right for m in r.matches if m.score >= r.threshold})
            # the floor, right after each query on the same account: fingerprinting it alone
            # with every signal of the index (no lookup, no scoring). Timed query by query, so
            # that the ratio holds on a machine whose speed drifts from minute to minute
            c = time.process_time()
            for sig in ix.signals:
                sig.fingerprint([q])
            floor.append((time.process_time() - c) * 1000)
        rss = peak_rss_mb()
    if cold:
        # one long-lived reader, as a sign-up service would keep: sqlite's own small page
        # cache stays, the operating system's cache of the file is emptied before each query
        ctimes, ccpu = [], []
        with Index.open(path, readonly=True, query_candidates=query_candidates) as ix:
            for q in qs:
                evict(path)
                t, c = time.perf_counter(), time.process_time()
                ix.query(q)
                ctimes.append((time.perf_counter() - t) * 1000)
                ccpu.append((time.process_time() - c) * 1000)
        res = {"cold_p50": float(np.percentile(ctimes, 50)), "cold_p99": float(np.percentile(ctimes, 99)),
               "cold_cpu_p50": float(np.percentile(ccpu, 50))}
    with Index.open(path, readonly=True, query_candidates=1_000_000) as ix:
        full, full_m = [], []
        for q in qs:
            r = ix.query(q)
            full.append({ld.violator_id for ld in r.leads if ld.score >= r.threshold})
            full_m.append({m.right for m in r.matches if m.score >= r.threshold})
    same = sum(a == b for a, b in zip(leads, full))
    same_m = sum(a == b for a, b in zip(matches, full_m))
    print(json.dumps({**res, "p50": float(np.percentile(times, 50)), "p99": float(np.percentile(times, 99)),
                      "cpu_p50": float(np.percentile(cpu, 50)), "cpu_p99": float(np.percentile(cpu, 99)),
                      "floor_cpu_p50": float(np.percentile(floor, 50)),
                      "cpu_p50_per_floor": float(np.percentile(cpu, 50) / np.percentile(floor, 50)),
                      "per_query_cpu_per_floor_p50": float(np.median(np.asarray(cpu) / np.asarray(floor))),
                      "cands": float(np.mean(cands)), "rss_open_query": rss, "rss_base": base,
                      "same_leads": same, "same_matches": same_m, "n_queries": len(qs), "n_leads": sum(len(x) for x in full),
                      "n_matches": sum(len(x) for x in full_m), "signup_fields": signup}))


def against(path: str, queries: str, n: int, src: str, rounds: int) -> None:
    """Another checkout's code (``src``: its ``src`` folder) against this one, in one process:
    its package is copied as ``sellerlink_other`` (the package imports itself relatively), both
    open the index read-only, and each query is run by both, in random order, ``rounds``
    times. Paired per query, the ratio holds on a machine whose speed drifts. Prints the CPU
    p50 of each per round and the median of the per-query ratios (this code / the other)."""
    import random
    import shutil

    from sellerlink import load_accounts
    from sellerlink.index import Index

    pkg = Path(src) / "sellerlink"
    if not (pkg / "index.py").is_file():
        sys.exit(f"--against {src}: no sellerlink package there (give the src folder of a checkout)")
    tmp = Path(tempfile.mkdtemp(prefix="slx-against-"))
    try:
        shutil.copytree(pkg, tmp / "sellerlink_other")
        sys.path.insert(0, str(tmp))
        import sellerlink_other as other  # type: ignore[import-not-found]
        from sellerlink_other.index import Index as OtherIndex  # type: ignore[import-not-found]

        qs, qo = load_accounts(queries)[:n], other.load_accounts(queries)[:n]
        with Index.open(path, readonly=True) as ix, OtherIndex.open(path, readonly=True) as ox:
            for a, b in zip(qs, qo):  # warm-up: both count caches filled alike
                ix.query(a, k=50)
                ox.query(b, k=50)
            mine, theirs = np.zeros((rounds, len(qs))), np.zeros((rounds, len(qs)))
            rng = random.Random(1)
            for r in range(rounds):
                for i, (a, b) in enumerate(zip(qs, qo)):
                    for which in rng.sample((0, 1), 2):
                        c = time.process_time()
                        ix.query(a, k=50) if which == 0 else ox.query(b, k=50)
                        (mine if which == 0 else theirs)[r, i] = (time.process_time() - c) * 1000
        print(json.dumps({
            "this_cpu_p50_per_round": np.round(np.percentile(mine, 50, axis=1), 2).tolist(),
            "other_cpu_p50_per_round": np.round(np.percentile(theirs, 50, axis=1), 2).tolist(),
            "per_query_this_over_other_median": float(np.median(mine / theirs)),
            "n_queries": len(qs), "rounds": rounds,
        }))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _answers(ix: Any, qs: list[Any]) -> list[Any]:
    """Every query's answer as plain data (matches with their evidence, leads with their steps)."""
    out = []
    for q in qs:
        r = ix.query(q, k=50)
        out.append({
            "m": [[m.left, m.right, round(m.score, 9), [str(e) for e in m.evidence]] for m in r.matches],
            "l": [[ld.violator_id, round(ld.score, 9), ld.path, [[s.left, s.right, round(s.score, 9)] for s in ld.steps]]
                  for ld in r.leads],
            "n": r.n_candidates,
        })
    return out


def _stored_pairs(ix: Any) -> dict[tuple[str, str], float]:
    q = ("SELECT x.account_id, y.account_id, p.score FROM pairs p JOIN accounts x ON x.rid = p.a "
         "JOIN accounts y ON y.rid = p.b")  # fmt: skip
    return {(a, b) if a < b else (b, a): s for a, b, s in ix._con.execute(q)}


def _compare(res: dict[str, Any], tag: str, before: Any, after: Any) -> None:
    """``res[tag]``: the queries' answers and the stored pairs of ``before`` against ``after``, printed."""
    import hashlib

    (ans0, pairs0), (ans1, pairs1) = before, after
    digest = [hashlib.sha1(json.dumps(x, sort_keys=True).encode()).hexdigest()[:12] for x in (ans0, ans1)]
    moved = [abs(pairs0[k] - pairs1[k]) for k in pairs0.keys() & pairs1.keys() if pairs0[k] != pairs1[k]]
    res[tag] = {
        "answers_before": digest[0], "answers_after": digest[1], "same_answers": ans0 == ans1,
        "matches": sum(len(a["m"]) for a in ans0), "leads": sum(len(a["l"]) for a in ans0),
        "stored_pairs": len(pairs0), "pairs_only_before": len(pairs0.keys() - pairs1.keys()),
        "pairs_only_after": len(pairs1.keys() - pairs0.keys()), "pairs_rescored_differently": len(moved),
        "largest_score_change": max(moved, default=0.0),
    }  # fmt: skip
    r = res[tag]
    print(f"  {tag}: answers {'the same' if r['same_answers'] else 'CHANGED'} ({r['matches']} matches, "
          f"{r['leads']} leads); stored pairs {r['stored_pairs']}, {r['pairs_only_before']} gone, "
          f"{r['pairs_only_after']} new, {len(moved)} re-scored differently (largest change "
          f"{r['largest_score_change']:.2g})", flush=True)  # fmt: skip


def refresh_check(path: str, queries: str, n: int) -> None:
    """Writes to ``path``: ``Index.refresh()`` it, timed, with the queries' answers (``k=50``)
    and the stored pairs before and after. On a freshly built file nothing should move: a
    refresh links what a build links (the union of both ends' candidates, today's counts)."""
    from sellerlink import load_accounts
    from sellerlink.index import Index

    qs = load_accounts(queries)[:n]
    res: dict[str, Any] = {"n": len(qs)}
    with Index.open(path) as ix:
        res["indexed"] = len(ix)
        before = (_answers(ix, qs), _stored_pairs(ix))
        t, c = time.perf_counter(), time.process_time()
        ix.refresh(progress=True)
        res["refresh"] = {"wall_s": round(time.perf_counter() - t, 1), "cpu_s": round(time.process_time() - c, 1)}
        print(f"  refresh: {res['refresh']['wall_s']} s wall, {res['refresh']['cpu_s']} s CPU", flush=True)
        _compare(res, "after_refresh", before, (_answers(ix, qs), _stored_pairs(ix)))
    res["peak_rss_mb"] = round(peak_rss_mb())
    print(json.dumps(res), flush=True)


def add_remove(path: str, queries: str, n: int) -> None:
    """Writes to ``path``: add the ``n`` query accounts (not indexed) in one ``add`` call and
    remove them in one ``remove`` call, then add and remove the first of them alone; wall and
    CPU of each call. Before and after each add-then-remove, the queries' answers (``k=50``)
    and the stored pairs: a remove should take back what the add did (exactly only when the
    stored scores were current: a freshly built or refreshed file; on another, the remove
    brings its neighbourhood to today's counts, and those pairs stay so). Stopped between an
    add and its remove, the accounts stay in the file (``sellerlink index remove`` them)."""
    from sellerlink import load_accounts
    from sellerlink.index import Index

    qs = load_accounts(queries)[:n]
    ids = [q.account_id for q in qs]
    res: dict[str, Any] = {"n": len(qs)}

    def timed(name: str, call: Any) -> None:
        t, c = time.perf_counter(), time.process_time()
        done = call()
        res[name] = {"accounts": done, "wall_s": round(time.perf_counter() - t, 2),
                     "cpu_s": round(time.process_time() - c, 2)}  # fmt: skip
        print(f"  {name:10s} {done:>5} accounts: {res[name]['wall_s']:8.2f} s wall, {res[name]['cpu_s']:8.2f} s CPU, "
              f"{done / max(res[name]['wall_s'], 1e-9):8.1f} accounts/s", flush=True)  # fmt: skip

    with Index.open(path) as ix:
        there = ix.existing(ids)
        if there:
            sys.exit(f"--add-remove: {len(there)} of the query accounts are in {path} already")
        res["indexed"] = len(ix)
        start = (_answers(ix, qs), _stored_pairs(ix))
        timed("add", lambda: ix.add(qs))
        timed("remove", lambda: ix.remove(ids))
        back = (_answers(ix, qs), _stored_pairs(ix))
        _compare(res, "after_add_remove", start, back)
        timed("add_one", lambda: ix.add(qs[:1]))
        timed("remove_one", lambda: ix.remove(ids[:1]))
        _compare(res, "after_add_remove_one", back, (_answers(ix, qs), _stored_pairs(ix)))
    res["peak_rss_mb"] = round(peak_rss_mb())
    print(json.dumps(res), flush=True)


def workers_cpu_s() -> float:
    """CPU seconds the fingerprinting worker processes have reported so far. (They are started
    by a fork server, which reaps them: ``RUSAGE_CHILDREN`` of this process never sees them.)"""
    from sellerlink import linker

    return linker._WORKER_CPU_S


def run(size: int, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    from sellerlink import iter_accounts
    from sellerlink.index import Index
    from sellerlink.synth import generate_marketplace

    n_queries = args.queries
    if args.market:
        mdir = Path(args.market)
        accounts_path, watchlist_path = mdir / "accounts.jsonl", mdir / "watchlist.jsonl"
        if not accounts_path.exists() or not watchlist_path.exists():
            sys.exit(f"--market {mdir}: no accounts.jsonl and watchlist.jsonl there")
    else:
        mdir = workdir / f"m{size}"
        m = generate_marketplace(mdir, n_accounts=size + n_queries, seed=11, with_photos=False, workers=2)
        accounts_path, watchlist_path = m.accounts_path, m.watchlist_path
    with open(accounts_path, encoding="utf-8") as fh:
        n_live = sum(1 for _ in fh)
    rng = np.random.default_rng(0)
    held = set(rng.choice(n_live, size=n_queries, replace=False).tolist())
    qpath = workdir / f"q{size}.jsonl"
    path = workdir / f"ix{size}.slx"
    for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        if p.exists():
            p.unlink()

    def live(qfh: Any) -> Iterator[Any]:  # streamed: memory is the batches in flight
        for i, acc in enumerate(iter_accounts(accounts_path)):
            if i in held:
                qfh.write(json.dumps(acc.to_dict()) + "\n")
                continue
            if i % (10 * args.batch) == 0 and i:
                print(f"  ... {i} read, {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
            yield acc

    rows = []
    for how in (["add", "build"] if args.load == "both" else [args.load]):
        ipath = workdir / f"ix{size}_build.slx" if args.load == "both" and how == "build" else path
        for p in (ipath, Path(str(ipath) + "-wal"), Path(str(ipath) + "-shm")):
            if p.exists():
                p.unlink()
        reset_peak()
        t, c, cc = time.perf_counter(), time.process_time(), workers_cpu_s()
        first = not rows  # the first fill writes the held-out queries
        with Index.create(ipath, max_candidates=args.max_candidates) as ix, \
                open(qpath if first else os.devnull, "w", encoding="utf-8") as qfh:
            if how == "add":
                ix.add_many(iter_accounts(watchlist_path), watchlist=True, batch=args.batch, workers=args.workers)
                ix.add_many(live(qfh), batch=args.batch, workers=args.workers)
            else:
                ix.build(live(qfh), watchlist=iter_accounts(watchlist_path), batch=args.batch, workers=args.workers)
            n = len(ix)
        add_s, add_cpu = time.perf_counter() - t, time.process_time() - c + workers_cpu_s() - cc
        rss_build = peak_rss_mb()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(ipath), str(qpath), str(n_queries),
             *(["--cold"] if args.cold else []), *(["--signup-fields"] if args.signup_fields else []),
             "--query-candidates", str(args.query_candidates)],
            capture_output=True, text=True, check=True,
        )
        q = json.loads(out.stdout.strip().splitlines()[-1])
        res = {"load": how, "n": n, "add_per_s": n / add_s, "add_s": add_s, "add_cpu_s": add_cpu, **q,
               "file_mb": ipath.stat().st_size / 2**20, "rss_build": rss_build}
        if args.check_batch:
            res.update(check_batch(ipath, watchlist_path, accounts_path, held))
        rows.append(res)
    return rows


def reset_peak() -> None:
    """Reset this process's peak RSS (VmHWM; Linux: writing 5 to clear_refs), so that each fill
    of the index reports its own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def check_batch(path: Path, watchlist_path: Path, accounts_path: Path, held: set[int]) -> dict[str, float]:
    """Leads of the index (all its accounts, added in batches) against one batch trace of the
    same accounts: how many of the batch's leads at the threshold the index holds."""
    from sellerlink import Linker, iter_accounts, load_accounts
    from sellerlink.index import Index

    with Index.open(path, readonly=True) as ix:
        have = {(ld.account_id, ld.violator_id) for ld in ix.leads()}
    live = [a for i, a in enumerate(iter_accounts(accounts_path)) if i not in held]
    t = time.perf_counter()
    res = Linker(progress=False).trace(live, load_accounts(watchlist_path))
    want = {(ld.account_id, ld.violator_id) for ld in res.leads if ld.score >= res.threshold}
    return {"batch_leads": len(want), "index_leads": len(have), "leads_in_both": len(want & have),
            "batch_s": time.perf_counter() - t}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated index sizes (default 10000,100000)")
    ap.add_argument("--batch", type=int, default=2000, help="accounts per add (default 2000)")
    ap.add_argument("--workers", type=int, default=2, help="Index.add_many(workers=): processes kept busy, one links, the rest fingerprint (default 2)")
    ap.add_argument("--load", choices=("add", "build", "both"), default="add",
                    help="fill the index with add_many in batches (default), with Index.build in one pass, or "
                         "both, one after the other on the same market (two files; the ratio in the same run)")
    ap.add_argument("--max-candidates", type=int, default=64, help="Index(max_candidates=) (default 64)")
    ap.add_argument("--market", default=None,
                    help="an existing market folder (accounts.jsonl, watchlist.jsonl) instead of generating one; "
                    "the size is then a label")  # fmt: skip
    ap.add_argument("--check-batch", action="store_true",
                    help="also link everything at once and count the batch's leads the index holds (slow, "
                    "memory of a batch link)")  # fmt: skip
    ap.add_argument("--queries", type=int, default=200, help="queries per size (default 200)")
    ap.add_argument("--query-candidates", type=int, default=32, help="Index(query_candidates=) (default 32)")
    ap.add_argument("--workdir", default=None, help="where to write markets and index files (default: a temp dir)")
    ap.add_argument("--cold", action="store_true",
                    help="also time every query with the index file evicted from the operating system's page "
                         "cache first (what a file larger than memory costs; the process keeps its caches)")
    ap.add_argument("--signup-fields", action="store_true",
                    help="query each account as it is while being created: without its listings and photos "
                         "(names, bio and contacts only)")
    ap.add_argument("--index", nargs=2, metavar=("FILE", "QUERIES"),
                    help="no build: time the queries of QUERIES (JSONL) against an existing index FILE")
    ap.add_argument("--against", metavar="SRC",
                    help="with --index: time this code against another checkout's (its src folder), both in one "
                         "process, each query by both in random order (the ratio per query)")
    ap.add_argument("--rounds", type=int, default=3, help="with --against: rounds over the queries (default 3)")
    ap.add_argument("--add-remove", action="store_true",
                    help="with --index: WRITES to FILE: add the query accounts in one call and remove them in one, "
                         "then one of them alone; times each call and reports whether the answers and the "
                         "stored pairs are back as before (exact on a freshly built or refreshed file)")
    ap.add_argument("--refresh", action="store_true",
                    help="with --index: WRITES to FILE: refresh() it, timed, and report whether the answers and "
                         "the stored pairs moved (on a freshly built file nothing should)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        query_child(args.child[0], args.child[1], int(args.child[2]), cold=args.cold,
                    query_candidates=args.query_candidates, signup=args.signup_fields)
        return
    if args.against and not args.index:
        sys.exit("--against needs --index FILE QUERIES")
    if args.against and args.signup_fields:
        sys.exit("--signup-fields does not apply to --against (both codes are timed on the queries as given)")
    if args.refresh:
        if not args.index or args.against or args.cold or args.signup_fields or args.add_remove:
            sys.exit("--refresh needs --index FILE QUERIES, and no --against, --cold, --signup-fields or --add-remove")
        print(machine(), flush=True)
        print(f"index {args.index[0]} ({os.path.getsize(args.index[0]) / 2**20:.0f} MB), accounts {args.index[1]}",
              flush=True)
        refresh_check(args.index[0], args.index[1], args.queries)
        return
    if args.add_remove:
        if not args.index or args.against or args.cold or args.signup_fields:
            sys.exit("--add-remove needs --index FILE QUERIES, and no --against, --cold or --signup-fields")
        print(machine(), flush=True)
        print(f"index {args.index[0]} ({os.path.getsize(args.index[0]) / 2**20:.0f} MB), accounts {args.index[1]}",
              flush=True)
        add_remove(args.index[0], args.index[1], args.queries)
        return
    if args.index and args.against:
        print(machine(), flush=True)
        against(args.index[0], args.index[1], args.queries, args.against, args.rounds)
        return
    if args.index:
        print(machine(), flush=True)
        print(f"index {args.index[0]} ({os.path.getsize(args.index[0]) / 2**20:.0f} MB), queries {args.index[1]}",
              flush=True)
        query_child(args.index[0], args.index[1], args.queries, cold=args.cold,
                    query_candidates=args.query_candidates, signup=args.signup_fields)
        return
    print(machine(), flush=True)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="slx-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'load':>5} {'indexed':>9} {'add/s':>7} {'add s':>8} {'add CPU s':>9} {'p50 ms':>7} {'p99 ms':>7} {'CPU p50':>8} "
          f"{'CPU p99':>8} {'cands':>6} {'same leads':>11} {'same matches':>13} {'file MB':>8} {'RSS open+query MB':>18} "
          f"{'RSS build MB':>13}", flush=True)
    for size in (int(x) for x in args.sizes.split(",")):
        for r in run(size, args, work):
            same = f"{r['same_leads']}/{r['n_queries']}"
            same_m = f"{r['same_matches']}/{r['n_queries']}"
            print(f"{r['load']:>5} {r['n']:>9} {r['add_per_s']:>7.0f} {r['add_s']:>8.1f} {r['add_cpu_s']:>9.1f} "
                  f"{r['p50']:>7.1f} {r['p99']:>7.1f} {r['cpu_p50']:>8.1f} {r['cpu_p99']:>8.1f} {r['cands']:>6.1f} "
                  f"{same:>11} {same_m:>13} {r['file_mb']:>8.1f} {r['rss_open_query']:>18.0f} "
                  f"{r['rss_build']:>13.0f}", flush=True)
            print(f"          floor (fingerprinting the account alone, every signal, no lookup): CPU p50 "
                  f"{r['floor_cpu_p50']:.1f} ms; query CPU p50 / floor = {r['cpu_p50_per_floor']:.2f} (median of "
                  f"each query's own ratio {r['per_query_cpu_per_floor_p50']:.2f})", flush=True)
            if args.cold:
                print(f"          file out of the page cache before each query: p50 {r['cold_p50']:.1f} ms, "
                      f"p99 {r['cold_p99']:.1f} ms wall, CPU p50 {r['cold_cpu_p50']:.1f} ms", flush=True)
            if args.check_batch:
                print(f"          batch trace of the same accounts ({r['batch_s']:.0f} s): {r['batch_leads']} leads; "
                      f"the index holds {r['leads_in_both']} of them (and {r['index_leads']} leads in all)",
                      flush=True)
    if args.signup_fields:
        print("queries: each held-out account as it is while being created (no listings, no photos)", flush=True)
    print("same leads / matches: queries whose leads (matches) at the threshold equal those of the same query with no "
          "candidate cap (query_candidates=1,000,000), in the same run; add/s, add s and add CPU s are those of "
          "the load (add_many or build), CPU counting the fingerprinting processes too", flush=True)


if __name__ == "__main__":
    main()
