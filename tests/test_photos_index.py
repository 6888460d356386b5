"""Tests of the photos signal's index hooks: ``extract``/``assemble`` rebuild exactly the table
``fingerprint`` builds, photo counts from a collection (``RarityContext``) and their incremental
maintenance (``rarity_updates``), and the multi-index-hashing ``index_keys``/``probe_keys``
(a re-cropped, mirrored or re-encoded copy finds its original; unrelated photos mostly do not).
Drawn photos only."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

# drawn photos (smooth colour blobs + shapes + sensor noise) and edits: test_photos's helpers
from test_photos import crop, jpeg, textured
from test_photos import watermark as _watermark

from sellerlink.blocking import pairs_from_keys
from sellerlink.config import PhotoWarning
from sellerlink.records import Account, Listing
from sellerlink.signals.base import RarityContext, pack, stable_hash64, unpack
from sellerlink.signals.photos import MIRROR_VARIANT, PhotosSignal, PhotosTable
from sellerlink.signals.photos._signal import (
    INDEX_RADIUS,
    INDEX_VARIANTS,
    STATE_BYTES_PER_PHOTO,
    STATE_VERSION,
    _half_keys,
)


def watermark(img: Image.Image) -> Image.Image:
    """A caption band low in the picture (where sellers put theirs)."""
    return _watermark(img, y_frac=0.7)


EDITS = {
    "crop 10%": lambda im: crop(im, 0.10, 0.10, 0.10, 0.10),
    "crop asymmetric": lambda im: crop(im, 0.11, 0.0, 0.03, 0.09),
    "mirror": ImageOps.mirror,
    "reencode q60": lambda im: im,
    "mirror + crop": lambda im: ImageOps.mirror(crop(im, 0.08, 0.0, 0.0, 0.06)),
    "watermark": watermark,
    "rotate 3deg": lambda im: im.rotate(
        3, resample=Image.BICUBIC, fillcolor=(255, 255, 255)
    ),
}


def _tables_equal(a: PhotosTable, b: PhotosTable) -> list[str]:
    """Names of the fields that differ (arrays compared exactly, NaN equal to NaN)."""
    bad = []
    for f in dataclasses.fields(PhotosTable):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            same = (
                x is not None
                and y is not None
                and x.dtype == y.dtype
                and x.shape == y.shape
            )
            if not (same and np.array_equal(x, y, equal_nan=x.dtype.kind == "f")):
                bad.append(f.name)
        elif x != y:
            bad.append(f.name)
    return bad


def _counts_ctx(counts: dict[int, int], n_accounts: int = 1000) -> RarityContext:
    def fn(signal: str, keys: np.ndarray) -> np.ndarray:
        assert signal == "photos"
        return np.array([counts.get(int(k), 0) for k in keys], dtype=np.int64)

    return RarityContext(n_accounts, fn)


# ---------------------------------------------------------------------------------------
# a small world: a banned seller, its comeback (crops, mirror, re-encodes), a stock photo on
# five shops, a missing photo and a photoless account


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Account], Path]:
    d = tmp_path_factory.mktemp("ixworld")

    def save(name: str, img: Image.Image, q: int = 85) -> str:
        p = d / name
        p.write_bytes(jpeg(img, q))
        return str(p)

    own = [textured(5000 + k) for k in range(4)]
    stock = textured(6000)
    old = Account(
        "old",
        photos=(save("o0.jpg", own[0]),),
        listings=(
            Listing(
                "a",
                photos=(
                    save("o1.jpg", own[1]),
                    save("o2.jpg", own[2]),
                    save("ostock.jpg", stock),
                ),
            ),
        ),
    )
    new = Account(
        "new",
        photos=(save("n0.jpg", crop(own[0], 0.1, 0.05, 0.12, 0.0), 60),),
        listings=(
            Listing(
                "b",
                photos=(
                    save("n1.jpg", ImageOps.mirror(own[1]), 50),
                    save("n2.jpg", own[2], 60),
                    save("n9.jpg", textured(5999)),
                ),
            ),
        ),
    )
    shops = [
        Account(
            f"shop{k}",
            photos=(
                save(f"s{k}.jpg", stock, 60 + 5 * k),
                save(f"u{k}.jpg", textured(7000 + k)),
            ),
        )
        for k in range(4)
    ]
    third = Account(
        "third",
        photos=(
            save("t3.jpg", crop(own[3], 0.0, 0.1, 0.0, 0.1)),
            save("t2.jpg", own[2], 70),
        ),
    )
    holder = Account("holder", photos=(save("h3.jpg", own[3]), str(d / "missing.jpg")))
    return [old, new, *shops, third, holder, Account("empty")], d


@pytest.fixture(scope="module")
def world_table(world: tuple[list[Account], Path]) -> PhotosTable:
    with pytest.warns(PhotoWarning):
        return PhotosSignal().fingerprint(world[0])


def test_assemble_equals_fingerprint(
    world: tuple[list[Account], Path], world_table: PhotosTable
) -> None:
    accounts, _ = world
    sig = PhotosSignal()
    with pytest.warns(PhotoWarning, match="missing.jpg"):
        states = sig.extract(accounts)
    assert len(states) == len(accounts) and all(isinstance(s, bytes) for s in states)
    t = sig.assemble([a.account_id for a in accounts], states)
    assert _tables_equal(world_table, t) == []
    # the world has what the test is about: crops, a mirror, a re-encode, a stock photo on 5 accounts
    assert (
        len(t.match_a) >= 14 and t.match_mirrored.any() and (t.match_window > 0).any()
    )
    assert t.photo_df.max() == 5 and t.n_skipped == 1
    n = len(accounts)
    i, j = np.triu_indices(n, 1)
    f1, f2 = sig.compare(world_table, i, j), sig.compare(t, i, j)
    assert all(np.array_equal(f1[k], f2[k]) for k in sig.feature_names)
    assert sig.explain(t, 0, 1) == sig.explain(world_table, 0, 1)
    # a reordered sub-batch assembles to the table fingerprint builds for the same sub-batch
    order = [7, 1, 0, 2]
    sub = sig.assemble(
        [accounts[k].account_id for k in order], [states[k] for k in order]
    )
    with pytest.warns(PhotoWarning):
        ref = sig.fingerprint([accounts[k] for k in order])
    assert _tables_equal(ref, sub) == []


def test_state_round_trip_and_size(world: tuple[list[Account], Path]) -> None:
    accounts, _ = world
    sig = PhotosSignal()
    with pytest.warns(PhotoWarning):
        states = sig.extract(accounts)
    arrs, meta = unpack(states[0])
    assert meta["paths"] == list(accounts[0].all_photos) and meta["skipped"] == 0
    assert arrs["windows"].shape == (4, 81) and arrs["thumb"].dtype == np.uint8
    # the stable photo key: account id and position in all_photos
    assert arrs["key"].tolist() == [
        stable_hash64(f"old\x1f{k}", "sellerlink.photos.key") for k in range(4)
    ]
    # the holder's second photo is missing: position 1 is skipped, counted, and keys stay positional
    h_arrs, h_meta = unpack(states[7])
    assert h_meta["skipped"] == 1 and h_arrs["pos"].tolist() == [0]
    # size: ~3.5 KB a photo plus the path and a small header
    per_photo = (len(states[0]) - len(states[8])) / 4
    assert STATE_BYTES_PER_PHOTO == 3513
    assert STATE_BYTES_PER_PHOTO <= per_photo <= STATE_BYTES_PER_PHOTO + 200
    ids = [a.account_id for a in accounts]
    for bad in (
        b"",
        b"\x00\x00",
        states[0][:-10],
        b"junk" * 10,
        pack({"x": np.zeros(2)}, {"v": 1}),
        pack(None, {"v": 99, "paths": [], "skipped": 0}),
        pack({**arrs, "windows": arrs["windows"][:, :80]}, meta),
        pack({**arrs, "thumb": arrs["thumb"].astype(np.int8)}, meta),
        pack(arrs, {**meta, "paths": meta["paths"][:3]}),
        pack(arrs, {**meta, "skipped": -1}),
    ):
        with pytest.raises(ValueError):
            sig.assemble(["old"], [bad])
    with pytest.raises(ValueError):
        sig.assemble(ids[:2], states[:3])
    # a state of hash version 1 (float64 products; same layout) is refused by name, never
    # compared with this version's hashes: an index written before must be rebuilt
    assert meta["v"] == STATE_VERSION == 2
    with pytest.raises(ValueError, match=r"version 1: .* older sellerlink .* Rebuild the index"):
        sig.assemble(["old", "new"], [pack(arrs, {**meta, "v": 1}), states[0]])
    # ... unless it holds no photo: then there is no old hash in it, and it reads as today's
    e_arrs, e_meta = unpack(states[8])
    assert e_meta["paths"] == [] and e_meta["v"] == 2
    old_empty = pack(e_arrs, {**e_meta, "v": 1})
    got, want = sig.assemble(["x", "old"], [old_empty, states[0]]), sig.assemble(["x", "old"], [states[8], states[0]])
    assert _tables_equal(got, want) == []


# ---------------------------------------------------------------------------------------
# counts from a collection


def test_rarity_context_query_equals_batch(world: tuple[list[Account], Path]) -> None:
    """Counts = the batch df over the collection; a query (not stored) assembled with the accounts
    it matches gets the df the batch gives the collection plus the query."""
    accounts, _ = world
    sig = PhotosSignal()
    ids = [a.account_id for a in accounts]
    with pytest.warns(PhotoWarning):
        states = sig.extract(accounts)
    q = 1  # "new" is the query; everything else is stored
    members = [k for k in range(len(accounts)) if k != q]
    coll = sig.assemble([ids[k] for k in members], [states[k] for k in members])
    counts = dict(zip(coll.photo_key.tolist(), coll.photo_df.tolist()))
    full = sig.assemble(ids, states)
    ctx = _counts_ctx(counts)
    # query + its candidates (old, third: the two it matches) + a shop that does not match it
    rows = [1, 0, 6, 2]
    t = sig.assemble([ids[k] for k in rows], [states[k] for k in rows], rarity=ctx)
    want = {k: d for k, d in zip(full.photo_key.tolist(), full.photo_df.tolist())}
    assert t.photo_df.tolist() == [want[k] for k in t.photo_key.tolist()]
    # focused on the query: the same dfs and the same query features, without the candidates' own matches
    tf = sig.assemble(
        [ids[k] for k in rows], [states[k] for k in rows], rarity=ctx, focus=[0]
    )
    assert tf.photo_df.tolist() == t.photo_df.tolist()
    left, right = np.zeros(3, np.int64), np.arange(1, 4)
    ff, fa = sig.compare(tf, left, right), sig.compare(t, left, right)
    assert all(np.array_equal(ff[k], fa[k]) for k in sig.feature_names)
    # ... not the batch rule over the small table (the stock photo is on 5 accounts, not 2)
    small = sig.assemble([ids[k] for k in rows], [states[k] for k in rows])
    assert small.photo_df.tolist() != t.photo_df.tolist()
    # every photo stored (counts after the query joined): df is the count itself
    grown = dict(zip(full.photo_key.tolist(), full.photo_df.tolist()))
    t2 = sig.assemble(
        [ids[k] for k in rows], [states[k] for k in rows], rarity=_counts_ctx(grown)
    )
    assert t2.photo_df.tolist() == [grown[k] for k in t2.photo_key.tolist()]
    assert np.array_equal(t2.match_df, t.match_df)
    # a negative or misshapen answer is refused
    with pytest.raises(ValueError):
        sig.assemble(
            ids[:1],
            states[:1],
            rarity=RarityContext(5, lambda s, k: -np.ones(len(k), np.int64)),
        )
    with pytest.raises(ValueError):
        sig.assemble(
            ids[:1],
            states[:1],
            rarity=RarityContext(5, lambda s, k: np.ones(len(k) + 1, np.int64)),
        )


def test_rarity_stock_photo_is_common(world: tuple[list[Account], Path]) -> None:
    """A stored stock photo counted 80 times is common: its matches carry df >= 80, are not rare,
    and propose no candidate pair; the comeback's own photos still do."""
    accounts, _ = world
    sig = PhotosSignal(key_max_df=64, rare_df=3)
    ids = [a.account_id for a in accounts]
    with pytest.warns(PhotoWarning):
        states = sig.extract(accounts)
    rows = [0, 2, 1]  # old (stored), shop0 (stored), new (the query, count 0)
    t0 = sig.assemble([ids[k] for k in rows], [states[k] for k in rows])
    old_keys = unpack(states[0])[0]["key"].tolist()
    shop_keys = unpack(states[2])[0]["key"].tolist()
    counts = {
        old_keys[0]: 2,
        old_keys[1]: 1,
        old_keys[2]: 3,
        old_keys[3]: 80,
        shop_keys[0]: 80,
        shop_keys[1]: 1,
    }
    t = sig.assemble(
        [ids[k] for k in rows], [states[k] for k in rows], rarity=_counts_ctx(counts)
    )
    df = dict(zip(t.photo_key.tolist(), t.photo_df.tolist()))
    # stored photos: count + the unstored query if it matches (o0, o1, o2 match "new"; stock does not)
    assert (
        [df[k] for k in old_keys] == [3, 2, 4, 80]
        and df[shop_keys[0]] == 80
        and df[shop_keys[1]] == 1
    )
    # query photos: 1 + the table's accounts with a match (old)
    new_keys = unpack(states[1])[0]["key"].tolist()
    assert [df[k] for k in new_keys] == [2, 2, 2, 1]
    # pairs old-shop0 (the stock photo), new-old, old-new; a match's df is the larger of its two photos'
    f = sig.compare(t, np.array([0, 2, 0]), np.array([1, 0, 2]))
    f0 = sig.compare(t0, np.array([0, 2, 0]), np.array([1, 0, 2]))
    assert f["photo_min_df"].tolist() == [80.0, 2.0, 2.0] and f0[
        "photo_min_df"
    ].tolist() == [2.0, 2.0, 2.0]
    assert f["photo_rare_matches"].tolist() == [0.0, 2.0, 2.0] and f0[
        "photo_rare_matches"
    ].tolist() == [1.0, 3.0, 3.0]
    i, j = pairs_from_keys(*sig.candidate_keys(t), max_block=100)
    i0, j0 = pairs_from_keys(*sig.candidate_keys(t0), max_block=100)
    assert set(zip(i0.tolist(), j0.tolist())) == {(0, 1), (0, 2)}
    assert set(zip(i.tolist(), j.tolist())) == {
        (0, 2)
    }  # old-shop0 only via the stock photo: gone


