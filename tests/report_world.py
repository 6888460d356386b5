"""A tiny, fully known marketplace for the report / export / browser tests.

The tests of the investigator's views must not depend on the real signal modules (their
weights change as they are tuned), so this builds a real :class:`Linker` run over toy
signals with the same protocol: exact phones, byte-identical photos, fuzzy names.

Truth (watchlist: ``old1``, ``old2``):
- ``new1`` shares old1's phone (written differently) and its photo -> direct lead.
- ``mid`` shares old2's photo and a second phone with ``new2``;
  ``new2`` (hostile display name) reaches old2 only through ``mid`` -> a two-hop lead.
- ``stranger`` shares nothing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from sellerlink.scoring import Scorer
from sellerlink.linker import Linker, TraceResult
from sellerlink.records import Account
from sellerlink.signals.base import Evidence, PairFeatures, stable_hash64

HOSTILE_NAME = "<script>alert(1)</script>"


def _phone_key(raw: str) -> str:
    d = re.sub(r"\D", "", raw)
    return "62" + d[1:] if d.startswith("0") else d


class ToyContacts:
    name = "contacts"
    feature_names = ("phone_shared", "phone_min_df")

    def fingerprint(self, accounts: Sequence[Account]) -> Any:
        phones = [{_phone_key(p): p for p in a.phones} for a in accounts]
        df: dict[str, int] = {}
        for ps in phones:
            for k in ps:
                df[k] = df.get(k, 0) + 1
        return {"phones": phones, "df": df}

    def candidate_keys(self, table: Any) -> tuple[np.ndarray, np.ndarray]:
        rows, keys = [], []
        for i, ps in enumerate(table["phones"]):
            for k in ps:
                rows.append(i)
                keys.append(stable_hash64(k, "phone"))
        return np.array(rows, dtype=np.int64), np.array(keys, dtype=np.uint64)

    def compare(self, table: Any, left: np.ndarray, right: np.ndarray) -> PairFeatures:
        shared = np.zeros(len(left))
        min_df = np.zeros(len(left))
        for n, (i, j) in enumerate(zip(left.tolist(), right.tolist())):
            common = set(table["phones"][i]) & set(table["phones"][j])
            shared[n] = len(common)
            min_df[n] = min((table["df"][k] for k in common), default=0)
        return PairFeatures({"phone_shared": shared, "phone_min_df": min_df})

    def explain(self, table: Any, i: int, j: int) -> list[Evidence]:
        a, b = table["phones"][i], table["phones"][j]
        return [
            Evidence("contacts", "phone", a[k], b[k], key="+" + k, shared_by=table["df"][k])
            for k in sorted(set(a) & set(b))
        ]


class ToyPhotos:
    name = "photos"
    feature_names = ("photo_matches", "photo_min_df")

    def fingerprint(self, accounts: Sequence[Account]) -> Any:
        keys: list[dict[str, str]] = []
        for a in accounts:
            d = {}
            for p in a.all_photos:
                try:
                    d[Path(p).read_bytes().hex()[-64:]] = p
                except OSError:
                    pass
            keys.append(d)
        df: dict[str, int] = {}
        for d in keys:
            for k in d:
                df[k] = df.get(k, 0) + 1
        return {"keys": keys, "df": df}

    def candidate_keys(self, table: Any) -> tuple[np.ndarray, np.ndarray]:
        rows, keys = [], []
        for i, d in enumerate(table["keys"]):
            for k in d:
                rows.append(i)
                keys.append(stable_hash64(k, "photo"))
        return np.array(rows, dtype=np.int64), np.array(keys, dtype=np.uint64)

    def compare(self, table: Any, left: np.ndarray, right: np.ndarray) -> PairFeatures:
        m = np.zeros(len(left))
        df = np.zeros(len(left))
        for n, (i, j) in enumerate(zip(left.tolist(), right.tolist())):
            common = set(table["keys"][i]) & set(table["keys"][j])
            m[n] = len(common)
            df[n] = min((table["df"][k] for k in common), default=0)
        return PairFeatures({"photo_matches": m, "photo_min_df": df, "photo_rare_matches": m})

    def explain(self, table: Any, i: int, j: int) -> list[Evidence]:
        a, b = table["keys"][i], table["keys"][j]
        return [
            Evidence("photos", "photo", a[k], b[k], key=k[:16], similarity=0.97, shared_by=table["df"][k])
            for k in sorted(set(a) & set(b))
        ]


class ToyNames:
    name = "names"
    feature_names = ("name_sim", "name_info")

    def fingerprint(self, accounts: Sequence[Account]) -> Any:
        return [a.display_name for a in accounts]

    def candidate_keys(self, table: Any) -> tuple[np.ndarray, np.ndarray]:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)

    def compare(self, table: Any, left: np.ndarray, right: np.ndarray) -> PairFeatures:
        from rapidfuzz.distance import Indel

        a = [table[i].casefold() for i in left.tolist()]
        b = [table[j].casefold() for j in right.tolist()]
        sim = np.array([Indel.normalized_similarity(x, y) for x, y in zip(a, b)])
        return PairFeatures({"name_sim": sim, "name_info": np.full(len(left), 10.0)})

    def explain(self, table: Any, i: int, j: int) -> list[Evidence]:
        from rapidfuzz.distance import Indel

        sim = Indel.normalized_similarity(table[i].casefold(), table[j].casefold())
        if sim < 0.75:
            return []
        return [Evidence("names", "display_name", table[i], table[j], similarity=sim)]


def _photo(path: Path, seed: int, *, mode: str = "RGB") -> str:
    rng = np.random.default_rng(seed)
    img = Image.new(mode, (320, 240), (255, 255, 255, 0) if mode == "RGBA" else (250, 250, 250))
    d = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, 280)), int(rng.integers(0, 200))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        d.rectangle([x0, y0, x0 + int(rng.integers(20, 80)), y0 + int(rng.integers(20, 60))], fill=colour)
    img.save(path)
    return str(path)


def make_world(tmp: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Write the photos under ``tmp`` and return ``(accounts, watchlist)`` records."""
    tmp.mkdir(parents=True, exist_ok=True)
    shirt = _photo(tmp / "old1_shirt.jpg", 1)
    jacket = _photo(tmp / "old2_jacket.png", 2, mode="RGBA")
    shutil.copy(shirt, tmp / "new1_shirt_reupload.jpg")
    shutil.copy(jacket, tmp / "mid_jacket.png")
    watchlist = [
        {
            "account_id": "old1",
            "display_name": "Budi Thrift Bekas Impor",
            "phones": ["0812-3456-7890"],
            "photos": [shirt],
        },
        {"account_id": "old2", "display_name": "Karungan Sari", "phones": ["0813-0000-1111"], "photos": [jacket]},
    ]
    accounts = [
        {
            "account_id": "new1",
            "display_name": "Budi Thrift Preloved",
            "phones": ["+62 812 3456 7890"],
            "photos": [str(tmp / "new1_shirt_reupload.jpg")],
            "username": "budi_pre",
        },
        {
            "account_id": "mid",
            "display_name": "Karungan Sari ID",
            "phones": ["0857-2222-3333"],
            "photos": [str(tmp / "mid_jacket.png")],
        },
        {
            "account_id": "new2",
            "display_name": HOSTILE_NAME,
            "phones": ["62857 2222 3333"],
            "photos": [str(tmp / "missing.jpg")],
        },
        {"account_id": "stranger", "display_name": "Toko Lain", "phones": ["0899-1111-2222"]},
    ]
    return accounts, watchlist


