"""Local AWS emulator for the terraform-provider-eks acceptance tests.

It runs a pinned ``moto`` server in-process on a loopback address and adds what
moto lacks for guarding an EKS cluster's customer managed KMS key:

* EKS ``AssociateEncryptionConfig``, ``DescribeUpdate`` and ``ListUpdates`` with
  EKS's semantics (time-based update lifecycle, cluster ``UPDATING`` while an
  update runs, idempotency by ``clientRequestToken``) -- see :mod:`.eks_ext`;
* KMS ``KeyManager=AWS`` for ``alias/aws/*`` and AWS managed keys -- :mod:`.kms_ext`;
* a control API under ``/_emulator`` -- :mod:`.control`;
* fault injection -- :mod:`.faults`, and a request log -- :mod:`.request_log`.

The contract shared with the Rust harness is ``notes/emulator-api.md``.
Start it with ``python -m eks_emulator --port 0`` (see :mod:`.__main__`).
"""

__version__ = "0.1.0"
