"""Fixtures shared by the tests: the local Docker engine, the test images, throw-away containers.

Tests that need the engine are marked `engine` (requesting `engine`, `test_images` or
`make_container*` marks them). Without an engine they are skipped locally; with CI=true
any skipped test fails instead, because a skip in CI means the set-up is broken.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import docker
import docker.errors
import pytest
from docker.models.containers import Container

REPO = Path(__file__).resolve().parent.parent
BUILD_IMAGES = REPO / "tests" / "images" / "build"

TEST_LABEL = "org.runtimecheck.test"
ENGINE_TIMEOUT_S = 60
BUILD_TIMEOUT_S = 300

# Made by tests/images/build; see that script for what each one holds.
TEST_IMAGES = {
    "runtimes": "runtimecheck-test/runtimes:1",
    "buildkit_v0_12": "runtimecheck-test/buildkit:v0.12.5",
    "buildkit_v0_11": "runtimecheck-test/buildkit:v0.11.6",
    "crun_as_runc": "runtimecheck-test/buildkit-crun-as-runc:v0.12.5",
}

# Requesting any of these means the test talks to the engine.
ENGINE_FIXTURES = ("engine", "test_images", "make_container", "make_module_container")

# Labels every container made here carries; RUN_ID tells this pytest run's from others'.
RUN_ID = uuid.uuid4().hex[:8]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


# --- a hermetic environment -----------------------------------------------------------------
#
# What the caller's shell says about docker, buildx, colour or this tool must not change what
# a test sees: those variables are dropped before any test runs. The engine the tests use is
# RUNTIMECHECK_TEST_DOCKER_HOST (default: the local socket), given to every test and every
# process it starts as DOCKER_HOST; the docker CLI reads an empty config directory of this run.
# A test about one of these variables sets it itself.
SCRUBBED_PREFIXES = ("DOCKER_", "BUILDX_", "RUNTIMECHECK_", "BUILDKIT_")
SCRUBBED = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "SHIV_ROOT",
            "XDG_CONFIG_HOME", "XDG_CACHE_HOME")  # fmt: skip
TEST_ENGINE = os.environ.get("RUNTIMECHECK_TEST_DOCKER_HOST") or "unix:///var/run/docker.sock"


def _hermetic_environment() -> None:
    for name in list(os.environ):
        if name.startswith(SCRUBBED_PREFIXES) or name in SCRUBBED:
            del os.environ[name]
    os.environ["DOCKER_HOST"] = TEST_ENGINE
    os.environ["DOCKER_CONFIG"] = tempfile.mkdtemp(prefix="runtimecheck-tests-docker-config-")
    # The user's ~/.config and ~/.cache stay out of it too (settings file, verdict cache).
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="runtimecheck-tests-config-")
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="runtimecheck-tests-cache-")


_hermetic_environment()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", [])
        if any(name in names for name in ENGINE_FIXTURES):
            item.add_marker(pytest.mark.engine)
        elif item.get_closest_marker("engine") is not None and "engine" not in names:
            # A test marked `engine` gets the engine check, so it is skipped (or fails in CI)
            # the same way as one that asks for the fixture.
            names.insert(0, "engine")


# Tests that may skip in CI, each with the reason it is right to. Empty: in CI every test
# runs, because CI installs and starts everything the tests need.
ALLOWED_TO_SKIP_IN_CI: dict[str, str] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if (
        in_ci()
        and report.skipped
        and not hasattr(report, "wasxfail")
        and item.nodeid not in ALLOWED_TO_SKIP_IN_CI
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped with CI=true, which counts as a failure: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    # A whole module skipped while it is collected (pytest.skip(allow_module_level=True),
    # importorskip) counts too.
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if in_ci() and report.skipped and collector.nodeid not in ALLOWED_TO_SKIP_IN_CI:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped with CI=true, which counts as a failure: {reason}"


def unique_container_name(prefix: str = "rtc-test") -> str:
    """A container name no other test (or concurrent run) uses; valid for the engine."""
    prefix = re.sub(r"[^a-zA-Z0-9_.-]+", "-", prefix).strip("-_.")[:40] or "rtc-test"
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def engine() -> Iterator[docker.DockerClient]:
    """The Docker SDK client of the local engine (DOCKER_HOST or /var/run/docker.sock)."""
    problem = None
    try:
        client = docker.from_env(timeout=ENGINE_TIMEOUT_S)
        client.ping()
    except Exception as exc:  # any way of not answering: no socket, refused, timeout
        problem = f"no Docker engine answers: {exc}"
    if problem is not None:
        if in_ci():
            pytest.fail(f"{problem} (CI starts one with scripts/start-dockerd)", pytrace=False)
        pytest.skip(f"{problem} (start one with scripts/start-dockerd)")
    yield client
    client.close()


@pytest.fixture(scope="session")
def test_images(engine: docker.DockerClient) -> dict[str, str]:
    """Names of the local test images, made or brought up to date by tests/images/build.

    The script returns at once when every image exists and was made by its current recipe.
    """
    try:
        proc = subprocess.run(
            [str(BUILD_IMAGES)],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{BUILD_IMAGES} did not finish in {exc.timeout} s", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(
            f"{BUILD_IMAGES} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}",
            pytrace=False,
        )
    for ref in TEST_IMAGES.values():
        try:
            engine.images.get(ref)
        except docker.errors.ImageNotFound:
            pytest.fail(f"{BUILD_IMAGES} did not make {ref}:\n{proc.stdout}", pytrace=False)
    return dict(TEST_IMAGES)


class Containers:
    """Creates containers labelled for the tests and removes exactly those at cleanup."""

    def __init__(self, client: docker.DockerClient, name_prefix: str) -> None:
        self.client = client
        self.name_prefix = name_prefix
        self.made: list[Container] = []

    def make(
        self,
        image: str,
        *,
        name: Optional[str] = None,
        command: Optional[list[str]] = None,
        entrypoint: Optional[list[str]] = None,
        start: bool = True,
        labels: Optional[dict[str, str]] = None,
        **kwargs: Any,
    ) -> Container:
        """Create (and by default start) a container; `name` defaults to a unique one.

        Other keyword arguments go to `client.containers.create` as they are.
        """
        container = self.client.containers.create(
            image,
            command=command,
            entrypoint=entrypoint,
            name=name or unique_container_name(self.name_prefix),
            labels={TEST_LABEL: "1", f"{TEST_LABEL}.run": RUN_ID, **(labels or {})},
            **kwargs,
        )
        self.made.append(container)
        if start:
            container.start()
            container.reload()
        return container

    def cleanup(self) -> None:
        for container in reversed(self.made):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)
        self.made.clear()


MakeContainer = Callable[..., Container]


@pytest.fixture
def make_container(
    engine: docker.DockerClient, request: pytest.FixtureRequest
) -> Iterator[MakeContainer]:
    """`make_container(image, name=None, command=None, entrypoint=None, start=True, **kw)`.

    The containers it made are removed (with their anonymous volumes) after the test.
    """
    containers = Containers(engine, f"rtc-{request.node.name}")
    yield containers.make
    containers.cleanup()


@pytest.fixture(scope="module")
def make_module_container(
    engine: docker.DockerClient, request: pytest.FixtureRequest
) -> Iterator[MakeContainer]:
    """Like `make_container`, for containers shared by the tests of one module."""
    containers = Containers(engine, f"rtc-{request.module.__name__}")
    yield containers.make
    containers.cleanup()


@pytest.fixture(scope="session")
def kb() -> Any:
    """The packaged knowledge base."""
    from runtimecheck import knowledge

    return knowledge.load()


@pytest.fixture(scope="session")
def docker_cli() -> str:
    """The docker CLI on PATH (the one users run; CI has it)."""
    import shutil

    found = shutil.which("docker")
    if not found:
        if in_ci():
            pytest.fail("the docker CLI is not on PATH", pytrace=False)
        pytest.skip("the docker CLI is not on PATH")
    return found


@pytest.fixture(scope="session")
def zipapp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/docker-runtimecheck as `make dist` builds it, built once per run into a temp dir."""
    import sys

    target = tmp_path_factory.mktemp("dist") / "docker-runtimecheck"
    build = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build-zipapp"), "--output", str(target)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    return target


