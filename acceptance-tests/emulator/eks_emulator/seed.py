"""Named start states (``--seed NAME``).

``quickstart`` (us-east-1): cluster ``quickstart`` (version 1.31, ACTIVE, no CMK)
and a customer managed key with alias ``alias/quickstart-eks`` (Enabled,
SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, rotation on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import eks_ext, kms_ext

if TYPE_CHECKING:
    from .state import EmulatorState

SEEDS = ("quickstart",)


def apply(name: str, state: EmulatorState) -> None:
    """Create the resources of seed ``name``."""
    if name not in SEEDS:
        raise ValueError(f"unknown seed {name!r} (known: {', '.join(SEEDS)})")
    with state.lock:
        kms_ext.create_key(
            region="us-east-1",
            alias="alias/quickstart-eks",
            description="quickstart: EKS secrets encryption key",
            rotation=True,
        )
        eks_ext.create_cluster(name="quickstart", region="us-east-1", version="1.31")
