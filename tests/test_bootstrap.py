"""Builders that are not running: read-only check, `--bootstrap`, and the build preflight.

Through the real docker CLI and engine. buildx is played by tests/fixtures/
docker-buildx-recorder, which boots a docker-container builder the way buildx's driver does
(unprivileged here); the runtimes in the booted containers are the real runc and crun.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.engine

BOOT_ARGV = ["buildx", "inspect", "--bootstrap"]


def buildx_calls(dockerconfig) -> list[list[str]]:
    """What the stand-in buildx was asked, without docker's global flags."""
    calls = []
    for record in dockerconfig.records():
        argv = record["argv"]
        calls.append(argv[argv.index("buildx") :])
    return calls


def container_state(engine, name: str):
    try:
        return engine.containers.get(f"buildx_buildkit_{name}0").status
    except Exception:  # docker.errors.NotFound
        return None


def test_a_plain_check_of_a_builder_never_started_is_short_read_only_and_exact(
    dockerconfig, test_images, engine
) -> None:
    name = dockerconfig.add_builder(None, test_images["crun_as_runc"], create=False)
    proc = dockerconfig.run("runtimecheck", "--builder", name)
    text = proc.stdout.decode()
    assert proc.returncode == 3, proc.stderr.decode()
    lines = text.splitlines()
    assert len(lines) == len(set(lines)), text  # no line twice
    assert "fix:" not in text  # nothing says what would help
    assert "not known until it runs" in text
    assert f"docker --config {dockerconfig.dir} runtimecheck --bootstrap --builder {name}" in text
    assert len([line for line in lines if line.strip()]) <= 7, text
    assert buildx_calls(dockerconfig) == []
    assert container_state(engine, name) is None  # nothing was created

    proc = dockerconfig.run("runtimecheck", "--builder", name, "--format", "json")
    assert proc.returncode == 3
    document = json.loads(proc.stdout)
    assert document["verdict"] == "unknown"
    [node] = document["builders"][0]["nodes"]
    assert node["status"] == "inactive"
    assert all(check["fix"] == [] for check in node["checks"])


def test_bootstrap_boots_through_buildx_and_checks_the_real_runtime(
    dockerconfig, test_images, engine
) -> None:
    name = dockerconfig.add_builder(None, test_images["crun_as_runc"], create=False)
    proc = dockerconfig.run("runtimecheck", "--builder", name, "--bootstrap", "--format", "json")
    assert proc.returncode == 1, proc.stderr.decode()
    assert buildx_calls(dockerconfig) == [[*BOOT_ARGV, name]]
    assert container_state(engine, name) == "running"
    [node] = json.loads(proc.stdout)["builders"][0]["nodes"]
    assert node["status"] == "running"
    assert (node["runtime"]["name"], node["runtime"]["version"]) == ("crun", "1.8.1")
    assert node["runtime"]["verified"] is True
    keep = next(c for c in node["checks"] if c["id"] == "run-keep")
    assert keep["status"] == "rejected" and keep["fix"]


def test_the_preflight_boots_a_builder_never_started_and_refuses_crun(
    dockerconfig, test_images, engine
) -> None:
    name = dockerconfig.add_builder(None, test_images["crun_as_runc"], create=False)
    proc = dockerconfig.run("runtimecheck", "build", "--builder", name, ".")
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, stderr
    assert buildx_calls(dockerconfig) == [[*BOOT_ARGV, name]]  # never `buildx build`
    assert "unrecognized option '--keep'" in stderr
    assert "building anyway" not in stderr


def test_the_preflight_starts_a_stopped_runc_builder_then_hands_over(
    dockerconfig, make_container, test_images, engine
) -> None:
    name = dockerconfig.add_builder(make_container, test_images["buildkit_v0_12"], start=False)
    assert container_state(engine, name) == "created"
    proc = dockerconfig.run("runtimecheck", "build", "--builder", name, ".")
    assert proc.returncode == 0, proc.stderr.decode()
    assert buildx_calls(dockerconfig) == [[*BOOT_ARGV, name], ["buildx", "build", "--builder",
                                          name, "."]]  # fmt: skip
    assert container_state(engine, name) == "running"


def test_a_boot_that_fails_is_said_and_the_static_judgement_stands(
    dockerconfig, test_images, engine
) -> None:
    name = dockerconfig.add_builder(None, test_images["crun_as_runc"], create=False)
    proc = dockerconfig.run("runtimecheck", "--builder", name, "--bootstrap",
                            RECORDER_BOOT_EXIT="1")  # fmt: skip
    assert proc.returncode == 3
    out = proc.stdout.decode()
    shown = f"docker --config {dockerconfig.dir} buildx inspect --bootstrap {name}"
    assert f"`{shown}` failed (exit 1)" in out
    assert "failed to boot the builder" in out
    assert container_state(engine, name) is None
