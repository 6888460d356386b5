"""Quality: sellerlink against baselines and Splink, measured in the same run on generated
marketplaces (ground truth from :mod:`sellerlink.synth`).

Usage (from the repository root):

    .venv/bin/python benchmarks/quality.py                      # 3 seeds x 1000 accounts, real photos
    .venv/bin/python benchmarks/quality.py --quick              # 1 seed x 300 accounts
    .venv/bin/python benchmarks/quality.py --seeds 1,2 --accounts 2000 --drawn --no-splink

Systems, each producing leads (live account -> watchlist account, score) scored by
:func:`sellerlink.evaluate.trace_metrics`:

* ``sellerlink``: ``Linker().trace(accounts, watchlist)``, flagged at ``RECOMMENDED_THRESHOLD``.
* ``contacts_exact``: the contact fields (phones, e-mails, bank accounts) normalised with
  sellerlink's helpers, exact match only (nothing read from free text). Flags any share.
* ``names_fuzzy``: rapidfuzz ``token_sort_ratio`` of NFKC/casefolded display names, the five
  best watchlist accounts per live account; flagged at ratio >= 90.
* ``photo_phash``: imagehash pHash of every photo (full decode), the smallest Hamming distance
  between any photo of the two accounts; score 1 - d/64, flagged at d <= 8.
* ``splink``: Splink 5 (DuckDB), link_only watchlist -> accounts, configured in
  ``benchmarks/_common.py`` (names, username, phones/e-mails/banks/links pre-normalised with
  sellerlink's helpers *including those hidden in free text*, address, rarest-words Jaccard,
  shared sentences; u by random sampling, lambda from deterministic rules, two EM passes);
  flagged at match probability >= 0.5.

Data: real photos from ``--photos-dir`` when present (else drawn, and the run says so); the
markets are written to ``--work-dir`` (a temp folder), never into the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C

SYSTEMS = ("sellerlink", "contacts_exact", "names_fuzzy", "photo_phash", "splink")


# ---------------------------------------------------------------------------------------
# baselines


def baseline_contacts(watch: list[dict], live: list[dict]) -> pd.DataFrame:
    index: dict[str, set[str]] = {}
    for r in watch:
        for c in C.listed_contacts(r):
            index.setdefault(c, set()).add(r["account_id"])
    rows = []
    for r in live:
        hits: set[str] = set()
        for c in C.listed_contacts(r):
            hits |= index.get(c, set())
        rows.extend((r["account_id"], v, 1.0) for v in sorted(hits))
    return pd.DataFrame(rows, columns=["account_id", "violator_id", "score"])


def _top_k(live_ids: list[str], watch_ids: list[str], sim: np.ndarray, k: int = 5) -> pd.DataFrame:
    k = min(k, sim.shape[1])
    top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(len(live_ids)), k)
    cols = top.ravel()
    return pd.DataFrame({
        "account_id": np.asarray(live_ids, dtype=object)[rows],
        "violator_id": np.asarray(watch_ids, dtype=object)[cols],
        "score": sim[rows, cols].astype(float),
    })


def baseline_names(watch: list[dict], live: list[dict], workers: int) -> pd.DataFrame:
    from rapidfuzz import fuzz, process

    wn = [C.generic_name(r.get("display_name") or "") for r in watch]
    ln = [C.generic_name(r.get("display_name") or "") for r in live]
    sim = process.cdist(ln, wn, scorer=fuzz.token_sort_ratio, workers=workers, dtype=np.float32) / 100.0
    return _top_k([r["account_id"] for r in live], [r["account_id"] for r in watch], sim)


def _photos_of(rec: dict) -> list[str]:
    out = list(rec.get("photos") or [])
    for li in rec.get("listings") or []:
        out.extend(li.get("photos") or [])
    return out


def _phash_all(recs: list[dict], root: Path) -> tuple[np.ndarray, np.ndarray]:
    import imagehash
    from PIL import Image

    owners, hashes = [], []
    for i, r in enumerate(recs):
        for p in _photos_of(r):
            try:
                with Image.open(root / p) as im:
                    h = imagehash.phash(im)
            except OSError:
                continue
            owners.append(i)
            hashes.append(int(str(h), 16))
    return np.asarray(owners, dtype=np.int64), np.asarray(hashes, dtype=np.uint64)


def baseline_photos(watch: list[dict], live: list[dict], root: Path) -> pd.DataFrame:
    wo, wh = _phash_all(watch, root)
    lo, lh = _phash_all(live, root)
    if not len(wh) or not len(lh):
        return pd.DataFrame(columns=["account_id", "violator_id", "score"])
    best = np.full((len(live), len(watch)), 64, dtype=np.int16)
    for s in range(0, len(lh), 2048):  # photo x photo distances in blocks, then min per account pair
        d = np.bitwise_count(lh[s:s + 2048, None] ^ wh[None, :]).astype(np.int16)
        li = np.repeat(lo[s:s + 2048], len(wh))
        wi = np.tile(wo, len(lh[s:s + 2048]))
        np.minimum.at(best, (li, wi), d.ravel())
    return _top_k([r["account_id"] for r in live], [r["account_id"] for r in watch], 1.0 - best / 64.0)


# ---------------------------------------------------------------------------------------


def run_market(mdir: Path, systems: list[str], workers: int) -> dict[str, dict[str, Any]]:
    from sellerlink.evaluate import load_truth, trace_metrics
    from sellerlink.linker import RECOMMENDED_THRESHOLD, Linker

    truth = load_truth(mdir)
    watch = C.read_jsonl(mdir / "watchlist.jsonl")
    live = C.read_jsonl(mdir / "accounts.jsonl")
    out: dict[str, dict[str, Any]] = {}
    for name in systems:
        w0, c0 = time.perf_counter(), C.cpu_s()
        if name == "sellerlink":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tr = Linker(workers=workers, progress=False).trace(mdir / "accounts.jsonl", mdir / "watchlist.jsonl")
            leads, thr = tr.to_frame(all_leads=True), RECOMMENDED_THRESHOLD
        elif name == "contacts_exact":
            leads, thr = baseline_contacts(watch, live), 0.5
        elif name == "names_fuzzy":
            leads, thr = baseline_names(watch, live, workers), 0.9
        elif name == "photo_phash":
            leads, thr = baseline_photos(watch, live, mdir), 1.0 - 8 / 64
        elif name == "splink":
            frame = C.splink_frame(watch + live)
            fw, fl = frame.iloc[: len(watch)].reset_index(drop=True), frame.iloc[len(watch):].reset_index(drop=True)
            pred = C.run_splink([fw, fl], link_type="link_only", u_max_pairs=1e6)
            leads, thr = C.splink_leads(pred), 0.5
        else:
            raise ValueError(name)
        wall, cpu = time.perf_counter() - w0, C.cpu_s() - c0
        m = trace_metrics(leads, truth, threshold=thr)
        m["wall_s"], m["cpu_s"] = wall, cpu
        out[name] = m
        print(f"  {name:15s} recall@1={m['recall@1']:.3f} precision={m['precision']:.3f} f1={m['f1']:.3f} "
              f"flagged={m['n_flagged']} innocents_flagged={m['n_innocent_flagged']}  {wall:.1f}s wall {cpu:.1f}s cpu",
              flush=True)
    return out


def _pool(per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool several markets: recalls weighted by comebacks, precision over all flagged."""
    n = sum(m["n_comebacks"] for m in per_seed)
    out: dict[str, Any] = {"n_comebacks": n}
    for k in ("recall@1", "recall@5", "mrr", "flagged_recall"):
        out[k] = sum(m[k] * m["n_comebacks"] for m in per_seed) / n
    nf = sum(m["n_flagged"] for m in per_seed)
    out["n_flagged"] = nf
    out["n_innocent_flagged"] = sum(m["n_innocent_flagged"] for m in per_seed)
    out["precision"] = sum(m["n_flagged_correct"] for m in per_seed) / nf if nf else float("nan")
    p, r = out["precision"], out["flagged_recall"]
    out["f1"] = 2 * p * r / (p + r) if nf and (p + r) else float("nan")
    out["wall_s"] = sum(m["wall_s"] for m in per_seed)
    out["cpu_s"] = sum(m["cpu_s"] for m in per_seed)
    for group in ("by_difficulty", "by_tactic"):
        g: dict[str, dict[str, float]] = {}
        for m in per_seed:
            for key, s in m[group].items():
                acc = g.setdefault(key, {"n": 0, "r1": 0.0, "fr": 0.0})
                acc["n"] += s["n"]
                acc["r1"] += s["recall@1"] * s["n"]
                acc["fr"] += s["flagged_recall"] * s["n"]
        out[group] = {k: {"n": v["n"], "recall@1": v["r1"] / v["n"], "flagged_recall": v["fr"] / v["n"]}
                      for k, v in g.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    ap.add_argument("--accounts", type=int, default=1000, help="live accounts per market (default 1000)")
    ap.add_argument("--quick", action="store_true", help="one seed, 300 accounts")
    ap.add_argument("--drawn", action="store_true", help="use drawn photos even when real ones are present")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of " + ",".join(SYSTEMS))
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the pooled metrics to this JSON file")
    C.add_data_args(ap)
    args = ap.parse_args(argv)
    import logging

    logging.getLogger("splink").setLevel(logging.ERROR)
    C.print_machine("quality: sellerlink vs baselines vs Splink (same run)")
    seeds = [1] if args.quick else [int(s) for s in args.seeds.split(",") if s.strip()]
    n_acc = 300 if args.quick else args.accounts
    photos_dir = None if args.drawn else C.resolve_photos(args.photos_dir)
    if args.drawn:
        print("photos: drawn (--drawn)")
    text_csv = C.resolve_text(args.text_csv)
    systems = [s for s in args.systems.split(",") if s]
    if args.no_splink:
        systems = [s for s in systems if s != "splink"]
    elif "splink" in systems:
        import importlib.util

        missing = [m for m in ("splink", "duckdb") if importlib.util.find_spec(m) is None]
        if missing:  # said, not a crash after the other systems ran (pip install splink: the bench extra)
            print(f"splink: not measured ({', '.join(missing)} not installed; `pip install -e \".[bench]\"`)")
            systems = [s for s in systems if s != "splink"]
    print(f"data: {len(seeds)} market(s) x {n_acc} live accounts (+ watchlist), seeds {seeds}; systems {systems}")
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
    for seed in seeds:
        mdir = C.market(n_acc, seed, work_dir=args.work_dir, photos=True, photos_dir=photos_dir, text_csv=text_csv)
        print(f"market seed {seed}: {mdir}", flush=True)
        for s, m in run_market(mdir, systems, args.workers).items():
            results[s].append(m)
    pooled = {s: _pool(ms) for s, ms in results.items()}
    print("\n### Overall (pooled over seeds)\n")
    rows = []
    for s, m in pooled.items():
        rows.append({"system": s, "recall@1": m["recall@1"], "recall@5": m["recall@5"],
                     "flagged precision": m["precision"], "flagged recall": m["flagged_recall"], "F1": m["f1"],
                     "flagged": m["n_flagged"], "innocents flagged": m["n_innocent_flagged"],
                     "wall s": m["wall_s"], "cpu s": m["cpu_s"]})
    print(C.fmt_table(rows))
    for group, title in (("by_difficulty", "difficulty"), ("by_tactic", "tactic")):
        keys = sorted({k for m in pooled.values() for k in m[group]})
        print(f"\n### recall@1 (flagged recall in brackets) by {title}\n")
        rows = []
        for k in keys:
            row: dict[str, Any] = {title: k, "n": next(m[group][k]["n"] for m in pooled.values() if k in m[group])}
            for s, m in pooled.items():
                g = m[group].get(k)
                row[s] = f"{g['recall@1']:.3f} ({g['flagged_recall']:.2f})" if g else "–"
            rows.append(row)
        print(C.fmt_table(rows))
    if "sellerlink" in pooled:
        m = pooled["sellerlink"]
        nc = m["by_difficulty"].get("no_contacts", {}).get("recall@1", float("nan"))
        print(f"\ntargets: recall@1 {m['recall@1']:.3f} (target >= 0.95), no_contacts recall@1 {nc:.3f} "
              f"(>= 0.85), flagged precision {m['precision']:.3f} (>= 0.99)")
    if args.json:
        Path(args.json).write_text(json.dumps(pooled, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
