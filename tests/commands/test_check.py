"""`docker runtimecheck` through the real entry point: one verdict, three agreeing signals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import PLUGIN


def check(tmp_path: Path, *args: str, host: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "BUILDX_"))}
    env.update(DOCKER_CONFIG=str(tmp_path), DOCKER_HOST=host, PYTHONPATH=str(PLUGIN))
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "runtimecheck", *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip


@pytest.fixture
def dead_daemon(tmp_path: Path) -> str:
    return f"unix://{tmp_path}/nothing-listens.sock"


def test_no_daemon_is_unknown_in_every_signal_and_the_host_is_advice(
    tmp_path: Path, dead_daemon: str
) -> None:
    text = check(tmp_path, host=dead_daemon)
    assert text.returncode == 3, text.stderr
    headline = text.stdout.strip().splitlines()[-1]
    assert headline.startswith("verdict: ? unknown")
    assert "blocked" not in headline and "passed" not in headline

    document = json.loads(check(tmp_path, "--format", "json", host=dead_daemon).stdout)
    assert (document["verdict"], document["inspectedNothing"]) == ("unknown", True)
    assert [b["driver"] for b in document["builders"]] == ["docker"]
    for advisory in document["advisory"]:
        assert advisory["driver"] == "host"

    github = check(tmp_path, "--format", "github", host=dead_daemon)
    assert github.returncode == 3
    assert github.stdout.strip().splitlines()[-1].startswith("docker-runtimecheck: verdict: ")
    assert "unknown" in github.stdout.strip().splitlines()[-1]
    assert "::error" not in github.stdout  # host runtimes are notices, never the verdict

    sarif = check(tmp_path, "--format", "sarif", host=dead_daemon)
    assert sarif.returncode == 3
    levels = {r["level"] for r in json.loads(sarif.stdout)["runs"][0]["results"]}
    assert "error" not in levels


def test_a_blocking_host_runtime_is_labelled_advice_not_a_verdict(
    tmp_path: Path, dead_daemon: str
) -> None:
    if not Path("/usr/bin/crun").exists():
        pytest.skip("needs Debian's crun (CI installs it)")
    text = check(tmp_path, host=dead_daemon)
    out = text.stdout
    assert "advisory, not a builder's verdict: this host's runtimes" in out
    advisory = out.split("advisory, not a builder's verdict", 1)[1]
    assert "crun 1.8.1" in advisory and "block" in advisory
    assert out.strip().splitlines()[-1].startswith("verdict: ? unknown")
    assert text.returncode == 3
