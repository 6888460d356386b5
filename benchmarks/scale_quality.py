"""Does trace quality hold as the market grows? The same tracing, scored against the truth, on
generated markets (without photos) of growing size.

Markets come from :mod:`sellerlink.synth` with the settings of ``speed.py`` (seed 7, no photos,
cached in ``--work-dir``), so the 10k and 100k markets are the ones ``speed.py`` times. For each
size: ``Linker(min_score_kept=0.01).trace(accounts, watchlist)`` and
:func:`sellerlink.evaluate.trace_metrics` against ``truth.json`` — comeback recall@1, flagged
recall and flagged precision at the recommended threshold, how many innocent accounts were
flagged, and comeback recall per difficulty and per evasion tactic — plus wall / CPU seconds (load, link, trace) and the peak RSS of the process so far (run sizes in
increasing order).

    .venv/bin/python benchmarks/scale_quality.py --sizes 10000,100000
    .venv/bin/python benchmarks/scale_quality.py --quick          # 2,000 accounts
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="live accounts per market (default 10000,100000)")
    ap.add_argument("--quick", action="store_true", help="one market of 2,000 accounts")
    ap.add_argument("--seed", type=int, default=7)
    C.add_data_args(ap)
    args = ap.parse_args(argv)
    from sellerlink import Linker, load_accounts
    from sellerlink.evaluate import load_truth, trace_metrics

    C.print_machine("scale_quality: trace quality on growing markets (no photos)")
    sizes = [2000] if args.quick else [int(x) for x in args.sizes.split(",")]
    text_csv = C.resolve_text(args.text_csv)
    rows = []
    groups: dict[str, dict[str, str]] = {}  # "difficulty: x" / "tactic: y" -> size -> "recall@1 / flagged"
    for n in sizes:
        mdir = C.market(n, args.seed, work_dir=args.work_dir, photos=False, photos_dir=None, text_csv=text_csv)
        t, c = time.perf_counter(), time.process_time()
        live, wl = load_accounts(mdir / "accounts.jsonl"), load_accounts(mdir / "watchlist.jsonl")
        res = Linker(min_score_kept=0.01, progress=False).trace(live, wl)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        m = trace_metrics(res.to_frame(all_leads=True), load_truth(mdir))
        rows.append({"live accounts": len(live), "watchlist": len(wl), "comebacks": m["n_comebacks"],
                     "recall@1": m["recall@1"], "flagged recall": m["flagged_recall"],
                     "flagged precision": m["precision"], "innocents flagged": m["n_innocent_flagged"],
                     "wall s": wall, "cpu s": cpu, "peak RSS MB": _peak_mb()})  # fmt: skip
        print(C.fmt_table(rows[-1:]), flush=True)
        for kind in ("difficulty", "tactic"):
            for name, g in m[f"by_{kind}"].items():
                groups.setdefault(f"{kind}: {name}", {})[str(len(live))] = (
                    f"{g['recall@1']:.3f} / {g['flagged_recall']:.3f} (n={g['n']})")
    print()
    print(C.fmt_table(rows))
    # which difficulty and tactic the growth costs most (comeback recall@1 / flagged recall per size)
    sizes_seen = [str(r["live accounts"]) for r in rows]
    print()
    print(C.fmt_table([{"group": k, **{f"{sz} accounts": v.get(sz, "") for sz in sizes_seen}}
                       for k, v in groups.items()]))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
