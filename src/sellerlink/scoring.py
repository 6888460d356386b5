"""From per-signal measurements to a calibrated probability with its evidence weights.

Two steps:

1. **Evidence terms.** Each signal's raw features become a few terms in ``[0, 1]``
   (``evidence_terms``). Rarity is applied here: a contact value, photo or name shared
   by many accounts is discounted towards 0 by :func:`rarity`, so a supplier photo on
   40 accounts or a dropship agency's phone proves little. Correlated signals are not
   summed as independent confirmations: a seller's phone, e-mail and bank account
   move together, so the contact group contributes its strongest item fully and the
   others only through a separate, smaller "more contacts" term.
2. **Weights.** A logistic model over the terms: the log-odds is ``intercept +
   sum(coef * term)``; each ``coef * term`` is that term's evidence weight (a natural-log
   likelihood ratio), printed as the match-weight waterfall. :class:`Scorer` follows the
   scikit-learn contract: ``fit(features, labels)`` learns the coefficients from labelled
   pairs (numpy IRLS, L2-regularised, non-negative), the shipped defaults were fitted on
   generated marketplaces (see ``benchmarks/calibrate.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DEFAULT_BOUNDS",
    "DEFAULT_COEF",
    "DEFAULT_INTERCEPT",
    "TERMS",
    "TERM_SIGNAL",
    "Scorer",
    "by_signal",
    "rarity",
]

# term name -> signal it belongs to (order is the order of the coefficient vector)
TERM_SIGNAL: dict[str, str] = {
    "contact_best": "contacts",
    "contact_more": "contacts",
    "address": "contacts",
    "photo_best": "photos",
    "photo_more": "photos",
    "stock_photo": "photos",
    "name_match": "names",
    "name_exact": "names",
    "text_sim": "phrasing",
    "text_info": "phrasing",
    "text_sentences": "phrasing",
    "style": "phrasing",
}
TERMS: tuple[str, ...] = tuple(TERM_SIGNAL)

# Fitted by benchmarks/calibrate.py on generated marketplaces; see benchmarks/README.md.
DEFAULT_COEF: dict[str, float] = {
    "contact_best": 14.0,
    "contact_more": 0.0,
    "address": 0.0,
    "photo_best": 3.5,
    "photo_more": 0.18,
    "stock_photo": -2.0,
    "name_match": 2.18,
    "name_exact": 1.76,
    "text_sim": 6.0,
    "text_info": 4.0,
    "text_sentences": 2.74,
    "style": 5.0,
}
DEFAULT_INTERCEPT = -9.8

# The most one signal can contribute (natural-log units); see Scorer.term_weights.
DEFAULT_SIGNAL_CAPS: dict[str, float] = {
    "contacts": 14.0,
    "photos": 10.0,
    "names": 4.0,
    "phrasing": 10.0,
}

# What fitting may not overrule (see Scorer.fit). Soft signals are capped so that none of
# them alone reaches even odds against the fitted intercept (about -7 to -9); a rare shared
# contact is floored so that it alone does.
DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {
    "contact_best": (14.0, 20.0),
    "contact_more": (0.0, 3.0),
    "address": (0.0, 2.0),
    "photo_best": (0.0, 6.0),
    "photo_more": (0.0, 4.0),
    "stock_photo": (-6.0, -2.0),
    "name_match": (0.0, 4.0),
    "name_exact": (0.0, 2.0),
    "text_sim": (0.0, 6.0),
    "text_info": (0.0, 4.0),
    "text_sentences": (0.0, 4.0),
    "style": (0.0, 5.0),
}


LINK_FACTOR = 0.5


def rarity(df: np.ndarray, *, vanish_at: float) -> np.ndarray:
    """1.0 for a value shared by two accounts, falling with log(df) to 0 at ``vanish_at``.

    ``df`` 0 means nothing shared and gives 0.

    >>> rarity(np.array([0, 2, 5, 40]), vanish_at=20).round(2).tolist()
    [0.0, 1.0, 0.6, 0.0]
    """
    d = np.asarray(df, dtype=np.float64)
    if vanish_at <= 2:
        raise ValueError("vanish_at must be above 2")
    r = 1.0 - np.log(np.maximum(d, 2.0) / 2.0) / np.log(vanish_at / 2.0)
    return np.where(d > 0, np.clip(r, 0.0, 1.0), 0.0)


def _get(features: Mapping[str, np.ndarray], name: str, n: int) -> np.ndarray:
    v = features.get(name)
    if v is None:
        return np.zeros(n, dtype=np.float64)
    return np.asarray(v, dtype=np.float64)


def _n(features: Mapping[str, np.ndarray]) -> int:
    for v in features.values():
        return len(v)
    return 0


def evidence_terms(features: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Shape raw signal features into terms in [0, 1] (see the module docstring)."""
    n = _n(features)
    f = lambda name: _get(features, name, n)

    # Contacts: one strong item counts fully, further ones little (they move together).
    contact = np.stack(
        [
            (f("phone_shared") > 0) * rarity(f("phone_min_df"), vanish_at=12),
            (f("email_shared") > 0) * rarity(f("email_min_df"), vanish_at=8),
            (f("bank_shared") > 0) * rarity(f("bank_min_df"), vanish_at=8),
            # a shop handle is often just the shop's name ("inapreloved"), so two sellers can
            # hold it on different platforms: it counts for less than a phone or bank account
            LINK_FACTOR * (f("link_shared") > 0) * rarity(f("link_min_df"), vanish_at=8),
        ]
    ) if n else np.zeros((4, 0))
    best = contact.max(axis=0) if n else np.zeros(0)
    more = np.clip(contact.sum(axis=0) - best, 0.0, 2.0) / 2.0 if n else np.zeros(0)
    address = (f("address_shared") > 0) * rarity(f("address_min_df"), vanish_at=6)

    # Photos: the rarest matched photo, then more matched photos with diminishing returns.
    # A verified near-copy (aligned thumbnails correlate ~0.95-1.0) counts fully; a match
    # that only just passed verification (~0.85-0.9, where different garments photographed
    # the same way end up) counts for less.
    matched = f("photo_matches") > 0
    sim = f("photo_best_sim") if "photo_best_sim" in features else matched.astype(np.float64)
    closeness = 0.4 + 0.6 * np.clip((sim - 0.85) / 0.10, 0.0, 1.0)
    photo_best = matched * rarity(f("photo_min_df"), vanish_at=10) * closeness
    rare = f("photo_rare_matches")
    photo_more = np.clip(np.log2(np.maximum(rare, 1.0)) / 2.0, 0.0, 1.0)
    # Two accounts whose only shared photos are a supplier's (held by many sellers) sell the
    # same stock, and usually paste the supplier's text too: that context is evidence
    # against, not for (the fitted weight is negative).
    stock_photo = ((f("photo_matches") > 0) & (rare == 0) & (f("photo_min_df") >= 5)).astype(np.float64)

    # Names: a close name counts in proportion to how telling (rare) it is.
    name_sim = f("name_sim")
    info = np.clip(f("name_info") / 10.0, 0.0, 1.0)
    name_match = np.clip((name_sim - 0.75) / 0.25, 0.0, 1.0) * info
    name_exact = (f("name_exact") > 0) * rarity(f("name_df"), vanish_at=6)

    # Phrasing: IDF-weighted overlap (scaled so that the overlap typical of one seller's
    # rewritten listings, ~0.25, counts fully), how much rare text is shared, rare shared
    # sentences, and habits.
    text_sim = np.clip(f("text_sim") / 0.25, 0.0, 1.0)
    text_info = np.clip((f("text_info") - 10.0) / 30.0, 0.0, 1.0)
    text_sentences = np.clip(f("sentence_shared"), 0.0, 4.0) / 4.0
    style = np.clip((f("style_sim") - 0.5) / 0.4, 0.0, 1.0)

    return {
        "contact_best": best,
        "contact_more": more,
        "address": address,
        "photo_best": photo_best,
        "photo_more": photo_more,
        "stock_photo": stock_photo,
        "name_match": name_match,
        "name_exact": name_exact,
        "text_sim": text_sim,
        "text_info": text_info,
        "text_sentences": text_sentences,
        "style": style,
    }