# ---------------------------------------------------------------------------------------
# incremental counts: property test against the batch df


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Photo files: three originals with copies (crop, mirror, re-encode) and two loners."""
    d = tmp_path_factory.mktemp("pool")
    out = []
    for k in range(3):
        im = textured(8000 + k)
        for name, img, q in (
            ("o", im, 85),
            ("c", crop(im, 0.1, 0.0, 0.06, 0.06), 70),
            ("m", ImageOps.mirror(im), 60),
            ("r", im, 50),
        ):
            p = d / f"{name}{k}.jpg"
            p.write_bytes(jpeg(img, q))
            out.append(str(p))
    for k in range(2):
        p = d / f"x{k}.jpg"
        p.write_bytes(jpeg(textured(8100 + k)))
        out.append(str(p))
    return out


@pytest.fixture(scope="module")
def pool_states(pool: list[str]) -> dict[tuple[str, tuple[int, ...]], bytes]:
    return {}


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_rarity_updates_match_batch_df(
    pool: list[str],
    pool_states: dict[tuple[str, tuple[int, ...]], bytes],
    data: st.DataObject,
) -> None:
    sig = PhotosSignal()
    n = data.draw(st.integers(2, 7), label="accounts")
    photos = [
        data.draw(
            st.lists(
                st.integers(0, len(pool) - 1), min_size=0, max_size=3, unique=True
            ),
            label=f"a{k}",
        )
        for k in range(n)
    ]
    ids = [f"acc{k}" for k in range(n)]
    states = []
    for aid, ph in zip(ids, photos):
        key = (aid, tuple(ph))
        if key not in pool_states:
            pool_states[key] = sig.extract(
                [Account(aid, photos=tuple(pool[p] for p in ph))]
            )[0]
        states.append(pool_states[key])
    add_order = data.draw(st.permutations(range(n)), label="add order")
    cuts = sorted(
        data.draw(
            st.lists(st.integers(1, n - 1), max_size=3, unique=True), label="batches"
        )
    )

    def batch_df(members: list[int]) -> dict[int, int]:
        t = sig.assemble([ids[k] for k in members], [states[k] for k in members])
        return dict(zip(t.photo_key.tolist(), t.photo_df.tolist()))

    def apply(
        counts: dict[int, int], members: list[int], rows: list[int], sign: int
    ) -> None:
        t = sig.assemble([ids[k] for k in members], [states[k] for k in members])
        keys, deltas = sig.rarity_updates(t, np.array([members.index(r) for r in rows]))
        assert (
            keys.dtype == np.uint64 and deltas.dtype == np.int64 and (deltas > 0).all()
        )
        for k, dlt in zip(keys.tolist(), deltas.tolist()):
            counts[k] = counts.get(k, 0) + sign * dlt
            if counts[k] == 0:
                del counts[k]

    counts: dict[int, int] = {}
    present: list[int] = []
    for part in np.split(np.array(add_order), cuts):
        before = dict(counts)
        rows = part.tolist()
        apply(counts, present + rows, rows, +1)
        # add then remove the same batch: every count back where it was
        trial = dict(counts)
        apply(trial, present + rows, rows, -1)
        assert trial == before
        present += rows
        assert counts == batch_df(present)
    # remove in another order, in batches: counts follow the batch df of what is left
    rm_order = data.draw(st.permutations(range(n)), label="remove order")
    for part in np.split(np.array(rm_order), cuts):
        rows = part.tolist()
        apply(counts, present, rows, -1)
        present = [k for k in present if k not in rows]
        assert counts == (batch_df(present) if present else {})


def test_focus_keeps_exactly_the_focus_matches(
    world: tuple[list[Account], Path], world_table: PhotosTable
) -> None:
    accounts, _ = world
    sig = PhotosSignal()
    ids = [a.account_id for a in accounts]
    with pytest.warns(PhotoWarning):
        states = sig.extract(accounts)
    full = world_table
    for focus in ([1], [0, 6], [2, 3, 4]):
        t = sig.assemble(ids, states, focus=focus)
        acc_a, acc_b = (
            full.photo_account[full.match_a],
            full.photo_account[full.match_b],
        )
        touch = np.isin(acc_a, focus) | np.isin(acc_b, focus)
        assert touch.any() and not touch.all()
        for name in (
            "match_a",
            "match_b",
            "match_dist",
            "match_window",
            "match_mirrored",
            "match_query_is_a",
            "match_sim",
        ):
            assert np.array_equal(
                getattr(t, name),
                getattr(full, name)[touch],
                equal_nan=name == "match_sim",
            ), name
        # the count changes for accounts joining within the focus are the full table's
        k1, d1 = sig.rarity_updates(t, np.array(focus))
        k0, d0 = sig.rarity_updates(full, np.array(focus))
        assert dict(zip(k1.tolist(), d1.tolist())) == dict(
            zip(k0.tolist(), d0.tolist())
        )
    with pytest.raises(ValueError):
        sig.assemble(ids, states, focus=[len(ids)])
    assert len(sig.assemble(ids, states, focus=[]).match_a) == 0


def test_rarity_updates_rejects_bad_rows(world_table: PhotosTable) -> None:
    sig = PhotosSignal()
    with pytest.raises(ValueError):
        sig.rarity_updates(world_table, np.array([99]))
    with pytest.raises(TypeError):
        sig.rarity_updates("not a table", np.array([0]))  # type: ignore[arg-type]
    keys, deltas = sig.rarity_updates(world_table, np.array([], dtype=np.int64))
    assert len(keys) == 0 and len(deltas) == 0


# ---------------------------------------------------------------------------------------
# index / probe keys


def _keys_of(sig: PhotosSignal, table: PhotosTable, method: str) -> list[set[int]]:
    rows, keys = getattr(sig, method)(table)
    assert (
        rows.dtype == np.int64 and keys.dtype == np.uint64 and rows.shape == keys.shape
    )
    out: list[set[int]] = [set() for _ in range(len(table))]
    for r, k in zip(rows.tolist(), keys.tolist()):
        out[r].add(k)
    return out


@pytest.fixture(scope="module")
def originals() -> list[Image.Image]:
    return [textured(9000 + k) for k in range(6)]


@pytest.mark.parametrize("name", list(EDITS))
def test_probe_keys_find_edited_copies(
    name: str, originals: list[Image.Image], tmp_path: Path
) -> None:
    """Every copy the batch rule matches is found through the keys with the original stored;
    re-encodes and mirrors also the other way round."""
    sig = PhotosSignal()
    accs = []
    for k, im in enumerate(originals):
        (tmp_path / f"o{k}.jpg").write_bytes(jpeg(im))
        (tmp_path / f"e{k}.jpg").write_bytes(jpeg(EDITS[name](im), 60))
        accs += [
            Account(f"o{k}", photos=(str(tmp_path / f"o{k}.jpg"),)),
            Account(f"e{k}", photos=(str(tmp_path / f"e{k}.jpg"),)),
        ]
    t = sig.fingerprint(accs)
    stored, probe = _keys_of(sig, t, "index_keys"), _keys_of(sig, t, "probe_keys")
    f = sig.compare(t, np.arange(0, len(accs), 2), np.arange(1, len(accs), 2))
    matched = f["photo_matches"] > 0
    floor = {"watermark": 3, "rotate 3deg": 3}.get(name, 6)
    assert matched.sum() >= floor  # the batch finds them (the keys cannot do better)
    for k in np.flatnonzero(matched).tolist():
        assert probe[2 * k + 1] & stored[2 * k], (
            f"{name}: copy {k} does not probe its original"
        )
        if name in ("mirror", "reencode q60"):
            assert probe[2 * k] & stored[2 * k + 1], (
                f"{name}: original {k} does not probe its copy"
            )
    # unrelated drawn photos mostly share nothing
    shared = [
        bool(probe[a] & stored[b])
        for a, b in itertools.permutations(range(0, len(accs), 2), 2)
    ]
    assert sum(shared) <= 2
    assert 40 <= np.mean([len(s) for s in stored]) <= 2 * len(INDEX_VARIANTS)
    assert all(len(p) <= 2 * 2 * 529 + 2 * 81 for p in probe)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    dist=st.integers(0, INDEX_RADIUS),
    mirrored=st.booleans(),
    slot=st.integers(0, len(INDEX_VARIANTS) - 1),
)
def test_probe_keys_pigeonhole_guarantee(
    world_table: PhotosTable, seed: int, dist: int, mirrored: bool, slot: int
) -> None:
    """Reference: any stored variant within INDEX_RADIUS bits of a query's whole/mirrored hash
    shares a key with it, wherever the flipped bits fall."""
    sig = PhotosSignal()
    rng = np.random.default_rng(seed)
    t = world_table
    one = t.hash_photo == 0  # a one-photo, one-account table whose hashes we overwrite
    base = dataclasses.replace(
        t,
        n_accounts=1,
        hash_photo=t.hash_photo[one],
        hash_account=np.zeros(one.sum(), np.int64),
        hash_variant=t.hash_variant[one],
    )
    q_vals = rng.integers(0, 2**63, size=one.sum(), dtype=np.int64).astype(
        np.uint64
    ) * np.uint64(2) + np.uint64(1)
    s_vals = rng.integers(0, 2**63, size=one.sum(), dtype=np.int64).astype(np.uint64)
    flips = rng.choice(64, size=dist, replace=False)
    q_hash = q_vals[MIRROR_VARIANT if mirrored else 0]
    s_vals[int(INDEX_VARIANTS[slot])] = q_hash ^ np.uint64(
        sum(1 << int(b) for b in flips)
    )
    query = dataclasses.replace(base, hash_value=q_vals)
    stored = dataclasses.replace(base, hash_value=s_vals)
    _, pk = sig.probe_keys(query)
    _, ik = sig.index_keys(stored)
    assert np.isin(ik, pk).any()


def test_keys_golden() -> None:
    # pins the key layout: a stored index built with other keys would silently find nothing
    vals = np.array([0, 0x89ABCDEF, 0xFFFFFFFF], dtype=np.uint64)
    assert _half_keys(vals, 0).tolist() == GOLDEN_LO
    assert _half_keys(vals, 1).tolist() == GOLDEN_HI
    assert len(INDEX_VARIANTS) == 50 and INDEX_RADIUS == 5


GOLDEN_LO = [11212761863454406967, 991411498203791910, 10360735140364131914]
GOLDEN_HI = [8003273490104677733, 16801063257318123928, 6645180607218154669]


def test_empty_tables() -> None:
    sig = PhotosSignal()
    t = sig.assemble(["a", "b"], sig.extract([Account("a"), Account("b")]))
    assert _tables_equal(t, sig.fingerprint([Account("a"), Account("b")])) == []
    for method in ("index_keys", "probe_keys"):
        rows, keys = getattr(sig, method)(t)
        assert len(rows) == 0 and keys.dtype == np.uint64
    assert len(sig.rarity_updates(t, np.array([0, 1]))[0]) == 0
    assert len(sig.assemble([], []).photo_key) == 0
