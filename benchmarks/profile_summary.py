"""Where the time goes, from a sampling profile: sums the collapsed stacks that ``py-spy record
--format raw`` writes (``speed.py --py-spy DIR`` records each child that way), by function and
by module.

Usage (from the repository root):

    .venv/bin/pip install py-spy                       # a benchmark-only tool
    .venv/bin/python benchmarks/speed.py --sizes 1000000 --systems sellerlink --py-spy /tmp/prof
    .venv/bin/python benchmarks/profile_summary.py /tmp/prof/sellerlink_m1000000_*.txt

Every sample is one look at each thread that was not idle (running, or ready to run and
waiting for a core: on a loaded machine that is more than the CPU time), across the process's
threads and forked workers; read shares, and seconds as samples / rate. Time in C (numpy, rapidfuzz, SQLite) is counted at the Python line that
called it. Unlike ``profile_link.py`` (cProfile, which slows Python-heavy code more than
numpy code), sampling leaves the run as fast as unprofiled, so it can profile a 1M run.

Prints: samples and the seconds they stand for (samples / ``--rate``); own samples per
function (the frame on top) and per module; samples per sellerlink function anywhere on the
stack (inclusive, each function counted once per stack).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# "function (path/to/file.py:123)"; py-spy also writes "process 123:..." and "thread (0x..)" frames
_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^():]+\.py):\d+\)$")


def _module(path: str) -> str:
    """py-spy shortens paths under sys.path (``sellerlink/linker.py``, ``numpy/...``); full
    paths are cut at the same places."""
    p = path.replace("\\", "/")
    for marker in ("/src/", "/site-packages/"):
        if marker in p:
            return p.split(marker, 1)[1]
    if "/lib/python3" in p:
        return p.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return p


def read_stacks(path: Path) -> Counter[tuple[tuple[str, str], ...]]:
    """Collapsed stacks -> {((module, function), ...) root first: samples}."""
    out: Counter[tuple[tuple[str, str], ...]] = Counter()
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                raise ValueError(f"{path}:{lineno}: not a collapsed stack line ('frames count')")
            frames = []
            for fr in stack.split(";"):
                m = _FRAME.match(fr.strip())
                if m:
                    frames.append((_module(m["file"]), m["func"]))
            # samples without a Python frame (start-up, shutdown) are left out
            if frames:
                out[tuple(frames)] += int(count)
    return out


def summarize(stacks: Counter[tuple[tuple[str, str], ...]], rate: float, top: int = 25) -> str:
    total = sum(stacks.values())
    if not total:
        return "no samples"
    own: Counter[tuple[str, str]] = Counter()
    own_mod: Counter[str] = Counter()
    incl: Counter[tuple[str, str]] = Counter()
    for frames, n in stacks.items():
        own[frames[-1]] += n
        own_mod[frames[-1][0]] += n
        for fr in set(frames):
            if fr[0].startswith("sellerlink/"):
                incl[fr] += n

    def pct(n: int) -> str:
        return f"{n:8d} {100 * n / total:5.1f}% {n / rate:8.1f}s"

    lines = [f"samples: {total} (~{total / rate:.0f} thread-seconds not idle, at {rate:g} Hz)", "",
             f"own samples, top {top} functions:"]
    lines += [f"  {pct(n)}  {mod}:{fn}" for (mod, fn), n in own.most_common(top)]
    lines += ["", "own samples per module:"]
    lines += [f"  {pct(n)}  {mod}" for mod, n in own_mod.most_common(top)]
    lines += ["", f"inclusive samples, top {top} sellerlink functions:"]
    lines += [f"  {pct(n)}  {mod}:{fn}" for (mod, fn), n in incl.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="py-spy --format raw outputs (summed together)")
    ap.add_argument("--rate", type=float, default=10.0, help="the samples per second they were taken at (default 10)")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args(argv)
    stacks: Counter[tuple[tuple[str, str], ...]] = Counter()
    for f in args.files:
        p = Path(f)
        if not p.is_file():
            print(f"{p}: no such file (did py-spy run? see the .log beside it)", file=sys.stderr)
            return 2
        stacks.update(read_stacks(p))
    print(f"profile: {', '.join(args.files)}")
    print(summarize(stacks, args.rate, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
