"""Photos in the persistent index: a photo-only comeback is found at sign-up, a supplier photo
that spreads stops counting, photo counts follow adds and removes exactly, and query features
equal the batch pipeline's. Drawn photos only (written into the test's temp folder)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import ImageOps
from test_index import batch_scores_of_last
from test_photos_index import crop, jpeg, textured, watermark

from sellerlink import Linker
from sellerlink.index import Index, _ns
from sellerlink.records import Account, Listing
from sellerlink.signals.names import NamesSignal
from sellerlink.signals.photos import PhotosSignal


def _linker() -> Linker:
    return Linker(signals=[NamesSignal(), PhotosSignal()], progress=False, min_score_kept=None)  # every pair kept


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("ixphotos")
    out: dict[str, str] = {}

    def save(name: str, img, q: int = 85) -> None:  # type: ignore[no-untyped-def]
        (d / name).write_bytes(jpeg(img, q))
        out[name] = str(d / name)

    for k in range(3):
        im = textured(100 + k)
        save(f"own{k}.jpg", im)
        save(f"own{k}_crop.jpg", crop(im, 0.10, 0.10, 0.10, 0.10), 70)
        save(f"own{k}_mirror.jpg", ImageOps.mirror(im), 60)
        save(f"own{k}_wm.jpg", watermark(im), 80)
    save("stock.jpg", textured(900))
    for k in range(60):
        save(f"other{k}.jpg", textured(2000 + k))
    return out


def _acc(aid: str, name: str, paths: list[str]) -> Account:
    return Account(
        aid,
        display_name=name,
        listings=tuple(Listing(title="", photos=(p,)) for p in paths),
    )


def test_a_photo_only_comeback_is_found_at_sign_up(photos: dict[str, str]) -> None:
    """Nothing but re-edited copies of the banned seller's own photos: the index finds the
    banned account through its photo keys alone and scores the pair as the batch does."""
    banned = _acc(
        "banned", "Rina Collection", [photos[f"own{k}.jpg"] for k in range(3)]
    )
    others = [_acc(f"o{k}", f"Toko {k}", [photos[f"other{k}.jpg"]]) for k in range(20)]
    ix = Index(linker=_linker(), min_direct=1e-9)
    ix.add([banned], watchlist=True)
    ix.add(others)
    q = _acc(
        "signup",
        "Kios Dewi",
        [photos["own0_crop.jpg"], photos["own1_mirror.jpg"], photos["own2_wm.jpg"]],
    )
    res = ix.query(q)
    assert res.n_candidates == 1  # names share nothing: only the photo keys found it
    assert [m.right for m in res.matches] == ["banned"]
    photo_ev = [e for e in res.matches[0].evidence if e.signal == "photos"]
    assert len(photo_ev) >= 2 and all(e.weight > 0 for e in photo_ev)
    assert [ld.violator_id for ld in res.leads] == ["banned"]
    batch = batch_scores_of_last(_linker().score_pairs([banned, *others, q]))
    assert res.matches[0].score == pytest.approx(batch["banned"], abs=1e-12)
    # the same query against an index without the banned seller finds nothing
    ix.remove("banned")
    assert ix.query(q).matches == []


def test_a_supplier_photo_that_spreads_stops_counting(photos: dict[str, str]) -> None:
    stock = photos["stock.jpg"]
    ix = Index(linker=_linker(), min_direct=1e-9)
    ix.add(
        [_acc("banned", "Rina Collection", [stock, photos["own0.jpg"]])], watchlist=True
    )
    q = _acc("signup", "Kios Dewi", [stock])
    before = ix.query(q).matches[0]
    assert before.right == "banned"
    w_before = sum(e.weight for e in before.evidence if e.signal == "photos")
    ix.add(
        [
            _acc(f"s{k}", f"Gudang {k}", [stock, photos[f"other{k}.jpg"]])
            for k in range(40)
        ]
    )
    after = [m for m in ix.query(q).matches if m.right == "banned"]
    w_after = (
        sum(e.weight for e in after[0].evidence if e.signal == "photos")
        if after
        else -np.inf
    )
    assert (
        w_after < w_before - 1.0
    )  # a photo on 42 shops is no longer evidence of one seller
    assert not after or after[0].score < before.score


def shared_photo_accounts(photos: dict[str, str]) -> list[Account]:
    """Five accounts: a stock photo on three, re-edited copies of one photo on three."""
    stock = photos["stock.jpg"]
    return [
        _acc("a", "Rina", [photos["own0.jpg"], stock]),
        _acc("b", "Budi", [photos["own0_crop.jpg"]]),
        _acc("c", "Sari", [photos["own0_mirror.jpg"], stock]),
        _acc("d", "Dewi", [stock, photos["other1.jpg"]]),
        _acc("e", "Ani", [photos["other2.jpg"]]),
    ]


def _photo_counts(ix: Index) -> dict[int, int]:
    """Every count row (name keys and tokens, and photos)."""
    return dict(ix._con.execute("SELECT key, n FROM counts").fetchall())


def test_photo_counts_follow_adds_and_removes_and_equal_the_batch(
    photos: dict[str, str],
) -> None:
    accs = shared_photo_accounts(photos)
    one = Index(linker=_linker())
    one.add(accs)
    # Added in parts, a photo is found when it is an edit of a stored one (the comeback: b is a
    # crop of a's photo). The reverse (the stored photo is a crop of the new one) is found only
    # within a bit or so (see PhotosSignal.probe_keys), so this order keeps every edit later.
    parts = Index(linker=_linker())
    parts.add([accs[0], accs[2]])
    parts.add([accs[1], accs[3]])
    parts.add(accs[4:])
    assert _photo_counts(parts) == _photo_counts(one)
    # the counts are the batch signal's document frequencies
    sig = PhotosSignal()
    table = sig.fingerprint(accs)
    keys = np.asarray(table.photo_key, dtype=np.uint64) ^ _ns("photos")
    stored = _photo_counts(one)
    assert [stored[int(k)] for k in keys.view(np.int64)] == table.photo_df.tolist()
    assert (
        max(table.photo_df) >= 3
    )  # the stock photo and the re-edited copies are shared: not vacuous
    # removing an account and adding it back restores every count; removing it takes its share back
    before = _photo_counts(one)
    one.remove("b")
    smaller = sig.fingerprint([a for a in accs if a.account_id != "b"])
    keys2 = (np.asarray(smaller.photo_key, dtype=np.uint64) ^ _ns("photos")).view(
        np.int64
    )
    mid = _photo_counts(one)
    assert [mid[int(k)] for k in keys2] == smaller.photo_df.tolist()
    assert mid != before  # b's share was taken back
    one.add(accs[1])
    assert _photo_counts(one) == before


def test_query_photo_features_equal_batch_features(photos: dict[str, str]) -> None:
    stock = photos["stock.jpg"]
    accs = [_acc("banned", "Rina", [photos["own0.jpg"], photos["own1.jpg"], stock])]
    accs += [
        _acc(f"s{k}", f"Toko {k}", [stock, photos[f"other{k}.jpg"]]) for k in range(6)
    ]
    accs += [_acc("x", "Budi", [photos["own1.jpg"]])]
    q = _acc("q", "Kios", [photos["own0_crop.jpg"], photos["own1_mirror.jpg"], stock])
    ix = Index(linker=_linker(), min_direct=1e-12)
    ix.add(accs[:1], watchlist=True)
    ix.add(accs[1:])
    res = ix.query(q, k=50)
    batch = batch_scores_of_last(_linker().score_pairs([*accs, q]))
    mine = {m.right: m.score for m in res.matches}
    assert {"banned", "x", "s0"} <= set(batch) & set(mine)
    for other in set(batch) & set(mine):
        assert mine[other] == pytest.approx(batch[other], abs=1e-9), other
