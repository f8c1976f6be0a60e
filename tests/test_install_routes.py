"""Installing, as users do it, never breaks docker: the zipapp and pip routes on the real CLI.

Each route runs in a fresh DOCKER_CONFIG against the real docker CLI and engine: plugin file
→ run once → `docker runtimecheck install --alias-build` → the plugin still answers →
`docker build` through the preflight → `docker builder …` exactly as without the alias →
`docker runtimecheck uninstall` → config.json byte for byte as before.

Debian 12 packages no buildx, so `tests/fixtures/docker-buildx-recorder` plays it: it
records what it is handed and has the engine's classic builder do the build for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support import processes

ROOT = Path(__file__).resolve().parent.parent
RECORDER = ROOT / "tests" / "fixtures" / "docker-buildx-recorder"
LOWEST = ROOT / "requirements" / "lowest.txt"
PYTHON39 = sorted(Path.home().glob(".pyenv/versions/3.9.*/bin/python3.9"))
SKIP_LINE = "--skip-runtimecheck"
OUTPUT_LINE = "--runtimecheck-output FORMAT=FILE"

# docker's own layout: tab indent, Go's escapes of < > &, no final newline.
DOCKER_WRITTEN = (
    b'{\n\t"auths": {\n\t\t"registry.example": {\n\t\t\t"auth": "dXNlcjpwYXNz"\n\t\t}\n\t},\n'
    b'\t"psFormat": "table {{.ID}}\\u003c\\u003e",\n\t"features": {\n'
    b'\t\t"containerd-snapshotter": "true"\n\t}\n}'
)

pytestmark = [pytest.mark.slow, pytest.mark.engine]


def run(argv: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return processes.run(argv, timeout=300, env=env, **kw)


class Route:
    """One way users get the plugin: the zipapp file, or `pip install .` (newest or lowest)."""

    def __init__(self, name: str, root: Path, zipapp: Path) -> None:
        self.name = name
        self.zipapp = zipapp
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DOCKER_", "BUILDX_", "RUNTIMECHECK_"))
        }
        self.env["SHIV_ROOT"] = str(root / "shiv")
        self.env["XDG_CACHE_HOME"] = str(root / "cache")
        self.env["DOCKER_HOST"] = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        self.command: Path | None = None
        if name != "zipapp":
            venv = root / "venv"
            python = str(PYTHON39[0]) if name == "pip-lowest" else sys.executable
            made = run([python, "-m", "venv", str(venv)], self.env)
            assert made.returncode == 0, made.stderr
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
            if name == "pip-lowest":
                pip += ["-c", str(LOWEST)]
            done = run([*pip, str(ROOT)], self.env)
            assert done.returncode == 0, done.stderr[-3000:]
            self.command = venv / "bin" / "docker-runtimecheck"
            self.freeze = run([str(venv / "bin" / "python"), "-m", "pip", "freeze"], self.env)

    def put_plugin(self, config: Path) -> None:
        """Put the plugin where the user would, and run it once (the zipapp unpacks)."""
        env = dict(self.env, DOCKER_CONFIG=str(config))
        if self.command is None:
            plugins = config / "cli-plugins"
            plugins.mkdir(exist_ok=True)
            shutil.copy2(self.zipapp, plugins / "docker-runtimecheck")
        else:
            done = run([str(self.command), "install"], env)
            assert done.returncode == 0, done.stderr
        done = run(["docker", "runtimecheck", "--version"], env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("docker-runtimecheck version ")


@pytest.fixture(scope="module", params=["zipapp", "pip-newest", "pip-lowest"])
def route(request, zipapp, tmp_path_factory, docker_cli) -> Route:
    if request.param == "pip-lowest" and not PYTHON39:
        pytest.fail("CPython 3.9 is needed for the lowest-versions route (pyenv)")
    return Route(request.param, tmp_path_factory.mktemp(request.param), zipapp)


class Config:
    """A fresh DOCKER_CONFIG with the recording buildx in it."""

    def __init__(self, route: Route, root: Path, content: bytes | None) -> None:
        self.route = route
        self.dir = root / "docker-config"
        self.log = root / "recorder.jsonl"
        plugins = self.dir / "cli-plugins"
        plugins.mkdir(parents=True)
        buildx = plugins / "docker-buildx"
        buildx.write_text(f"#!{sys.executable}\n" + RECORDER.read_text().split("\n", 1)[1])
        buildx.chmod(0o755)
        self.config = self.dir / "config.json"
        if content is not None:
            self.config.write_bytes(content)
            self.config.chmod(0o600)
        self.env = dict(route.env, DOCKER_CONFIG=str(self.dir), RECORDER_LOG=str(self.log))

    def docker(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return run(["docker", *args], dict(self.env, **env))

    def records(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def snapshot(self) -> bytes | None:
        return self.config.read_bytes() if self.config.exists() else None


def one_line_usage_error(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 2, (done.args, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, (done.args, done.stderr)


@pytest.mark.parametrize("content", [DOCKER_WRITTEN, None], ids=["docker-written", "absent"])
def test_install_alias_build_and_uninstall_leave_docker_as_it_was(
    route: Route, tmp_path: Path, content: bytes | None, test_images, engine
) -> None:
    cfg = Config(route, tmp_path, content)
    without = {args: cfg.docker(*args) for args in (("builder", "ls"), ("builder", "--help"))}
    recorded_without = [r["argv"] for r in cfg.records()]
    build_help_without = cfg.docker("buildx", "build", "--help")
    cfg.log.unlink()

    route.put_plugin(cfg.dir)
    done = cfg.docker("runtimecheck", "install", "--alias-build")
    assert done.returncode == 0, done.stderr
    assert json.loads(cfg.config.read_bytes())["aliases"] == {"builder": "runtimecheck"}
    version = cfg.docker("runtimecheck", "--version")
    assert version.returncode == 0 and version.stdout.startswith("docker-runtimecheck version")

    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {test_images['runtimes']}\nCOPY hello /hello\nRUN cat /hello\n"
    )
    (context / "hello").write_text("hello\n")
    tag = f"runtimecheck-test/built:{uuid.uuid4().hex[:12]}"
    try:
        built = cfg.docker("build", "-t", tag, str(context), RECORDER_BUILD="1")
        assert built.returncode == 0, built.stderr
        assert "runtime check" not in built.stderr or "refused" not in built.stderr
        image = engine.images.get(tag)
        assert image.attrs["Config"]["Image"] or image.id
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=60)
    [handed] = cfg.records()
    assert handed["argv"] == ["buildx", "build", "-t", tag, str(context)]
    # As without the alias: `docker build` builds on the current context's builder.
    assert handed["env"]["BUILDX_BUILDER"] == "default"
    cfg.log.unlink()

    for args, before in without.items():
        after = cfg.docker(*args)
        assert (after.returncode, after.stdout, after.stderr) == (
            before.returncode,
            before.stdout,
            before.stderr,
        ), args
    assert [r["argv"] for r in cfg.records()] == recorded_without
    build_help = cfg.docker("build", "--help")
    assert build_help.returncode == 0, build_help.stderr
    assert build_help.stdout.startswith(build_help_without.stdout)
    extra = build_help.stdout[len(build_help_without.stdout) :].splitlines()
    # buildx's help, then only our own flags.
    assert SKIP_LINE in extra[0] and OUTPUT_LINE in extra[1]
    assert all(line.startswith("      ") for line in extra)

    done = cfg.docker("runtimecheck", "uninstall")
    assert done.returncode == 0, done.stderr
    assert cfg.snapshot() == content
    assert sorted(p.name for p in cfg.dir.iterdir()) == (
        ["cli-plugins", "config.json"] if content is not None else ["cli-plugins"]
    )
    assert [p.name for p in (cfg.dir / "cli-plugins").iterdir()] == ["docker-buildx"]


USAGE_ERRORS = [
    ["runtimecheck", "--nosuch"],
    ["runtimecheck", "--format", "bogus"],
    ["runtimecheck", "--builder", "a", "--all"],
    ["runtimecheck", "--builder", "nosuch"],
    ["--context", "nosuch", "runtimecheck"],
    ["runtimecheck", "probe"],
    ["runtimecheck", "install", "--nosuch"],
]


def test_usage_errors_are_one_line_and_exit_2(route: Route, tmp_path: Path) -> None:
    cfg = Config(route, tmp_path, None)
    route.put_plugin(cfg.dir)
    for args in USAGE_ERRORS:
        one_line_usage_error(cfg.docker(*args))


def test_a_malformed_config_is_a_usage_error(route: Route, tmp_path: Path) -> None:
    cfg = Config(route, tmp_path, None)
    route.put_plugin(cfg.dir)
    cfg.config.write_text('{"auths": {')
    # The docker CLI itself refuses the file before it runs any plugin; run the plugin file.
    plugin = cfg.dir / "cli-plugins" / "docker-runtimecheck"
    done = run([str(plugin), "install", "--alias-build"], cfg.env)
    one_line_usage_error(done)
    assert cfg.config.read_text() == '{"auths": {'


def test_the_versions_each_route_really_runs(route: Route) -> None:
    if route.command is None:
        pinned = (ROOT / "requirements" / "zipapp.txt").read_text()
        assert "typer-slim==" in pinned and "rich" not in pinned
        return
    frozen = route.freeze.stdout
    assert "typer-slim==" in frozen and "rich==" not in frozen
    if route.name == "pip-lowest":
        for line in LOWEST.read_text().splitlines():
            if line and not line.startswith("#"):
                assert line in frozen.splitlines(), (line, frozen)


def test_version_ranges_admit_pre_releases_with_the_packaging_each_route_runs(
    route: Route, tmp_path: Path
) -> None:
    # in_range asks packaging to admit pre-releases: packaging 22 (the lowest allowed) would
    # leave 1.16-rc1 out of `>=0.2` by default, and newer ones admit it.
    code = (
        "from packaging.specifiers import SpecifierSet\n"
        "from runtimecheck.knowledge import in_range, parse_version\n"
        "print(in_range(parse_version('1.16-rc1'), SpecifierSet('>=0.2')))\n"
    )
    if route.command is None:
        (tmp_path / "docker-config").mkdir()
        route.put_plugin(tmp_path / "docker-config")  # the first run unpacks the zipapp
        [site] = Path(route.env["SHIV_ROOT"]).glob("*/site-packages")
        done = run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(site)!r}]\n"
                    + code], route.env)  # fmt: skip
    else:
        done = run([str(route.command.parent / "python"), "-I", "-c", code], route.env)
    assert (done.returncode, done.stdout) == (0, "True\n"), done.stderr


def test_parallel_installs_and_uninstalls_keep_config_and_record_whole(
    zipapp: Path, tmp_path: Path, docker_cli
) -> None:
    route = Route("zipapp", tmp_path, zipapp)
    cfg = Config(route, tmp_path, DOCKER_WRITTEN)
    route.put_plugin(cfg.dir)  # unpacked once, so that the runs below race on config alone
    plugin = str(cfg.dir / "cli-plugins" / "docker-runtimecheck")

    def call(*args: str) -> subprocess.CompletedProcess:
        return run([str(zipapp), *args], cfg.env)

    kinds = [["install", "--alias-build"], ["install", "--hooks"], ["uninstall"]]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda i: call(*kinds[i % 3]), range(18)))
    assert [r.returncode for r in results] == [0] * 18, [
        (r.returncode, r.stdout, r.stderr) for r in results
    ]
    done = call("uninstall")
    assert done.returncode == 0, done.stderr
    assert cfg.snapshot() == DOCKER_WRITTEN
    assert sorted(p.name for p in cfg.dir.iterdir()) == ["cli-plugins", "config.json"]

    # Installs of both kinds side by side: every key they set is recorded, so uninstall
    # takes every one back.
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda i: call(*kinds[i % 2]), range(12)))
    assert [r.returncode for r in results] == [0] * 12, [
        (r.returncode, r.stdout, r.stderr) for r in results
    ]
    record = json.loads((cfg.dir / "runtimecheck" / "install.json").read_text())
    assert set(record["changes"]) == {"aliases.builder", "plugins.runtimecheck.hooks",
                                      "features.hooks"}  # fmt: skip
    assert Path(plugin).is_file()
    done = call("uninstall")
    assert done.returncode == 0, done.stderr
    assert cfg.snapshot() == DOCKER_WRITTEN
    assert not Path(plugin).exists()


def readme_repair_command() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("### If `docker build` stops working", 1)[1]
    return section.split("```sh\n", 1)[1].split("\n```", 1)[0]


def test_the_readme_command_repairs_docker_build_when_the_plugin_file_is_gone(
    tmp_path: Path, docker_cli: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "BUILDX_"))}
    env["DOCKER_HOST"] = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    config_dir = tmp_path / "docker-config"
    plugins = config_dir / "cli-plugins"
    plugins.mkdir(parents=True)
    buildx = plugins / "docker-buildx"
    buildx.write_text(f"#!{sys.executable}\n" + RECORDER.read_text().split("\n", 1)[1])
    buildx.chmod(0o755)
    user = {"auths": {"registry.example": {}}, "aliases": {"builder": "runtimecheck"}}
    (config_dir / "config.json").write_text(json.dumps(user, indent="\t"))
    env.update(DOCKER_CONFIG=str(config_dir), RECORDER_LOG=str(tmp_path / "log"))

    broken = run(["docker", "build", str(tmp_path)], env)
    assert broken.returncode != 0
    assert "buildx component is missing or broken" in broken.stderr

    repaired = run(["sh", "-c", readme_repair_command()], env)
    assert repaired.returncode == 0, repaired.stderr
    assert json.loads((config_dir / "config.json").read_text()) == {
        "auths": {"registry.example": {}},
        "aliases": {},
    }
    works = run(["docker", "build", str(tmp_path)], env)
    assert works.returncode == 0, works.stderr
    assert works.stdout == "recorder: handed over\n"

    # Another plugin's alias is not the command's business.
    other = {"aliases": {"builder": "buildx"}}
    (config_dir / "config.json").write_text(json.dumps(other))
    assert run(["sh", "-c", readme_repair_command()], env).returncode == 0
    assert json.loads((config_dir / "config.json").read_text()) == other
