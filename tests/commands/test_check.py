"""`docker runtimecheck` through the real entry point: one verdict, three agreeing signals."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from support.paths import PLUGIN
from support.processes import entry_point


def check(
    tmp_path: Path, *args: str, host: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    # The environment is already without docker's, buildx's and colour settings (conftest).
    env = dict(os.environ, DOCKER_CONFIG=str(tmp_path), DOCKER_HOST=host, PYTHONPATH=str(PLUGIN))
    env["HOME"] = str(tmp_path)  # no user config file from elsewhere
    env.update(extra or {})
    return entry_point(*args, env=env, cwd=tmp_path)


@pytest.fixture
def dead_daemon(tmp_path: Path) -> str:
    return f"unix://{tmp_path}/nothing-listens.sock"


def test_no_daemon_is_unknown_in_every_signal_and_the_host_is_advice(
    tmp_path: Path, dead_daemon: str
) -> None:
    text = check(tmp_path, host=dead_daemon)
    assert text.returncode == 3, text.stderr
    headline = text.stdout.strip().splitlines()[-1]
    assert headline.startswith("verdict: ? unknown")
    assert "blocked" not in headline and "passed" not in headline

    document = json.loads(check(tmp_path, "--format", "json", host=dead_daemon).stdout)
    assert (document["verdict"], document["inspectedNothing"]) == ("unknown", True)
    assert [b["driver"] for b in document["builders"]] == ["docker"]
    for advisory in document["advisory"]:
        assert advisory["driver"] == "host"

    github = check(tmp_path, "--format", "github", host=dead_daemon)
    assert github.returncode == 3
    assert github.stdout.strip().splitlines()[-1].startswith("docker-runtimecheck: verdict: ")
    assert "unknown" in github.stdout.strip().splitlines()[-1]
    assert "::error" not in github.stdout  # host runtimes are notices, never the verdict

    sarif = check(tmp_path, "--format", "sarif", host=dead_daemon)
    assert sarif.returncode == 3
    levels = {r["level"] for r in json.loads(sarif.stdout)["runs"][0]["results"]}
    assert "error" not in levels


def test_a_blocking_host_runtime_is_labelled_advice_not_a_verdict(
    tmp_path: Path, dead_daemon: str
) -> None:
    if not Path("/usr/bin/crun").exists():
        pytest.skip("needs Debian's crun (CI installs it)")
    text = check(tmp_path, host=dead_daemon)
    out = text.stdout
    assert "advisory, not a builder's verdict: this host's runtimes" in out
    advisory = out.split("advisory, not a builder's verdict", 1)[1]
    assert "crun 1.8.1" in advisory and "block" in advisory
    assert out.strip().splitlines()[-1].startswith("verdict: ? unknown")
    assert text.returncode == 3


# --- where the report goes ----------------------------------------------------------------------


def test_one_run_prints_text_and_writes_sarif_and_json(tmp_path: Path, dead_daemon: str) -> None:
    done = check(tmp_path, "-o", "sarif=r.sarif", "--output", "json=r.json", host=dead_daemon)
    assert done.returncode == 3
    assert done.stdout.strip().splitlines()[-1].startswith("verdict: ? unknown")
    assert json.loads((tmp_path / "r.json").read_text())["verdict"] == "unknown"
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"


def test_a_plain_output_file_takes_the_report_off_stdout(tmp_path: Path, dead_daemon: str):
    done = check(tmp_path, "-f", "json", "-o", "report.json", host=dead_daemon)
    assert done.returncode == 3 and done.stdout == ""
    assert json.loads((tmp_path / "report.json").read_text())["verdict"] == "unknown"


def test_quiet_prints_nothing_and_keeps_the_exit_status(tmp_path: Path, dead_daemon: str):
    done = check(tmp_path, "-q", "-o", "json=r.json", host=dead_daemon)
    assert (done.returncode, done.stdout) == (3, "")
    assert (tmp_path / "r.json").is_file()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["-o", "json="], "no file after json="),
        (["-o", "a.txt", "-o", "b.txt"], "the report already goes to a.txt"),
        (["-o", "json=no/such/dir/r.json"], "cannot write the json report to no/such/dir/r.json"),
        (
            ["--ignore", "no-such-id"],
            "'no-such-id' is not a check id; known ids: behaviour, delete,",
        ),
        (["--ignore", "zzz-*"], "zzz-*"),
        (["--color", "sometimes"], "sometimes"),
    ],
)
def test_bad_requests_are_usage_errors(tmp_path: Path, dead_daemon: str, args, says) -> None:
    done = check(tmp_path, *args, host=dead_daemon)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert done.stdout == ""


def test_unknown_ids_from_the_environment_and_files_are_refused(tmp_path: Path, dead_daemon: str):
    env_bad = check(tmp_path, host=dead_daemon, extra={"RUNTIMECHECK_IGNORE": "run-kepe"})
    assert env_bad.returncode == 2
    assert "RUNTIMECHECK_IGNORE" in env_bad.stderr and "'run-kepe'" in env_bad.stderr
    (tmp_path / ".runtimecheck.toml").write_text('ignore = ["exec-*", "kil"]\n')
    file_bad = check(tmp_path, host=dead_daemon)
    assert file_bad.returncode == 2
    assert ".runtimecheck.toml" in file_bad.stderr and "'kil'" in file_bad.stderr


# --- colour -------------------------------------------------------------------------------------

ESC = "\x1b["


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ([], {}, False),  # a pipe
        (["--color", "always"], {}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),  # the flag is the stronger
        ([], {"FORCE_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ],
)
def test_colour_follows_the_flag_then_the_environment(
    tmp_path: Path, dead_daemon: str, args, env, coloured
) -> None:
    done = check(tmp_path, *args, host=dead_daemon, extra=env)
    assert (ESC in done.stdout) == coloured


def test_files_never_get_colour(tmp_path: Path, dead_daemon: str) -> None:
    check(tmp_path, "--color", "always", "-o", "text=r.txt", host=dead_daemon)
    assert ESC not in (tmp_path / "r.txt").read_text()


# --- help, version, messages --------------------------------------------------------------------


def test_help_shows_the_version_flag_and_the_defaults(tmp_path: Path, dead_daemon: str) -> None:
    out = check(tmp_path, "--help", host=dead_daemon).stdout
    for words in ("-v, --version", "-f, --format", "-o, --output", "-q, --quiet", "--color"):
        assert words in out
    assert out.count("[default:") >= 3  # format, fail-on, color


def test_messages_carry_the_program_name_as_it_was_called(tmp_path: Path, dead_daemon: str):
    alone = check(tmp_path, "--ignore", "nope", host=dead_daemon)
    assert alone.stderr.startswith("docker-runtimecheck: ")
    # As docker runs a plugin: the plugin's name first, the CLI's variable set.
    as_plugin = check(tmp_path, "runtimecheck", "--ignore", "nope", host=dead_daemon,
                      extra={"DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND": "runtimecheck"})  # fmt: skip
    assert as_plugin.stderr.startswith("docker runtimecheck: ")


# --- probe exits as the check does --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["probe", "/bin/true"], 3),  # answers nothing a runtime would: unknown
        (["probe", "/nonexistent/runc"], 3),
        (["probe", "/bin/true", "--buildkit", "foo"], 2),
        (["probe", "/bin/true", "--buildkit", "v0.12.5", "-f", "json"], 3),
    ],
)
def test_probe_exit_statuses(tmp_path: Path, dead_daemon: str, args, status) -> None:
    done = check(tmp_path, *args, host=dead_daemon)
    assert done.returncode == status, done.stderr
    if "json" in args:
        assert json.loads(done.stdout)["verdict"] == "unknown"


@pytest.mark.skipif(not Path("/usr/bin/crun").exists(), reason="needs Debian's crun (CI has it)")
def test_probe_of_crun_blocks_with_a_keep_sending_buildkit(tmp_path: Path, dead_daemon: str):
    assert check(tmp_path, "probe", "/usr/bin/crun", "--buildkit", "v0.12.5",
                 host=dead_daemon).returncode == 1  # fmt: skip
    assert check(tmp_path, "probe", "/usr/bin/crun", "--buildkit", "v0.11.6",
                 host=dead_daemon).returncode == 0  # fmt: skip
