"""The CLI hook: a hint only when the error is ours to explain; never a failure."""

from __future__ import annotations

import json
import os

import pytest

from runtimecheck.commands import Context
from runtimecheck.commands.hooks import run as run_hook
from runtimecheck.dockercli import GlobalOptions
from support.processes import entry_point

KEEP_ERROR = (
    'ERROR: failed to solve: process "/bin/sh -c true" did not complete successfully: '
    "crun: run: unrecognized option '--keep'"
)


def request(root: str = "buildx build", error: str = "") -> str:
    return json.dumps({"RootCmd": root, "Flags": {"t": ""}, "CommandError": error})


def answer(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = run_hook(Context(GlobalOptions(as_plugin=True)), list(args))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("root", ["build", "buildx build"])
def test_a_keep_rejection_gets_a_hint_pointing_to_the_check(
    capsys: pytest.CaptureFixture[str], root: str
) -> None:
    code, out = answer(capsys, request(root, KEEP_ERROR))
    assert code == 0
    message = json.loads(out)
    assert message["Type"] == 0
    assert "docker runtimecheck" in message["Template"]
    assert "{{" not in message["Template"]  # the CLI runs it as a Go template


@pytest.mark.parametrize(
    "payload",
    [
        request("buildx build", ""),  # what the CLI sends after a successful plugin command
        request("buildx build", "failed to solve: no space left on device"),
        request("image ls", KEEP_ERROR),
        "{not json",
        "[]",
        json.dumps({"RootCmd": 3, "CommandError": None}),
    ],
)
def test_otherwise_it_prints_nothing_and_succeeds(
    capsys: pytest.CaptureFixture[str], payload: str
) -> None:
    assert answer(capsys, payload) == (0, "")


def test_no_argument_at_all_is_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    assert answer(capsys) == (0, "")


def test_the_hook_subcommand_answers_through_the_entry_point() -> None:
    proc = entry_point("runtimecheck", "docker-cli-plugin-hooks", request("build", KEEP_ERROR),
                       timeout=60, env={**os.environ, "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND": "docker"})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "docker runtimecheck" in json.loads(proc.stdout)["Template"]
