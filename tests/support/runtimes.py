"""Runtime binaries for the probe tests: Debian's real ones, and scripts standing in."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

RUNC = "/usr/sbin/runc"  # Debian 12: 1.1.5, takes --keep
CRUN = "/usr/bin/crun"  # Debian 12: 1.8.1, refuses --keep


def _invocation(id_, *probe):
    return SimpleNamespace(id=id_, probe=("--root", "{root}", *probe))


# What BuildKit >= 0.12 sends (runc executor through go-runc), as probes.
BUILDKIT_INVOCATIONS = [
    _invocation("global-log", "--log", "{log}", "--log-format", "json", "state", "{id}"),
    _invocation("run-bundle", "run", "--bundle", "{bundle}", "{id}"),
    _invocation("run-keep", "run", "--bundle", "{bundle}", "--keep", "{id}"),
    _invocation("run-no-pivot", "run", "--bundle", "{bundle}", "--no-pivot", "{id}"),
    _invocation("delete", "delete", "{id}"),
    _invocation("kill", "kill", "{id}", "9"),
    _invocation("state", "state", "{id}"),
    _invocation("exec-process", "exec", "--process", "{file}", "{id}"),
    _invocation("exec-pid-file", "exec", "--process", "{file}", "--pid-file", "{file}", "{id}"),
]
IDS = [i.id for i in BUILDKIT_INVOCATIONS]


def need(path):
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} is not installed")
    return path


def script(path: Path, body: str, mode: int = 0o755) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(mode)
    return str(path)


def processes_running(marker: str) -> list[str]:
    """Command lines of the processes on this machine that mention `marker`; zombies, which
    are dead and only wait for a parent to collect them, are not counted."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(cmdline.replace(b"\0", b" ").decode("utf-8", "replace"))
    return found
