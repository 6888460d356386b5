"""Speed and scale: link time and peak memory of sellerlink and Splink on the same generated
market, in the same run, each in its own child process.

Usage (from the repository root):

    .venv/bin/python benchmarks/speed.py --sizes 10000,100000,1000000
    .venv/bin/python benchmarks/speed.py --quick                 # 2,000 accounts
    .venv/bin/python benchmarks/speed.py --sizes 10000 --systems sellerlink

What runs, per size (live accounts; the watchlist adds ~17%):

* ``sellerlink``: ``Linker(workers=2, keep_text=False)`` (as the command line runs it) over
  watchlist + accounts, stage by stage (load, fingerprint per signal (contacts and phrasing
  extract in ``workers`` worker processes; their CPU time is in the child's figure; the
  accounts' texts are dropped during the last signal's stage, chunk by chunk as its workers
  finish them),
  candidate pairs, compare per signal,
  scoring, graph + clusters) —
  exactly what ``Linker.link`` does, including its chunked comparison (``Linker.compare``
  with one signal at a time; comparing all pairs in one call, as this script did before,
  peaked at 11.5 GB at 100k where ``Linker.link`` itself stayed under 5 GB). Each stage
  also reports the process's resident memory after it and its peak during it (Linux:
  ``VmHWM`` reset through ``/proc/self/clear_refs`` at the stage's start). It runs
  ``Linker(min_score_kept=X)`` with the library's default X (0.01; ``--min-score-kept``):
  pairs are compared and scored in one chunked stage and only those scoring at least X are
  kept. ``--min-score-kept none`` keeps every candidate pair, comparing one signal at a time.
* ``splink``: Splink 5 on DuckDB, ``dedupe_only`` over the same accounts, configured as in
  ``benchmarks/_common.py`` (prep = building its input columns with sellerlink's contact
  helpers; training = lambda from deterministic rules, u by random sampling with
  ``--u-max-pairs``, two EM passes; predict at probability >= 0.01).

Both report pairwise precision / recall / F1 of same-actor pairs at probability >= 0.5
(:func:`sellerlink.evaluate.pairwise_metrics`), so speed is never read without accuracy.
Markets are generated without photos (``--photos-upto N`` adds photos for sizes <= N);
generation time is not measured. Peak memory is the child's ``ru_maxrss`` (whole process,
DuckDB's native memory included). sellerlink's worker processes (and the forkserver that
starts them) count with their private memory (USS, sampled every 2 s; the shared libraries
they map are left out): "with workers MB" is the sampled peak of the child's RSS plus theirs,
up to the end of the link (the pair-quality scoring after it, which loads the ground truth, is
not counted; ``--max-rss-gb`` still stops a child there, to keep the machine safe).
CPU seconds include the CPU time the worker processes report for their tasks. A child whose
memory passes ``--max-rss-gb`` or whose wall time passes ``--timeout`` is stopped and
reported as such. Nothing is extrapolated.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C


def _status_mb(field: str) -> float:
    """``VmRSS`` / ``VmHWM`` of this process from /proc (NaN elsewhere), MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux: writing 5 to clear_refs resets VmHWM and ru_maxrss)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class MemStopwatch(C.Stopwatch):
    """Wall/CPU seconds per stage plus RSS before and after it and its peak during it (MB).

    Resetting the peak per stage also resets ``ru_maxrss``, so the run's peak is the largest
    stage peak (:meth:`peak_mb`), taken together with ``ru_maxrss`` where resets fail.
    """

    def __init__(self) -> None:
        super().__init__()
        self.mem: list[tuple[str, float, float, float]] = []

    def run(self, name: str, fn: Any) -> Any:
        before = _status_mb("VmRSS")
        reset = _reset_peak()
        out = super().run(name, fn)
        peak = _status_mb("VmHWM") if reset else C.peak_rss_mb()
        self.mem.append((name, before, peak, _status_mb("VmRSS")))
        # as it happens (a long run stopped by --timeout or --max-rss-gb keeps what it did)
        _, wall, cpu = self.stages[-1]
        print(f"    done: {name}: {wall:.1f} s wall, {cpu:.1f} s cpu, RSS {before:.0f} -> peak {peak:.0f} -> "
              f"{self.mem[-1][3]:.0f} MB", flush=True)
        return out

    def peak_mb(self) -> float:
        return max((m[2] for m in self.mem), default=0.0)


