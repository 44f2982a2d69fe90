"""The emulator process: READY line, --seed quickstart, signals, loopback only."""

from __future__ import annotations

import signal
import time

from helpers import spawn, start_emulator


def test_seed_quickstart_and_sigterm():
    emu = start_emulator("--seed", "quickstart", "--update-duration", "0.2")
    try:
        assert emu.ready_line == f"EMULATOR_READY {emu.url}"
        eks, kms = emu.client("eks"), emu.client("kms")
        cluster = eks.describe_cluster(name="quickstart")["cluster"]
        assert (cluster["version"], cluster["status"]) == ("1.31", "ACTIVE")
        assert not cluster.get("encryptionConfig")
        meta = kms.describe_key(KeyId="alias/quickstart-eks")["KeyMetadata"]
        assert (meta["KeyState"], meta["KeySpec"], meta["KeyUsage"], meta["KeyManager"]) == (
            "Enabled", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "CUSTOMER")
        assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True
        # The seeded pair works end to end with the --update-duration given.
        update = eks.associate_encryption_config(
            clusterName="quickstart",
            encryptionConfig=[{"resources": ["secrets"],
                               "provider": {"keyArn": "alias/quickstart-eks"}}])["update"]
        time.sleep(0.3)
        assert eks.describe_update(name="quickstart", updateId=update["id"])["update"][
            "status"] == "Successful"
    finally:
        started = time.monotonic()
        emu.proc.send_signal(signal.SIGTERM)
        assert emu.proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 5
        assert emu.proc.stdout.read() == ""  # nothing after the READY line
        emu.proc.stdout.close()


def test_sigint_exits_promptly():
    emu = start_emulator()
    emu.proc.send_signal(signal.SIGINT)
    assert emu.proc.wait(timeout=5) == 0
    emu.proc.stdout.close()


def test_refuses_non_loopback_host():
    proc = spawn("--host", "0.0.0.0", "--port", "0")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "EMULATOR_READY" not in out
