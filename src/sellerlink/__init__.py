"""sellerlink: fingerprint seller accounts, link them, trace renamed accounts to known violators."""

from .config import DEFAULT_LIMITS, Limits, PhotoWarning, RecordWarning, SellerlinkWarning
from .records import Account, Listing, RecordError, iter_accounts, load_accounts

__version__ = "0.1.0"

__all__ = [
    "Account",
    "DEFAULT_LIMITS",
    "Limits",
    "Listing",
    "PhotoWarning",
    "RecordError",
    "RecordWarning",
    "SellerlinkWarning",
    "iter_accounts",
    "load_accounts",
]
