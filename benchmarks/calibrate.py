"""Fit the scorer's shipped coefficients on generated marketplaces, and check them held out.

    python benchmarks/calibrate.py --markets /tmp/m1 /tmp/m2        # existing synth output folders
    python benchmarks/calibrate.py --generate 1500 --seeds 1 2 3    # generate (drawn photos) first
    python benchmarks/calibrate.py --generate 500 --seeds 21 22 --photos-dir ../shared/data/photos/clothing

For every market: fingerprint, candidate pairs and features once; labels from truth.json
(same actor or not). Then (1) leave-one-market-out: fit on the others, trace the held-out
market with the fitted scorer, report recall and precision at the recommended threshold;
(2) fit on all markets and print the coefficients in the form ``scoring.py`` ships them.
The fit is ``Scorer.fit`` with its default bounds (see ``sellerlink.scoring``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import sellerlink as sl
from sellerlink.evaluate import trace_metrics
from sellerlink.linker import (
    LinkResult,
    TraceResult,
    build_graph,
    cluster_graph,
    trace_graph,
)
from sellerlink.scoring import TERMS, Scorer

UNCAPPED = {"contacts": 1e9, "photos": 1e9, "names": 1e9, "phrasing": 1e9}


def prepare(folder: Path, linker: sl.Linker) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        live = sl.load_accounts(folder / "accounts.jsonl")
        banned = sl.load_accounts(folder / "watchlist.jsonl")
        t0 = time.perf_counter()
        pairs = linker.score_pairs([*banned, *live])
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    actor = {a: v["actor"] for a, v in truth["accounts"].items()}
    ids = pairs.fingerprints.ids
    y = np.array([actor[ids[i]] == actor[ids[j]] for i, j in zip(pairs.left, pairs.right)], dtype=bool)
    print(
        f"{folder}: {len(ids)} accounts, {len(pairs)} candidate pairs, {int(y.sum())} same-actor, "
        f"{time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return {"folder": folder, "pairs": pairs, "y": y, "live": {a.account_id for a in live},
            "banned": {a.account_id for a in banned}}


def retrace(market: dict, scorer: Scorer, linker: sl.Linker) -> TraceResult:
    """Re-score a market's pairs with another scorer and trace, without re-fingerprinting."""
    old = market["pairs"]
    pairs = type(old)(old.fingerprints, old.signals, scorer, old.left, old.right, old.features)
    graph = build_graph(pairs, linker.threshold)
    clusters = cluster_graph(graph, pairs.fingerprints.ids)
    result = LinkResult(pairs.fingerprints, pairs, graph, clusters, linker.threshold)
    leads = trace_graph(result, market["live"], market["banned"], max_hops=linker.max_hops,
                        min_edge=max(linker.strong_edge, linker.threshold), hop_decay=linker.hop_decay)
    return TraceResult(leads, linker.threshold, result)


def fit(markets: list[dict]) -> Scorer:
    feats = {k: np.concatenate([m["pairs"].features[k] for m in markets]) for k in markets[0]["pairs"].features}
    y = np.concatenate([m["y"] for m in markets])
    return Scorer(signal_caps=UNCAPPED).fit(feats, y)


def summary(metrics: dict) -> str:
    by = {k: round(v["flagged_recall"], 3) for k, v in metrics["by_difficulty"].items()}
    return (f"flagged recall {metrics['flagged_recall']:.3f}, precision {metrics['precision']:.4f} "
            f"({metrics['n_flagged']} flagged), by difficulty {by}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markets", nargs="*", type=Path, default=[], help="existing synth output folders")
    ap.add_argument("--generate", type=int, metavar="N", help="generate markets of N accounts first")
    ap.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3])
    ap.add_argument("--photos-dir", type=Path, help="real photos for the generator (e.g. ../shared/data/photos/clothing)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    folders = list(args.markets)
    if args.generate:
        from sellerlink.synth import generate_marketplace

        if args.photos_dir is not None and not args.photos_dir.is_dir():
            print(f"photos folder {args.photos_dir} not found: generating with drawn photos", file=sys.stderr)
            args.photos_dir = None
        for seed in args.seeds:
            out = Path(tempfile.mkdtemp(prefix=f"calib{seed}_"))
            generate_marketplace(out, n_accounts=args.generate, seed=seed, photos_dir=args.photos_dir)
            folders.append(out)
    if len(folders) < 2:
        ap.error("need at least two markets (leave-one-out)")

    # every candidate pair: the fit and the reliability table need the low-scoring ones too
    linker = sl.Linker(workers=args.workers, progress=False, min_score_kept=None)
    markets = [prepare(f, linker) for f in folders]
    print("\nleave one market out (fit on the others, trace the held-out one):")
    held_p, held_y = [], []
    for k, held in enumerate(markets):
        s = fit([m for j, m in enumerate(markets) if j != k])
        res = retrace(held, s, linker)
        held_p.append(res.link.pairs.score)
        held_y.append(held["y"])
        print(f"  {held['folder']}: {summary(trace_metrics(res.to_frame(all_leads=True), held['folder'] / 'truth.json'))}")
    p, y = np.concatenate(held_p), np.concatenate(held_y)
    print("\nreliability of held-out pair probabilities (are scores probabilities?):")
    print("  predicted      pairs   mean predicted   observed same-actor rate")
    edges = [0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0001]
    for lo, hi in itertools.pairwise(edges):
        m = (p >= lo) & (p < hi)
        if m.any():
            print(f"  [{lo:.2f}, {min(hi, 1):.2f})  {int(m.sum()):8d}   {p[m].mean():14.3f}   {y[m].mean():10.3f}")
    s = fit(markets)
    print("\nshipped defaults, traced with the current defaults:")
    for m in markets:
        res = retrace(m, Scorer(), linker)
        print(f"  {m['folder']}: {summary(trace_metrics(res.to_frame(all_leads=True), m['folder'] / 'truth.json'))}")
    print("\nfitted on all markets (paste into scoring.py):")
    print("DEFAULT_COEF = {")
    for t, c in zip(TERMS, s.coef_):
        print(f'    "{t}": {c:.2f},')
    print("}")
    print(f"DEFAULT_INTERCEPT = {s.intercept_:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
