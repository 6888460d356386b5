"""Where the time goes: cProfile of ``Linker.link`` on a generated market, hotspots named by
file:function.

Usage (from the repository root):

    .venv/bin/python benchmarks/profile_link.py --accounts 10000            # without photos
    .venv/bin/python benchmarks/profile_link.py --quick                     # 1,000 accounts
    .venv/bin/python benchmarks/profile_link.py --accounts 1000 --photos    # with (real) photos

Prints the machine, the wall time of the profiled run against the same run unprofiled
(the baseline, measured first in the same process: cProfile's overhead inflates Python-heavy
code more than numpy/C code, so read shares, not absolute seconds), the top functions by
own time and by cumulative time, and own time summed per sellerlink module. ``--workers 1``
by default so that the profile sees every call (worker threads are invisible to cProfile).
The full profile is written to ``--out`` (pstats format, read with ``python -m pstats``).
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
import argparse
import cProfile
import pstats
import time
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.append(_HERE)
import _common as C


def _short(filename: str) -> str:
    f = filename.replace("\\", "/")
    for marker in ("/src/sellerlink/", "/site-packages/", "/lib/python3"):
        if marker in f:
            return ("sellerlink/" if "sellerlink" in marker else "") + f.split(marker, 1)[1]
    return f


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=10000, help="live accounts (default 10000)")
    ap.add_argument("--quick", action="store_true", help="1,000 accounts")
    ap.add_argument("--photos", action="store_true", help="with photos (real when --photos-dir exists)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--no-baseline", action="store_true", help="skip the unprofiled run")
    ap.add_argument("--out", default=None, help="pstats file (default <work-dir>/link_<N>.prof)")
    C.add_data_args(ap)
    args = ap.parse_args(argv)
    from sellerlink.linker import Linker
    from sellerlink.records import load_accounts

    C.print_machine("profile: cProfile of Linker.link")
    n = 1000 if args.quick else args.accounts
    photos_dir = C.resolve_photos(args.photos_dir) if args.photos else None
    text_csv = C.resolve_text(args.text_csv)
    mdir = C.market(n, args.seed, work_dir=args.work_dir, photos=args.photos, photos_dir=photos_dir, text_csv=text_csv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        accs = load_accounts(mdir / "watchlist.jsonl") + load_accounts(mdir / "accounts.jsonl")
    print(f"data: {mdir}: {len(accs)} accounts (watchlist + live), photos={'yes' if args.photos else 'no'}, "
          f"workers={args.workers}")
    lk = Linker(workers=args.workers, progress=False)
    if not args.no_baseline:
        w0, c0 = time.perf_counter(), C.cpu_s()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lk.link(accs)
        print(f"baseline (unprofiled) link: {time.perf_counter() - w0:.1f}s wall, {C.cpu_s() - c0:.1f}s cpu")
    prof = cProfile.Profile()
    w0, c0 = time.perf_counter(), C.cpu_s()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prof.enable()
        lk.link(accs)
        prof.disable()
    wall, cpu = time.perf_counter() - w0, C.cpu_s() - c0
    print(f"profiled link: {wall:.1f}s wall, {cpu:.1f}s cpu; peak RSS {C.peak_rss_mb():.0f} MB (ru_maxrss)")
    out = Path(args.out) if args.out else Path(args.work_dir) / f"link_{n}{'_photos' if args.photos else ''}.prof"
    prof.dump_stats(out)
    print(f"full profile: {out}")

    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
    rows_own, per_module = [], defaultdict(float)
    for (fname, line, func), (cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        rows_own.append((tt, ct, nc, f"{_short(fname)}:{line}:{func}"))
        per_module[_short(fname) if "sellerlink/" in _short(fname) else "(outside sellerlink)"] += tt
    rows_own.sort(reverse=True)
    print(f"\n### top {args.top} by own time (total profiled own time {total:.1f}s)\n")
    print(C.fmt_table([{"own s": r[0], "share": r[0] / total, "cum s": r[1], "calls": r[2], "function": r[3]}
                       for r in rows_own[: args.top]]))
    cum = sorted(((ct, f"{_short(f)}:{ln}:{fn}") for (f, ln, fn), (_, _, _, ct, _) in st.stats.items()  # type: ignore[attr-defined]
                  if "sellerlink/" in _short(f)), reverse=True)
    print(f"\n### top {args.top} sellerlink functions by cumulative time\n")
    print(C.fmt_table([{"cum s": c, "share": c / total, "function": f} for c, f in cum[: args.top]]))
    print("\n### own time per module\n")
    print(C.fmt_table([{"module": m, "own s": t, "share": t / total}
                       for m, t in sorted(per_module.items(), key=lambda kv: -kv[1])[:15]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
