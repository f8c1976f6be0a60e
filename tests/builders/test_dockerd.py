"""The docker driver: BuildKit bundled in the Engine, and the runc on dockerd's PATH.

The pure part (Engine version + dockerd's environment + the resolved binary) is tested with
recorded `/version` answers of Engine 25+ (tests/fixtures/engine) and a real PATH holding a
copy of the real crun named `runc`; the edge against this machine's dockerd.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from runtimecheck import verdict
from runtimecheck.builders import dockerd as docker_driver
from runtimecheck.builders import gather, selection, store
from runtimecheck.dockercli import DEFAULT_HOST, GlobalOptions, resolve
from runtimecheck.facts import ACCEPTED, BLOCK, PASS, REJECTED
from runtimecheck.probe import host
from support.paths import FIXTURES

ENGINE_FIXTURES = FIXTURES / "engine"
CRUN = shutil.which("crun") or "/usr/bin/crun"


def engine_version(fixture: str) -> str:
    return json.loads((ENGINE_FIXTURES / fixture).read_text())["Version"]


@pytest.fixture
def crun_as_runc(tmp_path: Path) -> Path:
    if not os.path.exists(CRUN):
        pytest.skip("crun is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy2(CRUN, bin_dir / "runc")
    return bin_dir


def facts_for(kb: Any, version: str, environ: dict[str, str], mountinfo: Any = None) -> Any:
    builder = selection.context_builder("default", "default")
    dockerd = docker_driver.Dockerd(pid=1, environ=environ, same_root=True, mountinfo=mountinfo)
    located = docker_driver.locate_runtime(version, environ)
    runtime = docker_driver.resolved_runtime(
        located,
        dockerd,
        invocations=kb.invocations(),
        timeout=5.0,
        which=host.which,
        probe_binary=host.probe_binary,
    )
    return docker_driver.node_facts(
        builder,
        builder.nodes[0],
        DEFAULT_HOST,
        engine_version=version,
        kb=kb,
        dockerd=dockerd,
        runtime=runtime,
        notes=located.notes,
    )


def test_engine_26_with_crun_as_runc_blocks(kb, crun_as_runc) -> None:
    facts = facts_for(kb, engine_version("version-26.0.0.json"), {"PATH": str(crun_as_runc)})
    assert facts.buildkit.version == "v0.13.1"
    assert facts.runtime.verified and facts.runtime.path == str(crun_as_runc / "runc")
    assert facts.runtime.identity.name == "crun"
    assert facts.runtime.probes["run-keep"].status == REJECTED
    assert facts.fix_context.engine_version == "26.0.0"
    assert verdict.decide(kb, facts, frozenset()).verdict == BLOCK


def test_engine_28_with_crun_as_runc_blocks(kb, crun_as_runc) -> None:
    facts = facts_for(kb, engine_version("version-28.3.3.json"), {"PATH": str(crun_as_runc)})
    assert facts.buildkit.version is not None
    assert verdict.decide(kb, facts, frozenset()).verdict == BLOCK


def test_engine_25_ignores_the_runc_command_variable(kb, crun_as_runc) -> None:
    environ = {"PATH": str(crun_as_runc), "DOCKER_BUILDKIT_RUNC_COMMAND": "/usr/sbin/runc"}
    facts = facts_for(kb, "25.0.3", environ)
    assert facts.buildkit.version == "v0.12.5"
    assert facts.runtime.identity.name == "crun"  # still the runc on PATH
    assert facts.fix_context.binary_override is None
    assert any("ignores" in n for n in facts.notes)
    assert verdict.decide(kb, facts, frozenset()).verdict == BLOCK


def test_engine_26_honours_the_runc_command_variable(kb, crun_as_runc) -> None:
    runc = shutil.which("runc") or "/usr/sbin/runc"
    if not os.path.exists(runc):
        pytest.skip("runc is not installed")
    environ = {"PATH": str(crun_as_runc), "DOCKER_BUILDKIT_RUNC_COMMAND": runc}
    facts = facts_for(kb, "26.1.1", environ)
    assert facts.runtime.identity.name == "runc"
    assert facts.runtime.probes["run-keep"].status == ACCEPTED
    assert facts.fix_context.binary_override == runc
    assert verdict.decide(kb, facts, frozenset()).verdict == PASS


def test_dockerds_cgroup_and_rootlesskit_are_where_its_buildkit_runs(kb, crun_as_runc) -> None:
    mountinfo = (FIXTURES / "proc" / "mountinfo-docker-desktop-cgroup2.txt").read_text()
    facts = facts_for(kb, "25.0.3", {"PATH": str(crun_as_runc)}, mountinfo)
    assert (facts.buildkit.cgroup, facts.buildkit.rootless) == ("v2", False)
    assert facts.buildkit.no_pivot is False
    assert "cgroup2 at /sys/fs/cgroup for dockerd (pid 1)" in facts.buildkit.environment

    rootless = {
        "PATH": str(crun_as_runc),
        "ROOTLESSKIT_STATE_DIR": "/run/user/1000/dockerd-rootless",
    }
    facts = facts_for(kb, "25.0.3", rootless, mountinfo)
    assert facts.buildkit.rootless is True
    assert "RootlessKit" in facts.buildkit.environment

    facts = facts_for(kb, "25.0.3", {"PATH": str(crun_as_runc)})
    assert facts.buildkit.cgroup is None and "no mountinfo" in facts.buildkit.environment


def test_without_dockerds_environment_no_pivot_and_cgroup_are_unknown(kb) -> None:
    builder = selection.context_builder("default", "default")
    facts = docker_driver.node_facts(
        builder, builder.nodes[0], "tcp://elsewhere:2376", engine_version="25.0.3", kb=kb,
        dockerd=None, runtime=None, notes=[],
    )  # fmt: skip
    assert facts.buildkit.no_pivot is None
    assert (facts.buildkit.cgroup, facts.buildkit.rootless) == (None, None)
    result = verdict.decide(kb, facts, frozenset())
    assert "run-no-pivot" in {c.id for c in result.checks}


def test_engine_20_10_bundles_a_buildkit_without_keep(kb, crun_as_runc) -> None:
    facts = facts_for(kb, "20.10.24+dfsg1", {"PATH": str(crun_as_runc)})
    assert facts.runtime.identity.name == "crun"
    assert verdict.decide(kb, facts, frozenset()).verdict == PASS


def test_runc_missing_from_dockerd_path(kb, tmp_path) -> None:
    facts = facts_for(kb, "27.3.1", {"PATH": str(tmp_path)})
    assert facts.runtime.path is None and not facts.runtime.verified
    assert "not found on dockerd's PATH" in facts.runtime.error


def test_dockerd_in_another_mount_namespace_is_not_run(kb) -> None:
    located = docker_driver.locate_runtime("27.3.1", {"PATH": "/usr/bin"})
    dockerd = docker_driver.Dockerd(pid=42, environ={}, same_root=False)
    runtime = docker_driver.resolved_runtime(
        located,
        dockerd,
        invocations=[],
        timeout=1.0,
        which=host.which,
        probe_binary=host.probe_binary,
    )
    assert not runtime.verified and "mount namespace" in (runtime.error or "")


def test_ramdisk_means_no_pivot(kb, crun_as_runc) -> None:
    facts = facts_for(kb, "27.3.1", {"PATH": str(crun_as_runc), "DOCKER_RAMDISK": "1"})
    assert facts.buildkit.no_pivot


def test_find_dockerd_by_socket_inode(tmp_path) -> None:
    # A listening socket held by this very process stands in for dockerd's.
    path = tmp_path / "d.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    try:
        found, how = docker_driver.find_dockerd(str(path))
    finally:
        server.close()
    assert found is not None and found.pid == os.getpid()
    assert how == f"holds {path}"
    assert found.environ.get("PATH") == os.environ.get("PATH")
    assert found.same_root is True and found.start_ticks is not None


def test_find_dockerd_through_a_symlinked_directory(tmp_path) -> None:
    # As /var/run → /run: bound under one name, reached under the other.
    (tmp_path / "run").mkdir()
    (tmp_path / "var-run").symlink_to(tmp_path / "run")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "run" / "d.sock"))
    server.listen()
    try:
        found, how = docker_driver.find_dockerd(str(tmp_path / "var-run" / "d.sock"))
    finally:
        server.close()
    assert found is not None and found.pid == os.getpid()
    assert how == f"holds {tmp_path / 'var-run' / 'd.sock'}"


@pytest.mark.engine
def test_this_machines_dockerd(engine, kb, tmp_path) -> None:
    env = {"DOCKER_HOST": os.environ.get("DOCKER_HOST") or DEFAULT_HOST}
    (tmp_path / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(tmp_path / "docker")), env=env)
    builder = selection.selected_builder(cfg, env={"BUILDX_CONFIG": str(tmp_path / "buildx")})
    assert isinstance(builder, store.Builder) and builder.driver == "docker"

    [facts] = gather.inspect_builder(cfg, builder, kb=kb)

    version = engine.version()["Version"]
    assert facts.error is None
    assert facts.fix_context.engine_version == version
    assert facts.buildkit.source.startswith(f"Engine {version}")
    if facts.runtime is None:
        pytest.fail(f"dockerd's runtime was not found: {facts.notes}")
    assert facts.runtime.verified, facts.runtime.error
    assert facts.runtime.where.startswith("host (dockerd pid ")
    # dockerd's BuildKit sees /sys/fs/cgroup as this host does (same mount namespace here).
    magic = subprocess.run(
        ["stat", "-f", "-c", "%t", "/sys/fs/cgroup"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert facts.buildkit.cgroup == ("v2" if magic == "63677270" else "v1")
    if version.startswith("20.10"):
        # The bundled BuildKit, a commit after v0.8.x, sends no --keep: a pass whatever runc is.
        # Each 20.10 patch release names its own commit (git describe), not a range.
        assert (facts.buildkit.version or "").startswith("v0.8.")
        assert facts.buildkit.judged_as is None
        assert facts.buildkit.to_judge == facts.buildkit.version
        assert verdict.decide(kb, facts, frozenset()).verdict == PASS


@pytest.mark.engine
def test_this_machines_dockerd_deep_runs_buildkits_calls_on_the_host(engine, kb, tmp_path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the behaviour probe runs containers on the host: root only (CI runs as root)")
    env = {"DOCKER_HOST": os.environ.get("DOCKER_HOST") or DEFAULT_HOST}
    (tmp_path / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(tmp_path / "docker")), env=env)
    builder = selection.selected_builder(cfg, env={"BUILDX_CONFIG": str(tmp_path / "buildx")})

    [facts] = gather.inspect_builder(cfg, builder, kb=kb, deep=True)

    assert facts.runtime is not None and facts.runtime.verified, facts.notes
    behaviour = facts.runtime.behaviour
    assert behaviour is not None
    # dockerd's runc is Debian's (the docker.io package): it does what BuildKit asks.
    assert behaviour.result == "behaves", behaviour.reason
    result = verdict.decide(kb, facts, frozenset())
    [check] = [c for c in result.checks if c.id == "behaviour"]
    assert check.verdict == PASS


def test_daemon_down_is_a_node_finding(kb, tmp_path) -> None:
    nothing = f"unix://{tmp_path}/nothing.sock"
    (tmp_path / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(tmp_path / "docker"), hosts=[nothing]), env={})
    builder = selection.selected_builder(cfg, env={"BUILDX_CONFIG": str(tmp_path / "buildx")})

    [facts] = gather.inspect_builder(cfg, builder, kb=kb)

    assert facts.error is not None
    assert "nothing listens" in facts.error and "start dockerd" in facts.error
    assert facts.status == "unreachable"
