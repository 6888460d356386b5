"""Shared helpers of the benchmarks: machine description, data paths, generated markets,
timing and peak memory, and the Splink configuration every benchmark uses.

Not part of the package and never run by the test suite. Run a benchmark from the repository
root, e.g. ``.venv/bin/python benchmarks/quality.py --quick``.

Memory: ``peak_rss_mb()`` is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` — the peak resident
set size of the whole process (Python heap, numpy, DuckDB's native memory alike). Benchmarks
that compare two systems run each in its own child process so each peak is its own.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import re
import resource
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PHOTOS = REPO.parent / "shared" / "data" / "photos" / "clothing"
DEFAULT_TEXT = REPO.parent / "shared" / "data" / "text" / "prdect-id.csv"
DEFAULT_WORK = Path(os.environ.get("TMPDIR", "/tmp")) / "sellerlink-bench"


# ---------------------------------------------------------------------------------------
# the machine


def machine_info() -> dict[str, Any]:
    """Cores, memory, Python and library versions, load: printed at the top of every run."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import psutil

        info["physical_cores"] = psutil.cpu_count(logical=False)
        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
        info["memory_available_gb"] = round(psutil.virtual_memory().available / 2**30, 1)
    except ImportError:  # pragma: no cover - psutil is in the bench extra
        info["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    try:
        info["load_avg_1_5_15"] = tuple(round(x, 2) for x in os.getloadavg())
    except OSError:  # pragma: no cover
        pass
    for mod in ("sellerlink", "splink", "duckdb", "rapidfuzz", "PIL", "imagehash", "pandas"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", "?")
        except ImportError:
            info[mod] = "not installed"
    return info


def print_machine(title: str) -> dict[str, Any]:
    info = machine_info()
    print(f"== {title}")
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    print("command: " + " ".join([Path(sys.executable).name, *sys.argv]))
    sys.stdout.flush()
    return info


# ---------------------------------------------------------------------------------------
# shared data


def resolve_photos(path: str | os.PathLike[str] | None) -> Path | None:
    """The real photos folder, or None (and a clear message) when it is absent."""
    p = Path(path) if path else DEFAULT_PHOTOS
    if p.is_dir() and any(p.rglob("*.jpg")):
        print(f"photos: real photos from {p}")
        return p
    print(f"photos: folder {p} is ABSENT or has no .jpg files -> falling back to drawn photos")
    return None


def resolve_text(path: str | os.PathLike[str] | None) -> Path | None:
    p = Path(path) if path else DEFAULT_TEXT
    if p.is_file():
        print(f"text: product names from {p} (PRDECT-ID, CC BY 4.0)")
        return p
    print(f"text: {p} is ABSENT -> the generator's built-in text")
    return None


def add_data_args(ap: Any) -> None:
    ap.add_argument("--photos-dir", default=str(DEFAULT_PHOTOS),
                    help="folder of real photos (default ../shared/data/photos/clothing)")
    ap.add_argument("--text-csv", default=str(DEFAULT_TEXT),
                    help="PRDECT-ID CSV (default ../shared/data/text/prdect-id.csv)")
    ap.add_argument("--work-dir", default=str(DEFAULT_WORK),
                    help="where generated markets are cached (never inside the repository)")


def market(
    n_accounts: int,
    seed: int,
    *,
    work_dir: str | os.PathLike[str],
    photos: bool,
    photos_dir: Path | None,
    text_csv: Path | None,
    workers: int = 2,
) -> Path:
    """A generated marketplace on disk (cached by its parameters); returns its folder."""
    from sellerlink.synth import generate_marketplace

    key = json.dumps([n_accounts, seed, photos, str(photos_dir), str(text_csv)])
    tag = hashlib.blake2b(key.encode(), digest_size=4).hexdigest()
    kind = ("real" if photos_dir else "drawn") if photos else "nophotos"
    out = Path(work_dir) / f"m{n_accounts}_s{seed}_{kind}_{tag}"
    done = out / ".complete"
    if done.is_file():
        return out
    t0 = time.perf_counter()
    print(f"generating {n_accounts} accounts, seed {seed}, photos={kind} into {out} ...", flush=True)
    m = generate_marketplace(out, n_accounts=n_accounts, seed=seed, photos_dir=photos_dir if photos else None,
                             text_csv=text_csv, with_photos=photos, workers=workers)
    done.write_text(key)
    print(f"  generated: {m.n_accounts} live ({m.n_comebacks} comebacks), {m.n_watchlist} watchlist, "
          f"{m.n_photos} photos in {time.perf_counter() - t0:.1f}s (not part of any measurement)", flush=True)
    return out


# ---------------------------------------------------------------------------------------
# time and memory


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (ru_maxrss; Linux reports kB)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / 2**20


def rss_mb() -> float:
    """This process's resident memory now, MB (``/proc/self/statm``: cheap enough to sample
    every few milliseconds; psutil where there is no ``/proc``)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # pragma: no cover - not Linux
        pass
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover
        return float("nan")


def cpu_s() -> float:
    """CPU seconds (user + system) of this process, plus what sellerlink's worker processes
    reported for their tasks (``Linker(workers=N)``; a forkserver's workers are not this
    process's children, so getrusage cannot see them; their start-up is not counted)."""
    from sellerlink import linker

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime + linker._WORKER_CPU_S


class Stopwatch:
    """Wall and CPU seconds of named stages, in order."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, float, float]] = []

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        w0, c0 = time.perf_counter(), cpu_s()
        out = fn()
        self.stages.append((name, time.perf_counter() - w0, cpu_s() - c0))
        return out

    def total(self) -> tuple[float, float]:
        return sum(s[1] for s in self.stages), sum(s[2] for s in self.stages)


def fmt_table(rows: Sequence[dict[str, Any]], cols: Sequence[str] | None = None) -> str:
    """A GitHub markdown table."""
    if not rows:
        return "(no rows)"
    cols = list(cols or rows[0].keys())

    def f(v: Any) -> str:
        if isinstance(v, float):
            if math.isnan(v):
                return "–"
            return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
        return str(v)

    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        out.append("| " + " | ".join(f(r.get(c, "")) for c in cols) + " |")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------
# reading records for the baselines and Splink


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    return list(iter_jsonl(path))


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def free_text(rec: dict[str, Any]) -> str:
    parts = [rec.get("bio") or ""]
    for li in rec.get("listings") or []:
        parts.append(li.get("title") or "")
        parts.append(li.get("description") or "")
    return "\n".join(parts)


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def generic_name(text: str) -> str:
    """What a careful Splink user does to a name: NFKC, casefold, accents off, alnum words.

    Deliberately *not* sellerlink's homoglyph/leet/filler normalisation.
    """
    t = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text or "").casefold())
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return " ".join(_NON_ALNUM.sub(" ", t).split())


_SENT_SPLIT = re.compile(r"[\n|.!?]+")
_WORD = re.compile(r"[0-9a-z]{3,}")


def sentences_of(text: str) -> list[str]:
    out = []
    for s in _SENT_SPLIT.split(text.casefold()):
        s = " ".join(_NON_ALNUM.sub(" ", s).split())
        if len(s) >= 10:
            out.append(s)
    return sorted(set(out))


def listed_contacts(rec: dict[str, Any]) -> set[str]:
    """Contacts in the contact fields only (no free text), normalised with sellerlink's helpers."""
    from sellerlink.signals.contacts import (
        normalize_bank,
        normalize_email,
        normalize_phone,
    )

    out: set[str] = set()
    for p in rec.get("phones") or []:
        v = normalize_phone(str(p))
        if v:
            out.add("p:" + v)
    for e in rec.get("emails") or []:
        v = normalize_email(str(e))
        if v:
            out.add("e:" + v)
    for b in rec.get("bank_accounts") or []:
        v = normalize_bank(str(b))
        if v:
            out.add("b:" + v)
    return out


# ---------------------------------------------------------------------------------------
# Splink: the frame and the model


def splink_frame(records: Iterable[dict[str, Any]], *, max_sentence_df: int = 50, max_words: int = 40) -> Any:
    """One row per account with the fields Splink can use, pre-normalised.

    Phones, e-mails, bank accounts and links: sellerlink's contacts helpers, from the contact
    fields **and** the free text (so Splink also sees a phone hidden as ``wa.me/62...``).
    Names: :func:`generic_name`. Text: the ``max_words`` rarest words (3+ letters) and the set of
    sentences; ``rare_sentences`` keeps the sentences held by at most ``max_sentence_df``
    accounts (for blocking; boilerplate would make blocks quadratic).
    """
    import pandas as pd

    from sellerlink.signals.contacts import (
        extract_banks,
        extract_emails,
        extract_links,
        extract_phones,
        normalize_address,
        normalize_bank,
        normalize_email,
        normalize_link,
        normalize_phone,
    )

    cols: dict[str, list[Any]] = {k: [] for k in (
        "unique_id", "name", "name_key", "username", "phones", "phone1", "emails", "banks", "links", "address",
        "words", "sentences")}  # columns, not a dict per row: a million of those cost ~0.8 GB
    for rec in records:
        text = free_text(rec)
        phones = {v for v in (normalize_phone(str(p)) for p in rec.get("phones") or []) if v}
        phones.update(extract_phones(text))
        emails = {v for v in (normalize_email(str(e)) for e in rec.get("emails") or []) if v}
        emails.update(extract_emails(text))
        banks = {v for v in (normalize_bank(str(b)) for b in rec.get("bank_accounts") or []) if v}
        banks.update(extract_banks(text))
        links = {v for v in (normalize_link(str(u)) for u in rec.get("links") or []) if v}
        links.update(extract_links(text))
        addr = [normalize_address(str(a)) for a in rec.get("addresses") or []]
        addr = [a for a in addr if a]
        name = generic_name(rec.get("display_name") or "")
        words = set(_WORD.findall(generic_name(text)))
        row = {
            "unique_id": rec["account_id"],
            "name": name or None,
            "name_key": " ".join(sorted(name.split())) or None,
            "username": _NON_ALNUM.sub("", (rec.get("username") or "").casefold()) or None,
            "phones": sorted(phones) or None,
            "phone1": min(phones) if phones else None,
            "emails": sorted(emails) or None,
            "banks": sorted(banks) or None,
            "links": sorted(links) or None,
            "address": addr[0] if addr else None,
            "words": words,
            "sentences": sentences_of(text) or None,
        }
        for k, v in row.items():
            cols[k].append(v)
    df = pd.DataFrame(cols)
    del cols
    wfreq = Counter(w for ws in df["words"] if ws for w in ws)
    # the rarest words (list operations in DuckDB cost per element; common words say little)
    df["words"] = [sorted(sorted(ws, key=lambda w: (wfreq[w], w))[:max_words]) or None if ws else None
                   for ws in df["words"]]
    dfreq = Counter(s for ss in df["sentences"] if ss for s in ss)
    df["rare_sentences"] = [
        ([s for s in ss if dfreq[s] <= max_sentence_df] or None) if ss else None for ss in df["sentences"]
    ]
    return df


def _jaccard_sql(col: str) -> str:
    return (f"(len(list_intersect({col}_l, {col}_r))::DOUBLE / "
            f"greatest(len(list_distinct(list_concat({col}_l, {col}_r))), 1))")


def splink_settings(link_type: str) -> Any:
    """Names (Jaro-Winkler levels, TF on exact), every contact kind (array intersection),
    address, word-set Jaccard and shared-sentence counts; blocking on name, username, each
    contact kind exploded, address and rare shared sentences."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    jac = _jaccard_sql("words")
    text_cmp = cl.CustomComparison(
        output_column_name="words",
        comparison_levels=[
            cll.NullLevel("words"),
            cll.CustomLevel(f"{jac} >= 0.6", "jaccard >= 0.6"),
            cll.CustomLevel(f"{jac} >= 0.4", "jaccard >= 0.4"),
            cll.CustomLevel(f"{jac} >= 0.25", "jaccard >= 0.25"),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type=link_type,
        comparisons=[
            cl.NameComparison("name"),
            cl.ExactMatch("name_key"),
            cl.JaroWinklerAtThresholds("username", [0.92, 0.8]),
            cl.ArrayIntersectAtSizes("phones", [1]),
            cl.ArrayIntersectAtSizes("emails", [1]),
            cl.ArrayIntersectAtSizes("banks", [1]),
            cl.ArrayIntersectAtSizes("links", [1]),
            cl.ExactMatch("address"),
            text_cmp,
            cl.ArrayIntersectAtSizes("sentences", [4, 2, 1]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_key"),
            block_on("username"),
            block_on("phones", arrays_to_explode=["phones"]),
            block_on("emails", arrays_to_explode=["emails"]),
            block_on("banks", arrays_to_explode=["banks"]),
            block_on("links", arrays_to_explode=["links"]),
            block_on("address"),
            block_on("rare_sentences", arrays_to_explode=["rare_sentences"]),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def run_splink(
    frames: Sequence[Any], *, link_type: str, u_max_pairs: float = 2e6, seed: int = 1,
    threshold: float = 0.01, stopwatch: Stopwatch | None = None, memory_gb: float | None = None,
    spill_dir: str | None = None,
) -> Any:
    """Train (random-sampling u, deterministic-rule lambda, two EM passes) and predict.

    ``frames`` (pandas frames, or paths of Parquet files of the same columns) are copied into
    DuckDB tables first; a list given is emptied, so that a caller holding no other reference
    lets them go. ``memory_gb``: DuckDB's ``memory_limit`` (it
    spills to ``spill_dir`` beyond it); by default DuckDB's own limit, 80% of the machine's
    memory.

    Returns a pandas frame ``unique_id_l, unique_id_r, [source_dataset_l/r], match_probability``.
    """
    import logging

    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    sw = stopwatch or Stopwatch()
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    if memory_gb is not None:
        con.execute(f"SET memory_limit = '{memory_gb:g}GB'")
    if spill_dir is not None:
        os.makedirs(spill_dir, exist_ok=True)
        con.execute(f"SET temp_directory = '{spill_dir}'")
    db = DuckDBAPI(connection=con)
    names = ["watchlist", "accounts"] if len(frames) == 2 else ["accounts"]

    def copy_in() -> list[Any]:
        sdfs = []
        for f, n in zip(frames, names):
            # a DuckDB table of its own, not a view of the pandas frame: DuckDB reads a view from
            # the Python objects on every pass, and the frame stays resident beside DuckDB's
            # memory (at 1M accounts the frame alone held 15.5 GB)
            if isinstance(f, (str, os.PathLike)):
                con.execute(f"CREATE TABLE {n}_input AS SELECT * FROM read_parquet(?)", [os.fspath(f)])
            else:
                con.register("_frame", f)
                con.execute(f"CREATE TABLE {n}_input AS SELECT * FROM _frame")
                con.unregister("_frame")
            del f
            sdfs.append(db.register(f"{n}_input", dataset_display_name=n))
        if isinstance(frames, list):
            frames.clear()  # the caller's list: with no other reference the frames can go now
        return sdfs

    sdfs = sw.run("splink: input frame into a DuckDB table", copy_in)

    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], splink_settings(link_type), log_level=logging.ERROR)
    tr = linker.training
    sw.run("splink: lambda (deterministic rules)", lambda: tr.estimate_probability_two_random_records_match(
        [block_on("phones", arrays_to_explode=["phones"]), block_on("emails", arrays_to_explode=["emails"])],
        recall=0.6))
    sw.run("splink: u (random sampling)", lambda: tr.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed))
    sw.run("splink: EM blocked on name_key",
           lambda: tr.estimate_parameters_using_expectation_maximisation(block_on("name_key")))
    # EM cannot block on an exploded array: the second pass blocks on the first phone
    sw.run("splink: EM blocked on first phone",
           lambda: tr.estimate_parameters_using_expectation_maximisation(block_on("phone1")))
    pred = sw.run("splink: predict", lambda: linker.inference.predict(threshold_match_probability=threshold))
    return sw.run("splink: to pandas", pred.as_pandas_dataframe)


def splink_leads(pred: Any) -> Any:
    """Splink link_only predictions as leads ``account_id`` (live), ``violator_id``, ``score``."""
    import numpy as np
    import pandas as pd

    left_is_live = (pred["source_dataset_l"] == "accounts").to_numpy()
    return pd.DataFrame({
        "account_id": np.where(left_is_live, pred["unique_id_l"], pred["unique_id_r"]),
        "violator_id": np.where(left_is_live, pred["unique_id_r"], pred["unique_id_l"]),
        "score": pred["match_probability"].to_numpy(dtype=float),
    })