def by_signal(term_weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Sum per-term weights into per-signal weights (works for arrays and for floats)."""
    out: dict[str, np.ndarray] = {}
    for t, w in term_weights.items():
        s = TERM_SIGNAL[t]
        out[s] = out[s] + w if s in out else w
    return out


def _design(terms: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.stack([np.asarray(terms[t], dtype=np.float64) for t in TERMS], axis=1)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass
class _Fit:
    coef: np.ndarray
    intercept: float


def _penalised_loss(A: np.ndarray, y: np.ndarray, w: np.ndarray, reg: np.ndarray, offset: np.ndarray) -> float:
    z = A @ w + offset
    # log(1 + exp(z)) - y z, computed stably
    return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(reg * w * w))


def _irls(
    X: np.ndarray, y: np.ndarray, *, l2: float, free: np.ndarray, fixed: np.ndarray, iters: int = 100
) -> _Fit:
    """Newton's method with step halving on the L2-penalised logistic loss (the intercept is
    not penalised). Coefficients outside ``free`` are held at ``fixed``. Step halving keeps
    it stable on separable data."""
    n = X.shape[0]
    offset = X[:, ~free] @ fixed[~free]
    A = np.hstack([np.ones((n, 1)), X[:, free]])
    w = np.zeros(A.shape[1])
    rate = min(max(y.mean(), 1e-6), 1 - 1e-6)
    w[0] = np.log(rate / (1 - rate))
    reg = np.full(A.shape[1], l2)
    reg[0] = 1e-6
    loss = _penalised_loss(A, y, w, reg, offset)
    for _ in range(iters):
        p = _sigmoid(A @ w + offset)
        grad = A.T @ (p - y) + reg * w
        h = A.T @ (A * (p * (1 - p))[:, None]) + np.diag(reg)
        step = np.linalg.solve(h, grad)
        t = 1.0
        while t > 1e-6:
            cand = w - t * step
            new_loss = _penalised_loss(A, y, cand, reg, offset)
            if new_loss <= loss:
                break
            t *= 0.5
        else:
            break
        converged = loss - new_loss < 1e-9 * max(1.0, abs(loss))
        w, loss = cand, new_loss
        if converged:
            break
    coef = fixed.astype(np.float64).copy()
    coef[free] = w[1:]
    return _Fit(coef, float(w[0]))


class Scorer:
    """Evidence weights and calibrated probabilities for candidate pairs.

    ``Scorer()`` uses the shipped coefficients. ``Scorer().fit(features, labels)`` learns
    them from labelled pairs (features as returned by the signals' ``compare``).

    >>> s = Scorer()
    >>> feats = {"phone_shared": np.array([1.0, 0.0]), "phone_min_df": np.array([2.0, 0.0])}
    >>> p = s.predict_proba(feats)
    >>> bool(p[0] > 0.9 and p[1] < 0.01)
    True
    """

    def __init__(
        self,
        coef: Mapping[str, float] | None = None,
        intercept: float | None = None,
        l2: float = 1.0,
        bounds: Mapping[str, tuple[float, float]] | None = None,
        signal_caps: Mapping[str, float] | None = None,
    ) -> None:
        self.coef = coef
        self.intercept = intercept
        self.l2 = l2
        self.bounds = bounds
        self.signal_caps = signal_caps

    def _bounds(self) -> dict[str, tuple[float, float]]:
        out = dict(DEFAULT_BOUNDS)
        if self.bounds is not None:
            unknown = set(self.bounds) - set(TERMS)
            if unknown:
                raise ValueError(f"unknown evidence terms {sorted(unknown)}; known: {list(TERMS)}")
            out.update(self.bounds)
        return out

    # -- learned state ----------------------------------------------------------------
    def _params(self) -> tuple[np.ndarray, float]:
        if hasattr(self, "coef_"):
            return self.coef_, self.intercept_
        coef = dict(DEFAULT_COEF)
        if self.coef is not None:
            unknown = set(self.coef) - set(TERMS)
            if unknown:
                raise ValueError(f"unknown evidence terms {sorted(unknown)}; known: {list(TERMS)}")
            coef.update(self.coef)
        intercept = DEFAULT_INTERCEPT if self.intercept is None else float(self.intercept)
        return np.array([coef[t] for t in TERMS], dtype=np.float64), intercept

    def fit(self, features: Mapping[str, np.ndarray], labels: np.ndarray) -> Scorer:
        """Learn the coefficients by L2-regularised logistic regression within ``bounds``.

        ``bounds`` (term -> (low, high)) encodes what the data may not overrule: by default
        every weight is non-negative, no soft signal (writing style, a name, phrasing) may
        be strong enough to flag a pair on its own, and a rare shared contact must be.
        """
        y = np.asarray(labels, dtype=np.float64)
        X = _design(evidence_terms(features))
        if X.shape[0] != len(y):
            raise ValueError(f"{X.shape[0]} feature rows but {len(y)} labels")
        if len(np.unique(y)) < 2:
            raise ValueError("fit needs both matching and non-matching pairs")
        lo = np.array([self._bounds().get(t, (0.0, np.inf))[0] for t in TERMS])
        hi = np.array([self._bounds().get(t, (0.0, np.inf))[1] for t in TERMS])
        fixed = np.clip(np.zeros(len(TERMS)), lo, hi)
        free = X.std(axis=0) > 0
        # active set: a coefficient that leaves its box is pinned to the bound, the rest refitted
        for _ in range(X.shape[1] + 1):
            fit = _irls(X, y, l2=self.l2, free=free, fixed=fixed)
            out = free & ((fit.coef < lo - 1e-9) | (fit.coef > hi + 1e-9))
            if not out.any():
                break
            fixed = np.where(out, np.clip(fit.coef, lo, hi), fixed)
            free &= ~out
        self.coef_ = fit.coef
        self.intercept_ = fit.intercept
        return self

    # -- prediction ---------------------------------------------------------------------
    def term_weights(self, features: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per term, the evidence weight (natural-log likelihood ratio) for each pair."""
        coef, _ = self._params()
        terms = evidence_terms(features)
        weights = {t: coef[i] * terms[t] for i, t in enumerate(TERMS)}
        # A signal's terms measure one thing several ways (copied text raises overlap, rare
        # sentences and style together), so each signal's total is capped: the terms are
        # scaled down together when their sum exceeds the cap.
        caps = dict(DEFAULT_SIGNAL_CAPS)
        if self.signal_caps is not None:
            caps.update(self.signal_caps)
        for signal, cap in caps.items():
            names = [t for t in TERMS if TERM_SIGNAL[t] == signal]
            if not names:
                continue
            total = sum(weights[t] for t in names)
            scale = np.where(total > cap, cap / np.maximum(total, 1e-12), 1.0)
            for t in names:
                weights[t] = weights[t] * scale
        return weights

    def weights_and_proba(
        self, features: Mapping[str, np.ndarray], *, chunk: int = 262_144
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``(term_weights(features), predict_proba(features))``, computed ``chunk`` pairs at a time.

        Every step is per pair, so the result is identical to the two whole-batch calls, but
        the evidence terms' temporaries are bounded by ``chunk`` and computed once. A chunk
        of weights that is all zeros is not written (the arrays come from ``np.zeros``, so
        such stretches take no resident memory).

        >>> s = Scorer()
        >>> feats = {"phone_shared": np.array([1.0, 0.0, 1.0]), "phone_min_df": np.array([2.0, 0.0, 30.0])}
        >>> w, p = s.weights_and_proba(feats, chunk=2)
        >>> bool(np.array_equal(p, s.predict_proba(feats))), bool(np.array_equal(w["contact_best"], s.term_weights(feats)["contact_best"]))
        (True, True)
        """
        if chunk < 1:
            raise ValueError(f"chunk must be positive, got {chunk}")
        _, intercept = self._params()
        n = _n(features)
        if n <= chunk:  # one chunk (an index query's few pairs): no copies into zeroed arrays
            tw = self.term_weights(features)
            weights = {t: np.asarray(tw[t], dtype=np.float64) for t in TERMS}
            return weights, _sigmoid(np.asarray(intercept + sum(tw.values()), dtype=np.float64))
        weights = {t: np.zeros(n, dtype=np.float64) for t in TERMS}
        proba = np.empty(n, dtype=np.float64)
        for start in range(0, n, chunk):
            sl = slice(start, start + chunk)
            part = {k: v[sl] for k, v in features.items()}
            tw = self.term_weights(part)
            for t in TERMS:
                v = np.asarray(tw[t], dtype=np.float64)
                if v.any() or np.signbit(v).any():
                    weights[t][sl] = v
            # as log_odds + predict_proba write it, so the floats are the same
            proba[sl] = _sigmoid(np.asarray(intercept + sum(tw.values()), dtype=np.float64))
        return weights, proba

    def nondecreasing(self, signal: str) -> bool:
        """Whether the probability never falls when a feature of ``signal`` rises: every
        coefficient of its terms is non-negative (the terms rise with their features, and a
        signal's cap keeps its total in order)."""
        coef, _ = self._params()
        caps = dict(DEFAULT_SIGNAL_CAPS)
        if self.signal_caps is not None:
            caps.update(self.signal_caps)
        return caps.get(signal, 0.0) >= 0 and all(
            coef[i] >= 0 for i, t in enumerate(TERMS) if TERM_SIGNAL[t] == signal
        )

    def signal_weights(self, features: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per signal (names, contacts, photos, phrasing), the summed evidence weight."""
        return by_signal(self.term_weights(features))

    def log_odds(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        _, intercept = self._params()
        total = intercept + sum(self.term_weights(features).values())
        return np.asarray(total, dtype=np.float64)

    def predict_proba(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        """Calibrated probability that each pair belongs to one actor."""
        return _sigmoid(self.log_odds(features))

    def to_dict(self) -> dict[str, object]:
        coef, intercept = self._params()
        return {"coef": {t: float(c) for t, c in zip(TERMS, coef)}, "intercept": intercept}

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Scorer:
        coef = d.get("coef")
        if not isinstance(coef, Mapping):
            raise TypeError("scorer settings need a 'coef' mapping")
        intercept = d.get("intercept")
        return cls(coef={str(k): float(v) for k, v in coef.items()}, intercept=float(intercept))  # type: ignore[arg-type]
