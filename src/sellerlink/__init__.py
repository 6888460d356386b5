"""sellerlink: fingerprint seller accounts, link them, trace renamed accounts to known violators.

>>> import sellerlink
>>> result = sellerlink.trace(
...     [{"account_id": "new", "display_name": "thr1ft_budi", "bio": "wa.me/6281234567890"}],
...     watchlist=[{"account_id": "banned", "display_name": "Budi Thrift", "phones": ["0812-3456-7890"]}],
... )
>>> result.to_frame()[["account_id", "violator_id"]].values.tolist()
[['new', 'banned']]
"""

from __future__ import annotations

from typing import Any

from .config import (
    DEFAULT_LIMITS,
    Limits,
    PhotoWarning,
    RecordWarning,
    SellerlinkWarning,
)
from .index import Index, IndexFormatError, QueryResult
from .linker import (
    RECOMMENDED_THRESHOLD,
    Fingerprints,
    Lead,
    Linker,
    LinkResult,
    Match,
    PairTable,
    TraceResult,
)
from .records import Account, Listing, RecordError, iter_accounts, load_accounts
from .scoring import Scorer
from .signals.base import Evidence

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LIMITS",
    "RECOMMENDED_THRESHOLD",
    "Account",
    "Evidence",
    "Fingerprints",
    "Index",
    "IndexFormatError",
    "Lead",
    "Limits",
    "LinkResult",
    "Linker",
    "Listing",
    "Match",
    "PairTable",
    "PhotoWarning",
    "QueryResult",
    "RecordError",
    "RecordWarning",
    "Scorer",
    "SellerlinkWarning",
    "TraceResult",
    "iter_accounts",
    "link",
    "load_accounts",
    "trace",
]


def link(accounts: Any, **options: Any) -> LinkResult:
    """Link accounts into clusters: ``Linker(**options).link(accounts)``."""
    return Linker(**options).link(accounts)


def trace(accounts: Any, watchlist: Any, **options: Any) -> TraceResult:
    """Trace accounts to known violators: ``Linker(**options).trace(accounts, watchlist)``."""
    threshold = options.pop("report_threshold", None)
    return Linker(**options).trace(accounts, watchlist, threshold=threshold)
