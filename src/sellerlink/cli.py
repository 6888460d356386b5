"""The ``sellerlink`` command line.

Exit codes (other tools rely on them):
    0  success
    1  an unexpected internal error (a bug: please report it with the traceback from -v)
    2  usage error (bad arguments)
    3  input error (a file is missing, unreadable, or a record is malformed with --strict)
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_INPUT = 3

log = logging.getLogger("sellerlink")

MAIN_HELP = """\
Trace renamed seller accounts back to known violators.

Typical use:
  sellerlink trace accounts.jsonl --watchlist banned.jsonl -o leads.csv
  sellerlink link accounts.jsonl -o clusters.csv
  sellerlink report accounts.jsonl --watchlist banned.jsonl -o report.html
  sellerlink index add seen.slx banned.jsonl --watchlist --create
  sellerlink index query seen.slx signups.jsonl

Account files are JSON Lines (one account object per line) or CSV (list fields
separated by '|'). Photo paths in them are resolved against the file's folder.
Run 'sellerlink COMMAND --help' for each command's options.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit code 2 with a hint, like argparse but explicit
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nTry '{self.prog} --help'.\n")


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"a probability strictly between 0 and 1, got {value}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="cores to use (default 1): worker processes fingerprint accounts, threads hash photos; 'index add' keeps N processes busy (N-1 fingerprint)")
    p.add_argument(
        "--strict", action="store_true", help="stop at the first malformed record instead of skipping it"
    )
    p.add_argument(
        "--confine-photos",
        action="store_true",
        help="ignore photo paths that leave the accounts file's folder (for files from strangers)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or warnings")
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage to stderr")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .linker import RECOMMENDED_THRESHOLD

    parser = _Parser(
        prog="sellerlink", description=MAIN_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"sellerlink {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "trace",
        help="score accounts against a watchlist of known violators",
        description="For each account, the known violators it most likely belongs to, best first, "
        "with a short summary of the evidence. Writes CSV columns: "
        "account_id, violator_id, score, evidence, hops.",
    )
    p.add_argument("accounts", metavar="ACCOUNTS", help="accounts to check (.jsonl or .csv)")
    p.add_argument("--watchlist", required=True, metavar="WATCHLIST", help="known violators (.jsonl or .csv)")
    p.add_argument("-o", "--output", metavar="CSV", help="write leads here (default: standard output)")
    p.add_argument(
        "--threshold",
        type=_threshold,
        default=RECOMMENDED_THRESHOLD,
        metavar="T",
        help=f"report leads scoring at least T (default {RECOMMENDED_THRESHOLD}, the recommended threshold)",
    )
    p.add_argument("--all", action="store_true", help="report every lead found, whatever its score")
    _common(p)

    p = sub.add_parser(
        "link",
        help="group accounts that belong to one actor",
        description="Link accounts into clusters, one per actor. Writes CSV columns: account_id, cluster_id.",
    )
    p.add_argument("accounts", metavar="ACCOUNTS", help="accounts (.jsonl or .csv)")
    p.add_argument("-o", "--output", metavar="CSV", help="write clusters here (default: standard output)")
    p.add_argument("--pairs", metavar="CSV", help="also write the scored pairs with their evidence here")
    p.add_argument("--graphml", metavar="FILE", help="also write the similarity graph as GraphML")
    p.add_argument(
        "--threshold", type=_threshold, default=RECOMMENDED_THRESHOLD, metavar="T", help="edge threshold"
    )
    _common(p)

    p = sub.add_parser(
        "report",
        help="write a self-contained HTML evidence report",
        description="Run a trace (with --watchlist) or a link, and write one HTML file with the leads, "
        "the evidence and the photos side by side. Opens offline.",
    )
    p.add_argument("accounts", metavar="ACCOUNTS")
    p.add_argument("--watchlist", metavar="WATCHLIST", help="known violators; without it, a link report")
    p.add_argument("-o", "--output", required=True, metavar="HTML")
    p.add_argument("--threshold", type=_threshold, default=RECOMMENDED_THRESHOLD, metavar="T")
    p.add_argument("--max-leads", type=_positive_int, default=500, metavar="N")
    _common(p)

    p = sub.add_parser(
        "index",
        help="a persistent index: add accounts as they arrive, check one at sign-up",
        description="Keep fingerprints of every account seen, and the watchlist, in one SQLite file. "
        "Add accounts as they arrive; query new accounts against everything indexed.",
    )
    isub = p.add_subparsers(dest="index_command", metavar="ACTION", parser_class=_Parser, required=True)
    q = isub.add_parser("create", help="create an empty index file")
    q.add_argument("index", metavar="INDEX", help="the index file to create (e.g. accounts.slx)")
    _common(q)
    q = isub.add_parser("add", help="add (or, with --watchlist, ban) accounts")
    q.add_argument("index", metavar="INDEX")
    q.add_argument("accounts", metavar="ACCOUNTS", help="accounts to add (.jsonl or .csv)")
    q.add_argument("--watchlist", action="store_true", help="these accounts are known violators")
    q.add_argument("--create", action="store_true", help="create the index file if it does not exist")
    q.add_argument("--batch", type=_positive_int, default=2000, metavar="N",
                   help="accounts per transaction (default 2000); an interrupted add keeps the batches "
                   "already committed and reports how far it got")  # fmt: skip
    _common(q)
    q = isub.add_parser(
        "build",
        help="create an index from many accounts at once (a first load: much faster than add)",
        description="Create INDEX from ACCOUNTS and the --watchlist accounts in one pass: they are "
        "fingerprinted, then counted and linked among themselves in memory, as 'sellerlink link' does. "
        "The same index as 'index add' of the watchlist and then the accounts gives; memory grows with "
        "the accounts. One transaction: an interrupted build leaves no index.",
    )
    q.add_argument("index", metavar="INDEX", help="the index file to create")
    q.add_argument("accounts", metavar="ACCOUNTS", help="accounts to index (.jsonl or .csv)")
    q.add_argument("--watchlist", metavar="FILE", default=None, help="known violators to index on the watchlist")
    _common(q)
    q = isub.add_parser(
        "refresh",
        help="re-score every stored pair with today's counts (after the index has grown a lot)",
    )
    q.add_argument("index", metavar="INDEX")
    _common(q)
    q = isub.add_parser(
        "upgrade",
        help="rewrite an index of an older format version in place, then compact it",
        description="Upgrade INDEX to this version's file format (one transaction), then rewrite it "
        "without free pages (VACUUM: needs the index to itself and free disk space about its size).",
    )
    q.add_argument("index", metavar="INDEX")
    _common(q)
    q = isub.add_parser("remove", help="remove accounts by id")
    q.add_argument("index", metavar="INDEX")
    q.add_argument("account_ids", metavar="ACCOUNT_ID", nargs="+")
    _common(q)
    q = isub.add_parser(
        "query",
        help="check accounts against the index without adding them",
        description="For each account in ACCOUNTS: its leads to known violators. Writes CSV columns "
        "account_id, violator_id, score, evidence, hops.",
    )
    q.add_argument("index", metavar="INDEX")
    q.add_argument("accounts", metavar="ACCOUNTS")
    q.add_argument("-o", "--output", metavar="CSV")
    q.add_argument("--threshold", type=_threshold, default=RECOMMENDED_THRESHOLD, metavar="T")
    q.add_argument("--all", action="store_true", help="report every lead found, whatever its score")
    _common(q)
    q = isub.add_parser("leads", help="leads of every indexed account to the watchlist")
    q.add_argument("index", metavar="INDEX")
    q.add_argument("-o", "--output", metavar="CSV")
    q.add_argument("--threshold", type=_threshold, default=RECOMMENDED_THRESHOLD, metavar="T")
    _common(q)
    q = isub.add_parser("clusters", help="account_id, cluster_id of everything indexed")
    q.add_argument("index", metavar="INDEX")
    q.add_argument("-o", "--output", metavar="CSV")
    _common(q)

    p = sub.add_parser(
        "synth",
        help="generate a synthetic evasion marketplace with ground truth",
        description="Write watchlist.jsonl, accounts.jsonl, photos/ and truth.json into OUT_DIR.",
        add_help=False,
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _configure(args: argparse.Namespace) -> None:
    level = logging.INFO if getattr(args, "verbose", False) else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if getattr(args, "quiet", False):
        warnings.simplefilter("ignore")
    else:
        warnings.simplefilter("default")

        def _show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
            print(f"warning: {message}", file=sys.stderr)

        warnings.showwarning = _show


def _check_file(path: str, what: str) -> None:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} file not found: {path}")
    if p.suffix.lower() not in (".jsonl", ".ndjson", ".json", ".csv", ".tsv"):
        raise ValueError(f"{what} file must be .jsonl or .csv, got {path}")


