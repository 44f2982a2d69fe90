"""Shared emulator state: configuration, the global lock and reset.

moto's backends are not thread-safe, and the update lifecycle is evaluated
lazily, so every piece of work that touches state runs under
:attr:`EmulatorState.lock` after :meth:`EmulatorState.settle` has brought time
based state (update status, cluster status, mid-update key disabling) up to date.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID

from .cluster_timing import ClusterTiming
from .eks_ext import EksExtension
from .faults import FaultInjector
from .kms_access import KmsAccess
from .request_log import RequestLog

#: The account every request is served as (moto's default account).
ACCOUNT_ID: str = DEFAULT_ACCOUNT_ID
#: Region used when a control call or request does not name one.
DEFAULT_REGION = "us-east-1"


@dataclass
class Config:
    """Runtime knobs changed through ``POST /_emulator/config``."""

    update_duration_seconds: float = 1.0
    #: ``{"errors": [...]}`` consumed by the next update that is started, or None.
    fail_next_update: dict[str, Any] | None = None
    #: When true, an AssociateEncryptionConfig update disables its key half way
    #: through and ends ``Failed``.
    disable_key_mid_update: bool = False
    #: How EKS reports a missing cluster: ``ResourceNotFoundException`` (404),
    #: or ``ClientException`` (400) "No cluster found for name: X.", a form
    #: EKS also sends (terraform-provider-aws, internal/service/eks/cluster.go:
    #: "Sometimes the EKS API returns the ResourceNotFound error in this form:
    #: ClientException: No cluster found for name: tf-acc-test-0o1f8").
    missing_cluster_error: str = "ResourceNotFoundException"
    #: ListUpdates order. The ListUpdates API reference documents no order, so
    #: callers must not rely on one: ``newest_first`` or ``oldest_first``.
    list_updates_order: str = "newest_first"
    #: ListUpdates page size when the request has no ``maxResults`` (the API
    #: takes 1-100 and pages with ``nextToken``).
    list_updates_page_size: int = 100
    #: ListClusters page size when the request has no ``maxResults`` (the API
    #: takes 1-100, default 100: ListClusters API reference); lets a test get
    #: many pages from few clusters.
    list_clusters_page_size: int = 100
    #: Cluster names deleted right after a ListClusters page naming them is
    #: served (each name once): a cluster that disappears between ListClusters
    #: and DescribeCluster.
    delete_after_list: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON form, as returned by the control API."""
        return {
            "update_duration_seconds": self.update_duration_seconds,
            "fail_next_update": copy.deepcopy(self.fail_next_update),
            "disable_key_mid_update": self.disable_key_mid_update,
            "missing_cluster_error": self.missing_cluster_error,
            "list_updates_order": self.list_updates_order,
            "list_updates_page_size": self.list_updates_page_size,
            "list_clusters_page_size": self.list_clusters_page_size,
            "delete_after_list": list(self.delete_after_list),
        }


@dataclass
class EmulatorState:
    """Everything the emulator keeps besides moto's own backends."""

    default_update_duration: float = 1.0
    lock: threading.RLock = field(default_factory=threading.RLock)
    config: Config = field(init=False)
    faults: FaultInjector = field(default_factory=FaultInjector)
    log: RequestLog = field(default_factory=RequestLog)
    eks: EksExtension = field(init=False)
    #: Principals and their KMS denials (:mod:`.kms_access`).
    access: KmsAccess = field(default_factory=KmsAccess)
    #: Clusters still CREATING (:mod:`.cluster_timing`).
    timing: ClusterTiming = field(default_factory=ClusterTiming)
    #: Seconds the virtual clock is ahead of the wall clock (``POST
    #: /_emulator/clock``): lets a test make a 55-minute update end without
    #: waiting 55 minutes.
    clock_offset: float = 0.0

    def now(self) -> float:
        """The emulator's clock: wall time plus the virtual offset."""
        return time.time() + self.clock_offset

    def __post_init__(self) -> None:
        self.config = Config(update_duration_seconds=self.default_update_duration)
        self.eks = EksExtension(self)

    def settle(self, now: float | None = None) -> None:
        """Apply every time-based transition that is due (call under the lock)."""
        now = self.now() if now is None else now
        self.timing.settle(now)
        self.eks.settle(now)

    def reset(self) -> None:
        """Forget all AWS state, config, faults, updates and the request log."""
        from moto.moto_api._internal import moto_api_backend

        with self.lock:
            moto_api_backend.reset()
            self.config = Config(update_duration_seconds=self.default_update_duration)
            self.faults.clear()
            self.log.clear()
            self.eks.reset()
            self.access.reset()
            self.timing.reset()
            self.clock_offset = 0.0
