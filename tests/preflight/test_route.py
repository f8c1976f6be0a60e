"""Which docker command brought the plugin here, under the `builder` alias and without it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from runtimecheck.dockercli import GlobalOptions
from runtimecheck.preflight import route

# docker/cli v29.6.2 cli-plugins/manager/cobra_test.go: the attribute the CLI hands its
# plugins, appended to what the user's environment already says.
FROM_THE_CLI = "a.b.c=foo,docker.cli.cobra.command_path=docker%20compose"


@pytest.mark.parametrize(
    ("attributes", "path"),
    [
        ("", None),
        ("a.b.c=foo", None),
        (FROM_THE_CLI, "docker compose"),
        ("docker.cli.cobra.command_path=docker%20builder", "docker builder"),
        (" docker.cli.cobra.command_path = docker%20image%20build ;meta", "docker image build"),
        ("docker.cli.cobra.command_path=docker,docker.cli.cobra.command_path=docker%20builder",
         "docker builder"),  # the last one counts
        ("docker.cli.cobra.command_path", None),
        ("docker.cli.cobra.command_path=a%2", "a%2"),  # cut short: kept as it is
        ("docker.cli.cobra.command_path=a%zzb", "a%zzb"),  # not hexadecimal: kept as it is
        ("docker.cli.cobra.command_path=caf%C3%A9", "café"),
    ],
)  # fmt: skip
def test_the_command_path_from_the_cli_s_telemetry_attributes(
    attributes: str, path: str | None
) -> None:
    assert route.command_path(attributes) == path


@pytest.mark.parametrize(
    ("path", "via"),
    [
        ("docker builder", route.BUILDER),
        ("docker", route.TOP_LEVEL),  # `docker build` through the alias
        ("docker image", route.TOP_LEVEL),  # `docker image build`
        ("docker runtimecheck", route.DIRECT),
        ("docker buildx", route.DIRECT),
    ],
)
def test_what_each_command_path_means(path: str, via: str) -> None:
    assert route.from_command_path(path) == via
    env = {route.ATTRIBUTES_ENV: f"{route.COMMAND_PATH_KEY}={path.replace(' ', '%20')}"}
    assert route.called_through(env, parent=-1) == via  # the attribute wins over /proc


@pytest.mark.parametrize(
    ("argv", "via"),
    [
        (None, route.UNKNOWN),
        ([], route.UNKNOWN),
        (["docker", "builder", "prune"], route.BUILDER),
        (["docker", "--context", "x", "build", "."], route.TOP_LEVEL),
        (["docker", "bake"], route.TOP_LEVEL),
        (["docker", "image", "build", "."], route.TOP_LEVEL),
        (["docker", "-D", "runtimecheck", "install"], route.DIRECT),
        (["docker", "runtimecheck", "build", "."], route.DIRECT),  # not `docker build`
        (["docker", "ps"], route.UNKNOWN),
        (["docker"], route.UNKNOWN),
        (["docker", "--log-level", "loud", "build"], route.UNKNOWN),  # docker would refuse it
    ],
)
def test_an_older_cli_is_asked_through_its_command_line(argv: list[str] | None, via: str) -> None:
    assert route.from_parent_argv(argv) == via


def test_a_process_s_command_line_is_read_from_proc(tmp_path: Path) -> None:
    own = route.parent_argv(os.getpid())
    assert own is not None and "python" in Path(own[0]).name
    assert route.parent_argv(2**22 + 1) is None  # beyond pid_max: no such process
    # No attribute: the parent's command line is read (here pytest's, which is no docker).
    assert route.called_through({}, parent=os.getpid()) == route.UNKNOWN


def test_without_the_alias_every_call_is_direct(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(route.ATTRIBUTES_ENV, f"{route.COMMAND_PATH_KEY}=docker%20builder")
    plugin = GlobalOptions(config=str(tmp_path), as_plugin=True)
    assert route.called_as(plugin) == route.DIRECT  # no config.json
    (tmp_path / "config.json").write_text(json.dumps({"aliases": {"builder": "other"}}))
    assert route.called_as(plugin) == route.DIRECT
    (tmp_path / "config.json").write_text("{broken")
    assert route.called_as(plugin) == route.DIRECT
    (tmp_path / "config.json").write_text(json.dumps({"aliases": {"builder": "runtimecheck"}}))
    assert route.called_as(plugin) == route.BUILDER
    assert route.called_as(GlobalOptions(config=str(tmp_path))) == route.DIRECT  # standalone