def _load(path: str, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .records import load_accounts

    return load_accounts(path, strict=args.strict, confine_photos=args.confine_photos)


def _stream(path: str, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The accounts of a file as an iterator: the linker then holds the only copy of each, and
    with ``keep_text=False`` the texts are freed once fingerprinted (4 GB at 1M accounts)."""
    from .records import iter_accounts

    return iter_accounts(path, strict=args.strict, confine_photos=args.confine_photos)


def _linker(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .linker import Linker

    progress = False if args.quiet else None
    # the outputs (CSV, GraphML, the report) show names, contacts and photos, never the texts
    return Linker(threshold=args.threshold, workers=args.workers, progress=progress, keep_text=False)


def _defuse(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading quote (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _write_csv(df, output: str | None) -> None:  # type: ignore[no-untyped-def]
    df = df.copy()
    for col in df.columns:
        if df[col].dtype == object or str(df[col].dtype).startswith("str"):
            df[col] = df[col].map(_defuse)
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(output, index=False)
    else:
        df.to_csv(sys.stdout, index=False)


def cmd_trace(args: argparse.Namespace) -> int:
    _check_file(args.accounts, "accounts")
    _check_file(args.watchlist, "watchlist")
    watchlist = _load(args.watchlist, args)
    result = _linker(args).trace(_stream(args.accounts, args), watchlist, threshold=args.threshold)
    df = result.to_frame(all_leads=args.all)
    _write_csv(df[["account_id", "violator_id", "score", "evidence", "hops"]], args.output)
    flagged = df["account_id"].nunique() if len(df) else 0
    banned = {a.account_id for a in watchlist}
    n_live = sum(a.account_id not in banned for a in result.link.fingerprints.accounts)
    log.info("%d of %d accounts have a lead at or above %.2f", flagged, n_live, args.threshold)
    if args.output and not args.quiet:
        print(f"{len(df)} leads for {flagged} of {n_live} accounts written to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_link(args: argparse.Namespace) -> int:
    _check_file(args.accounts, "accounts")
    result = _linker(args).link(_stream(args.accounts, args))
    _write_csv(result.clusters_frame(), args.output)
    if args.pairs:
        pairs = result.pairs.select(result.pairs.score >= args.threshold).to_frame(evidence=True)
        _write_csv(pairs, args.pairs)
    if args.graphml:
        from .export import to_graphml

        to_graphml(result.graph, args.graphml)
    if args.output and not args.quiet:
        n = len(set(result.clusters.values()))
        print(f"{len(result.clusters)} accounts in {n} clusters written to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    _check_file(args.accounts, "accounts")
    linker = _linker(args)
    if args.watchlist:
        _check_file(args.watchlist, "watchlist")
        result = linker.trace(_stream(args.accounts, args), _load(args.watchlist, args), threshold=args.threshold)
    else:
        result = linker.link(_stream(args.accounts, args))
    write_report(result, args.output, max_leads=args.max_leads)
    if not args.quiet:
        print(f"report written to {args.output}", file=sys.stderr)
    return EXIT_OK


def _index_build(args: argparse.Namespace, progress: bool | None) -> int:
    from pathlib import Path as _P

    from .index import Index

    if _P(args.index).exists():
        raise ValueError(f"{args.index} already exists; 'index build' creates a new index ('index add' adds to one)")
    _check_file(args.accounts, "accounts")
    if args.watchlist is not None:
        _check_file(args.watchlist, "watchlist")

    from .linker import Linker

    ix = Index.create(args.index, linker=Linker(progress=False))
    try:
        with ix:
            watchlist = () if args.watchlist is None else _stream(args.watchlist, args)
            n = ix.build(_stream(args.accounts, args), watchlist=watchlist, workers=args.workers, progress=progress)
            n_wl = len(ix.account_ids(watchlist=True))
    except BaseException:
        # the build is one transaction: what is left is an empty index file, not worth keeping
        for suffix in ("", "-wal", "-shm", "-journal"):
            _P(args.index + suffix).unlink(missing_ok=True)
        raise
    if not args.quiet:
        print(f"built {args.index}: {n} accounts ({n_wl} on the watchlist)", file=sys.stderr)
    return EXIT_OK


def cmd_index(args: argparse.Namespace) -> int:
    from pathlib import Path as _P

    from .index import FORMAT_VERSION, Index

    action = args.index_command
    progress = False if args.quiet else None
    if action == "create":
        if _P(args.index).exists():
            raise ValueError(f"{args.index} already exists; use 'sellerlink index add' to add to it")
        Index.create(args.index).close()
        if not args.quiet:
            print(f"created {args.index}", file=sys.stderr)
        return EXIT_OK
    if action == "build":
        return _index_build(args, progress)
    if action == "add" and args.create and not _P(args.index).exists():
        Index.create(args.index).close()
    if action == "upgrade":  # opening an older file for writing upgrades it
        with Index.open(args.index) as ix:
            n = len(ix)
            ix.compact()
        if not args.quiet:
            print(f"{args.index}: format version {FORMAT_VERSION}, {n} accounts", file=sys.stderr)
        return EXIT_OK
    readonly = action in ("query", "leads", "clusters")
    from .linker import RECOMMENDED_THRESHOLD, Linker, leads_frame

    threshold = getattr(args, "threshold", RECOMMENDED_THRESHOLD)
    linker = Linker(workers=args.workers, progress=progress, threshold=threshold)
    with Index.open(args.index, readonly=readonly, linker=linker) as ix:
        if action == "add":
            _check_file(args.accounts, "accounts")
            import warnings

            def stream():  # type: ignore[no-untyped-def]
                return _stream(args.accounts, args)

            # a first pass reads the ids only (its warnings are the second pass's): memory
            # stays that of the batches in flight, whatever the size of the file
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ids = [a.account_id for a in stream()]
            if len(set(ids)) != len(ids):
                raise ValueError(f"{args.accounts}: duplicate account_id in the file")
            known = ix.existing(ids)  # refuse the file before the first batch, not halfway
            if known:
                raise ValueError(f"{args.accounts}: {len(known)} accounts are already indexed "
                                 f"(remove them first), e.g. {sorted(known)[:5]}; nothing was added")  # fmt: skip
            what = "watchlist accounts" if args.watchlist else "accounts"
            before = len(ix)
            try:
                # --workers - 1 processes fingerprint the next batches while this one is linked
                n = ix.add_many(stream(), batch=args.batch, watchlist=args.watchlist, workers=args.workers,
                                progress=progress, total=len(ids))  # fmt: skip
            except BaseException:
                print(f"stopped: {len(ix) - before} of {len(ids)} {what} were added (in committed batches of "
                      f"{args.batch}); the rest were not", file=sys.stderr)  # fmt: skip
                raise
            if not args.quiet:
                print(f"added {n} {what}; {len(ix)} accounts indexed", file=sys.stderr)
        elif action == "refresh":
            n = ix.refresh(progress=progress)
            if not args.quiet:
                print(f"refreshed {len(ix)} accounts; {n} pairs stored", file=sys.stderr)
        elif action == "remove":
            n = ix.remove(args.account_ids)
            if not args.quiet:
                print(f"removed {n} accounts; {len(ix)} accounts indexed", file=sys.stderr)
        elif action == "query":
            _check_file(args.accounts, "accounts")
            leads = []
            for acc in _load(args.accounts, args):
                leads.extend(ix.query(acc).leads)
            _write_csv(leads_frame(leads, args.threshold, all_leads=args.all), args.output)
        elif action == "leads":
            _write_csv(leads_frame(ix.leads(), args.threshold), args.output)
        elif action == "clusters":
            import pandas as pd

            c = ix.clusters()
            _write_csv(pd.DataFrame({"account_id": list(c), "cluster_id": list(c.values())}), args.output)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "synth":
        from .synth import main as synth_main

        return int(synth_main(args.rest) or 0)
    _configure(args)
    from .records import RecordError

    handlers = {"trace": cmd_trace, "link": cmd_link, "report": cmd_report, "index": cmd_index}
    try:
        return handlers[args.command](args)
    except (FileNotFoundError, IsADirectoryError, PermissionError, RecordError, ValueError, OSError) as exc:
        print(f"sellerlink {args.command}: error: {exc}", file=sys.stderr)
        if isinstance(exc, RecordError):
            print("Fix the record, or drop --strict to skip malformed records with a warning.", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception:
        if args.verbose:
            raise
        log.exception("internal error")
        print("sellerlink: internal error; rerun with -v for the traceback and report it", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
