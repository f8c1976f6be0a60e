"""Every exit status of every command, in every format, through the entry points users run:
the plugin through the docker CLI, and the `docker-runtimecheck` console script pip installs.

0 pass, 1 blocked (or refused), 2 usage error, 3 could not tell; `build` exits with buildx's
status once it hands over; `install`/`uninstall` 0 done, 1 the new plugin did not work,
2 nothing could be changed safely.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import DockerConfigDir
from support.processes import run

pytestmark = [pytest.mark.slow, pytest.mark.engine]

CONSOLE_SCRIPT = Path(sys.executable).with_name("docker-runtimecheck")
FORMATS = ("text", "json", "github", "sarif")
VERDICT = {0: "pass", 1: "block", 3: "unknown"}


class World:
    def __init__(self, config: DockerConfigDir) -> None:
        self.config = config
        self.passing = self.blocked = self.stopped = ""

    def docker(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return self.config.run(*args, **env)


@pytest.fixture(scope="module")
def world(tmp_path_factory, docker_cli, test_images, make_module_container) -> Iterator[World]:
    w = World(DockerConfigDir(tmp_path_factory.mktemp("statuses"), docker_cli))
    w.passing = w.config.add_builder(make_module_container, test_images["buildkit_v0_12"])
    w.blocked = w.config.add_builder(make_module_container, test_images["crun_as_runc"])
    w.stopped = w.config.add_builder(None, test_images["buildkit_v0_12"], create=False)
    yield w
    subprocess.run([docker_cli, "rm", "-f", "-v", *w.config.containers], capture_output=True,
                   timeout=120, check=False)  # fmt: skip


def verdict_of(fmt: str, out: str) -> str:
    """The headline verdict as each format states it."""
    if fmt == "json":
        return json.loads(out)["verdict"]
    if fmt == "sarif":
        levels = {r["level"] for r in json.loads(out)["runs"][0]["results"]}
        return "block" if "error" in levels else ("unknown" if levels else "pass")
    last = out.strip().splitlines()[-1]
    return next(v for v in ("pass", "block", "unknown") if v in last)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("status", [0, 1, 3])
def test_check(world: World, fmt: str, status: int) -> None:
    builder = {0: world.passing, 1: world.blocked, 3: world.stopped}[status]
    done = world.docker("runtimecheck", "--builder", builder, "-f", fmt)
    assert done.returncode == status, done.stderr.decode()
    assert verdict_of(fmt, done.stdout.decode()) == VERDICT[status]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("bad", [["--builder", "no-such-builder"], ["--ignore", "no-such-check"],
                                 ["--fail-on", "sometimes"]])  # fmt: skip
def test_check_usage_errors(world: World, fmt: str, bad: list[str]) -> None:
    done = world.docker("runtimecheck", "-f", fmt, *bad)
    assert done.returncode == 2, done.stderr.decode()
    assert done.stdout == b""  # nothing on stdout a pipeline could take for a result


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_fail_on_turns_a_block_into_0_and_never_an_unknown(world: World, fmt: str) -> None:
    blocked = world.docker("runtimecheck", "--builder", world.blocked, "-f", fmt,
                           "--fail-on", "never")  # fmt: skip
    assert blocked.returncode == 0
    stopped = world.docker("runtimecheck", "--builder", world.stopped, "-f", fmt,
                           "--fail-on", "never")  # fmt: skip
    assert stopped.returncode == 3


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["/usr/bin/runc", "--buildkit", "v0.12.5"], 0),
        (["/usr/bin/crun", "--buildkit", "v0.12.5"], 1),
        (["/usr/bin/crun", "--buildkit", "not-a-version"], 2),
        (["/bin/true", "--buildkit", "v0.12.5"], 3),
        (["/nonexistent/runc"], 3),
    ],
)
def test_probe(world: World, fmt: str, args: list[str], status: int) -> None:
    done = world.docker("runtimecheck", "probe", *args, "-f", fmt)
    assert done.returncode == status, done.stderr.decode()
    if status != 2:
        assert verdict_of(fmt, done.stdout.decode()) == VERDICT[status]


@pytest.mark.parametrize(("fmt", "status"), [("text", 0), ("json", 0), ("sarif", 2)])
def test_rules(world: World, fmt: str, status: int) -> None:
    done = world.docker("runtimecheck", "rules", "-f", fmt)
    assert done.returncode == status, done.stderr.decode()
    if fmt == "json":
        invocations = json.loads(done.stdout)["buildkit"]["invocations"]
        assert "run-keep" in {i["id"] for i in invocations}


@pytest.mark.parametrize("buildx_status", [0, 7])
def test_build_hands_over_with_buildx_s_status(world: World, tmp_path: Path, buildx_status: int):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nRUN true\n")
    done = world.docker("runtimecheck", "build", "--builder", world.passing, str(tmp_path),
                        RECORDER_EXIT=str(buildx_status))  # fmt: skip
    assert done.returncode == buildx_status, done.stderr.decode()
    assert done.stdout == b"recorder: handed over\n"


def test_build_refused_is_1(world: World, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nRUN true\n")
    done = world.docker("runtimecheck", "build", "--builder", world.blocked, str(tmp_path))
    assert done.returncode == 1, done.stderr.decode()
    assert done.stdout == b""


def test_build_usage_error_is_2(world: World, tmp_path: Path) -> None:
    done = world.docker("runtimecheck", "build", "--runtimecheck-output", "json=", str(tmp_path))
    assert done.returncode == 2, done.stderr.decode()
    assert done.stdout == b""


def test_build_that_could_not_be_checked_is_buildx_s_status(world: World, tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nRUN true\n")
    done = world.docker("-H", f"unix://{tmp_path}/nothing.sock", "runtimecheck", "build",
                        str(tmp_path), RECORDER_EXIT="0")  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert b"could not be checked; building anyway" in done.stderr


# --- install and uninstall, as `pip install .` users run them -------------------------------------


def console(config: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "RUNTIMECHECK_"))}
    env["DOCKER_CONFIG"] = str(config)
    if path is not None:
        env["PATH"] = path
    return run([CONSOLE_SCRIPT, *args], env=env)


def test_install_and_uninstall_0(tmp_path: Path, docker_cli: str) -> None:
    config = tmp_path / "docker"
    assert console(config, "install").returncode == 0
    assert (config / "cli-plugins" / "docker-runtimecheck").is_file()
    assert console(config, "uninstall").returncode == 0
    assert not (config / "cli-plugins" / "docker-runtimecheck").exists()


def test_install_1_when_the_new_plugin_does_not_work_through_docker(tmp_path: Path) -> None:
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "docker").write_text("#!/bin/sh\necho 'docker: broken' >&2\nexit 1\n")
    (broken / "docker").chmod(0o755)
    config = tmp_path / "docker"
    done = console(config, "install", path=f"{broken}:{os.environ['PATH']}")
    assert done.returncode == 1, done.stderr
    assert "nothing was changed" in done.stderr
    assert not config.exists()


@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_install_and_uninstall_2_on_a_config_that_cannot_be_edited_safely(
    tmp_path: Path, command: str
) -> None:
    config = tmp_path / "docker"
    config.mkdir()
    (config / "config.json").write_text('{"aliases": [1]')
    done = console(config, command, "--alias-build") if command == "install" else console(
        config, command)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert (config / "config.json").read_text() == '{"aliases": [1]'
