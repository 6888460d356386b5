"""Why does tracing quality fall with market size for comebacks that keep no contact?

For each market (the cached ``scale_quality.py`` markets by default), for the comebacks of
one difficulty (``no_contacts`` by default) and their true violators, this prints:

1. **Candidates.** Per signal: how many true (comeback, violator) pairs share at least one
   of its keys held by at most ``max_block`` accounts (proposed), how many share keys but
   only over-full ones (lost to ``max_block``), and the overall candidate recall.
2. **Scores.** For the true pairs that are candidates: mean raw features and mean evidence
   weight per term (``PairTable.term_weights``), score quantiles, the share at or above the
   threshold; and the df of the shingles the pair shares (how rare their common text is).
3. **Ranking.** Each comeback's direct leads (candidate pairs with a watchlist account,
   scored as ``Linker.trace`` scores them): recall@1 / flagged recall, and where the right
   violator is when it is not first (rank 2-5, lower, no lead), with the score gap.
4. **Counterfactuals** (same fingerprints, one part of the scoring changed): phrasing
   rarity cut-offs scaled with N (``common_df``, ``rare_df`` as fractions of the 10k
   market), style standardised over a 10% sample, names' information as if N were the
   10k market's. What each does to recall@1 / flagged recall, and to how many innocent live
   accounts get a direct lead at or above the threshold, tells which part explains the loss
   and what undoing it would cost.

Direct leads only (``trace`` also follows strong graph edges; they change little here: the
recall@1 printed is within a point of ``scale_quality.py``'s).

    .venv/bin/python benchmarks/scale_diagnose.py                       # both cached markets
    .venv/bin/python benchmarks/scale_diagnose.py --markets /tmp/sellerlink-bench/m10000_s7_nophotos_66439d9d
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C

DEFAULT_MARKETS = (
    "/tmp/sellerlink-bench/m10000_s7_nophotos_66439d9d",
    "/tmp/sellerlink-bench/m100000_s7_nophotos_416f8fe8",
)
FEATURES = ("text_sim", "text_info", "sentence_shared", "style_sim", "text_jaccard",
            "name_sim", "name_info", "name_exact", "name_df")  # fmt: skip
TERMS_SHOWN = ("text_sim", "text_info", "text_sentences", "style", "name_match", "name_exact")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo.astype(np.int64) * (1 << 31) + hi.astype(np.int64)


def _key_sharing(rows: np.ndarray, keys: np.ndarray, left: np.ndarray, right: np.ndarray,
                 max_block: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per pair (left[k], right[k]): shares a key held by 2..max_block rows; shares only larger keys."""
    import pandas as pd

    rk = pd.DataFrame({"row": rows, "key": keys}).drop_duplicates()
    size = rk.groupby("key").size()
    rk["size"] = rk["key"].map(size).to_numpy()
    pairs = pd.DataFrame({"pair": np.arange(len(left)), "l": left, "r": right})
    a = pairs.merge(rk, left_on="l", right_on="row")[["pair", "r", "key", "size"]]
    both = a.merge(rk[["row", "key"]], left_on=["r", "key"], right_on=["row", "key"])
    ok = np.zeros(len(left), dtype=bool)
    any_shared = np.zeros(len(left), dtype=bool)
    any_shared[both["pair"].to_numpy()] = True
    ok[both.loc[both["size"] <= max_block, "pair"].to_numpy()] = True
    return ok, any_shared & ~ok


