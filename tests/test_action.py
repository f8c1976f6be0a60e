"""The GitHub Action: action.yml's steps run scripts/github-action; here that script installs
the plugin from this checkout with pip and checks real builders through the real docker CLI
(GitHub itself is not reachable: the runner's files are temporary files here)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import REPO, DockerConfigDir
from support.sarif import assert_valid_sarif

SCRIPT = REPO / "scripts" / "github-action"

pytestmark = [pytest.mark.slow, pytest.mark.engine]


def action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text())


def test_the_action_is_composite_and_every_input_reaches_the_script() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    steps = spec["runs"]["steps"]
    assert [s["run"] for s in steps] == [
        '"$GITHUB_ACTION_PATH/scripts/github-action" install',
        '"$GITHUB_ACTION_PATH/scripts/github-action" check',
    ]
    script = SCRIPT.read_text()
    passed = {}
    for step in steps:
        assert step["shell"] == "bash"
        for name, value in step.get("env", {}).items():
            passed[name] = value
            assert f"INPUT_{name[6:]}" in script, f"{name} is passed but never read"
    for name in spec["inputs"]:
        env = "INPUT_" + name.upper().replace("-", "_")
        assert passed.get(env) == f"${{{{ inputs.{name} }}}}", (
            f"input {name} never reaches the script"
        )
    for name, out in spec["outputs"].items():
        assert out["value"] == f"${{{{ steps.check.outputs.{name} }}}}"
        assert f"output {name} " in script


class Runner:
    """A job's temporary directory, output files and environment, and this checkout."""

    def __init__(self, root: Path, config: DockerConfigDir) -> None:
        self.root = root
        self.config = config
        self.temp = root / "runner-temp"
        self.temp.mkdir()
        self.work = root / "workspace"
        self.work.mkdir()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("INPUT_", "GITHUB_", "BUILDX_", "RUNTIMECHECK_"))}  # fmt: skip
        self.env.update(
            RUNNER_TEMP=str(self.temp),
            DOCKER_CONFIG=str(config.dir),
            XDG_CACHE_HOME=str(config.cache),
            RECORDER_LOG=str(config.log),
            GITHUB_ACTION_PATH=str(REPO),
        )

    def run(self, step: str, **inputs: str) -> tuple[subprocess.CompletedProcess, dict, str]:
        outputs, summary = self.root / "github-output", self.root / "step-summary"
        for f in (outputs, summary):
            f.write_text("")
        env = dict(self.env, GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary))
        env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
        done = subprocess.run([str(SCRIPT), step], cwd=self.work, env=env, capture_output=True,
                              text=True, timeout=600, check=False)  # fmt: skip
        said = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
        return done, said, summary.read_text()


@pytest.fixture(scope="module")
def runner(tmp_path_factory, docker_cli, test_images, make_module_container) -> Iterator[Runner]:
    root = tmp_path_factory.mktemp("action")
    config = DockerConfigDir(root, docker_cli)
    r = Runner(root, config)
    r.blocked = config.add_builder(make_module_container, test_images["crun_as_runc"])
    r.passing = config.add_builder(make_module_container, test_images["buildkit_v0_12"])
    r.stopped = config.add_builder(None, test_images["crun_as_runc"], create=False)
    done, _, _ = r.run("install", python="python3")
    assert done.returncode == 0, done.stderr[-3000:]
    r.installed = done
    yield r
    # Whatever a check booted through the stand-in buildx.
    subprocess.run([docker_cli, "rm", "-f", "-v", *config.containers], capture_output=True,
                   timeout=120, check=False)  # fmt: skip


def test_install_puts_the_pip_installed_plugin_under_docker(runner: Runner) -> None:
    assert runner.installed.stdout.startswith("docker-runtimecheck version ")
    plugin = (runner.config.dir / "cli-plugins" / "docker-runtimecheck").read_text()
    assert str(runner.temp / "docker-runtimecheck-venv") in plugin  # not the source tree's


def test_a_blocked_builder_fails_the_step_with_annotations_and_sarif(runner: Runner) -> None:
    done, said, summary = runner.run("check", builder=runner.blocked, formats="github,sarif")
    assert done.returncode == 1, done.stderr
    assert "::error " in done.stdout and "run --keep" in done.stdout
    sarif = json.loads((runner.work / "runtimecheck.sarif").read_text())
    assert_valid_sarif(sarif)
    assert sarif["runs"][0]["results"][0]["ruleId"] == "run-keep"
    assert said == {"verdict": "block", "exit-code": "1", "sarif-file": "runtimecheck.sarif"}
    assert summary.startswith("### docker runtimecheck: block")
    assert "rejects `run --keep`" in summary


def test_fail_on_never_lets_the_step_pass_and_still_reports(runner: Runner) -> None:
    done, said, _ = runner.run("check", builder=runner.blocked, fail_on="never", formats="json",
                               json_file="out.json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # no format for the log: quiet
    assert json.loads((runner.work / "out.json").read_text())["verdict"] == "block"
    assert said["verdict"] == "block" and "sarif-file" not in said


def test_ignored_checks_are_passed_one_by_one(runner: Runner) -> None:
    done, said, _ = runner.run("check", builder=runner.blocked, ignore="run-*,\nexec-pid-file")
    assert done.returncode == 0, done.stderr
    assert said["verdict"] == "pass"
    assert "::notice " in done.stdout  # the ignored check is still shown


def test_a_passing_builder_passes(runner: Runner) -> None:
    done, said, _ = runner.run("check", builder=runner.passing, formats="text")
    assert done.returncode == 0, done.stderr
    assert "verdict: ✓ pass" in done.stdout or "verdict: + pass" in done.stdout
    assert said["verdict"] == "pass"


def test_a_builder_that_cannot_be_checked_fails_whatever_fail_on_says(runner: Runner) -> None:
    done, said, _ = runner.run("check", builder=runner.stopped, fail_on="never", bootstrap="false")
    assert done.returncode == 3, done.stderr
    assert said == {"verdict": "unknown", "exit-code": "3", "sarif-file": "runtimecheck.sarif"}


def test_a_builder_that_does_not_exist_is_a_usage_error(runner: Runner) -> None:
    done, said, _ = runner.run("check", builder="no-such-builder", fail_on="never")
    assert done.returncode == 2, done.stderr
    assert "no builder 'no-such-builder' found" in done.stderr
    assert said["exit-code"] == "2"


@pytest.mark.parametrize("inputs", [{"formats": "github,xml"}, {"bootstrap": "yes"},
                                    {"fail_on": "sometimes"}, {"ignore": "no-such-check"}])  # fmt: skip
def test_a_bad_input_is_a_usage_error(runner: Runner, inputs: dict) -> None:
    done, _, _ = runner.run("check", builder=runner.passing, **inputs)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip()
