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


# -- the chunked, packed-code path against the reference (memory fix, issue 3) ----------


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 9)), max_size=150),
    st.integers(2, 20),
    st.integers(1, 40),
    st.integers(-(2**40), 2**40),
)
def test_chunked_pairs_equal_reference_at_any_chunk_and_offset(items, max_block, chunk, offset):
    """Pairs are made a few key blocks at a time and packed into uint64 codes relative to the
    smallest row: the result must not depend on the chunk size or on where the rows start."""
    rows = np.array([r + offset for r, _ in items], dtype=np.int64)
    keys = np.array([k for _, k in items], dtype=np.uint64)
    left, right = pairs_from_keys(rows, keys, max_block=max_block, chunk_pairs=chunk)
    whole = pairs_from_keys(rows, keys, max_block=max_block, chunk_pairs=10**9)
    got = list(zip(left.tolist(), right.tolist()))
    assert got == sorted(set(got))
    assert set(got) == pairs_from_keys_reference(rows, keys, max_block=max_block)
    assert np.array_equal(left, whole[0]) and np.array_equal(right, whole[1])
    assert left.dtype == right.dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=40), max_size=5))
def test_merge_pairs_equals_set_union(parts_lists):
    parts = [(np.array([a for a, _ in p], dtype=np.int64), np.array([b for _, b in p], dtype=np.int64))
             for p in parts_lists]
    left, right = merge_pairs(parts)
    want = sorted({(min(a, b), max(a, b)) for p in parts_lists for a, b in p if a != b})
    assert list(zip(left.tolist(), right.tolist())) == want
    assert left.dtype == right.dtype == np.int64


def test_merge_pairs_many_chunks_union(monkeypatch):
    """The running union merges pending parts once they outgrow it: force that with a tiny threshold."""
    import sellerlink.blocking as b

    monkeypatch.setattr(b, "DEFAULT_CHUNK_PAIRS", 3)
    rng = np.random.default_rng(5)
    parts = [(rng.integers(0, 50, 30), rng.integers(0, 50, 30)) for _ in range(12)]
    left, right = b.merge_pairs(parts)
    want = sorted({(min(x, y), max(x, y)) for lo, hi in parts for x, y in zip(lo.tolist(), hi.tolist()) if x != y})
    assert list(zip(left.tolist(), right.tolist())) == want
    rows = rng.integers(0, 200, 600)
    keys = rng.integers(0, 40, 600).astype(np.uint64)
    lo, hi = b.pairs_from_keys(rows, keys, max_block=30, chunk_pairs=5)
    assert set(zip(lo.tolist(), hi.tolist())) == pairs_from_keys_reference(rows, keys, max_block=30)


def test_rows_spanning_more_than_32_bits_are_rejected():
    with pytest.raises(ValueError, match="2\\*\\*32"):
        pairs_from_keys(np.array([0, 2**32]), np.array([1, 1], dtype=np.uint64))
    with pytest.raises(ValueError, match="2\\*\\*32"):
        merge_pairs([(np.array([0]), np.array([2**33]))])


def test_merge_pairs_of_nothing_is_empty():
    for parts in ([], [(np.array([3]), np.array([3]))], [(np.empty(0), np.empty(0))]):
        left, right = merge_pairs(parts)
        assert len(left) == len(right) == 0 and left.dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12)), max_size=80), max_size=5),
    st.integers(2, 15),
    st.integers(1, 30),
)
def test_pair_union_of_signal_codes_equals_the_union_of_reference_pairs(signals, max_block, chunk):
    """What Linker.candidate_pairs does: each signal's pairs as codes, folded into one union."""
    from sellerlink.blocking import PairUnion, pair_codes_from_keys

    union = PairUnion()
    want: set[tuple[int, int]] = set()
    for items in signals:
        rows = np.array([r for r, _ in items], dtype=np.int64)
        keys = np.array([k for _, k in items], dtype=np.uint64)
        union.add(pair_codes_from_keys(rows, keys, max_block=max_block, chunk_pairs=chunk))
        want |= pairs_from_keys_reference(rows, keys, max_block=max_block)
    left, right = union.pairs()
    assert list(zip(left.tolist(), right.tolist())) == sorted(want)
    assert left.dtype == right.dtype == np.int64