def _target_candidates(rows_keys: list[tuple[np.ndarray, np.ndarray]], targets: np.ndarray, wl_mask: np.ndarray,
                       max_block: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Every (target row, watchlist row) sharing a key of some signal held by 2..max_block rows
    (what blocking proposes, restricted to the pairs a trace of the targets scores directly)."""
    import pandas as pd

    is_t = np.zeros(len(wl_mask), dtype=bool)
    is_t[targets] = True
    codes = []
    for rows, keys in rows_keys:
        rk = pd.DataFrame({"row": rows, "key": keys}).drop_duplicates()
        size = rk.groupby("key").size()
        rk = rk[rk["key"].map(size).to_numpy() <= max_block]
        t = rk[is_t[rk["row"].to_numpy()]]
        w = rk[wl_mask[rk["row"].to_numpy()]]
        m = t.merge(w, on="key", suffixes=("_t", "_w"))
        codes.append(m["row_t"].to_numpy(np.int64) * (1 << 31) + m["row_w"].to_numpy(np.int64))
    u = np.unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
    return u >> 31, u & ((1 << 31) - 1)


def _rank_stats(pt: Any, targets: np.ndarray, truth_of: dict[int, set[int]], threshold: float) -> dict[str, Any]:
    """recall@1, flagged recall, rank of the true violator, and the gap when it is not first."""
    import pandas as pd

    df = pd.DataFrame({"t": pt.left, "w": pt.right, "s": pt.score})
    df = df[df["s"] >= 0.01]  # trace's min_direct
    df["ok"] = [w in truth_of[t] for t, w in zip(df["t"].tolist(), df["w"].tolist())]
    df = df.sort_values(["t", "s"], ascending=[True, False], kind="mergesort")
    df["rank"] = df.groupby("t").cumcount() + 1
    first_ok = df[df["ok"]].groupby("t")["rank"].min().reindex(targets).fillna(np.inf).to_numpy()
    true_score = df[df["ok"]].groupby("t")["s"].max().reindex(targets).fillna(0.0).to_numpy()
    top = df[df["rank"] == 1].set_index("t").reindex(targets)
    top_s = top["s"].fillna(0.0).to_numpy()
    n = len(targets)
    r1 = first_ok == 1
    miss = ~r1
    return {
        "n": n,
        "recall@1": r1.mean(),
        "flagged": (r1 & (top_s >= threshold)).mean(),
        "rank 2-5": ((first_ok >= 2) & (first_ok <= 5)).mean(),
        "rank >5": ((first_ok > 5) & np.isfinite(first_ok)).mean(),
        "no lead": (~np.isfinite(first_ok)).mean(),
        "true score p50": float(np.median(true_score)),
        "miss: top - true p50": float(np.median((top_s - true_score)[miss])) if miss.any() else 0.0,
        "miss: top score p50": float(np.median(top_s[miss])) if miss.any() else 0.0,
    }


def _n_flagged(pt: Any, threshold: float) -> int:
    """How many distinct left accounts have a lead at or above ``threshold``."""
    return len(np.unique(pt.left[pt.score >= threshold]))


def _shared_shingle_df(table: Any, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """df of every shingle each true pair shares (concatenated), to see how rare common text is."""
    out = []
    for i, j in zip(left.tolist(), right.tolist()):
        a = table.sh_ids[table.sh_offsets[i] : table.sh_offsets[i + 1]]
        b = table.sh_ids[table.sh_offsets[j] : table.sh_offsets[j + 1]]
        out.append(table.vocab_df[np.intersect1d(a, b, assume_unique=True)])
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def _rephrase(table: Any, common_df: float, rare_df: int) -> Any:
    from sellerlink.signals.phrasing import _row_sums

    idf = np.maximum(np.log(common_df / np.maximum(table.vocab_df, 1)), 0.0)
    sent_rare = np.zeros_like(table.sent_rare)
    sent_rare[table.sent_ids] = table.sent_df <= rare_df
    return dataclasses.replace(table, idf=idf, sh_rowsum=_row_sums(table.sh_offsets, table.sh_ids, idf),
                               sent_rare=sent_rare, common_df=float(common_df), rare_df=int(rare_df))  # fmt: skip


def _restyle(table: Any, sample: float, seed: int = 0) -> Any:
    has = np.diff(table.sh_offsets) > 0
    x_all = table.style[has].astype(np.float64)
    rng = np.random.default_rng(seed)
    x = x_all[rng.random(len(x_all)) < sample]
    mu, sd = x.mean(axis=0), x.std(axis=0)
    z = np.where(sd > 1e-9, (x_all - mu) / np.where(sd > 1e-9, sd, 1.0), 0.0)
    z = np.clip(z, -4.0, 4.0)
    norm = np.linalg.norm(z, axis=1, keepdims=True)
    su = np.zeros_like(table.style_unit)
    su[has] = (z / np.where(norm > 0, norm, 1.0)).astype(np.float32)
    return dataclasses.replace(table, style_unit=su)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--markets", default=",".join(DEFAULT_MARKETS),
                    help="comma-separated market directories (accounts.jsonl, watchlist.jsonl, truth.json)")
    ap.add_argument("--difficulty", default="no_contacts", help="comeback difficulty to diagnose ('' = all)")
    ap.add_argument("--max-block", type=int, default=100)
    ap.add_argument("--ref-accounts", type=int, default=11729,
                    help="collection size the counterfactual rarity is scaled to (default: the 10k market's)")
    ap.add_argument("--no-counterfactuals", action="store_true")
    args = ap.parse_args(argv)  # fmt: skip
    import pandas as pd

    from sellerlink import Linker, load_accounts
    from sellerlink.evaluate import load_truth
    from sellerlink.linker import PairTable
    from sellerlink.signals.phrasing import effective_cutoffs

    C.print_machine("scale_diagnose: where no-contact comebacks are lost as the market grows")
    summary: list[dict[str, Any]] = []
    for mdir in [Path(m) for m in args.markets.split(",") if m]:
        t0, c0 = time.perf_counter(), time.process_time()
        truth = load_truth(mdir)
        live, wl = load_accounts(mdir / "accounts.jsonl"), load_accounts(mdir / "watchlist.jsonl")
        wl_ids = {a.account_id for a in wl}
        live = [a for a in live if a.account_id not in wl_ids]
        accounts = [*wl, *live]  # the order Linker.trace links them in
        row = {a.account_id: i for i, a in enumerate(accounts)}
        n = len(accounts)
        lk = Linker(min_score_kept=0.01, progress=False, max_block=args.max_block)
        fps = lk.fingerprint(accounts)
        t_fp = time.perf_counter() - t0
        cbs = [c for c, rec in truth.comebacks.items()
               if (not args.difficulty or rec.get("difficulty") == args.difficulty) and c in row]  # fmt: skip
        tl = np.array([row[c] for c in cbs for v in truth.comebacks[c]["violators"] if v in row], dtype=np.int64)
        tr = np.array([row[v] for c in cbs for v in truth.comebacks[c]["violators"] if v in row], dtype=np.int64)
        targets = np.array(sorted({row[c] for c in cbs}), dtype=np.int64)
        truth_of: dict[int, set[int]] = {row[c]: {row[v] for v in truth.comebacks[c]["violators"] if v in row}
                                         for c in cbs}  # fmt: skip
        print(f"\n=== {mdir.name}: {n} accounts ({len(wl)} watchlist), {len(cbs)} '{args.difficulty or 'all'}' "
              f"comebacks, {len(tl)} true pairs; fingerprinted in {t_fp:.0f} s", flush=True)  # fmt: skip

        # 1. candidates
        rows_keys = []
        cand_rows = []
        proposed_any = np.zeros(len(tl), dtype=bool)
        for sig in lk.signals:
            rows, keys = sig.candidate_keys(fps.tables[sig.name])
            rows_keys.append((rows, keys))
            ok, lost = _key_sharing(rows, keys, tl, tr, args.max_block)
            proposed_any |= ok
            cand_rows.append({"signal": sig.name, "keys/account": len(keys) / n, "proposes": ok.mean(),
                              "shares only keys > max_block": lost.mean()})  # fmt: skip
        cand_rows.append({"signal": "any", "keys/account": sum(len(k) for _, k in rows_keys) / n,
                          "proposes": proposed_any.mean(), "shares only keys > max_block": np.nan})  # fmt: skip
        print("\n1. candidate recall of the true pairs (share of true pairs)")
        print(C.fmt_table(cand_rows))
        # which single signal is the only one proposing
        alone = {}
        oks = [_key_sharing(r, k, tl, tr, args.max_block)[0] for r, k in rows_keys]
        for s, ok in zip(lk.signals, oks):
            others = np.zeros(len(tl), dtype=bool)
            for s2, ok2 in zip(lk.signals, oks):
                if s2 is not s:
                    others |= ok2
            alone[s.name] = float((ok & ~others).mean())
        print("   proposed by this signal alone:", {k: round(v, 3) for k, v in alone.items()})

        # 2. scores of the true pairs that are candidates
        wl_mask = np.zeros(n, dtype=bool)
        wl_mask[: len(wl)] = True
        cl, cr = _target_candidates(rows_keys, targets, wl_mask, args.max_block)
        # innocent live accounts: how many a variant flags (a direct lead >= threshold)
        innocents = np.array(sorted(row[a] for a in truth.innocent_ids if a in row and truth.list_of.get(a) == "accounts"),
                             dtype=np.int64)  # fmt: skip
        il, ir = _target_candidates(rows_keys, innocents, wl_mask, args.max_block)
        del rows_keys
        feats = lk.compare(fps, cl, cr)
        pt = PairTable(fps, lk.signals, lk.scorer, cl, cr, feats)
        code = _pair_codes(cl, cr)
        tcode = _pair_codes(tl, tr)
        order = np.argsort(code)
        pos = np.minimum(np.searchsorted(code[order], tcode), len(code) - 1)
        is_cand = code[order][pos] == tcode
        k = order[pos[is_cand]]
        ph = fps.tables["phrasing"]
        cut = effective_cutoffs(50, 5, n)
        srow: dict[str, Any] = {"market": mdir.name.split("_")[0], "accounts": n, "common_df": cut[0],
                                "rare_df": cut[1], "key_df": int(getattr(ph, "key_df", 10)), "true pairs": len(tl), "candidates": is_cand.mean()}  # fmt: skip
        for f in FEATURES:
            srow[f] = float(np.mean(pt.features[f][k])) if f in pt.features else np.nan
        print("\n2a. true candidate pairs: mean raw feature")
        print(C.fmt_table([{k2: v for k2, v in srow.items() if k2 in ("market", *FEATURES)}]))
        tw = {t: float(np.mean(pt.term_weights[t][k])) for t in TERMS_SHOWN}
        sc = pt.score[k]
        print("2b. true candidate pairs: mean evidence weight per term, and the score")
        print(C.fmt_table([{**tw, "phrasing total": float(np.mean(pt.signal_weights()["phrasing"][k])),
                            "names total": float(np.mean(pt.signal_weights()["names"][k])),
                            "score p25": float(np.quantile(sc, 0.25)), "p50": float(np.median(sc)),
                            "p75": float(np.quantile(sc, 0.75)), ">= 0.5": float((sc >= 0.5).mean())}]))  # fmt: skip
        sdf = _shared_shingle_df(ph, tl[is_cand], tr[is_cand])
        qs = np.quantile(sdf, [0.1, 0.25, 0.5, 0.75, 0.9]) if len(sdf) else [np.nan] * 5
        print("2c. df of the shingles true pairs share (quantiles 10/25/50/75/90%), share weighing 0 (df >= common_df):",
              [int(q) for q in qs], f"{(sdf >= cut[0]).mean():.3f}", f"(shared shingles per pair {len(sdf) / max(is_cand.sum(), 1):.1f})")  # fmt: skip
        st = ph.sent_df
        print(f"   sentences: share of all sentence entries held by <= rare_df ({cut[1]}) accounts: {(st <= cut[1]).mean():.3f}")

        # 3. ranking
        stats = _rank_stats(pt, targets, truth_of, lk.threshold)
        pti = PairTable(fps, lk.signals, lk.scorer, il, ir, lk.compare(fps, il, ir))
        stats["innocents flagged"] = _n_flagged(pti, lk.threshold)
        print(f"\n3. direct leads of these comebacks: recall@1, flagged recall, where the true violator is "
              f"({len(innocents)} innocent live accounts, {len(il)} candidate pairs with the watchlist)")
        print(C.fmt_table([stats]))
        srow.update({"recall@1": stats["recall@1"], "flagged": stats["flagged"], "rank 2-5": stats["rank 2-5"],
                     "no lead": stats["no lead"], "innocents flagged": stats["innocents flagged"]})  # fmt: skip

        # 4. counterfactuals: the same pairs, one part of the scoring changed
        if not args.no_counterfactuals:
            shown = ("recall@1", "flagged", "true score p50", "innocents flagged")
            cf_rows = [{"variant": "as is", **{m: stats[m] for m in shown}}]
            scale = n / args.ref_accounts
            variants: list[tuple[str, dict[str, Any]]] = [
                (f"phrasing cut-offs x N/{args.ref_accounts} (common_df {50 * scale:.0f}, rare_df {round(5 * scale)})",
                 {"phrasing": _rephrase(ph, 50 * scale, max(2, round(5 * scale)))}),
                (f"phrasing common_df x N/{args.ref_accounts} only",
                 {"phrasing": _rephrase(ph, 50 * scale, ph.rare_df)}),
                (f"phrasing rare_df x N/{args.ref_accounts} only",
                 {"phrasing": _rephrase(ph, ph.common_df, max(2, round(5 * scale)))}),
                ("style standardised over a 10% sample", {"phrasing": _restyle(ph, 0.10)}),
            ]  # fmt: skip
            nt = fps.tables["names"]
            if hasattr(nt, "n_total"):
                # names: info = sum log(N/df) is unchanged when N and df scale together; name_exact's
                # rarity(name_df) is absolute: as if N and every df were 10k-market sized
                variants.append((f"names df / (N/{args.ref_accounts})",
                                 {"names": dataclasses.replace(nt, key_df=np.maximum(np.round(nt.key_df / scale), 1).astype(np.int64),
                                                               token_df=np.maximum(np.round(nt.token_df / scale), 1).astype(np.int64),
                                                               n_total=int(args.ref_accounts))}))  # fmt: skip
            for name, repl in variants:
                fps2 = dataclasses.replace(fps, tables={**fps.tables, **repl})
                pt2 = PairTable(fps2, lk.signals, lk.scorer, cl, cr, lk.compare(fps2, cl, cr))
                s2 = _rank_stats(pt2, targets, truth_of, lk.threshold)
                s2["innocents flagged"] = _n_flagged(PairTable(fps2, lk.signals, lk.scorer, il, ir, lk.compare(fps2, il, ir)),
                                                     lk.threshold)  # fmt: skip
                cf_rows.append({"variant": name, **{m: s2[m] for m in shown}})
                del pt2
            print("\n4. counterfactuals (same fingerprints and candidate pairs, one part of scoring changed)")
            print(C.fmt_table(cf_rows))
        srow["wall s"] = time.perf_counter() - t0
        srow["cpu s"] = time.process_time() - c0
        srow["peak RSS MB"] = _peak_mb()
        summary.append(srow)
        del fps, pt, feats, pti
    print("\n=== summary")
    print(C.fmt_table(summary))
    _ = pd
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
