"""Which AWS account a request is served as.

AWS acts in the account that owns the credentials: temporary credentials from
STS ``AssumeRole`` or ``AssumeRoleWithWebIdentity`` act as the assumed role, in
the role's account ("AssumeRole ... returns a set of temporary security
credentials that you can use to access AWS resources", including in another
account, STS API reference). moto does the same: ``AssumeRole`` creates the
access key in the account named by the role ARN (``moto/sts/models.py``,
``_create_access_key``), and every request is served from the backends of the
account its access key belongs to (``BaseResponse.get_current_account`` ->
``moto.iam.models.get_account_id_from``), moto's default account 123456789012
for any key it did not issue.

The EKS and KMS extensions follow the same rule through :func:`current`, set
per request by :class:`.app.EmulatorApp` (and per control call that names an
``account``). Requests are served on their own threads, so the context variable
never leaks between them.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Iterator

from moto.core import DEFAULT_ACCOUNT_ID

_CURRENT: ContextVar[str] = ContextVar("eks_emulator_account", default=DEFAULT_ACCOUNT_ID)


def current() -> str:
    """The account the current request is served as."""
    return _CURRENT.get()


@contextlib.contextmanager
def serving(account: str | None) -> Iterator[str]:
    """Serve the enclosed work as ``account`` (the default account when None)."""
    token = _CURRENT.set(account or DEFAULT_ACCOUNT_ID)
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def of_access_key(access_key_id: str) -> str:
    """The account moto serves an access key as (call under the emulator lock)."""
    if not access_key_id:
        return DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key_id)
