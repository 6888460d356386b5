"""Synthetic evasion marketplaces with ground truth, to tune and test the linker on.

A market has three kinds of actors:

- **violators**: each has one (sometimes two) banned accounts on the watchlist and, unless
  dormant, one or two *comeback* accounts among today's accounts, made with the evasion
  tactics of :data:`ALL_TACTICS` (renames with leet / homoglyphs / fillers / word order or
  an entirely new or generic name; product-word swaps; reworded sentences that keep the
  writer's habits; a new phone with the old one hidden as a wa.me link, spelled out,
  full-width, O-for-0 or keycap emoji; kept bank account, e-mail variant, Instagram
  handle or address; re-uploaded photos cropped, mirrored, rotated, re-encoded, resized,
  bordered, brightened or watermarked with the new name, mixed with new photos). Each
  comeback has a difficulty: ``keeps_contacts``, ``hidden_contacts`` (only the hidden old
  phone links it) or ``no_contacts`` (photos, phrasing and names only).
- **innocent sellers** (the majority), some with a legitimate second shop, selling the
  same goods with the same product words.
- **traps**: supplier stock photos on 20-50 accounts, dropship-agency phones on 20-40,
  marketplace boilerplate pasted by many, generic shop names ("Thrift Store Jakarta"),
  households (same surname / address, different people, sometimes a violator's relative)
  and namesakes of banned shops.

Everything is deterministic for a seed (same bytes, photos included, whatever the number
of worker processes) and streaming: 1M accounts without photos are written with flat memory.

Files written by :func:`generate_marketplace` into ``out_dir``:

- ``watchlist.jsonl``: the banned accounts; ``accounts.jsonl``: today's accounts. One
  :class:`sellerlink.records.Account` record a line; photo paths relative to ``out_dir``
  (``photos/<account_id>/<k>.jpg``, ``photos/<account_id>/cover.jpg``). Account ids are
  random-looking (``u`` + 10 hex digits) and reveal nothing.
- ``truth.json`` (schema ``sellerlink.synth.truth/1``)::

    {"schema", "seed", "n_accounts", "n_watchlist", "n_comebacks", "config": {...},
     "accounts":  {account_id: {"actor": "a17", "role": "watchlist"|"comeback"|"innocent",
                                "list": "watchlist"|"accounts"}},
     "actors":    {actor_id: {"kind": "violator"|"innocent", "watchlist": [ids], "live": [ids],
                              "household": group number or null}},
     "comebacks": {account_id: {"actor", "violators": [watchlist ids of the same actor],
                                "parent": the watchlist account it was derived from,
                                "difficulty": "keeps_contacts"|"hidden_contacts"|"no_contacts",
                                "tactics": [applied tactic names],
                                "kept": {"phone": "contact"|"hidden"|null, "email", "bank", "link",
                                         "address": bool, "hidden_text": the hidden phone as written},
                                "photo_pairs": [{"old": path, "new": path, "ops": [{"op": "crop",
                                                 "left": 0.08, ...}, ...]}],
                                "shared_items": how many listed products it shares with the parent}},
     "traps":     [{"type": "stock_photo"|"agency_phone"|"boilerplate"|"generic_name"|
                            "household"|"namesake", "group": "type:n", "accounts": [ids]}]}

  A trap group lists every account of its members (a namesake group: the innocent
  namesakes plus the banned seller whose name they share). Innocent accounts with a
  second shop are one actor with two live accounts, role "innocent" — same-actor pairs
  that are not comebacks. :func:`sellerlink.evaluate.load_truth` reads the file.

Text may draw product names from PRDECT-ID (``text_csv``): Sutoyo et al., "PRDECT-ID:
Indonesian product reviews dataset for emotions classification tasks", Mendeley Data,
DOI 10.17632/574v66hf2v.1, CC BY 4.0. Photos may come from any folder of product photos
(``photos_dir``); otherwise they are drawn procedurally.

Example:
    >>> from sellerlink.synth import generate
    >>> watch, live, truth = generate(n_accounts=100, seed=1)
    >>> sorted(truth)[:4]
    ['accounts', 'actors', 'comebacks', 'config']
    >>> c = next(iter(truth["comebacks"].values()))
    >>> c["difficulty"] in DIFFICULTIES and set(c["tactics"]) <= set(ALL_TACTICS)
    True
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._core import (
    ALL_TACTICS,
    DEFAULT_DIFFICULTY_MIX,
    DIFFICULTIES,
    TRAP_TYPES,
    TRUTH_SCHEMA,
    Marketplace,
    SynthConfig,
    SynthWarning,
    generate,
    generate_marketplace,
    iter_marketplace,
)

__all__ = [
    "ALL_TACTICS",
    "DEFAULT_DIFFICULTY_MIX",
    "DIFFICULTIES",
    "TRAP_TYPES",
    "TRUTH_SCHEMA",
    "Marketplace",
    "SynthConfig",
    "SynthWarning",
    "generate",
    "generate_marketplace",
    "iter_marketplace",
    "main",
]


def _mix(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected name=weight, got {part!r}")
        try:
            out[key.strip()] = float(val)
        except ValueError:
            raise argparse.ArgumentTypeError(f"weight of {key!r} is not a number: {val!r}") from None
    return out


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit():
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}")
    return int(w), int(h)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="sellerlink synth",
        description="Write a synthetic evasion marketplace (watchlist.jsonl, accounts.jsonl, photos/, truth.json).",
    )
    ap.add_argument("out_dir", help="folder to write into (created if missing)")
    ap.add_argument("--accounts", type=int, default=300, help="number of live accounts (default 300)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--photos-dir", default=None, help="folder of real product photos to draw from")
    ap.add_argument("--text-csv", default=None, help="PRDECT-ID CSV to draw product names from")
    ap.add_argument("--no-photos", action="store_true", help="write no photos (fast; for large markets)")
    ap.add_argument("--comeback-rate", type=float, default=None, help="share of live accounts that are comebacks")
    ap.add_argument("--tactics", default=None,
                    help="comma-separated tactics to enable (default all): " + ",".join(ALL_TACTICS))
    ap.add_argument("--without", default=None, help="comma-separated tactics to disable")
    ap.add_argument("--difficulty-mix", type=_mix, default=None,
                    help="e.g. keeps_contacts=0.35,hidden_contacts=0.25,no_contacts=0.4")
    ap.add_argument("--photo-size", type=_size, default=None, help="WIDTHxHEIGHT, default 320x400")
    ap.add_argument("--workers", type=int, default=1,
                    help="processes to generate with (same output for any value; not with --photos-dir)")
    return ap


def main(argv: list[str] | None = None) -> int:
    """``sellerlink synth OUT_DIR --accounts N --seed S [--photos-dir D] [--text-csv F] [--no-photos]``.

    Returns the process exit code (0 on success, 2 on a bad argument).
    """
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0] == "synth":
        args_in = args_in[1:]
    ap = _parser()
    args = ap.parse_args(args_in)
    tactics: Any = None
    if args.tactics:
        tactics = {t.strip() for t in args.tactics.split(",") if t.strip()}
    if args.without:
        drop = {t.strip() for t in args.without.split(",") if t.strip()}
        tactics = (set(tactics) if tactics is not None else set(ALL_TACTICS)) - drop
    try:
        m = generate_marketplace(
            args.out_dir,
            n_accounts=args.accounts,
            seed=args.seed,
            photos_dir=args.photos_dir,
            text_csv=args.text_csv,
            with_photos=not args.no_photos,
            comeback_rate=args.comeback_rate,
            tactics=tactics,
            difficulty_mix=args.difficulty_mix,
            photo_size=args.photo_size,
            workers=args.workers,
        )
    except ValueError as exc:
        ap.print_usage(sys.stderr)
        print(f"sellerlink synth: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {m.n_accounts} accounts ({m.n_comebacks} comebacks), {m.n_watchlist} watchlist accounts, "
        f"{m.n_photos} photos to {m.out_dir} in {m.seconds:.1f}s"
    )
    return 0
