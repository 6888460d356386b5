"""Photos signal: perceptual hashes robust to crops, mirror, borders, re-encoding and watermarks.

Public API:

* :class:`PhotosSignal` - the :class:`~sellerlink.signals.base.Signal` for product/profile photos.
* :func:`hash_photo`, :func:`hash_photos` - fingerprint photos (paths or bytes); a bad photo
  gives ``None`` and a :class:`~sellerlink.config.PhotoWarning`, never an exception.
* :class:`PhotoHash` (a 64-bit pHash value), :class:`PhotoFingerprint` (all hashes of a photo).
* :class:`MultiIndexHash`, :func:`pairs_within` - exact Hamming-radius search.
* :func:`match_fingerprints` - near-duplicate pairs among fingerprints.

Example:
    >>> from sellerlink.signals.photos import PhotoHash
    >>> PhotoHash.from_hex("ff00ff00ff00ff00").distance(PhotoHash.from_hex("ff00ff00ff00ff0f"))
    4
"""

from ._hashing import (
    HASH_VERSION,
    MIRROR_VARIANT,
    N_WINDOWS,
    WINDOWS,
    PhotoFingerprint,
    PhotoHash,
    hash_photo,
    hash_photos,
    phash_from_pixels,
    window_label,
)
from ._mih import MultiIndexHash, hamming, pairs_within
from ._signal import (
    FEATURE_NAMES,
    SIM_THRESHOLDS,
    PhotosSignal,
    PhotosTable,
    match_fingerprints,
)
from ._verify import verify_pairs

__all__ = [
    "FEATURE_NAMES",
    "HASH_VERSION",
    "MIRROR_VARIANT",
    "N_WINDOWS",
    "SIM_THRESHOLDS",
    "WINDOWS",
    "MultiIndexHash",
    "PhotoFingerprint",
    "PhotoHash",
    "PhotosSignal",
    "PhotosTable",
    "hamming",
    "hash_photo",
    "hash_photos",
    "match_fingerprints",
    "pairs_within",
    "phash_from_pixels",
    "verify_pairs",
    "window_label",
]
