"""The preflight fingerprint: cheap, standard library only, and it moves when the builder does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from runtimecheck.builders import docker_container
from runtimecheck.builders.fingerprint import fingerprint
from runtimecheck.dockercli import DEFAULT_HOST, GlobalOptions, resolve

REPO = Path(__file__).resolve().parent.parent


def setup(tmp_path: Path, host: str | None = None):
    host = host or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    (tmp_path / "docker").mkdir(exist_ok=True)
    env = {"BUILDX_CONFIG": str(tmp_path / "buildx"), "DOCKER_HOST": host}
    cfg = resolve(GlobalOptions(config=str(tmp_path / "docker")), env=env)
    return cfg, env


def write(tmp_path: Path, name: str, driver: str, nodes: list[dict]) -> Path:
    path = tmp_path / "buildx" / "instances" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"Name": name, "Driver": driver, "Nodes": nodes, "Dynamic": False}))
    return path


def test_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from runtimecheck.builders.fingerprint import fingerprint\n"
        "print(sorted(m for m in ('docker', 'requests', 'typer', 'rich', 'urllib3') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_kubernetes_and_remote_are_not_fingerprinted(tmp_path: Path) -> None:
    cfg, env = setup(tmp_path)
    write(tmp_path, "kube", "kubernetes", [{"Name": "kube0", "Endpoint": "kubernetes:///kube"}])
    write(tmp_path, "rem", "remote", [{"Name": "rem0", "Endpoint": "tcp://10.0.0.1:1234"}])
    assert fingerprint(cfg, "kube", env) is None
    assert fingerprint(cfg, "rem", env) is None
    assert fingerprint(cfg, "does-not-exist", env) is None


def test_remote_daemon_is_not_fingerprinted(tmp_path: Path) -> None:
    cfg, env = setup(tmp_path, host="tcp://127.0.0.1:1")
    assert fingerprint(cfg, None, env) is None


@pytest.mark.engine
def test_docker_container_builder_moves_with_the_container(
    tmp_path: Path, make_container, test_images
) -> None:
    cfg, env = setup(tmp_path)
    name = f"fp{uuid.uuid4().hex[:8]}"
    node = {"Name": name + "0", "Endpoint": env["DOCKER_HOST"], "Flags": [], "Files": None}
    path = write(tmp_path, name, "docker-container", [node])

    absent = fingerprint(cfg, name, env)
    assert absent is not None

    container = make_container(
        test_images["buildkit_v0_12"], name=docker_container.container_name(name + "0")
    )
    running = fingerprint(cfg, name, env)
    assert running is not None and running != absent
    assert fingerprint(cfg, name, env) == running  # stable while nothing changes

    container.restart(timeout=1)
    restarted = fingerprint(cfg, name, env)
    assert restarted not in (None, running)

    path.write_text(path.read_text().replace('"Flags": []', '"Flags": ["--debug"]'))
    assert fingerprint(cfg, name, env) not in (None, restarted)


@pytest.mark.engine
def test_docker_driver_of_this_machine(tmp_path: Path, engine) -> None:
    cfg, env = setup(tmp_path)
    first = fingerprint(cfg, None, env)
    assert first is not None and first.startswith("sha256:")
    assert fingerprint(cfg, "default", env) == first
