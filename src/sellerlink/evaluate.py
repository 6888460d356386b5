"""Quality metrics against the ground truth of a synthetic market (:mod:`sellerlink.synth`).

- :func:`trace_metrics`: how well comeback accounts are traced to the banned accounts they
  come back from (recall@1, recall@5, MRR, precision of flagged accounts), broken down by
  difficulty and by evasion tactic.
- :func:`pairwise_metrics`: precision / recall / F1 of predicted same-actor pairs.
- :func:`bcubed`: B-cubed precision / recall / F1 of a clustering.

Everything is vectorised with pandas; nothing loops over pairs in Python.

Example:
    >>> import pandas as pd
    >>> truth = {"accounts": {"w1": {"actor": "a1", "role": "watchlist", "list": "watchlist"},
    ...                       "c1": {"actor": "a1", "role": "comeback", "list": "accounts"},
    ...                       "i1": {"actor": "a2", "role": "innocent", "list": "accounts"}},
    ...          "comebacks": {"c1": {"violators": ["w1"], "difficulty": "no_contacts", "tactics": ["reword"]}}}
    >>> leads = pd.DataFrame({"account_id": ["c1", "i1"], "violator_id": ["w1", "w1"], "score": [0.9, 0.2]})
    >>> m = trace_metrics(leads, truth, threshold=0.5)
    >>> m["recall@1"], m["precision"], m["n_flagged"]
    (1.0, 1.0, 1)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Truth", "as_truth", "bcubed", "load_truth", "pairwise_metrics", "trace_metrics"]


@dataclass(frozen=True)
class Truth:
    """The ground truth of a synthetic market, indexed for the metrics.

    Attributes:
        actor_of: account id -> actor id (watchlist and live accounts).
        role_of: account id -> "watchlist", "comeback" or "innocent".
        list_of: account id -> "watchlist" or "accounts" (the file it is in).
        comebacks: comeback account id -> its record (violators, difficulty, tactics...).
        traps: the innocent trap groups (type, group, accounts).
        actors: actor id -> record (kind, watchlist ids, live ids, household).
    """

    actor_of: dict[str, str]
    role_of: dict[str, str]
    list_of: dict[str, str]
    comebacks: dict[str, dict[str, Any]]
    traps: list[dict[str, Any]] = field(default_factory=list)
    actors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def violators_of(self, account_id: str) -> frozenset[str]:
        """The watchlist accounts ``account_id`` comes back from (empty for others)."""
        c = self.comebacks.get(account_id)
        return frozenset(c["violators"]) if c else frozenset()

    @property
    def live_ids(self) -> list[str]:
        return [a for a, lst in self.list_of.items() if lst == "accounts"]

    @property
    def watchlist_ids(self) -> list[str]:
        return [a for a, lst in self.list_of.items() if lst == "watchlist"]

    @property
    def innocent_ids(self) -> list[str]:
        return [a for a, r in self.role_of.items() if r == "innocent"]


def as_truth(truth: Truth | Mapping[str, Any] | str | os.PathLike[str]) -> Truth:
    """Accept a :class:`Truth`, the parsed ``truth.json`` dict, or its path."""
    if isinstance(truth, Truth):
        return truth
    if isinstance(truth, (str, os.PathLike)):
        return load_truth(truth)
    if not isinstance(truth, Mapping) or "accounts" not in truth:
        raise ValueError("truth must be a Truth, a truth.json path, or a dict with an 'accounts' section")
    accounts = truth["accounts"]
    actor_of, role_of, list_of = {}, {}, {}
    for acc, info in accounts.items():
        if isinstance(info, Mapping):
            actor_of[acc] = str(info["actor"])
            role_of[acc] = str(info.get("role", ""))
            list_of[acc] = str(info.get("list", "accounts"))
        else:  # a bare actor id
            actor_of[acc] = str(info)
            role_of[acc] = ""
            list_of[acc] = "accounts"
    comebacks = {k: dict(v) for k, v in (truth.get("comebacks") or {}).items()}
    for k, c in comebacks.items():
        if "violators" not in c:
            raise ValueError(f"truth comeback {k!r} has no 'violators' list")
    return Truth(actor_of, role_of, list_of, comebacks, list(truth.get("traps") or []), dict(truth.get("actors") or {}))


def load_truth(path: str | os.PathLike[str]) -> Truth:
    """Read a ``truth.json`` written by :func:`sellerlink.synth.generate_marketplace`."""
    p = Path(path)
    if p.is_dir():
        p = p / "truth.json"
    if not p.is_file():
        raise FileNotFoundError(f"no truth file at {p}")
    with open(p, encoding="utf-8") as fh:
        return as_truth(json.load(fh))


def _need(df: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs columns {list(cols)}; missing {missing} (has {list(df.columns)})")


def _nan_div(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def _ranked(leads: pd.DataFrame) -> pd.DataFrame:
    """One row per (account, violator) with its best score, ranked within each account
    (1 = best; ties broken by violator id so ranks are deterministic)."""
    df = leads[["account_id", "violator_id", "score"]].copy()
    df["account_id"] = df["account_id"].astype(str)
    df["violator_id"] = df["violator_id"].astype(str)
    df["score"] = pd.to_numeric(df["score"], errors="raise").astype(float)
    if df["score"].isna().any():
        raise ValueError("leads_df has NaN scores")
    df = df.groupby(["account_id", "violator_id"], as_index=False, sort=False)["score"].max()
    df = df.sort_values(["account_id", "score", "violator_id"], ascending=[True, False, True], kind="mergesort")
    df["rank"] = df.groupby("account_id", sort=False).cumcount() + 1
    return df


def _summary(first_rank: pd.Series, flagged_ok: pd.Series) -> dict[str, Any]:
    n = len(first_rank)
    fr = first_rank.to_numpy(dtype=float)
    return {
        "n": n,
        "recall@1": _nan_div(np.sum(fr == 1), n),
        "recall@5": _nan_div(np.sum(fr <= 5), n),
        "mrr": float(np.mean(np.where(np.isfinite(fr), 1.0 / np.where(np.isfinite(fr), fr, 1.0), 0.0))) if n else float("nan"),
        "flagged_recall": _nan_div(int(flagged_ok.sum()), n),
    }


def trace_metrics(
    leads_df: pd.DataFrame, truth: Truth | Mapping[str, Any] | str | os.PathLike[str], threshold: float = 0.5
) -> dict[str, Any]:
    """Score leads (account -> suspected banned account) against the truth.

    ``leads_df`` has columns ``account_id``, ``violator_id``, ``score`` (any number of rows
    per account; repeated pairs keep their best score). For every comeback account in the
    truth (missing from ``leads_df`` = not found):

    - ``recall@1``: the top lead is one of the banned accounts it comes back from;
    - ``recall@5``: one of those is among its five best leads; ``mrr``: mean 1/rank;
    - ``flagged_recall``: top lead correct and its score >= ``threshold``.

    Over every live account (not on the watchlist) in ``leads_df`` whose top score >=
    ``threshold`` (flagged):
    ``precision`` = share whose top lead is a true violator of it; ``innocent_fpr`` =
    flagged innocent accounts / all innocent accounts. ``by_difficulty`` and ``by_tactic``
    repeat the comeback metrics per group. Leads naming accounts unknown to the truth are
    an error (a typo would otherwise read as a miss).
    """
    _need(leads_df, ("account_id", "violator_id", "score"), "leads_df")
    t = as_truth(truth)
    ranked = _ranked(leads_df)
    unknown = set(ranked["account_id"].unique()) - t.actor_of.keys()
    if unknown:
        raise ValueError(f"leads_df names {len(unknown)} accounts not in the truth, e.g. {sorted(unknown)[:3]}")
    # true (comeback, violator) pairs
    cb_ids = list(t.comebacks)
    pairs = [(c, v) for c in cb_ids for v in t.comebacks[c]["violators"]]
    true_pairs = pd.DataFrame(pairs, columns=["account_id", "violator_id"]).assign(correct=True)
    ranked = ranked.merge(true_pairs, on=["account_id", "violator_id"], how="left")
    ranked["correct"] = ranked["correct"].eq(True)
    first = ranked[ranked["correct"]].groupby("account_id")["rank"].min()
    top = ranked[ranked["rank"] == 1].set_index("account_id")
    flagged = top[top["score"] >= threshold]
    # only today's accounts are traced: leads between watchlist accounts are not judged
    flagged = flagged[[t.list_of.get(a) != "watchlist" for a in flagged.index]]
    cb_index = pd.Index(cb_ids, dtype=object)
    first_rank = first.reindex(cb_index).astype(float).fillna(np.inf)
    flagged_ok = pd.Series(False, index=cb_index)
    if len(flagged):
        ok = flagged.index[flagged["correct"].to_numpy(dtype=bool)]
        flagged_ok.loc[cb_index.intersection(ok)] = True
    out: dict[str, Any] = {"threshold": float(threshold), "n_comebacks": len(cb_ids)}
    s = _summary(first_rank, flagged_ok)
    out.update({k: v for k, v in s.items() if k != "n"})
    n_flagged = len(flagged)
    n_flag_ok = int(flagged["correct"].sum()) if n_flagged else 0
    innocents = set(t.innocent_ids)
    n_flag_inn = int(sum(1 for a in flagged.index if a in innocents))
    out.update({
        "n_flagged": n_flagged,
        "n_flagged_correct": n_flag_ok,
        "precision": _nan_div(n_flag_ok, n_flagged),
        "n_innocent_flagged": n_flag_inn,
        "innocent_fpr": _nan_div(n_flag_inn, len(innocents)),
    })
    p, r = out["precision"], out["flagged_recall"]
    out["f1"] = 2 * p * r / (p + r) if (p + r) and not (math.isnan(p) or math.isnan(r)) else float("nan")
    by_diff: dict[str, Any] = {}
    by_tac: dict[str, Any] = {}
    diff = pd.Series({c: t.comebacks[c].get("difficulty", "") for c in cb_ids}, dtype=object)
    for d in sorted(set(diff)):
        idx = diff.index[diff == d]
        by_diff[d] = _summary(first_rank.loc[idx], flagged_ok.loc[idx])
    tactic_rows = [(c, tac) for c in cb_ids for tac in t.comebacks[c].get("tactics", ())]
    if tactic_rows:
        tdf = pd.DataFrame(tactic_rows, columns=["account_id", "tactic"])
        for tac, grp in tdf.groupby("tactic", sort=True):
            idx = pd.Index(grp["account_id"].unique(), dtype=object)
            by_tac[str(tac)] = _summary(first_rank.loc[idx], flagged_ok.loc[idx])
    out["by_difficulty"] = by_diff
    out["by_tactic"] = by_tac
    return out


_LEFT = ("left", "left_id", "account_id_l", "account_a", "a")
_RIGHT = ("right", "right_id", "account_id_r", "account_b", "b")


def _pair_columns(df: pd.DataFrame) -> tuple[str, str]:
    for lc, rc in zip(_LEFT, _RIGHT):
        if lc in df.columns and rc in df.columns:
            return lc, rc
    raise ValueError(f"pairs_df needs a left/right column pair such as ('left', 'right'); has {list(df.columns)}")


def pairwise_metrics(
    pairs_df: pd.DataFrame,
    truth: Truth | Mapping[str, Any] | str | os.PathLike[str],
    threshold: float = 0.5,
    *,
    accounts: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Precision, recall and F1 of predicted same-actor pairs.

    A pair is predicted when its ``score`` >= ``threshold`` (no ``score`` column: every
    row is predicted). True pairs are all same-actor pairs among ``accounts`` (default:
    every account in the truth, watchlist and live), counted, never enumerated.
    Order within a pair and repeated rows do not matter; self-pairs are ignored.

    >>> truth = {"accounts": {"x": {"actor": "A"}, "y": {"actor": "A"}, "z": {"actor": "B"}}}
    >>> pairwise_metrics(pd.DataFrame({"left": ["y", "x"], "right": ["x", "z"], "score": [0.9, 0.8]}), truth)["precision"]
    0.5
    """
    t = as_truth(truth)
    lc, rc = _pair_columns(pairs_df)
    universe = set(t.actor_of) if accounts is None else set(map(str, accounts))
    unknown = universe - t.actor_of.keys()
    if unknown:
        raise ValueError(f"accounts not in the truth, e.g. {sorted(unknown)[:3]}")
    df = pairs_df
    if "score" in df.columns:
        df = df[pd.to_numeric(df["score"]) >= threshold]
    left = df[lc].astype(str).to_numpy(dtype=object)
    right = df[rc].astype(str).to_numpy(dtype=object)
    lo = np.where(left <= right, left, right)
    hi = np.where(left <= right, right, left)
    pred = pd.DataFrame({"lo": lo, "hi": hi}).drop_duplicates()
    pred = pred[(pred["lo"] != pred["hi"]) & pred["lo"].isin(universe) & pred["hi"].isin(universe)]
    actor = t.actor_of
    same = pred["lo"].map(actor).to_numpy() == pred["hi"].map(actor).to_numpy()
    tp = int(np.sum(same))
    sizes = pd.Series([actor[a] for a in universe], dtype=object).value_counts().to_numpy(dtype=np.int64)
    n_true = int(np.sum(sizes * (sizes - 1) // 2))
    n_pred = len(pred)
    precision, recall = _nan_div(tp, n_pred), _nan_div(tp, n_true)
    f1 = 2 * precision * recall / (precision + recall) if (tp and precision + recall) else 0.0
    return {"threshold": float(threshold), "n_predicted": n_pred, "n_true": n_true, "tp": tp,
            "precision": precision, "recall": recall, "f1": f1}


def bcubed(clusters: Mapping[str, Any], truth: Truth | Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, float]:
    """B-cubed precision, recall and F1 of ``clusters`` (account id -> cluster id) against
    the actors, over the accounts in ``clusters`` (each must be in the truth).

    >>> truth = {"accounts": {"x": {"actor": "A"}, "y": {"actor": "A"}, "z": {"actor": "B"}}}
    >>> r = bcubed({"x": 1, "y": 1, "z": 1}, truth)
    >>> round(r["precision"], 4), r["recall"]
    (0.5556, 1.0)
    """
    t = as_truth(truth)
    if not clusters:
        raise ValueError("clusters is empty")
    ids = [str(k) for k in clusters]
    unknown = [a for a in ids if a not in t.actor_of]
    if unknown:
        raise ValueError(f"clusters names {len(unknown)} accounts not in the truth, e.g. {unknown[:3]}")
    df = pd.DataFrame({"c": [str(v) for v in clusters.values()], "a": [t.actor_of[i] for i in ids]})
    n_ca = df.groupby(["c", "a"]).size().rename("n_ca").reset_index()
    n_c = df.groupby("c").size().rename("n_c")
    n_a = df.groupby("a").size().rename("n_a")
    n_ca = n_ca.join(n_c, on="c").join(n_a, on="a")
    sq = n_ca["n_ca"].to_numpy(dtype=float) ** 2
    n = float(len(df))
    precision = float(np.sum(sq / n_ca["n_c"].to_numpy(dtype=float)) / n)
    recall = float(np.sum(sq / n_ca["n_a"].to_numpy(dtype=float)) / n)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "n": int(n)}
