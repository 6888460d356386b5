"""The contract every signal module follows.

A signal owns one kind of evidence (names, contacts, photos, phrasing) from end to end:

1. ``fingerprint(accounts)`` turns a batch of accounts into a columnar table
   (row ``i`` belongs to ``accounts[i]``). Per-record work only, so it can run over
   partitions of the data.
2. ``candidate_keys(table)`` returns aligned arrays ``(rows, keys)``: every pair of
   rows that share a key is a candidate pair. Keys are ``uint64``. The pipeline drops
   keys held by more than ``max_block`` rows (they are too common to mean anything and
   would make blocking quadratic), so a signal never has to enumerate pairs itself.
3. ``compare(table, left, right)`` scores a batch of candidate pairs (aligned int
   arrays of row numbers) and returns :class:`PairFeatures`: named float arrays
   aligned with the pairs. Features are raw measurements (similarities, counts,
   how many accounts share the matched value); turning them into evidence weights is
   the scorer's job, so that calibration lives in one place.
4. ``explain(table, i, j)`` returns the human-checkable evidence for one pair as a list
   of :class:`Evidence` items (what matched: the two values or photo paths). It is only
   called for the pairs that are kept, so it may be slow.

Frequencies ("how many accounts share this value") are computed over the table that
``fingerprint`` produced, i.e. over every account the signal has seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..records import Account

__all__ = ["Evidence", "PairFeatures", "Signal", "stable_hash64", "stable_hash64_many"]


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence for a pair, readable by a program and by a person.

    Attributes:
        signal: "names", "contacts", "photos" or "phrasing".
        kind: what matched within the signal, e.g. "phone", "email", "bank", "photo",
            "display_name", "sentence", "style".
        left: the value as it appears on the left account (raw, as written).
        right: the value as it appears on the right account.
        key: the normalised value both reduce to (E.164 phone, hash hex...), if any.
        similarity: 0..1, how close the two values are (1 = identical after normalising).
        shared_by: how many accounts carry this value (rarity); 0 when not applicable.
        weight: the evidence weight (natural-log likelihood ratio) the scorer gave it;
            signals leave it at 0.0 and the scorer fills it in.
    """

    signal: str
    kind: str
    left: str
    right: str
    key: str = ""
    similarity: float = 1.0
    shared_by: int = 0
    weight: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class PairFeatures:
    """Named float64 arrays aligned with a batch of candidate pairs."""

    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        for v in self.values.values():
            return len(v)
        return 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


@runtime_checkable
class Signal(Protocol):
    """What the pipeline needs from a signal module (see the module docstring)."""

    name: str
    feature_names: tuple[str, ...]

    def fingerprint(self, accounts: Sequence[Account]) -> Any: ...

    def candidate_keys(self, table: Any) -> tuple[np.ndarray, np.ndarray]: ...

    def compare(self, table: Any, left: np.ndarray, right: np.ndarray) -> PairFeatures: ...

    def explain(self, table: Any, i: int, j: int) -> list[Evidence]: ...


_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3


def stable_hash64(text: str, salt: str = "") -> int:
    """A 64-bit hash of ``salt + text`` that is the same in every process (unlike ``hash``).

    Used for blocking keys. blake2b is in the standard library and fast enough for keys.
    """
    import hashlib

    digest = hashlib.blake2b((salt + "\x1f" + text).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def stable_hash64_many(texts: Sequence[str], salt: str = "") -> np.ndarray:
    """:func:`stable_hash64` over a sequence, as a ``uint64`` array."""
    return np.fromiter((stable_hash64(t, salt) for t in texts), dtype=np.uint64, count=len(texts))
