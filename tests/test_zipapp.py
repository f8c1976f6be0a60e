"""The shipped file: one reproducible, pure-Python zipapp that runs on CPython 3.9–3.13."""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

import runtimecheck
from support.processes import run

ROOT = Path(__file__).resolve().parent.parent
PYENV = Path.home() / ".pyenv" / "versions"


def interpreters() -> list[str]:
    """One working interpreter per CPython 3.9+ minor version on this machine."""
    by_version: dict[str, str] = {}
    for minor in range(9, 14):
        candidates = sorted(str(p) for p in PYENV.glob(f"3.{minor}.*/bin/python3.{minor}"))
        candidates.append(f"/usr/bin/python3.{minor}")
        for candidate in candidates:
            try:
                answer = run(
                    [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                    timeout=30,
                )
            except OSError:
                continue
            if answer.returncode == 0:
                by_version.setdefault(answer.stdout.strip(), candidate)
                break
    return [by_version[v] for v in sorted(by_version)]


def test_at_least_two_cpython_versions_to_run_the_zipapp_on():
    assert len(interpreters()) >= 2, interpreters()


pytestmark = pytest.mark.slow


def test_metadata_is_exactly_the_plugin_json(zipapp, zipapp_env):
    expected = {
        "SchemaVersion": "0.1.0",
        "Vendor": "docker-runtimecheck",
        "Version": runtimecheck.__version__,
        "ShortDescription": "Check that a builder's OCI runtime accepts what its BuildKit sends",
        "URL": "https://github.com/docker-runtimecheck/docker-runtimecheck",
    }
    direct = run([str(zipapp), "docker-cli-plugin-metadata"], env=zipapp_env)
    through_python = run(
        [sys.executable, str(zipapp), "docker-cli-plugin-metadata"], env=zipapp_env
    )
    for answer in (direct, through_python):
        assert answer.returncode == 0
        assert answer.stderr == ""
        assert json.loads(answer.stdout) == expected
        assert answer.stdout.count("\n") == 1


def test_no_compiled_extension_module_inside(zipapp):
    with zipfile.ZipFile(zipapp) as archive:
        names = archive.namelist()
    assert any(n.endswith("runtimecheck/__main__.py") for n in names)
    assert any(n.endswith("runtimecheck/metadata/buildkit.toml") for n in names)
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib"))]


def test_two_builds_of_the_same_tree_are_byte_identical(zipapp, tmp_path):
    again = tmp_path / "docker-runtimecheck"
    build = run([sys.executable, str(ROOT / "scripts" / "build-zipapp"), "--output", str(again)])
    assert build.returncode == 0, build.stderr
    assert again.read_bytes() == zipapp.read_bytes()


@pytest.mark.parametrize("python", interpreters())
def test_runs_on_every_cpython(zipapp, zipapp_env, python):
    env = dict(zipapp_env, RUNTIMECHECK_PYTHON=python)
    version = run([str(zipapp), "--version"], env=env)
    assert version.returncode == 0, version.stderr
    expected = f"version {runtimecheck.__version__} (knowledge of {runtimecheck.metadata_date()})"
    assert version.stdout.strip() == f"docker-runtimecheck {expected}"
    # The knowledge base (TOML: tomllib or the bundled tomli) and typer load on this Python.
    rules = run([python, str(zipapp), "rules", "--format", "json"], env=env)
    assert rules.returncode == 0, rules.stderr
    invocations = json.loads(rules.stdout)["buildkit"]["invocations"]
    assert "run-keep" in {i["id"] for i in invocations}


@pytest.mark.skipif(not shutil.which("crun"), reason="needs Debian's crun")
def test_zipapp_probe_blocks_debian_crun(zipapp, zipapp_env):
    answer = run([str(zipapp), "probe", shutil.which("crun"), "--format", "json"], env=zipapp_env)
    assert answer.returncode == 1, answer.stderr
    report = json.loads(answer.stdout)
    assert report["verdict"] == "block"
    keep = [c for c in report["checks"] if c["invocation"] == "run --keep"]
    assert keep and keep[0]["status"] == "rejected"


def test_starts_when_home_is_not_writable(zipapp, tmp_path):
    # HOME is a regular file, so ~/.shiv can never be made (root ignores permission bits).
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "TMPDIR": str(tmpdir)}
    answer = run([str(zipapp), "--version"], env=env)
    assert answer.returncode == 0, answer.stderr
    assert runtimecheck.__version__ in answer.stdout
    assert [p.name for p in tmpdir.iterdir()] == [f"docker-runtimecheck-{os.getuid()}"]


def test_usage_error_is_one_line_and_exit_2(zipapp, zipapp_env):
    answer = run([str(zipapp), "--no-such-flag"], env=zipapp_env)
    assert answer.returncode == 2
    assert answer.stdout == ""
    assert "Traceback" not in answer.stderr
    assert len(answer.stderr.strip().splitlines()) == 1
    assert "--no-such-flag" in answer.stderr


def test_pip_install_provides_the_command_with_its_knowledge(tmp_path):
    """A plain (non-editable) `pip install .`: the console script and the metadata/ data."""
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    installed = run([venv / "bin" / "pip", "install", "--quiet", ROOT], timeout=600)
    assert installed.returncode == 0, installed.stderr[-2000:]
    command = venv / "bin" / "docker-runtimecheck"
    version = run([str(command), "--version"])
    expected = f"version {runtimecheck.__version__} (knowledge of {runtimecheck.metadata_date()})"
    assert version.stdout.strip() == f"docker-runtimecheck {expected}"
    metadata = run([str(command), "docker-cli-plugin-metadata"])
    assert json.loads(metadata.stdout)["Version"] == runtimecheck.__version__
    rules = run([str(command), "rules", "--format", "json"], cwd=str(tmp_path))
    assert rules.returncode == 0, rules.stderr
    assert "run-keep" in rules.stdout
