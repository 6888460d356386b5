"""The phrasing signal's rare-key cut-off scales with the collection (signals/phrasing.py).

At 117k accounts a fixed ``key_df`` of 10 proposed 68% of the (no-contact comeback,
violator) pairs instead of 97% at 11.7k: the phrases a seller keeps are held by 10x more
accounts in a 10x larger market (benchmarks/scale_diagnose.py). These tests pin the scaled
cut-off and check that the rare keys follow it exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sellerlink.blocking import pairs_from_keys
from sellerlink.records import Account, Listing
from sellerlink.signals.base import RarityContext
from sellerlink.signals.phrasing import (
    PhrasingSignal,
    _sentence_keys,
    _shingle_keys,
    effective_key_df,
)


def test_effective_key_df_golden_values() -> None:
    # pins the rule: key_df per 50,000 accounts, never below key_df (11,729 and 117,158 are
    # the collections of the 10k and 100k markets of benchmarks/scale_quality.py)
    assert [effective_key_df(10, n) for n in (0, 1, 120, 1_000, 52_499, 52_500, 11_729, 117_158, 1_000_000)] == [
        10, 10, 10, 10, 10, 10, 10, 23, 200]  # fmt: skip
    assert effective_key_df(10, 57_500) == 12
    assert effective_key_df(4, 500_000) == 40
    ns = list(range(0, 400_000, 997))
    vals = [effective_key_df(10, n) for n in ns]
    assert vals == sorted(vals) and min(vals) == 10


def _seller(aid: str, words: list[str], shared: str) -> Account:
    bio = " ".join(words[:6]) + ". " + shared
    listings = tuple(Listing(title=" ".join(words[k : k + 3]), description=" ".join(words[k + 1 : k + 7]))
                     for k in range(6, 18, 4))  # fmt: skip
    return Account(aid, bio=bio, listings=listings)


def _constant_counts(df: int) -> RarityContext:
    return RarityContext(0, lambda sig, keys: np.full(len(keys), df, dtype=np.int64))


@pytest.mark.parametrize("df, n_big", [(18, 100_000), (90, 1_000_000)])
def test_a_phrase_a_share_of_a_large_market_holds_still_proposes_the_pair(df: int, n_big: int) -> None:
    """A comeback that kept one of its phrases: at 100,000 accounts a phrase held by 18 of
    them (at 1,000,000, by 90) is rare enough to be a key (without the scaling it was not:
    key_df 10); in a market of 5,000 the same counts are common and only the bands could find
    the pair."""
    rng = np.random.default_rng(3)
    vocab = [f"w{i}x" for i in range(400)]
    a_words = [str(w) for w in rng.choice(vocab, 24, replace=False)]
    b_words = [str(w) for w in rng.choice(vocab, 24, replace=False)]
    shared = "mantap jiwa pokoknya kak, dijamin puas sekali deh"
    accs = [_seller("old", a_words, shared), _seller("new", b_words, shared)]
    sig = PhrasingSignal()

    def proposed(n_accounts: int) -> bool:
        ctx = RarityContext(n_accounts, _constant_counts(df).counts)
        table = sig.fingerprint(accs, rarity=ctx)
        rows, keys = sig.candidate_keys(table)
        left, right = pairs_from_keys(rows, keys, max_block=100)
        return bool(((left == 0) & (right == 1)).any())

    assert not proposed(5_000)  # the bands alone do not find it (different words around the phrase)
    assert proposed(n_big)


def _reference_rare_keys(sig: PhrasingSignal, table, key_df: int) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """The obvious version: per row, the rarest 2..key_df sentences and shingles (ties by hash / id)."""
    out: set[tuple[int, int]] = set()
    for i in range(len(table)):
        s0, s1 = table.sent_offsets[i], table.sent_offsets[i + 1]
        sent = sorted((int(table.sent_df[e]), int(table.sent_hashes[e]), e) for e in range(s0, s1)
                      if 2 <= table.sent_df[e] <= key_df)  # fmt: skip
        for _, _, e in sent[: sig.max_sentence_keys]:
            out.add((i, int(_sentence_keys(table.sent_hashes[e : e + 1])[0])))
        h0, h1 = table.sh_offsets[i], table.sh_offsets[i + 1]
        sh = sorted((int(table.vocab_df[table.sh_ids[e]]), int(table.sh_ids[e]), e) for e in range(h0, h1)
                    if 2 <= table.vocab_df[table.sh_ids[e]] <= key_df)  # fmt: skip
        for _, _, e in sh[: sig.max_shingle_keys]:
            out.add((i, int(_shingle_keys(table.vocab[table.sh_ids[e : e + 1]])[0])))
    return out


_WORDS = ["halo", "kak", "ready", "stok", "baju", "bekas", "impor", "mantap", "jiwa", "yg", "murah", "cod",
          "no", "tipu", "happy", "shopping", "!!", "🙏", "langsung", "order", "aja", "dijamin", "ori"]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(st.lists(st.sampled_from(_WORDS), min_size=3, max_size=14), min_size=2, max_size=6),
    n_accounts=st.integers(0, 400_000),
    salt=st.integers(0, 2**16),
    block=st.sampled_from([1, 2, 3, 16384]),
    blank=st.integers(0, 6),
)
def test_rare_keys_follow_the_scaled_cut_off(texts: list[list[str]], n_accounts: int, salt: int, block: int,
                                             blank: int) -> None:  # fmt: skip
    """Every rare key candidate_keys emits, and no other, against a slow reference, for
    counts spread over 1..300 and collections from empty to 400,000 accounts, whether it
    draws them a block of 1, 2, 3 or all rows at a time, with a row without text among them."""
    from unittest import mock

    import sellerlink.signals.phrasing as phr

    sig = PhrasingSignal(max_sentence_keys=2, max_shingle_keys=3)
    accs = [Account(f"a{i}", bio=" ".join(t) + ". " + " ".join(reversed(t))) for i, t in enumerate(texts)]
    accs.insert(min(blank, len(accs)), Account("blank"))

    def counts(_sig: str, keys: np.ndarray) -> np.ndarray:
        return ((keys ^ np.uint64(salt)) % np.uint64(300)).astype(np.int64) + 1

    table = sig.fingerprint(accs, rarity=RarityContext(n_accounts, counts))
    assert table.key_df == effective_key_df(sig.key_df, n_accounts)
    with mock.patch.object(phr, "_KEY_ROWS", block):
        rows, keys = sig.candidate_keys(table)
    assert rows.dtype == np.int64 and keys.dtype == np.uint64
    has_text = np.flatnonzero(np.diff(table.sh_offsets) > 0)
    band = sig.band_keys(table.minhash[has_text])
    band_set = {(int(r), int(k)) for r, ks in zip(has_text, band) for k in ks}
    got = {(int(r), int(k)) for r, k in zip(rows, keys)}
    assert got - band_set == _reference_rare_keys(sig, table, table.key_df) - band_set
    assert band_set <= got
