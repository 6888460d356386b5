"""Regenerate the bundled example marketplace in examples/marketplace/.

    python examples/make_marketplace.py

Deterministic: the same sellerlink version writes the same bytes. The photos are drawn by
``sellerlink.synth`` (no outside data), small so the example stays a few MB.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sellerlink.synth import generate_marketplace

HERE = Path(__file__).resolve().parent


def main() -> None:
    out = HERE / "marketplace"
    if out.exists():
        shutil.rmtree(out)
    m = generate_marketplace(out, n_accounts=300, seed=2026, photo_size=(200, 250))
    print(f"{m.n_accounts} accounts, {m.n_watchlist} on the watchlist, {m.n_comebacks} comebacks, "
          f"{m.n_photos} photos in {out}")


if __name__ == "__main__":
    main()
