"""The local test images are what the other integration tests take them for."""

from __future__ import annotations

import shutil
import subprocess
import time
from typing import Optional

import docker
import docker.errors
import pytest

BUILDKITD_VERSION_LINES = {
    "buildkit_v0_12": (
        "buildkitd github.com/moby/buildkit v0.12.5 bac3f2b673f3f9d33e79046008e7a38e856b3dc6"
    ),
    "buildkit_v0_11": (
        "buildkitd github.com/moby/buildkit v0.11.6 2951a28cd7085eb18979b1f710678623d94ed578"
    ),
}
BUILDKIT_IMAGES = (*BUILDKITD_VERSION_LINES, "crun_as_runc")

pytestmark = pytest.mark.engine


def run(
    engine: docker.DockerClient,
    image: str,
    command: list[str],
    entrypoint: Optional[list[str]] = None,
) -> str:
    """stdout and stderr of a one-off container; raises ContainerError on a non-zero exit."""
    output = engine.containers.run(
        image,
        command,
        entrypoint=entrypoint,
        remove=True,
        stdout=True,
        stderr=True,
        labels={"org.runtimecheck.test": "1"},
    )
    return output.decode()


def sh(engine: docker.DockerClient, image: str, script: str) -> str:
    return run(engine, image, ["-c", script], entrypoint=["/bin/sh"])


def test_docker_cli_runs_crun_1_8_1(test_images: dict[str, str]) -> None:
    docker_cli = shutil.which("docker")
    assert docker_cli, "the docker CLI is not on PATH"
    proc = subprocess.run(
        [docker_cli, "run", "--rm", test_images["runtimes"], "crun", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "crun version 1.8.1"


@pytest.mark.parametrize(
    ("argv", "first_line"),
    [
        (["crun", "--version"], "crun version 1.8.1"),
        (["runc", "--version"], "runc version 1.1.5+ds1"),
        (["/usr/sbin/runc", "--version"], "runc version 1.1.5+ds1"),
        (["/usr/bin/crun", "--version"], "crun version 1.8.1"),
    ],
)
def test_runtimes_image_holds_real_runtimes(
    engine: docker.DockerClient, test_images: dict[str, str], argv: list[str], first_line: str
) -> None:
    assert run(engine, test_images["runtimes"], argv).splitlines()[0] == first_line


def test_runtimes_image_shows_the_run_keep_difference(
    engine: docker.DockerClient, test_images: dict[str, str]
) -> None:
    """The premise of the probe tests: crun 1.8.1 rejects `run --keep`, runc 1.1.5 parses it."""
    out = sh(
        engine,
        test_images["runtimes"],
        "cd /tmp; crun run --keep --bundle /nonexistent x; echo crun=$?;"
        " runc run --keep --bundle /nonexistent x; echo runc=$?",
    )
    assert "run: unrecognized option '--keep'" in out
    assert "crun=64" in out
    assert "runc run failed: chdir /nonexistent" in out
    assert "runc=1" in out


def test_runtimes_image_has_the_shell_tools_probes_use(
    engine: docker.DockerClient, test_images: dict[str, str]
) -> None:
    out = sh(
        engine,
        test_images["runtimes"],
        "d=$(mktemp -d) && ls -d $d && rm -r $d && timeout 5 sleep 0 && env | grep -c ^PATH= "
        "&& mkdir -p /tmp/x && cat /etc/passwd",
    )
    assert out.startswith("/tmp/")
    assert "root:x:0:0:" in out


@pytest.mark.parametrize("key", BUILDKIT_IMAGES)
def test_buildkit_images_are_laid_out_like_moby_buildkit(
    engine: docker.DockerClient, test_images: dict[str, str], key: str
) -> None:
    image = engine.images.get(test_images[key])
    assert image.attrs["Config"]["Entrypoint"] == ["buildkitd"]
    assert image.labels["org.runtimecheck.test"] == "1"
    listing = sh(engine, test_images[key], "ls -A /etc/buildkit; echo end; command -v buildkitd")
    assert listing.splitlines() == ["end", "/usr/bin/buildkitd"]


@pytest.mark.parametrize("key", list(BUILDKITD_VERSION_LINES))
def test_buildkit_image_has_runc_as_buildkit_runc_and_crun(
    engine: docker.DockerClient, test_images: dict[str, str], key: str
) -> None:
    image = test_images[key]
    buildkit_runc = run(engine, image, ["--version"], entrypoint=["/usr/bin/buildkit-runc"])
    assert buildkit_runc.splitlines()[0] == "runc version 1.1.5+ds1"
    crun = run(engine, image, ["--version"], entrypoint=["/usr/bin/crun"])
    assert crun.splitlines()[0] == "crun version 1.8.1"


def test_crun_as_runc_image_has_crun_under_runc_names(
    engine: docker.DockerClient, test_images: dict[str, str]
) -> None:
    image = test_images["crun_as_runc"]
    for binary in ("runc", "/usr/bin/runc", "/usr/bin/buildkit-runc"):
        out = run(engine, image, ["--version"], entrypoint=[binary])
        assert out.splitlines()[0] == "crun version 1.8.1", binary
    # Nothing but crun: no real runc, and crun only under the runc names.
    present = sh(
        engine,
        image,
        "for f in /usr/sbin/runc /sbin/runc /usr/bin/crun; do [ -e $f ] && echo $f; done; true",
    )
    assert present == ""


@pytest.mark.parametrize("key", list(BUILDKITD_VERSION_LINES))
def test_buildkitd_version_prints_the_upstream_line(
    engine: docker.DockerClient, test_images: dict[str, str], key: str
) -> None:
    assert run(engine, test_images[key], ["--version"]) == BUILDKITD_VERSION_LINES[key] + "\n"


def test_crun_as_runc_image_is_buildkit_v0_12_5(
    engine: docker.DockerClient, test_images: dict[str, str]
) -> None:
    out = run(engine, test_images["crun_as_runc"], ["--version"])
    assert out == BUILDKITD_VERSION_LINES["buildkit_v0_12"] + "\n"


@pytest.mark.parametrize("key", BUILDKIT_IMAGES)
def test_buildkit_container_stays_up_and_stops_promptly(
    test_images: dict[str, str], make_container, key: str
) -> None:
    flags = ["--allow-insecure-entitlement=network.host", "--debug"]
    container = make_container(test_images[key], command=flags)
    time.sleep(1)
    container.reload()
    assert container.status == "running", container.logs().decode()
    assert "started with: " + " ".join(flags) in container.logs().decode()

    started = time.monotonic()
    container.stop(timeout=10)
    elapsed = time.monotonic() - started
    container.reload()
    assert container.status == "exited"
    assert container.attrs["State"]["ExitCode"] == 0
    assert elapsed < 3, f"docker stop took {elapsed:.1f} s: SIGTERM not handled"


def test_make_container_names_are_unique_and_labelled(
    test_images: dict[str, str], make_container
) -> None:
    a = make_container(test_images["runtimes"], command=["true"], start=False)
    b = make_container(test_images["runtimes"], command=["true"], start=False)
    assert a.name != b.name
    assert a.labels["org.runtimecheck.test"] == "1"
