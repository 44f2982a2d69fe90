#!/usr/bin/env python3
"""Prints the machine description for a benchmark run as JSON (stdlib only)."""

import datetime
import json
import os
import platform
import shutil
import subprocess


def first(path, key):
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def terraform_version():
    out = run("terraform", "version", "-json")
    try:
        return json.loads(out)["terraform_version"]
    except (TypeError, ValueError, KeyError):
        return None


mem_kib = first("/proc/meminfo", "MemTotal")
try:
    with open("/proc/loadavg", encoding="utf-8") as f:
        loadavg = f.read().split()[:3]
except OSError:
    loadavg = None

print(json.dumps({
    "nproc": os.cpu_count(),
    "nproc_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    "cpu_model": first("/proc/cpuinfo", "model name"),
    "memory_gib": round(int(mem_kib.split()[0]) / 1024 / 1024, 1) if mem_kib else None,
    "kernel": platform.release(),
    "os": run("sh", "-c", ". /etc/os-release 2>/dev/null && echo \"$PRETTY_NAME\"") or platform.platform(),
    "terraform": terraform_version(),
    "terraform_path": shutil.which("terraform"),
    "rustc": run("rustc", "--version"),
    "loadavg_at_start": loadavg,
    "utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
}, indent=2))