def test_pair_codes_refuse_rows_below_their_base():
    from sellerlink.blocking import pair_codes_from_keys

    with pytest.raises(ValueError, match="at least base"):
        pair_codes_from_keys(np.array([-1, 0]), np.array([3, 3], dtype=np.uint64))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["<u8", "<i8", "<i4", "|u1", "|b1"]),
    st.lists(st.integers(0, 2**64 - 1), max_size=300),
    st.booleans(),
)
def test_unique_sorted_equals_np_unique(dtype, raw, two_d):
    """The sort-and-mask unique (numpy 2.3+'s np.unique hashes: 70x slower on 5M values) gives
    np.unique's answer: sorted, distinct, flattened, same dtype."""
    from sellerlink._arrays import unique_sorted

    info = np.iinfo(dtype) if dtype != "|b1" else None
    vals = [bool(v & 1) for v in raw] if info is None else [info.min + v % (int(info.max) - int(info.min) + 1) for v in raw]
    a = np.array(vals, dtype=dtype)
    if two_d and len(a) % 2 == 0:
        a = a.reshape(2, -1)
    got, want = unique_sorted(a), np.unique(a)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    f = np.array([0.5, np.nan, 0.5, np.nan])  # floats go to np.unique (its NaN rules)
    assert np.array_equal(unique_sorted(f), np.unique(f), equal_nan=True)


def test_pair_union_leaves_the_callers_codes_alone(monkeypatch):
    """The union sorts its own concatenations in place, never an array it was given."""
    import sellerlink.blocking as B

    monkeypatch.setattr(B, "DEFAULT_CHUNK_PAIRS", 4)  # merge after every few codes
    rng = np.random.default_rng(0)
    given = [rng.integers(0, 50, 6).astype(np.uint64) for _ in range(5)]
    copies = [g.copy() for g in given]
    u = B.PairUnion()
    for g in given:
        u.add(g)
    lo, hi = u.pairs()
    assert all(np.array_equal(g, c) for g, c in zip(given, copies))
    want = np.unique(np.concatenate(copies))
    assert np.array_equal((lo.astype(np.uint64) << np.uint64(32)) | hi.astype(np.uint64), want)


def test_a_consumed_union_decodes_into_its_own_array_with_two_arrays_at_once():
    """pairs(consume=True): the same pairs as pairs(), the union left empty, and at most the
    codes and one more array of 8 bytes a pair held at once (the plain decode held four)."""
    import tracemalloc

    import sellerlink.blocking as B

    rng = np.random.default_rng(3)
    n = 400_000
    lo = rng.integers(5, 60_000, n)
    hi = lo + rng.integers(1, 60_000, n)

    def decoded(consume):
        tracemalloc.start()  # before the union's array is made, so that reusing it counts
        try:
            u = B.PairUnion(base=5)
            u.add(B._encode(lo, hi, 5))
            codes_bytes = u._union.result().nbytes
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            pairs = u.pairs(consume=consume)
            return u, pairs, codes_bytes, tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()

    u, (l1, h1), codes_bytes, growth = decoded(True)
    _, (l0, h0), _, plain_growth = decoded(False)
    want = np.unique(B._encode(lo, hi, 5))
    assert np.array_equal(l1, (want >> np.uint64(32)).astype(np.int64) + 5)
    assert np.array_equal(h1, (want & np.uint64(2**32 - 1)).astype(np.int64) + 5)
    assert np.array_equal(l0, l1) and np.array_equal(h0, h1) and l1.dtype == h1.dtype == np.int64
    assert len(u.pairs()[0]) == 0  # emptied
    assert growth < 1.2 * codes_bytes < plain_growth


@pytest.mark.parametrize("repeats", [False, True])
def test_dedupe_keeps_sorted_distinct_entries_and_copies_only_when_some_repeat(repeats):
    """(row, key) entries sorted by key then row without repeats; when none repeats (a signal
    draws distinct keys per row) the sorted arrays are returned as they are: three arrays of 8
    bytes an entry at the peak (the order, keys, rows) instead of four and more."""
    import tracemalloc

    from sellerlink.blocking import _dedupe_sorted

    rng = np.random.default_rng(5)
    n = 200_000
    rows = rng.integers(0, 50_000, n)
    keys = rng.integers(0, 2**63, n).astype(np.uint64)
    if repeats:
        rows[::7], keys[::7] = rows[1::7][: len(rows[::7])], keys[1::7][: len(keys[::7])]
    tracemalloc.start()
    try:
        r, k = _dedupe_sorted(rows, keys)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    want = sorted(set(zip(keys.tolist(), rows.tolist())))
    assert list(zip(k.tolist(), r.tolist())) == want
    assert (len(want) < n) == repeats
    assert (peak < 3.5 * rows.nbytes) == (not repeats)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=200), st.integers(0, 6), st.sampled_from([1, 2, 3, 5, 1 << 20]))
