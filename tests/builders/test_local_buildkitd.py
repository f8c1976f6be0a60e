"""The remote driver's unix:// endpoint held by a buildkitd on this machine.

The buildkitd is a stand-in process (support.buildkitd_process) started with the flags,
config and environment of each case; the runtimes it names are the real /usr/bin/crun and
runc of this machine, found from that process and probed by the check.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtimecheck import knowledge, verdict
from runtimecheck.builders import gather, local_buildkitd, store
from runtimecheck.dockercli import GlobalOptions, resolve
from runtimecheck.facts import BLOCK, PASS
from support import buildkitd_process

CRUN = "/usr/bin/crun"
RUNC = shutil.which("runc") or "/usr/sbin/runc"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator:
    """start(flags, env=…, prefix=…) → the stand-in's pid; every one is stopped afterwards."""
    script = buildkitd_process.install(tmp_path)
    started = []

    def start(flags=(), *, env=None, prefix=(), cwd=None) -> int:
        sock = tmp_path / f"buildkitd-{len(started)}.sock"
        proc = buildkitd_process.start(script, sock, flags, env=env or {"PATH": SYSTEM_PATH},
                                       prefix=prefix, cwd=cwd)  # fmt: skip
        started.append(proc)
        return proc.pid

    yield start
    for proc in started:
        buildkitd_process.stop(proc)


def check(tmp_path: Path, sock: Path, **kw):
    endpoint = f"unix://{sock}"
    doc = {"Name": "local", "Driver": "remote", "Nodes": [{"Name": "local0", "Endpoint": endpoint}]}
    builder = store.parse_instance("local", tmp_path / "local", json.dumps(doc).encode())
    (tmp_path / "docker").mkdir(exist_ok=True)
    cfg = resolve(GlobalOptions(config=str(tmp_path / "docker")), env={})
    kb = knowledge.load()
    [facts] = gather.inspect_builder(cfg, builder, kb=kb, **kw)
    return facts, verdict.decide(kb, facts, frozenset()).verdict


def test_oci_worker_binary_crun_blocks(daemons, tmp_path: Path) -> None:
    pid = daemons([f"--oci-worker-binary={CRUN}"])
    facts, judged = check(tmp_path, tmp_path / "buildkitd-0.sock")
    assert facts.error is None and facts.status == "running" and facts.driver == "remote"
    runtime = facts.runtime
    assert runtime is not None and runtime.verified and runtime.path == CRUN
    assert (runtime.identity.name, runtime.identity.version) == ("crun", "1.8.1")
    assert runtime.where == f"host (buildkitd pid {pid})"
    assert (facts.buildkit.version, facts.buildkit.source) == ("v0.12.5", "buildkitd --version")
    assert facts.buildkit.worker == "oci"
    assert facts.fix_context.binary_override == CRUN
    assert judged == BLOCK


def test_runc_on_its_path_passes(daemons, tmp_path: Path) -> None:
    daemons(env={"PATH": os.path.dirname(RUNC)})
    facts, judged = check(tmp_path, tmp_path / "buildkitd-0.sock")
    assert facts.runtime is not None and facts.runtime.verified
    assert facts.runtime.path == RUNC and facts.runtime.identity.name == "runc"
    assert facts.fix_context.binary_override is None
    assert judged == PASS


def test_its_own_path_decides_which_runc_it_runs(daemons, tmp_path: Path) -> None:
    # The incident: crun installed as `runc` in a directory before the real runc's, on
    # buildkitd's PATH (not this command's).
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "runc").symlink_to(CRUN)
    daemons(env={"PATH": f"{shadow}:{SYSTEM_PATH}"})
    facts, judged = check(tmp_path, tmp_path / "buildkitd-0.sock")
    assert facts.runtime is not None and facts.runtime.path == str(shadow / "runc")
    assert facts.runtime.identity.name == "crun" and judged == BLOCK


def test_the_config_it_was_given_names_the_binary(daemons, tmp_path: Path) -> None:
    config = tmp_path / "conf"
    config.mkdir()
    (config / "buildkitd.toml").write_text('[worker.oci]\nbinary = "crun"\n')
    # A relative --config is opened from buildkitd's working directory.
    daemons(["--config", "conf/buildkitd.toml"], cwd=tmp_path)
    facts, judged = check(tmp_path, tmp_path / "buildkitd-0.sock")
    assert facts.runtime is not None and facts.runtime.path == CRUN
    assert facts.fix_context.binary_override == "crun"
    assert any(f"[worker.oci] binary of {config}/buildkitd.toml names crun" in n
               for n in facts.notes)  # fmt: skip
    assert judged == BLOCK