# Fixed weights, so these tests do not move when the shipped coefficients are re-fitted.
TOY_SCORER = Scorer(
    coef={"contact_best": 12.0, "photo_best": 9.0, "photo_more": 3.0, "name_match": 3.0, "name_exact": 1.5},
    intercept=-9.0,
)


def toy_linker() -> Linker:
    return Linker(
        signals=[ToyNames(), ToyContacts(), ToyPhotos()], scorer=TOY_SCORER, strong_edge=0.5, hop_decay=1.0, progress=False
    )


def trace_world(tmp: Path) -> TraceResult:
    accounts, watchlist = make_world(tmp)
    return toy_linker().trace(accounts, watchlist)


def make_big_world(tmp: Path, n: int = 12) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``n`` violators, each with a comeback account; evidence varies so scores differ."""
    tmp.mkdir(parents=True, exist_ok=True)
    accounts, watchlist = [], []
    for k in range(n):
        phone = f"0812-{k:04d}-{7000 + k:04d}"
        old = {"account_id": f"old{k:02d}", "display_name": f"Toko Bekas {k} Jaya", "phones": [phone]}
        new = {
            "account_id": f"new{k:02d}",
            "display_name": f"Preloved {k} Jaya" if k % 3 else f"Toko Bekas {k} Jaya",
            "phones": ["+62 " + phone[1:].replace("-", " ")],
        }
        if k % 2 == 0:
            p = _photo(tmp / f"old{k:02d}.jpg", 100 + k)
            shutil.copy(p, tmp / f"new{k:02d}.jpg")
            old["photos"] = [p]
            new["photos"] = [str(tmp / f"new{k:02d}.jpg")]
        watchlist.append(old)
        accounts.append(new)
    return accounts, watchlist