_LINKED_MARK: Path | None = None  # set in a child: the file it creates when its link is done


def _mark_linked() -> None:
    """Tell the parent the link is done: what the child does after it (scoring the pairs against
    the ground truth) is not the system's memory."""
    if _LINKED_MARK is not None:
        _LINKED_MARK.touch()


def _linked_mark(child_out: str | Path) -> Path:
    return Path(f"{child_out}.linked")


def child_sellerlink(mdir: Path, workers: int, min_score_kept: float | None = None) -> dict[str, Any]:
    from sellerlink.evaluate import load_truth, pairwise_metrics
    from sellerlink.linker import (
        Fingerprints,
        Linker,
        PairTable,
        build_graph,
        cluster_graph,
    )
    from sellerlink.records import load_accounts

    sw = MemStopwatch()
    rss0 = C.rss_mb()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        accs = sw.run("load records", lambda: load_accounts(mdir / "watchlist.jsonl") + load_accounts(mdir / "accounts.jsonl"))
    rss_loaded = C.rss_mb()
    # keep_text=False as on the command line: the texts go once fingerprinted (4 GB at 1M)
    lk = Linker(workers=workers, progress=False, min_score_kept=min_score_kept, keep_text=False)
    tables: dict[str, Any] = {}
    steps = lk._fingerprint_tables(accs)  # what Linker.fingerprint does, one signal per stage
    for s in lk.signals:
        name, tables[s.name] = sw.run(f"fingerprint: {s.name}", lambda: next(steps))
        assert name == s.name
    steps.close()  # the worker processes exit
    fps = Fingerprints(accs, tables)
    left, right = sw.run("candidate pairs", lambda: lk.candidate_pairs(fps))
    if min_score_kept is None:
        feats: dict[str, Any] = {}
        for s in lk.signals:
            # what Linker.compare does for this signal: the same chunks, the same preallocated arrays
            one = Linker(signals=[s], scorer=lk.scorer, workers=workers, progress=False)
            feats.update(sw.run(f"compare: {s.name}", lambda one=one: one.compare(fps, left, right)))
        pt = sw.run("scoring", lambda: PairTable(fps, lk.signals, lk.scorer, left, right, feats))
    else:  # compare and score chunk by chunk, keeping pairs >= min_score_kept (Linker.score_candidates)
        pt = sw.run(f"compare + scoring (keep >= {min_score_kept:g})", lambda: lk.score_candidates(fps, left, right))
    g = sw.run("graph", lambda: build_graph(pt, lk.threshold))
    sw.run("clusters", lambda: cluster_graph(g, fps.ids))
    _mark_linked()
    wall, cpu = sw.total()
    peak = max(C.peak_rss_mb(), sw.peak_mb())
    frame = pt.to_frame()
    q = pairwise_metrics(frame[frame["score"] >= 0.5], load_truth(mdir), threshold=0.5)
    return {"stages": sw.stages, "stage_mem": sw.mem, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak,
            "rss_start_mb": rss0, "rss_after_load_mb": rss_loaded, "n_records": len(accs),
            "n_candidate_pairs": len(left), "n_kept_pairs": len(pt), "n_edges": g.number_of_edges(), "pairwise": q}


def _splink_prep(mdir: str, out: str) -> dict[str, Any]:
    """Splink's input columns from the market's files, written to the Parquet file ``out``; run in
    a process of its own, whose memory goes with it (see :func:`child_splink`)."""
    import duckdb

    # streamed: the records are read as the frame is built (holding them all first, as dicts,
    # took 9 GB at 1M before the frame's own columns)
    recs = itertools.chain(C.iter_jsonl(Path(mdir) / "watchlist.jsonl"), C.iter_jsonl(Path(mdir) / "accounts.jsonl"))
    rss0 = C.rss_mb()
    frame = C.splink_frame(recs)
    con = duckdb.connect(":memory:")
    con.register("_frame", frame)
    con.sql("SELECT * FROM _frame").write_parquet(out)
    con.close()
    return {"n_records": len(frame), "cpu_s": C.cpu_s(), "rss_start_mb": rss0, "peak_rss_mb": C.peak_rss_mb(),
            "rss_end_mb": C.rss_mb()}


