"""Where a link's memory goes after fingerprinting: RSS per step of the candidate-pairs stage
(and, with ``--score``, of compare + scoring).

The market is fingerprinted first (``Linker.fingerprint``, not probed). Then a thread reads
this process's RSS from ``/proc`` every ``--interval`` seconds and files it under the step
running then: each signal's ``candidate_keys``, ``pair_codes_from_keys`` with its dedupe of
the keys and every merge of a union (``_CodeUnion._merge``), the union of all signals
(``PairUnion.add``), the decode (``PairUnion.pairs``); with ``--score``, ``score_candidates``
with its hand-backs of the heap and the final join (``PairTable.concat``). Prints the machine,
the market, each stage's wall and CPU seconds, and the steps in order with their RSS at the
start and their sampled peak; the step holding the stage's peak is marked.

    .venv/bin/python benchmarks/link_memory.py --market DIR                 # accounts.jsonl, watchlist.jsonl
    .venv/bin/python benchmarks/link_memory.py --accounts 100000 --score    # a generated market (cached)

Markets come from ``sellerlink synth`` or the other benchmarks' ``--work-dir`` (``speed.py``'s
markets are ``m<N>_s7_nophotos_*``). The counterpart for an index build is ``build_memory.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C
from build_memory import _Probe, print_steps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--market", default=None, help="folder with accounts.jsonl and watchlist.jsonl")
    ap.add_argument("--accounts", type=int, default=10_000, help="size of a generated market (without --market)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--score", action="store_true", help="also probe compare + scoring")
    ap.add_argument("--interval", type=float, default=0.005, help="seconds between RSS samples")
    ap.add_argument("--all", action="store_true",
                    help="every step (default: the first, the peak's, and each 20 MB above the highest shown)")
    C.add_data_args(ap)
    args = ap.parse_args(argv)

    import sellerlink.blocking as B
    import sellerlink.linker as L
    from sellerlink import load_accounts

    C.print_machine("link_memory: RSS per step of a link's candidate pairs (and scoring)")
    if args.market:
        mdir = Path(args.market)
        for name in ("accounts.jsonl", "watchlist.jsonl"):
            if not (mdir / name).exists():
                ap.error(f"{mdir / name} not found")
    else:
        mdir = C.market(args.accounts, args.seed, work_dir=args.work_dir, photos=False, photos_dir=None,
                        text_csv=C.resolve_text(args.text_csv), workers=args.workers)  # fmt: skip
    lk = L.Linker(workers=args.workers, keep_text=False, progress=False)
    w0, c0 = time.perf_counter(), C.cpu_s()
    accs = load_accounts([*load_accounts(mdir / "watchlist.jsonl"), *load_accounts(mdir / "accounts.jsonl")])
    fps = lk.fingerprint(accs)
    print(f"market: {mdir} ({len(accs):,} records), workers {args.workers}; fingerprinted in "
          f"{time.perf_counter() - w0:.1f} s wall, {C.cpu_s() - c0:.1f} s CPU (with the workers'); "
          f"samples every {args.interval * 1000:.0f} ms", flush=True)
    del accs

    probe = _Probe(args.interval, first="(between steps)")
    # after fingerprinting: the worker processes, which receive the signals, are gone
    for sig in lk.signals:
        sig.candidate_keys = probe.wrap(sig.candidate_keys, f"{sig.name}.candidate_keys")
    L.pair_codes_from_keys = probe.wrap(B.pair_codes_from_keys, "pair_codes_from_keys")
    for obj, name, label in ((B, "_dedupe_sorted", "dedupe of the keys"), (B._CodeUnion, "_merge", "merge"),
                             (B.PairUnion, "add", "PairUnion.add"), (B.PairUnion, "pairs", "PairUnion.pairs")):
        setattr(obj, name, probe.wrap(getattr(obj, name), label))
    stages = []
    w0, c0, first = time.perf_counter(), C.cpu_s(), len(probe.steps)
    left, right = lk.candidate_pairs(fps)
    stages.append(("candidate pairs", first, len(probe.steps), time.perf_counter() - w0, C.cpu_s() - c0))
    print(f"{len(left):,} candidate pairs", flush=True)
    if args.score:
        L._release_freed_heap = probe.wrap(L._release_freed_heap, "hand-back of the heap")
        L.PairTable.concat = staticmethod(probe.wrap(L.PairTable.concat, "PairTable.concat"))  # type: ignore[method-assign]
        probe.enter("score_candidates")
        w0, c0, first = time.perf_counter(), C.cpu_s(), len(probe.steps) - 1
        pt = lk.score_candidates(fps, left, right)
        probe.leave()
        stages.append(("compare + scoring", first, len(probe.steps), time.perf_counter() - w0, C.cpu_s() - c0))
        print(f"{len(pt):,} pairs kept", flush=True)
    time.sleep(3 * args.interval)
    for stage, lo, hi, wall, cpu in stages:
        steps = probe.steps[lo:hi]
        top = max(range(len(steps)), key=lambda i: steps[i][2])
        print(f"\n{stage}: {wall:.1f} s wall, {cpu:.1f} s CPU; RSS {steps[0][1]:,.0f} -> peak "
              f"{steps[top][2]:,.0f} MB (+{steps[top][2] - steps[0][1]:,.0f})")
        print_steps(steps, show_all=args.all, rise_mb=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
