import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sellerlink.blocking import merge_pairs, pairs_from_keys, pairs_from_keys_reference


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12)), max_size=120),
    st.integers(2, 15),
)
def test_pairs_from_keys_matches_reference(items, max_block):
    rows = np.array([r for r, _ in items], dtype=np.int64)
    keys = np.array([k for _, k in items], dtype=np.uint64)
    left, right = pairs_from_keys(rows, keys, max_block=max_block)
    got = list(zip(left.tolist(), right.tolist()))
    assert got == sorted(set(got)), "pairs are sorted and unique"
    assert set(got) == pairs_from_keys_reference(rows, keys, max_block=max_block)
    assert all(a < b for a, b in got)


def test_overfull_keys_are_dropped():
    rows = np.arange(10)
    keys = np.array([1] * 8 + [2] * 2, dtype=np.uint64)
    left, right = pairs_from_keys(rows, keys, max_block=5)
    assert list(zip(left, right)) == [(8, 9)]


def test_large_uint64_keys_work():
    keys = np.array([2**64 - 1, 2**64 - 1, 2**63], dtype=np.uint64)
    left, right = pairs_from_keys(np.array([5, 3, 1]), keys)
    assert list(zip(left, right)) == [(3, 5)]


def test_misaligned_input_is_rejected():
    with pytest.raises(ValueError, match="aligned"):
        pairs_from_keys(np.arange(3), np.arange(2, dtype=np.uint64))


def test_merge_pairs_unions_and_drops_self_pairs():
    a = (np.array([0, 1, 2]), np.array([1, 3, 2]))
    b = (np.array([3, 0]), np.array([1, 1]))
    left, right = merge_pairs([a, b])
    assert list(zip(left, right)) == [(0, 1), (1, 3)]