def child_splink(mdir: Path, u_max_pairs: float, memory_gb: float | None = None,
                 spill_dir: str | None = None) -> dict[str, Any]:
    """Splink on the market. Its input columns are prepared by a process of its own and handed
    over as a Parquet file: built in this process, the pandas frame of Python objects left
    ~10 GB of freed heap here at 1M accounts, beside all of DuckDB's memory. The preparation
    is timed as its own stage (its wall time here, its CPU and peak RSS from that process), and
    Splink's own peak (``splink_peak_rss_mb``) is reported apart from it."""
    import concurrent.futures
    import logging
    import multiprocessing

    from sellerlink.evaluate import load_truth, pairwise_metrics

    logging.getLogger("splink").setLevel(logging.ERROR)
    sw = MemStopwatch()
    rss0 = C.rss_mb()
    parquet = mdir.parent / f"splink_input_{os.getpid()}.parquet"  # the work folder, not the market's
    name = "load records + prep: input columns (sellerlink contact helpers), own process"
    try:
        t0 = time.perf_counter()
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
            prep = ex.submit(_splink_prep, str(mdir), str(parquet)).result()
        sw.stages.append((name, time.perf_counter() - t0, prep["cpu_s"]))
        sw.mem.append((name, prep["rss_start_mb"], prep["peak_rss_mb"], prep["rss_end_mb"]))  # that process's
        print(f"    done: {name}: {sw.stages[-1][1]:.1f} s wall, {prep['cpu_s']:.1f} s cpu, its RSS "
              f"{prep['rss_start_mb']:.0f} -> peak {prep['peak_rss_mb']:.0f} -> {prep['rss_end_mb']:.0f} MB", flush=True)
        pred = C.run_splink([str(parquet)], link_type="dedupe_only", u_max_pairs=u_max_pairs, stopwatch=sw,
                            memory_gb=memory_gb, spill_dir=spill_dir)
    finally:
        parquet.unlink(missing_ok=True)
    _mark_linked()
    wall, cpu = sw.total()
    rss_loaded = sw.mem[1][3]  # after its input became a DuckDB table
    splink_peak = max(max((m[2] for m in sw.mem[1:]), default=0.0), C.peak_rss_mb())
    q = pairwise_metrics(
        pred.rename(columns={"unique_id_l": "left", "unique_id_r": "right", "match_probability": "score"}),
        load_truth(mdir), threshold=0.5)
    return {"stages": sw.stages, "stage_mem": sw.mem, "wall_s": wall, "cpu_s": cpu,
            "peak_rss_mb": max(splink_peak, prep["peak_rss_mb"]), "splink_peak_rss_mb": splink_peak,
            "prep_peak_rss_mb": prep["peak_rss_mb"], "rss_start_mb": rss0,
            "rss_after_load_mb": rss_loaded, "n_records": prep["n_records"], "n_candidate_pairs": len(pred),
            "pairwise": q}


def _linker_default(name: str) -> Any:
    import inspect

    from sellerlink import Linker

    return inspect.signature(Linker).parameters[name].default


_DEFAULT_FLOOR = _linker_default("min_score_kept")


def _floor(text: str) -> float | None:
    return None if text.lower() == "none" else float(text)


