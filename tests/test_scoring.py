import numpy as np
import pytest

from sellerlink.scoring import TERMS, Scorer, evidence_terms, rarity


def feats(n=1, **kw):
    return {k: np.asarray(v, dtype=float) for k, v in kw.items()}


def test_rarity_falls_with_sharing_and_vanishes():
    r = rarity(np.array([2, 3, 5, 10, 20, 40]), vanish_at=20)
    assert r[0] == 1.0
    assert np.all(np.diff(r) <= 0)
    assert r[-1] == 0.0 and r[-2] == 0.0


def test_shared_phone_on_many_accounts_is_weak():
    s = Scorer()
    p = s.predict_proba(feats(phone_shared=[1, 1], phone_min_df=[2, 40]))
    assert p[0] > 0.9
    assert p[1] < 0.05


def test_correlated_contacts_are_not_independent_confirmations():
    s = Scorer()
    one = s.log_odds(feats(phone_shared=[1], phone_min_df=[2]))[0]
    three = s.log_odds(
        feats(
            phone_shared=[1], phone_min_df=[2], email_shared=[1], email_min_df=[2], bank_shared=[1], bank_min_df=[2]
        )
    )[0]
    w = Scorer().term_weights(feats(phone_shared=[1], phone_min_df=[2]))["contact_best"][0]
    # the second and third contact add less than the first one did
    assert three - one < w


def test_weights_sum_to_log_odds():
    s = Scorer()
    f = feats(name_sim=[0.95], name_info=[12], text_sim=[0.4], style_sim=[0.9], photo_matches=[2],
              photo_min_df=[2], photo_rare_matches=[2])
    total = s.to_dict()["intercept"] + sum(w[0] for w in s.term_weights(f).values())
    assert total == pytest.approx(s.log_odds(f)[0])


def test_fit_recovers_a_known_logistic_model_and_is_calibrated():
    rng = np.random.default_rng(0)
    n = 20000
    text = rng.uniform(0.0, 0.25, n)  # the text_sim term is text / 0.25, uniform on [0, 1]
    style_sim = rng.uniform(0.5, 0.9, n)  # style term uniform on [0, 1], pure noise
    true_logit = -4.0 + 7.0 * text / 0.25
    y = rng.random(n) < 1 / (1 + np.exp(-true_logit))
    f = feats(text_sim=text, style_sim=style_sim)
    s = Scorer(l2=0.01, bounds={"text_sim": (0.0, 100.0)}).fit(f, y)
    coef = dict(zip(TERMS, s.coef_))
    assert coef["text_sim"] == pytest.approx(7.0, abs=0.5)
    assert s.intercept_ == pytest.approx(-4.0, abs=0.5)
    assert coef["style"] < 0.5
    from sellerlink.scoring import DEFAULT_BOUNDS

    # every weight stays in its box: non-negative evidence, and the one term that is
    # evidence against (only-stock photos in common) non-positive
    bounds = {**DEFAULT_BOUNDS, "text_sim": (0.0, 100.0)}  # as given to this Scorer
    for t, c in coef.items():
        lo, hi = bounds.get(t, (0.0, float("inf")))
        assert lo <= c <= hi, t
    p = s.predict_proba(f)
    for lo, hi in [(0.0, 0.2), (0.4, 0.6), (0.8, 1.0)]:
        m = (p >= lo) & (p < hi)
        assert m.sum() > 500
        assert abs(p[m].mean() - y[m].mean()) < 0.03


def test_fit_rejects_single_class():
    with pytest.raises(ValueError, match="both"):
        Scorer().fit(feats(text_sim=[0.1, 0.2]), np.array([0, 0]))


def test_unknown_term_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown evidence terms"):
        Scorer(coef={"bogus": 1.0}).predict_proba(feats(text_sim=[0.1]))


def test_round_trip_settings():
    s = Scorer(coef={"text_sim": 5.0}, intercept=-3.0)
    s2 = Scorer.from_dict(s.to_dict())
    f = feats(text_sim=[0.3, 0.9])
    assert np.allclose(s.predict_proba(f), s2.predict_proba(f))


def test_terms_are_in_unit_interval_for_extreme_features():
    f = feats(phone_shared=[0, 5], phone_min_df=[0, 1], photo_matches=[100, 0], photo_min_df=[1, 0],
              photo_rare_matches=[100, 0], name_sim=[1.0, 0.0], name_info=[1e9, 0], text_sim=[2.0, -1.0],
              sentence_shared=[99, 0], style_sim=[1.0, -1.0])
    for name, v in evidence_terms(f).items():
        assert np.all((v >= 0) & (v <= 1)), name


def test_bounds_pin_a_coefficient_and_the_rest_refit():
    rng = np.random.default_rng(1)
    n = 20000
    text = rng.uniform(0.0, 0.25, n)
    y = rng.random(n) < 1 / (1 + np.exp(-(-4.0 + 7.0 * text / 0.25)))
    f = feats(text_sim=text)
    s = Scorer(l2=0.01, bounds={"text_sim": (0.0, 3.0)}).fit(f, y)
    coef = dict(zip(TERMS, s.coef_))
    assert coef["text_sim"] == pytest.approx(3.0)
    # with the slope capped, the intercept moves to fit the mean rate instead
    assert abs(s.predict_proba(f).mean() - y.mean()) < 0.01


def test_default_bounds_keep_soft_signals_from_flagging_alone():
    from sellerlink.scoring import DEFAULT_BOUNDS, DEFAULT_COEF, DEFAULT_INTERCEPT

    for term, (lo, hi) in DEFAULT_BOUNDS.items():
        assert lo <= DEFAULT_COEF[term] <= hi, term
    for term in ("style", "name_match", "name_exact", "text_sim", "text_sentences", "address"):
        assert DEFAULT_INTERCEPT + DEFAULT_COEF[term] < 0, term
    assert DEFAULT_INTERCEPT + DEFAULT_COEF["contact_best"] > 0
