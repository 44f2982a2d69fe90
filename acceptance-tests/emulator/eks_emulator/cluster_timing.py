"""Clusters that take time to create: ``CREATING`` for a configurable time, then ``ACTIVE``.

"When you create a cluster, its status is CREATING; once the cluster is ready it
becomes ACTIVE" -- the Cluster ``status`` values of the EKS API reference
(CREATING | ACTIVE | DELETING | FAILED | UPDATING | PENDING,
https://docs.aws.amazon.com/eks/latest/APIReference/API_Cluster.html). Real
creations take minutes; here the duration is a knob:

* ``POST /_emulator/clusters`` with ``"creating_seconds": N`` makes that cluster
  ``CREATING`` for N seconds;
* ``POST /_emulator/cluster-creation`` ``{"duration_seconds": N}`` does the same for
  every cluster created through the EKS CreateCluster API (default 0: ACTIVE at once,
  as moto does).

Like the update lifecycle (:mod:`.eks_ext`), the transition is evaluated lazily by
:meth:`ClusterTiming.settle` before each request; no threads.
"""

from __future__ import annotations

import time
from typing import Any

from moto.eks.models import eks_backends
from moto.core import DEFAULT_ACCOUNT_ID


class ClusterTiming:
    """Clusters still ``CREATING`` and when they become ``ACTIVE``."""

    def __init__(self) -> None:
        #: (region, name) -> time the cluster becomes ACTIVE.
        self.pending: dict[tuple[str, str], float] = {}
        #: CREATING time for clusters made with the EKS CreateCluster API.
        self.api_create_seconds = 0.0

    def reset(self) -> None:
        """Forget every pending creation and the knob."""
        self.pending.clear()
        self.api_create_seconds = 0.0

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /_emulator/cluster-creation``."""
        seconds = float(body.get("duration_seconds", 0))
        if seconds < 0:
            raise ValueError("duration_seconds must be >= 0")
        self.api_create_seconds = seconds
        return {"duration_seconds": self.api_create_seconds}

    def start(self, region: str, cluster: Any, seconds: float) -> None:
        """Put ``cluster`` in CREATING for ``seconds`` (0: leave it as it is)."""
        if seconds <= 0:
            return
        cluster.status = "CREATING"
        self.pending[(region, cluster.name)] = time.time() + seconds

    def after_api_create(self, region: str, name: str) -> None:
        """After moto served CreateCluster: apply the CreateCluster knob."""
        cluster = eks_backends[DEFAULT_ACCOUNT_ID][region].clusters.get(name)
        if cluster is not None:
            self.start(region, cluster, self.api_create_seconds)

    def settle(self, now: float) -> None:
        """Make every cluster whose creation time has passed ACTIVE."""
        if not self.pending:
            return
        for (region, name), ready_at in list(self.pending.items()):
            if now < ready_at:
                continue
            del self.pending[(region, name)]
            cluster = eks_backends[DEFAULT_ACCOUNT_ID][region].clusters.get(name)
            if cluster is not None and cluster.status == "CREATING":
                cluster.status = "ACTIVE"