def test_in_a_user_namespace_it_reads_its_user_s_config(daemons, tmp_path: Path) -> None:
    # moby/buildkit cmd/buildkitd/main.go defaultConfigPath: in a user namespace (rootless)
    # the user's config (appdefaults.UserConfigDir), not /etc/buildkit/buildkitd.toml.
    home = tmp_path / "home"
    (home / ".config" / "buildkit").mkdir(parents=True)
    (home / ".config" / "buildkit" / "buildkitd.toml").write_text('[worker.oci]\nbinary = "crun"\n')
    env = {"PATH": SYSTEM_PATH, "HOME": str(home), "USER": "user"}
    daemons(env=env, prefix=["unshare", "--user", "--map-root-user"])
    facts, judged = check(tmp_path, tmp_path / "buildkitd-0.sock")
    assert facts.runtime is not None and facts.runtime.identity.name == "crun"
    assert judged == BLOCK


def test_a_binary_not_on_its_path_is_said(daemons, tmp_path: Path) -> None:
    daemons(["--oci-worker-binary=crun"], env={"PATH": str(tmp_path / "empty")})
    facts, judged = check(tmp_path, tmp_path / "buildkitd-0.sock")
    assert facts.runtime is not None and not facts.runtime.verified
    assert facts.runtime.error == f"crun is not found on buildkitd's PATH ({tmp_path / 'empty'})"
    assert judged != PASS


def test_in_another_network_namespace_it_cannot_be_told(daemons, tmp_path: Path) -> None:
    # As a buildkitd under rootlesskit with its own network: its socket is reachable through
    # the file system, but not listed in this namespace's /proc/net/unix.
    daemons([f"--oci-worker-binary={CRUN}"], prefix=["unshare", "--net"])
    facts, _ = check(tmp_path, tmp_path / "buildkitd-0.sock")
    assert facts.error is None and facts.runtime is None
    assert any("buildkitd's runtime was not checked: no process is seen holding" in n
               and "another network namespace" in n for n in facts.notes)  # fmt: skip
    assert any("--assume-runtime" in n for n in facts.notes)
    # Declared, it stands in, unverified.
    declared, judged = check(tmp_path, tmp_path / "buildkitd-0.sock", assumed={"*": "crun=1.8.1"})
    assert declared.runtime is not None and declared.runtime.where == "declared"
    assert judged == BLOCK  # crun 1.8.1 by the version data


def test_a_socket_held_by_something_else_is_not_judged(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "other.sock"))
    server.listen()
    try:
        facts, _ = check(tmp_path, tmp_path / "other.sock")
    finally:
        server.close()
    assert facts.error is None and facts.runtime is None
    assert any(f"(pid {os.getpid()}), not by buildkitd" in n for n in facts.notes)


@pytest.mark.parametrize("leftover", [True, False])
def test_nothing_listening_is_not_inspected(tmp_path: Path, leftover: bool) -> None:
    sock = tmp_path / "gone.sock"
    if leftover:  # a socket file whose daemon is gone
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(sock))
        server.close()
    facts, _ = check(tmp_path, sock)
    assert facts.status == "unreachable" and facts.error is not None
    assert ("nothing accepts connections" if leftover else "no socket at") in facts.error
    assert f"start buildkitd with --addr unix://{sock}" in facts.error


@pytest.mark.parametrize(
    ("uid_map", "inside"),
    [("0 0 4294967295", False), ("0 1000 1", True), ("", True), ("junk", False)],
)
def test_user_namespace_as_moby_sys_userns_tells_it(uid_map: str, inside: bool) -> None:
    assert local_buildkitd.in_user_namespace(uid_map) is inside


def this_machines_cgroup() -> str:
    # BuildKit's own test: statfs("/sys/fs/cgroup") says CGROUP2_SUPER_MAGIC, else v1.
    import subprocess

    magic = subprocess.run(["stat", "-f", "-c", "%t", "/sys/fs/cgroup"],
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    return "v2" if magic == "63677270" else "v1"


def test_it_learns_where_it_runs_as_its_proc_entry_shows(daemons, tmp_path: Path) -> None:
    pid = daemons([f"--oci-worker-binary={CRUN}"])
    facts, _ = check(tmp_path, tmp_path / "buildkitd-0.sock")
    buildkit = facts.buildkit
    assert buildkit.cgroup == this_machines_cgroup()
    assert buildkit.rootless is (os.geteuid() != 0)
    assert "at /sys/fs/cgroup" in buildkit.environment
    assert f"for buildkitd (pid {pid})" in buildkit.environment


def test_in_a_user_namespace_it_is_rootless(daemons, tmp_path: Path) -> None:
    pid = daemons([f"--oci-worker-binary={CRUN}"], prefix=["unshare", "--user", "--map-root-user"])
    facts, judged = check(tmp_path, tmp_path / "buildkitd-0.sock")
    assert facts.buildkit.rootless is True
    assert f"rootless: buildkitd (pid {pid}) runs in a user namespace" in facts.buildkit.environment
    assert judged == BLOCK


def test_its_rootless_flag_wins(daemons, tmp_path: Path) -> None:
    daemons([f"--oci-worker-binary={CRUN}", "--rootless"])
    facts, _ = check(tmp_path, tmp_path / "buildkitd-0.sock")
    assert facts.buildkit.rootless is True
    assert "rootless by --rootless" in facts.buildkit.environment
