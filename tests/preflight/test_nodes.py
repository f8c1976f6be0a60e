"""A build is judged on the node buildx builds on (docker/buildx v0.36.1
build/resolver/driver.go), through the real docker CLI, on real builder containers: node 0 a
BuildKit with runc, node 1 one whose runc is crun 1.8.1 (rejects `run --keep`)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Optional

import pytest

from support.paths import FIXTURES

SOCK = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
PLATFORM = {"linux/amd64": {"architecture": "amd64", "os": "linux"},
            "linux/arm64": {"architecture": "arm64", "os": "linux"}}  # fmt: skip


def two_node_builder(dockerconfig, make_container, test_images, stored: tuple) -> str:
    """A docker-container builder of two running nodes, with these stored platforms each."""
    name = f"rtc{uuid.uuid4().hex[:10]}"
    nodes = []
    for index, (image, platform) in enumerate(
        zip((test_images["buildkit_v0_12"], test_images["crun_as_runc"]), stored)
    ):
        node = f"{name}{index}"
        make_container(image, name=f"buildx_buildkit_{node}", command=None, init=True)
        nodes.append({"Name": node, "Endpoint": SOCK, "DriverOpts": {"image": image},
                      "Platforms": [PLATFORM[platform]] if platform else None,
                      "Flags": None, "Files": None})  # fmt: skip
    instances = dockerconfig.dir / "buildx" / "instances"
    instances.mkdir(parents=True, exist_ok=True)
    doc = {"Name": name, "Driver": "docker-container", "Nodes": nodes, "Dynamic": False}
    (instances / name).write_text(json.dumps(doc))
    return name


def recorded_inspect(tmp_path: Path, name: str) -> str:
    text = (FIXTURES / "buildx-inspect" / "two-nodes-v0.36.1.txt").read_text()
    text = text.replace("@BUILDER@", name).replace("@NODE0@", f"{name}0")
    path = tmp_path / "inspect.txt"
    path.write_text(text.replace("@NODE1@", f"{name}1"))
    return str(path)


def build(dockerconfig, name: str, *args: str, inspect: Optional[str] = None, **env: str):
    if inspect:
        env["RECORDER_INSPECT"] = inspect
    proc = dockerconfig.run("runtimecheck", "build", "--builder", name, *args, ".", **env)
    built = [r for r in dockerconfig.records() if "build" in r["argv"]]
    return proc.returncode, proc.stderr.decode(), len(built)


@pytest.mark.engine
def test_a_build_is_judged_on_the_node_its_platform_picks(
    dockerconfig, make_container, test_images
) -> None:
    name = two_node_builder(dockerconfig, make_container, test_images,
                            ("linux/amd64", "linux/arm64"))  # fmt: skip

    # No platform: node 0 only (resolve: no platforms → driverIndex 0). Node 1 is blocked,
    # and is no reason to stop this build.
    code, err, built = build(dockerconfig, name)
    assert (code, built) == (0, 1), err
    code, err, built = build(dockerconfig, name, "--platform", "linux/amd64")
    assert (code, built) == (0, 2), err

    # For node 1's platform the build runs on node 1: refused before buildx.
    code, err, built = build(dockerconfig, name, "--platform=linux/arm64")
    assert (code, built) == (1, 2), err
    assert f"this build runs on node {name}1" in err
    assert f"node {name}0  " not in err and f"node {name}0 (not used by this build)" in err
    assert "unrecognized option '--keep'" in err or "rejects `run --keep`" in err

    # DOCKER_DEFAULT_PLATFORM is buildx's default for --platform; a given --platform wins.
    code, err, built = build(dockerconfig, name, DOCKER_DEFAULT_PLATFORM="linux/arm64")
    assert (code, built) == (1, 2), err
    code, err, built = build(dockerconfig, name, "--platform", "linux/amd64",
                             DOCKER_DEFAULT_PLATFORM="linux/arm64")  # fmt: skip
    assert (code, built) == (0, 3), err
    # Both platforms: both nodes build.
    code, err, built = build(dockerconfig, name, "--platform", "linux/amd64,linux/arm64")
    assert (code, built) == (1, 3), err


@pytest.mark.engine
def test_the_plain_check_reports_and_counts_every_node(
    dockerconfig, make_container, test_images
) -> None:
    name = two_node_builder(dockerconfig, make_container, test_images,
                            ("linux/amd64", "linux/arm64"))  # fmt: skip
    proc = dockerconfig.run("runtimecheck", "--builder", name)
    out = proc.stdout.decode()
    assert proc.returncode == 1, out + proc.stderr.decode()
    assert f"a build without --platform runs on node {name}0 only" in out
    assert "not used by this build" not in out


@pytest.mark.engine
def test_without_stored_platforms_the_nodes_buildx_detects_decide(
    dockerconfig, make_container, test_images, tmp_path: Path
) -> None:
    name = two_node_builder(dockerconfig, make_container, test_images, (None, None))
    inspect = recorded_inspect(tmp_path, name)

    # buildx lists node 0 as amd64, node 1 as arm64 (its workers' platforms).
    code, err, _ = build(dockerconfig, name, "--platform", "linux/amd64", inspect=inspect)
    assert code == 0, err
    code, err, _ = build(dockerconfig, name, "--platform", "linux/arm/v7", inspect=inspect)
    assert code == 1 and f"this build runs on node {name}1" in err, err
    # arm/v5 is listed by no node; node 1 runs it (arm/v6 and arm64 run arm/v5, containerd's
    # platformVector), buildx before v0.13 would take node 0: both count.
    code, err, _ = build(dockerconfig, name, "--platform", "linux/arm/v5", inspect=inspect)
    assert code == 1 and f"this build may run on nodes {name}0, {name}1" in err, err

    # buildx cannot tell (here: the stand-in answers nothing buildx-like): every node counts.
    code, err, _ = build(dockerconfig, name, "--platform", "linux/amd64")
    assert code == 1, err
    assert "could not be learnt" in err and "did not answer as buildx does" in err
