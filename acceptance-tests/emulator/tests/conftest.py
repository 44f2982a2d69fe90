"""Fixtures: one shared emulator process (``python -m eks_emulator --port 0``) and boto3 clients."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import UPDATE_DURATION, Emulator, start_emulator


@pytest.fixture(scope="session")
def emulator() -> Any:
    """The shared emulator process for the whole session."""
    emu = start_emulator("--update-duration", str(UPDATE_DURATION))
    yield emu
    emu.stop()


@pytest.fixture(autouse=True)
def clean_state(request: pytest.FixtureRequest) -> None:
    """Reset the shared emulator before each test that uses it."""
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").ok("POST", "/reset")


@pytest.fixture
def eks(emulator: Emulator) -> Any:
    """EKS client (us-east-1, no retries)."""
    return emulator.client("eks")


@pytest.fixture
def kms(emulator: Emulator) -> Any:
    """KMS client (us-east-1, no retries)."""
    return emulator.client("kms")