def run_child(system: str, mdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    import psutil

    cmd = [sys.executable, __file__, "--child", system, "--market", str(mdir), "--workers", str(args.workers),
           "--u-max-pairs", str(args.u_max_pairs)]
    if args.splink_memory_gb is not None:
        cmd += ["--splink-memory-gb", str(args.splink_memory_gb)]
    cmd += ["--min-score-kept", str(args.min_score_kept)]
    out_path = Path(args.work_dir) / f"child_{system}_{os.getpid()}.json"
    cmd += ["--child-out", str(out_path)]
    linked = _linked_mark(out_path)
    linked.unlink(missing_ok=True)  # (left by an interrupted run of the same pid)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    ps = psutil.Process(proc.pid)
    spy = _start_py_spy(proc.pid, system, mdir, args) if args.py_spy else None
    peak, peak_tree, why, t_kids, private = 0.0, 0.0, "", 0.0, 0.0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss / 2**20
        except psutil.Error:
            rss = 0.0
        done = linked.exists()  # the link is over: the pair-quality scoring after it is not sampled
        if not done:
            peak = max(peak, rss)
        # the child's worker processes add their private memory (USS: pages no other
        # process maps; read from smaps, so every 2 s)
        if time.perf_counter() - t_kids >= 2.0:
            t_kids = time.perf_counter()
            private = 0.0
            try:
                for kid in ps.children(recursive=True):
                    private += kid.memory_full_info().uss / 2**20
            except psutil.Error:
                pass
        if not done:
            peak_tree = max(peak_tree, rss + private)
        if rss + private > args.max_rss_gb * 1024:
            why = f"stopped: RSS passed {args.max_rss_gb} GB"
        elif time.perf_counter() - t0 > args.timeout:
            why = f"stopped: wall time passed {args.timeout} s"
        if why:
            try:  # its own worker processes too (Splink's input preparation runs in one)
                kids = ps.children(recursive=True)
            except psutil.Error:
                kids = []
            proc.kill()
            proc.wait()
            for kid in kids:
                with contextlib.suppress(psutil.Error):
                    kid.kill()
            for left in Path(args.work_dir).glob(f"splink_input_{proc.pid}.parquet"):
                left.unlink()
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - t0
    linked.unlink(missing_ok=True)
    if spy is not None:
        try:
            spy.wait(timeout=120)  # it writes its file once the child is gone
        except subprocess.TimeoutExpired:
            spy.kill()
    if why or proc.returncode != 0 or not out_path.is_file():
        return {"failed": why or f"exit code {proc.returncode}", "elapsed_s": elapsed, "sampled_peak_rss_mb": peak,
                "sampled_peak_tree_mb": peak_tree}
    res = json.loads(out_path.read_text())
    out_path.unlink()
    res["sampled_peak_rss_mb"] = peak
    res["sampled_peak_tree_mb"] = peak_tree
    return res


def _start_py_spy(pid: int, system: str, mdir: Path, args: argparse.Namespace) -> subprocess.Popen[bytes] | None:
    """Sample the child ``pid`` with py-spy (``--py-spy DIR``): collapsed stacks, summed by
    ``benchmarks/profile_summary.py``. Sampling from outside (``--nonblocking``: the child is
    never paused) costs the child next to nothing, unlike cProfile's per-call hook."""
    import shutil

    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).is_file():
        print("  --py-spy: py-spy is not installed (pip install py-spy); no profile", flush=True)
        return None
    out = Path(args.py_spy) / f"{system}_{mdir.name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"  py-spy: sampling {system} at {args.py_spy_rate} Hz into {out}", flush=True)
    with open(out.with_suffix(".log"), "wb") as log:  # py-spy's own messages (a refused ptrace, say)
        return subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", str(args.py_spy_rate), "--nonblocking",
                                 "--subprocesses", "--format", "raw", "--output", str(out)],
                                stdout=log, stderr=subprocess.STDOUT)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000", help="live accounts per market, comma-separated")
    ap.add_argument("--quick", action="store_true", help="one market of 2,000 accounts")
    ap.add_argument("--systems", default="sellerlink,splink")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--photos-upto", type=int, default=0, help="generate photos for sizes <= this (default none)")
    ap.add_argument("--u-max-pairs", type=float, default=1e6, help="Splink u sampling pairs (default 1e6)")
    ap.add_argument("--splink-memory-gb", type=float, default=None,
                    help="DuckDB memory_limit for Splink, spilling into duckdb_spill beside the market beyond it "
                         "(default: DuckDB's own, 80%% of RAM)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per system and size (default 1800)")
    ap.add_argument("--max-rss-gb", type=float, default=16.0, help="stop a child above this RSS (default 16)")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    ap.add_argument("--min-score-kept", type=_floor, default=_DEFAULT_FLOOR,
                    help="sellerlink: Linker(min_score_kept=X), drop pairs scoring below X while scoring "
                         f"(default: the library's, {_DEFAULT_FLOOR}); 'none' keeps every candidate pair")
    ap.add_argument("--py-spy", default=None, metavar="DIR",
                    help="record each child with py-spy (collapsed stacks in DIR; read them with "
                         "benchmarks/profile_summary.py)")
    ap.add_argument("--py-spy-rate", type=int, default=10, help="py-spy samples per second (default 10)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--market", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", default=None, help=argparse.SUPPRESS)
    C.add_data_args(ap)
    args = ap.parse_args(argv)

    if args.child:
        global _LINKED_MARK
        _LINKED_MARK = _linked_mark(args.child_out) if args.child_out else None
        mdir = Path(args.market)
        res = (child_sellerlink(mdir, args.workers, args.min_score_kept) if args.child == "sellerlink"
               else child_splink(mdir, args.u_max_pairs, args.splink_memory_gb,
                                 str(mdir.parent / "duckdb_spill")))
        Path(args.child_out).write_text(json.dumps(res))
        return 0

    C.print_machine("speed: sellerlink vs Splink, link time and peak memory (same run, same data)")
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    systems = [s for s in args.systems.split(",") if s]
    photos_dir = C.resolve_photos(args.photos_dir) if args.photos_upto else None
    text_csv = C.resolve_text(args.text_csv)
    Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    all_res: dict[str, dict[str, Any]] = {}
    for n in sizes:
        photos = n <= args.photos_upto
        mdir = C.market(n, args.seed, work_dir=args.work_dir, photos=photos, photos_dir=photos_dir, text_csv=text_csv)
        print(f"\n## {n} live accounts ({'with' if photos else 'without'} photos): {mdir}", flush=True)
        for s in systems:
            r = run_child(s, mdir, args)
            all_res[f"{s}@{n}"] = r
            if "failed" in r:
                print(f"  {s}: {r['failed']} after {r['elapsed_s']:.0f}s (sampled peak RSS {r['sampled_peak_rss_mb']:.0f} MB)")
                continue
            q = r["pairwise"]
            kept = f" ({r['n_kept_pairs']} kept)" if r.get("n_kept_pairs", r["n_candidate_pairs"]) != r["n_candidate_pairs"] else ""
            print(f"  {s}: {r['n_records']} records, {r['n_candidate_pairs']} scored pairs{kept}, wall {r['wall_s']:.1f}s, "
                  f"cpu {r['cpu_s']:.1f}s, peak RSS {r['peak_rss_mb']:.0f} MB (after load {r['rss_after_load_mb']:.0f} MB; "
                  f"with its worker processes' private memory, sampled: {r['sampled_peak_tree_mb']:.0f} MB"
                  + (f"; Splink's own {r['splink_peak_rss_mb']:.0f} MB, its input preparation's "
                     f"{r['prep_peak_rss_mb']:.0f} MB" if "splink_peak_rss_mb" in r else "") + "); "
                  f"pairwise P {q['precision']:.3f} R {q['recall']:.3f} F1 {q['f1']:.3f}", flush=True)
            mem = {m[0]: m[1:] for m in r.get("stage_mem", [])}
            for name, w, c in r["stages"]:
                extra = ""
                if name in mem:
                    before, peak, after = mem[name]
                    extra = f"   RSS {before:7.0f} -> peak {peak:7.0f} (+{peak - before:6.0f}) -> {after:7.0f} MB"
                print(f"      {name:50s} {w:8.2f}s wall {c:8.2f}s cpu{extra}")
        a, b = all_res.get(f"sellerlink@{n}"), all_res.get(f"splink@{n}")
        if a and b and "failed" not in a and "failed" not in b:
            print(f"  ratio sellerlink/splink: wall {a['wall_s'] / b['wall_s']:.2f}x, cpu {a['cpu_s'] / b['cpu_s']:.2f}x, "
                  f"peak RSS {a['peak_rss_mb'] / b['peak_rss_mb']:.2f}x")
    rows = []
    for key, r in all_res.items():
        s, n = key.split("@")
        if "failed" in r:
            rows.append({"size": n, "system": s, "wall s": r["failed"]})
            continue
        rows.append({"size": n, "system": s, "records": r["n_records"], "scored pairs": r["n_candidate_pairs"],
                     "wall s": r["wall_s"], "cpu s": r["cpu_s"], "peak RSS MB": round(r["peak_rss_mb"]),
                     "with workers MB": round(max(r["peak_rss_mb"], r["sampled_peak_tree_mb"])),
                     "pair P": r["pairwise"]["precision"], "pair R": r["pairwise"]["recall"],
                     "pair F1": r["pairwise"]["f1"]})
    print("\n" + C.fmt_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(all_res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