def test_distinct_in_place_equals_np_unique_wherever_the_blocks_cut(raw, spread, block):
    """The distinct values of a sorted array written over its own front, a block at a time, and
    the array shrunk to them: np.unique's answer, in the same array, runs crossing blocks."""
    from sellerlink._arrays import distinct_in_place

    a = np.sort(np.array([v >> (64 - spread) if spread else v for v in raw], dtype=np.uint64))  # many repeats
    want = np.unique(a)
    got = distinct_in_place(a, block)
    assert got is a and a.flags.owndata
    assert got.dtype == np.uint64 and got.tolist() == want.tolist()


def test_the_union_merge_holds_no_distinct_copy_beside_its_concatenation():
    """_CodeUnion's merge: the concatenation, sorted and made distinct in place, is the union;
    traced memory grows by that one array (a distinct copy beside it was the union again)."""
    import tracemalloc

    import sellerlink.blocking as B

    rng = np.random.default_rng(9)
    parts = [np.sort(rng.integers(0, 2**40, 1_000_000).astype(np.uint64)) for _ in range(3)]
    parts.append(parts[0][::2].copy())  # repeats across parts
    want = np.unique(np.concatenate(parts))
    u = B._CodeUnion()
    u.pending, u.n_pending = list(parts), sum(len(p) for p in parts)
    total = u.n_pending * 8
    del parts
    tracemalloc.start()
    try:
        u._merge()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(u.merged, want)
    assert peak < 1.3 * total  # (the concatenation, and a block of 2 MB)


def test_distinct_in_place_refuses_an_array_it_does_not_own():
    """A view (of someone else's array) is refused, repeats or not: shrinking it would be unsafe."""
    from sellerlink._arrays import distinct_in_place

    base = np.array([1, 2, 3, 3, 4], dtype=np.uint64)
    for view in (base[:3], base[1:]):
        with pytest.raises(ValueError, match="owns its data"):
            distinct_in_place(view)
    assert base.tolist() == [1, 2, 3, 3, 4]


@pytest.mark.parametrize(("trim_bytes", "n_trims"), [(8, 4), (1 << 20, 4), (64 << 20, 0)])
def test_a_merge_copies_the_union_so_far_block_by_block_and_hands_back_the_freed_parts(monkeypatch, trim_bytes,
                                                                                       n_trims):  # fmt: skip
    """A merge copies the pending codes (each let go once copied, the freed heap handed back
    every _MERGE_TRIM bytes), then the union so far from its end, shrinking it as it goes: the
    union of everything, whatever the blocks. (What it saves is resident memory, which
    tracemalloc does not see: a probe of 60 parts of 2M codes, +834 -> +656 MB.)"""
    import sellerlink.blocking as B

    monkeypatch.setattr(B, "_MERGE_TRIM", trim_bytes)
    trims = []
    monkeypatch.setattr(B, "release_freed_heap", lambda: trims.append(1) or True)
    rng = np.random.default_rng(4)
    n = 20_000 if trim_bytes == 8 else 1_000_000
    u = B._CodeUnion()
    u.merged = np.unique(rng.integers(0, 2**40, n).astype(np.uint64))
    pending = [np.unique(rng.integers(0, 2**40, n // 4).astype(np.uint64)) for _ in range(3)]
    pending.append(u.merged[::3].copy())  # repeats of the union
    want = np.unique(np.concatenate([u.merged, *pending]))
    u.pending, u.n_pending = pending, sum(len(p) for p in pending)
    del pending
    u._merge()
    assert u.merged.dtype == np.uint64 and np.array_equal(u.merged, want)
    assert len(trims) == n_trims  # (each of the 4 parts, 2-2.7 MB, reaches the first two thresholds)