@pytest.fixture(scope="session")
def zipapp_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment to run the zipapp in: a private extraction root, no inherited plugin socket."""
    env = dict(os.environ)
    env["SHIV_ROOT"] = str(tmp_path_factory.mktemp("shiv-root"))
    for name in (
        "DOCKER_CLI_PLUGIN_SOCKET",
        "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND",
        "RUNTIMECHECK_PYTHON",
    ):
        env.pop(name, None)
    if COVERAGE_HOOK:
        # The zipapp's launcher starts its unpacked tree with `python -I -S`; under `make
        # coverage` it is given a python that keeps site, where coverage's start-up hook is.
        python = tmp_path_factory.mktemp("coverage-python") / "python3"
        python.write_text(
            "#!/bin/sh\n"
            f'if [ "$1" = -I ] && [ "$2" = -S ]; then shift 2; exec {shlex.quote(sys.executable)} -I "$@"; fi\n'
            f'exec {shlex.quote(sys.executable)} "$@"\n'
        )
        python.chmod(0o755)
        env["RUNTIMECHECK_PYTHON"] = str(python)
    return env


RECORDER = REPO / "tests" / "fixtures" / "docker-buildx-recorder"

# `make coverage` (COVERAGE_PROCESS_START set): a python started without site (-S) never runs
# coverage's start-up hook, so the test launcher starts coverage itself, unless the run
# measures its own imports (RTC_PYFLAGS), which coverage's would distort. Outside `make
# coverage` the launcher is the plain start.
COVERAGE_HOOK = (
    "import os; os.environ.get('RTC_PYFLAGS') or __import__('coverage').process_startup(); "
    if os.environ.get("COVERAGE_PROCESS_START")
    else ""
)


class DockerConfigDir:
    """A temporary DOCKER_CONFIG with the recording buildx and this plugin (from source)."""

    def __init__(self, root: Path, docker: str) -> None:
        self.docker = docker
        self.dir = root / "docker-config"
        self.log = root / "recorder.jsonl"
        self.containers: list[str] = []  # builder containers to remove afterwards
        self.cache = root / "cache"
        plugins = self.dir / "cli-plugins"
        plugins.mkdir(parents=True)
        recorder = RECORDER.read_text().split("\n", 1)[1]
        buildx = plugins / "docker-buildx"
        buildx.write_text(f"#!{sys.executable}\n{recorder}")
        buildx.chmod(0o755)
        self.plugin = plugins / "docker-runtimecheck"
        # Started as the zipapp's launcher starts it (isolated, no site), so that what the
        # warm path imports is the plugin's doing alone; RTC_PYFLAGS lets a test add
        # -X importtime.
        start = (
            "import sys; sys.path.insert(0, sys.argv.pop(1)); sys.path.append(sys.argv.pop(1)); "
            f"{COVERAGE_HOOK}from runtimecheck.__main__ import main; sys.exit(main())"
        )
        site = sysconfig.get_paths()["purelib"]
        self.plugin.write_text(
            f"#!/bin/sh\nexec {shlex.quote(sys.executable)} $RTC_PYFLAGS -I -S -c "
            f'{shlex.quote(start)} {shlex.quote(str(REPO / "plugin"))} {shlex.quote(site)} "$@"\n'
        )
        self.plugin.chmod(0o755)

    def add_builder(self, make_container: MakeContainer, image: str, *, start: bool = True,
                    create: bool = True, flags: Optional[list[str]] = None,
                    **container: Any) -> str:  # fmt: skip
        """A docker-container builder in the store and (unless not `create`d) its buildkitd
        container `buildx_buildkit_<name>0` made from `image` as buildx makes it (`container`:
        more settings for it, as `make_container` takes them)."""
        name = f"rtc{uuid.uuid4().hex[:10]}"
        node = f"{name}0"
        self.containers.append(f"buildx_buildkit_{node}")
        endpoint = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        instances = self.dir / "buildx" / "instances"
        instances.mkdir(parents=True, exist_ok=True)
        stored = {"Name": node, "Endpoint": endpoint, "Platforms": None,
                  "DriverOpts": {"image": image}, "Flags": flags, "Files": None}  # fmt: skip
        (instances / name).write_text(
            json.dumps(
                {"Name": name, "Driver": "docker-container", "Nodes": [stored], "Dynamic": False}
            )
        )
        if create:
            make_container(image, name=f"buildx_buildkit_{node}", command=flags or None,
                           start=start, init=True, **container)  # fmt: skip
        return name

    def run(self, *args: str, stdin: bytes = b"", **env: str) -> subprocess.CompletedProcess:
        full_env = {
            **os.environ,
            "RECORDER_LOG": str(self.log),
            "XDG_CACHE_HOME": str(self.cache),
            **env,
        }
        for name in ("BUILDX_BUILDER", "DOCKER_CONFIG", "RUNTIMECHECK_SKIP"):
            if name not in env:
                full_env.pop(name, None)
        return subprocess.run(
            [self.docker, "--config", str(self.dir), *args],
            input=stdin,
            capture_output=True,
            timeout=180,
            env=full_env,
            check=False,
        )

    def records(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def dockerconfig(tmp_path: Path, docker_cli: str) -> Iterator[DockerConfigDir]:
    """A temporary DOCKER_CONFIG with the recording buildx and this plugin (from source).

    Builder containers of the builders it added, also those the stand-in buildx booted,
    are removed afterwards.
    """
    config = DockerConfigDir(tmp_path, docker_cli)
    yield config
    if config.containers:
        subprocess.run(
            [docker_cli, "rm", "-f", "-v", *config.containers], capture_output=True, timeout=120
        )


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A temp dir of its own for a probe (it makes its private directory there), to show it
    leaves nothing behind."""
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    yield d
    assert list(d.iterdir()) == []
