"""The build preflight in-process: which builder, what stops a build, what is handed over."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from runtimecheck import dockercli
from runtimecheck.dockercli import GlobalOptions
from runtimecheck.errors import RuntimecheckError
from runtimecheck.facts import (
    BLOCK,
    PASS,
    VERDICT_ORDER,
    VERDICT_UNKNOWN,
    WARN,
    BuilderResult,
    Result,
)
from runtimecheck.preflight import flow, handover, witnesses
from runtimecheck.preflight.args import parse_build_args
from runtimecheck.report import render as real_render
from support import report_samples as samples


class Handed(Exception):
    """Raised by the fake execvpe: the process would have become docker here."""

    def __init__(self, file: str, argv: list[str], env: dict[str, str]) -> None:
        super().__init__(file)
        self.file, self.argv, self.env = file, argv, env


class FakeSettings:
    def __init__(self, fail_on: str = "block") -> None:
        self.ignore: frozenset[str] = frozenset()
        self.fail_on = fail_on
        self.assume_runtime: dict[str, str] = {}
        self.format = None


def result_of(verdict: str) -> Result:
    """A builder with this verdict, as the audit reports it."""
    if verdict == VERDICT_UNKNOWN:
        return Result([BuilderResult("rc", "docker-container", error="daemon unreachable")])
    sample = {BLOCK: samples.crun_blocked, WARN: samples.debug_option_rejected,
              PASS: samples.runc_pass}[verdict]()  # fmt: skip
    assert sample.verdict == verdict
    return sample


class World:
    def __init__(self) -> None:
        self.verdict = PASS
        self.fingerprint: str | None = "fp-1"
        self.settings = FakeSettings()
        self.checks: list[str | None] = []
        self.selected: list[str | None] = []
        self.raise_in_check: BaseException | None = None
        self.rendered_to: list = []
        self.selection_detected = False
        self.witnessed: list = []
        self.selected_in: list = []
        self.progress_to: list = []

    def run_check(self, cfg, options, progress=None) -> Result:
        self.checks.append(options.builder)
        self.asked = (cfg, options, progress)
        if self.raise_in_check is not None:
            raise self.raise_in_check
        result = result_of(self.verdict)
        result.builders[0].selection_detected = self.selection_detected
        return result


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> World:
    w = World()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "BUILDX_BUILDER", handover.SKIP_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(dockercli.REEXEC_ENV, raising=False)
    (tmp_path / "docker").mkdir()

    from runtimecheck import settings

    monkeypatch.setattr(settings, "load", lambda *a, **k: w.settings)

    from runtimecheck import audit
    from runtimecheck.builders import fingerprint, selection

    def selected(cfg, explicit=None, env=None):
        w.selected.append(explicit)
        w.selected_in.append(cfg)
        return explicit or "current-builder"

    monkeypatch.setattr(selection, "selected_builder_name", selected)
    w.state = tmp_path / "builder-state"
    w.state.write_text("as first seen")

    def seen(cfg, name, env=None):
        w.witnessed.append((cfg, name))
        return None if w.fingerprint is None else [witnesses.file_witness(str(w.state))]

    monkeypatch.setattr(fingerprint, "witnesses", seen)
    monkeypatch.setattr(audit, "audit", w.run_check)

    progress = types.ModuleType("runtimecheck.report.progress")

    class Progress:
        def __init__(self, stream) -> None:
            w.progress_to.append(stream)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            pass

        def update(self, message: str) -> None:
            pass

    progress.Progress = Progress  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "runtimecheck.report.progress", progress)
    from runtimecheck import report

    def render(result, fmt, **kwargs) -> str:
        w.rendered_to.append(kwargs.get("stream"))
        return real_render(result, fmt, **kwargs)  # the real report, only watched

    monkeypatch.setattr(report, "render", render, raising=False)

    def execvpe(file: str, argv: list[str], env: dict[str, str]) -> None:
        raise Handed(file, list(argv), dict(env))

    monkeypatch.setattr(handover.os, "execvpe", execvpe)
    return w


def build(args: list[str], opts: GlobalOptions | None = None) -> Handed | int:
    try:
        return flow.preflight_and_build(opts or GlobalOptions(), args)
    except Handed as handed:
        return handed


# --- the arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "builder"),
    [
        (["--builder", "b1", "."], "b1"),
        (["--builder=b1", "."], "b1"),
        ([".", "--builder", "b1"], "b1"),
        (["--builder", "b1", "--builder=b2", "."], "b2"),
        (["-t", "--builder", "."], None),  # the tag is "--builder"
        (["--tag=x", "--label", "--builder=b1", "."], None),
        (["--build-arg", "builder=b1", "."], None),
        (["-qt", "--builder", "."], None),
        (["-tname", "--builder", "b1", "."], "b1"),
        (["--push", "--builder", "b1", "."], "b1"),
        (["--no-cache", "--builder", "b1", "."], "b1"),
        (["--check", "--builder", "b1", "."], "b1"),
        ([".", "--", "--builder", "b1"], None),
        (["--builder=", "."], ""),  # given, empty: buildx's current builder
        (["--builder", "", "."], ""),
        (["--builder=b1", "--builder=", "."], ""),
        (["--some-new-bool", "--builder", "b1", "."], "b1"),
        (["--some-new-flag", "value", "--builder", "b1", "."], "b1"),
    ],
)
def test_only_a_real_builder_flag_is_taken(args: list[str], builder: str | None) -> None:
    parsed = parse_build_args(args)
    assert parsed.builder == builder
    assert parsed.forwarded == args
    assert not parsed.skip


@pytest.mark.parametrize(
    ("args", "forwarded", "skip"),
    [
        (["--skip-runtimecheck", "-t", "x", "."], ["-t", "x", "."], True),
        ([".", "--skip-runtimecheck"], ["."], True),
        (["--skip-runtimecheck=false", "."], ["."], False),
        (["-t", "--skip-runtimecheck", "."], ["-t", "--skip-runtimecheck", "."], False),
        ([".", "--", "--skip-runtimecheck"], [".", "--", "--skip-runtimecheck"], False),
    ],
)
def test_the_skip_flag_is_ours_and_taken_out(
    args: list[str], forwarded: list[str], skip: bool
) -> None:
    parsed = parse_build_args(args)
    assert (parsed.forwarded, parsed.skip) == (forwarded, skip)


@pytest.mark.parametrize(
    ("args", "forwarded", "outputs"),
    [
        (["--runtimecheck-output", "sarif=a.sarif", "."], ["."], ["sarif=a.sarif"]),
        (["--runtimecheck-output=json=a.json", ".", "--runtimecheck-output", "b"], ["."],
         ["json=a.json", "b"]),
        (["-t", "--runtimecheck-output", "."], ["-t", "--runtimecheck-output", "."], []),
    ],
)  # fmt: skip
def test_the_output_flag_is_ours_and_taken_out(
    args: list[str], forwarded: list[str], outputs: list[str]
) -> None:
    parsed = parse_build_args(args)
    assert (parsed.forwarded, parsed.outputs) == (forwarded, outputs)


@pytest.mark.parametrize(
    ("args", "dockerfile"),
    [
        (["."], "./Dockerfile"),
        (["-t", "x", "app"], "app/Dockerfile"),
        (["-f", "build/Dockerfile.ci", "app"], "build/Dockerfile.ci"),  # relative to the cwd
        (["--file=other", "."], "other"),
        (["-fother", "."], "other"),
        (["-qf", "other", "."], "other"),
        (["-f", "-", "."], None),  # on stdin
        (["-"], None),  # the context on stdin
        (["https://github.com/o/r.git#main"], None),  # inside the remote context
        (["-f", "/abs/Dockerfile", "git@github.com:o/r.git"], "/abs/Dockerfile"),
        (["-f", "https://example.com/Dockerfile", "."], None),
        ([], None),
    ],
)
def test_the_dockerfile_is_found_as_buildx_finds_it(args: list[str], dockerfile: str | None):
    assert parse_build_args(args).dockerfile() == dockerfile


def test_the_verdict_names_are_those_of_facts() -> None:
    assert flow.VERDICT_ORDER == VERDICT_ORDER
    assert (flow.PASS, flow.WARN, flow.BLOCK) == (PASS, WARN, BLOCK)
    assert flow.VERDICT_UNKNOWN == VERDICT_UNKNOWN


# --- what is handed over ------------------------------------------------------------------------


ARGS = ["-t", "my image:1", "--build-arg", 'Q="a b"', "-f", "-", ".", "--", "é"]


def test_a_pass_hands_the_arguments_over_untouched(world: World) -> None:
    handed = build(ARGS, GlobalOptions(raw=["--config", "/x", "-H", "unix:///s"]))
    assert isinstance(handed, Handed)
    assert handed.file == "docker"
    assert handed.argv == ["docker", "--config", "/x", "-H", "unix:///s", "buildx", "build", *ARGS]
    assert world.checks == [None]


def test_as_a_plugin_the_cli_that_ran_us_is_run_and_its_socket_is_not_passed_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(dockercli.REEXEC_ENV, "/opt/docker/bin/docker")
    monkeypatch.setenv(handover.PLUGIN_SOCKET_ENV, "@docker_cli_0123")
    monkeypatch.setenv("KEEP_ME", "1")
    handed = build(["."], GlobalOptions(as_plugin=True))
    assert isinstance(handed, Handed)
    assert handed.argv[:3] == ["/opt/docker/bin/docker", "buildx", "build"]
    assert handover.PLUGIN_SOCKET_ENV not in handed.env
    assert handed.env["KEEP_ME"] == "1"


def test_the_builder_flag_decides_which_builder_is_checked(world: World) -> None:
    build(["--builder", "other", "."])
    assert world.selected == ["other"]
    assert world.checks == ["other"]


def test_forwarding_under_the_alias_runs_buildx_never_build(world: World) -> None:
    with pytest.raises(Handed) as caught:
        handover.forward_to_buildx(GlobalOptions(raw=["--config", "/x"]), ["prune", "-f"])
    assert caught.value.argv == ["docker", "--config", "/x", "buildx", "prune", "-f"]
    assert world.checks == []


def test_a_docker_that_cannot_be_run_is_a_clear_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(file, argv, env):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(handover.os, "execvpe", missing)
    with pytest.raises(RuntimecheckError) as caught:
        build(["."])
    assert caught.value.exit_code == handover.EXIT_CANNOT_RUN
    assert "docker" in caught.value.message


# --- reports written beside the build ---------------------------------------------------------


@pytest.fixture
def reporting(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> World:
    from runtimecheck import report

    monkeypatch.setattr(report, "render", real_render)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    return world


@pytest.mark.parametrize("verdict", [BLOCK, WARN, PASS])
def test_reports_are_written_whatever_the_verdict_and_sarif_points_at_the_dockerfile(
    reporting: World, tmp_path: Path, verdict: str
) -> None:
    reporting.verdict = verdict
    args = ["--runtimecheck-output", "sarif=out/rc.sarif", "-t", "x", "app"]
    (tmp_path / "out").mkdir()
    outcome = build([*args, "--runtimecheck-output=json=rc.json"])
    assert (outcome == 1) if verdict == BLOCK else isinstance(outcome, Handed)
    if isinstance(outcome, Handed):
        assert outcome.argv[-3:] == ["-t", "x", "app"]  # our flags taken out
    sarif = json.loads((tmp_path / "out" / "rc.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert len(results) == (0 if verdict == PASS else 1)
    for r in results:
        where = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert where == "app/Dockerfile"
    assert json.loads((tmp_path / "rc.json").read_text())["verdict"] == verdict


def test_reports_are_asked_for_through_the_environment_too(
    reporting: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(flow.OUTPUT_ENV, "sarif=a.sarif, json=b.json")
    reporting.verdict = WARN
    assert isinstance(build(["-f", str(tmp_path / "app" / "Dockerfile.ci"), "."]), Handed)
    sarif = json.loads((tmp_path / "a.sarif").read_text())
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "app/Dockerfile.ci"  # relative to the cwd
    assert (tmp_path / "b.json").is_file()


def test_a_report_asks_for_a_full_check_every_time(reporting: World) -> None:
    reporting.verdict = PASS
    build(["."])
    build(["--runtimecheck-output", "json=r.json", "."])
    build(["--runtimecheck-output", "json=r.json", "."])
    assert len(reporting.checks) == 3


def test_a_malformed_report_request_is_refused_before_anything_runs(
    reporting: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build(["--runtimecheck-output", "json=", "."]) == 2
    assert reporting.checks == []
    assert "--runtimecheck-output 'json=': no file after json=" in capsys.readouterr().err


def test_an_unwritable_report_stops_the_build_with_the_reason(
    reporting: World, capsys: pytest.CaptureFixture[str]
) -> None:
    reporting.verdict = PASS
    assert build(["--runtimecheck-output", "json=no/such/dir/r.json", "."]) == 2
    err = capsys.readouterr().err
    assert "cannot write the json report to no/such/dir/r.json" in err
    assert "nothing built" in err


# --- what stops a build -------------------------------------------------------------------------


def test_a_block_refuses_before_buildx_with_the_reason_and_fix(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.verdict = BLOCK
    assert build(["."]) == 1
    err = capsys.readouterr()
    assert err.out == ""
    assert samples.CRUN_KEEP_REASON in err.err
    assert "fix:\n" in err.err and "docker buildx create" in err.err
    assert "--skip-runtimecheck" in err.err


def test_a_block_is_checked_again_every_time(world: World) -> None:
    world.verdict = BLOCK
    build(["."])
    build(["."])
    assert len(world.checks) == 2
    world.verdict = PASS  # the user fixed the builder
    assert isinstance(build(["."]), Handed)


def test_a_warning_is_said_and_the_build_goes_ahead_also_from_the_cache(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.verdict = WARN
    assert isinstance(build(["."]), Handed)
    first = capsys.readouterr().err
    assert isinstance(build(["."]), Handed)
    second = capsys.readouterr().err
    assert world.checks == [None]
    said = "builder sb, node sb0: `exec --pid-file` rejected"
    assert said in first and said in second
    assert "building anyway" in first and "building anyway" in second


def test_a_pass_is_cached_until_a_witness_changes(world: World) -> None:
    build(["."])
    build(["."])
    assert len(world.checks) == 1
    world.state.write_text("changed: store file, container or runtime binary")
    build(["."])
    assert len(world.checks) == 2


def test_without_witnesses_nothing_is_cached(world: World) -> None:
    world.fingerprint = None
    build(["."])
    build(["."])
    assert len(world.checks) == 2


def test_a_builder_that_cannot_be_inspected_does_not_stop_the_build(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.verdict = VERDICT_UNKNOWN
    assert isinstance(build(["."]), Handed)
    err = capsys.readouterr().err
    assert "daemon unreachable" in err
    assert "building anyway" in err


@pytest.mark.parametrize(
    "failure", [RuntimecheckError("cannot connect"), ValueError("a bug of ours")]
)
def test_our_own_failure_never_stops_a_build(
    world: World, capsys: pytest.CaptureFixture[str], failure: Exception
) -> None:
    world.raise_in_check = failure
    assert isinstance(build(["."]), Handed)
    assert str(failure) in capsys.readouterr().err


def test_an_interrupt_stops_everything(world: World) -> None:
    world.raise_in_check = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        build(["."])


@pytest.mark.parametrize("verdict", [WARN, VERDICT_UNKNOWN])
def test_fail_on_warn_also_refuses_warnings_and_uninspected_builders(
    world: World, verdict: str
) -> None:
    world.settings = FakeSettings(fail_on="warn")
    world.verdict = verdict
    assert build(["."]) == 1


def test_fail_on_never_reports_a_block_and_builds(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.settings = FakeSettings(fail_on="never")
    world.verdict = BLOCK
    assert isinstance(build(["."]), Handed)
    assert samples.CRUN_KEEP_REASON in capsys.readouterr().err


def test_a_refused_build_leaves_no_cache_entry(world: World) -> None:
    world.settings = FakeSettings(fail_on="warn")
    world.verdict = WARN
    assert build(["."]) == 1
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "docker-runtimecheck" / "preflight.json"
    assert not cache.exists() or json.loads(cache.read_text())["entries"] == []
    assert build(["."]) == 1
    assert len(world.checks) == 2


def test_our_own_failure_does_not_refuse_even_with_fail_on_warn(world: World) -> None:
    world.settings = FakeSettings(fail_on="warn")
    world.raise_in_check = ValueError("a bug of ours")
    assert isinstance(build(["."]), Handed)


def test_the_refusal_report_is_written_for_stderr(world: World) -> None:
    world.verdict = BLOCK
    build(["."])
    assert world.rendered_to == [sys.stderr]


def test_a_settings_file_appearing_invalidates_the_cached_verdict(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "src").mkdir()
    monkeypatch.chdir(project / "src")
    build(["."])
    (project / ".git" / "index").write_text("a commit changes .git, not the settings")
    build(["."])
    assert len(world.checks) == 1
    (project / ".runtimecheck.toml").write_text('fail-on = "warn"\n')
    build(["."])
    assert len(world.checks) == 2


def test_a_knowledge_file_is_a_witness_of_every_verdict() -> None:
    from runtimecheck import knowledge

    files = {w[1] for w in flow._own_witnesses() if w[0] == "file"}
    data = knowledge.default_directory()
    assert {str(data / name) for name in knowledge.FILES} <= files
    assert all((data / name).is_file() for name in knowledge.FILES)


def test_a_broken_cache_entry_means_a_full_check_not_a_failure(world: World) -> None:
    build(["."])
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "docker-runtimecheck" / "preflight.json"
    data = json.loads(cache.read_text())
    data["entries"][0]["witnesses"] = [["container", 7, None, ["absent"]]]
    cache.write_text(json.dumps(data))
    assert isinstance(build(["."]), Handed)
    assert len(world.checks) == 2


def test_a_vanished_working_directory_does_not_stop_the_build(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert isinstance(build(["https://github.com/docker/buildx.git"]), Handed)


def test_buildx_gets_sigpipe_and_sigxfsz_with_their_default_action(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    seen = {}

    def execvpe(file: str, argv: list[str], env: dict[str, str]) -> None:
        seen.update({n: signal.getsignal(getattr(signal, n)) for n in ("SIGPIPE", "SIGXFSZ")})
        raise Handed(file, list(argv), dict(env))

    monkeypatch.setattr(handover.os, "execvpe", execvpe)
    before = {n: signal.getsignal(getattr(signal, n)) for n in ("SIGPIPE", "SIGXFSZ")}
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        build(["--skip-runtimecheck", "."])
    finally:
        for name, handler in before.items():
            signal.signal(getattr(signal, name), handler)
    assert seen == {"SIGPIPE": signal.SIG_DFL, "SIGXFSZ": signal.SIG_DFL}


@pytest.mark.parametrize("how", ["flag", "env"])
def test_skipping_checks_nothing_and_hands_over(
    world: World, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    world.verdict = BLOCK
    args = ["-t", "x", "."]
    if how == "flag":
        handed = build(["--skip-runtimecheck", *args])
    else:
        monkeypatch.setenv(handover.SKIP_ENV, "1")
        handed = build(args)
    assert isinstance(handed, Handed)
    assert handed.argv == ["docker", "buildx", "build", *args]
    assert world.checks == []


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_is_buildx_s_plus_the_skip_flag(
    world: World, flag: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:

    world.verdict = BLOCK
    called = []

    def call(argv, env):
        called.append(argv)
        print("buildx's help")
        return 0

    monkeypatch.setattr(subprocess, "call", call)
    assert build([flag]) == 0
    assert called == [["docker", "buildx", "build", flag]]
    assert world.checks == []
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "buildx's help"
    ours = "\n".join(out[1:])
    assert "--skip-runtimecheck" in ours and "--runtimecheck-output FORMAT=FILE" in ours


def test_a_help_word_as_a_value_is_not_help() -> None:
    assert parse_build_args(["-t", "--help", "."]).help is False
    assert parse_build_args(["--tag", "-h", "."]).help is False


# --- through the real docker CLI ----------------------------------------------------------------

# The CLI framework and the SDK, and the standard library wrappers that cost more than the
# whole warm path may spend.
BANNED_ON_THE_WARM_PATH = (
    "typer", "rich", "click", "docker", "requests", "typing", "dataclasses", "json", "socket",
    "threading", "signal", "enum", "pathlib", "re", "tomllib", "tomli", "hashlib", "subprocess",
)  # fmt: skip


TRICKY_ARGS = [
    "-t", "my image:tag with spaces",
    "--build-arg", "QUOTED=\"double\" and 'single'",
    "--label", "unicode=héllo ✓",
    "-f", "-",
    ".",
    "--", "after dashdash", "--builder", "x",
]  # fmt: skip
DOCKERFILE = "FROM scratch\n# é ✓ \x00 bytes kept\n".encode()


def test_the_handover_keeps_arguments_stdin_and_exit_status(
    dockerconfig,
) -> None:
    proc = dockerconfig.run(
        "runtimecheck", "build", "--skip-runtimecheck", *TRICKY_ARGS,
        stdin=DOCKERFILE, RECORDER_EXIT="7",
    )  # fmt: skip
    assert proc.returncode == 7, proc.stderr.decode()
    assert proc.stdout == b"recorder: handed over\n"
    [record] = dockerconfig.records()
    assert record["argv"] == ["--config", str(dockerconfig.dir), "buildx", "build", *TRICKY_ARGS]
    assert base64.b64decode(record["stdin_b64"]) == DOCKERFILE
    assert "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND" in record["env"]


def test_with_the_alias_docker_builder_commands_reach_buildx(
    dockerconfig,
) -> None:
    from runtimecheck import install as installer
    from runtimecheck.dockercli import DockerConfig, Endpoint

    cfg = DockerConfig(GlobalOptions(), dockerconfig.dir, {}, Endpoint("default", "unix:///x"))
    installer.install(cfg, alias_build=True, source=dockerconfig.plugin)

    proc = dockerconfig.run("builder", "prune", "-f")
    assert proc.returncode == 0, proc.stderr.decode()
    proc = dockerconfig.run("build", "-t", "x y", "-f", "-", ".", stdin=DOCKERFILE,
                            RUNTIMECHECK_SKIP="1")  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()

    prune, build_ = dockerconfig.records()
    assert prune["argv"] == ["--config", str(dockerconfig.dir), "buildx", "prune", "-f"]
    assert build_["argv"] == [
        "--config", str(dockerconfig.dir), "buildx", "build", "-t", "x y", "-f", "-", ".",
    ]  # fmt: skip
    assert base64.b64decode(build_["stdin_b64"]) == DOCKERFILE


# --- with a real builder ------------------------------------------------------------------------


def imported_modules(stderr: bytes) -> set[str]:
    """Module names in `-X importtime` output."""
    names = set()
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.engine
def test_a_runc_builder_passes_hands_over_and_then_starts_from_the_cache(
    dockerconfig, make_container, test_images: dict[str, str]
) -> None:
    name = dockerconfig.add_builder(make_container, test_images["buildkit_v0_12"])
    args = ["--builder", name, *TRICKY_ARGS]

    proc = dockerconfig.run("--log-level", "debug", "runtimecheck", "build", *args,
                            stdin=DOCKERFILE, RECORDER_EXIT="3")  # fmt: skip
    assert proc.returncode == 3, proc.stderr.decode()
    assert b"checking" in proc.stderr
    [record] = dockerconfig.records()
    assert record["argv"] == [
        "--config", str(dockerconfig.dir), "--log-level", "debug", "buildx", "build", *args,
    ]  # fmt: skip
    assert base64.b64decode(record["stdin_b64"]) == DOCKERFILE

    # Warm: answered from the cache, importing nothing heavy.
    proc = dockerconfig.run("runtimecheck", "build", *args, stdin=DOCKERFILE,
                            RTC_PYFLAGS="-X importtime")  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    modules = imported_modules(proc.stderr)
    assert "runtimecheck.preflight" in modules
    assert "runtimecheck.check" not in modules  # the verdict came from the cache
    heavy = {m for m in modules if m.split(".")[0] in BANNED_ON_THE_WARM_PATH}
    assert heavy == set()
    assert len(dockerconfig.records()) == 2


@pytest.mark.engine
def test_a_changed_builder_is_checked_again(
    dockerconfig, make_container, test_images: dict[str, str], engine
) -> None:
    name = dockerconfig.add_builder(make_container, test_images["buildkit_v0_12"])

    def checked() -> bool:
        proc = dockerconfig.run("--log-level", "debug", "runtimecheck", "build",
                                "--builder", name, ".")  # fmt: skip
        assert proc.returncode == 0, proc.stderr.decode()
        return b"checking" in proc.stderr

    assert checked()
    assert not checked()
    instance = dockerconfig.dir / "buildx" / "instances" / name
    instance.write_text(instance.read_text().replace('"Flags": null', '"Flags": ["--debug"]'))
    assert checked()
    assert not checked()
    container = engine.containers.get(f"buildx_buildkit_{name}0")
    container.restart(timeout=5)  # a new StartedAt
    assert checked()


@pytest.mark.engine
def test_a_runtime_replaced_inside_a_running_builder_is_seen_by_the_next_build(
    dockerconfig, make_container, test_images: dict[str, str], engine
) -> None:
    import shutil

    name = dockerconfig.add_builder(make_container, test_images["buildkit_v0_12"])

    def build():
        return dockerconfig.run("--log-level", "debug", "runtimecheck", "build",
                                "--builder", name, ".")  # fmt: skip

    assert build().returncode == 0
    cached = build()
    assert cached.returncode == 0 and b"checking" not in cached.stderr  # from the cache
    crun = shutil.which("crun")
    assert crun, "Debian's crun is needed on this machine"
    copied = subprocess.run(
        ["docker", "cp", crun, f"buildx_buildkit_{name}0:/usr/bin/buildkit-runc"],
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr

    refused = build()
    stderr = refused.stderr.decode()
    assert refused.returncode == 1, stderr
    assert "unrecognized option '--keep'" in stderr
    assert len(dockerconfig.records()) == 2  # buildx ran for the first two builds only


@pytest.mark.engine
def test_a_crun_1_8_1_builder_is_refused_before_buildx(
    dockerconfig, make_container, test_images: dict[str, str]
) -> None:
    name = dockerconfig.add_builder(make_container, test_images["crun_as_runc"])
    proc = dockerconfig.run("runtimecheck", "build", "--builder", name, "-f", "-", ".",
                            stdin=b"FROM scratch\nRUN true\n")  # fmt: skip
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, stderr
    assert dockerconfig.records() == []  # buildx never ran
    assert proc.stdout == b""
    assert "crun" in stderr and "1.8.1" in stderr
    assert "--skip-runtimecheck" in stderr


def test_another_context_s_builder_is_not_checked_and_buildx_says_why(dockerconfig) -> None:
    # buildx refuses `--builder box` from another context (builder/builder.go Validate); the
    # preflight neither checks box's daemon nor stops the build: buildx reports it itself.
    digest = dockercli.context_dir_name("box")
    meta = dockerconfig.dir / "contexts" / "meta" / digest / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"Name": "box", "Metadata": {},
                                "Endpoints": {"docker": {"Host": "tcp://192.0.2.1:2375"}}}))  # fmt: skip
    proc = dockerconfig.run("runtimecheck", "build", "--builder", "box", ".")
    stderr = proc.stderr.decode()
    assert proc.returncode == 0, stderr
    assert "use `docker --context=box buildx`" in stderr
    assert "192.0.2.1" not in stderr
    [record] = dockerconfig.records()
    assert record["argv"][-4:] == ["build", "--builder", "box", "."]


# --- builds that never call the runtime -------------------------------------------------------

COPY_ONLY = b"FROM scratch\nCOPY a /a\n"
RUN_UNUSED = b"FROM alpine AS tools\nRUN make\n\nFROM scratch AS final\nCOPY a /a\n"
HEREDOC_RUN = b"FROM alpine\nRUN <<EOF\ntrue\nEOF\n"
SYNTAX_LINE = b"# syntax=docker/dockerfile:1\n" + COPY_ONLY


@pytest.fixture
def crun_builder(dockerconfig, make_container, test_images: dict[str, str], tmp_path: Path):
    name = dockerconfig.add_builder(make_container, test_images["crun_as_runc"])
    context = tmp_path / "context"
    context.mkdir()
    (context / "a").write_text("a\n")
    return name, context


@pytest.mark.engine
@pytest.mark.parametrize(
    ("dockerfile", "extra", "builds"),
    [
        (COPY_ONLY, [], True),
        (RUN_UNUSED, [], True),
        (RUN_UNUSED, ["--target", "tools"], False),
        (HEREDOC_RUN, [], False),
        (SYNTAX_LINE, [], False),
        (COPY_ONLY, ["--build-arg", "BUILDKIT_SYNTAX=docker/dockerfile:1"], False),
    ],
    ids=["copy-only", "run-in-unused-stage", "target-with-run", "heredoc-run", "syntax-line",
         "buildkit-syntax-arg"],
)  # fmt: skip
def test_a_blocked_builder_builds_what_never_calls_the_runtime(
    dockerconfig, crun_builder, dockerfile: bytes, extra: list[str], builds: bool
) -> None:
    name, context = crun_builder
    (context / "Dockerfile").write_bytes(dockerfile)
    args = ["runtimecheck", "build", "--builder", name, *extra, str(context)]
    proc = dockerconfig.run(*args)
    stderr = proc.stderr.decode()
    assert "run --keep" in stderr  # the builder's problem is said either way
    if builds:
        assert proc.returncode == 0, stderr
        assert "this build never calls the runtime" in stderr
        [record] = dockerconfig.records()
        assert record["argv"][-len(args) + 1 :] == ["build", *args[2:]]
    else:
        assert proc.returncode == 1, stderr
        assert dockerconfig.records() == []


@pytest.mark.engine
def test_a_dockerfile_on_stdin_is_read_and_reaches_buildx_byte_for_byte(
    dockerconfig, crun_builder
) -> None:
    name, context = crun_builder
    # Big enough to take several reads and pipe buffers, a comment with bytes that are not UTF-8.
    junk = bytes(b for b in range(256) if b not in b"\r\n") * 2048
    dockerfile = COPY_ONLY + b"# " + junk + b"\n"
    proc = dockerconfig.run("runtimecheck", "build", "--builder", name, "-f", "-", str(context),
                            stdin=dockerfile)  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    assert "this build never calls the runtime" in proc.stderr.decode()
    [record] = dockerconfig.records()
    assert base64.b64decode(record["stdin_b64"]) == dockerfile
    assert record["argv"][-6:] == ["build", "--builder", name, "-f", "-", str(context)]


@pytest.mark.engine
def test_with_fail_on_warn_a_spared_block_still_refuses(dockerconfig, crun_builder) -> None:
    name, context = crun_builder
    (context / "Dockerfile").write_bytes(COPY_ONLY)
    proc = dockerconfig.run("runtimecheck", "build", "--builder", name, str(context),
                            RUNTIMECHECK_FAIL_ON="warn")  # fmt: skip
    assert proc.returncode == 1, proc.stderr.decode()
    assert dockerconfig.records() == []


# --- the policy, piece by piece -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "fail_on", "refused"),
    [
        (PASS, "warn", False),
        (WARN, "block", False),
        (WARN, "warn", True),
        (VERDICT_UNKNOWN, "block", False),
        (VERDICT_UNKNOWN, "warn", True),
        (BLOCK, "block", True),
        (BLOCK, None, True),
        (BLOCK, "never", False),
        ("a verdict of a newer release", "block", False),  # counted as unknown
        ("a verdict of a newer release", "warn", True),
    ],
)
def test_what_refuses_a_build(verdict: str, fail_on: str | None, refused: bool) -> None:
    assert flow._refuses(verdict, fail_on) is refused


def test_the_platforms_built_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_DEFAULT_PLATFORM", raising=False)
    assert flow.build_platforms(None) == []
    assert flow.build_platforms(["linux/amd64"]) == ["linux/amd64"]
    monkeypatch.setenv("DOCKER_DEFAULT_PLATFORM", "linux/arm64")
    assert flow.build_platforms(None) == ["linux/arm64"]
    assert flow.build_platforms([]) == []  # given, even empty, wins
    monkeypatch.setenv("DOCKER_DEFAULT_PLATFORM", "")
    assert flow.build_platforms(None) == []


def test_findings_are_errors_then_failing_checks_of_the_nodes_used() -> None:
    unused = samples.crun_node()
    unused.name, unused.used = "elsewhere0", False
    broken = samples.runc_node()
    broken.name, broken.error = "b0", "cannot reach it"
    ignored = samples.crun_node(ignored=True)
    ignored.name = "ignored0"
    no_reason = samples.crun_node()
    no_reason.name = "n0"
    [keep] = [c for c in no_reason.checks if c.id == "run-keep"]
    keep.reason = ""
    result = Result([
        BuilderResult("gone", "remote", error="unreadable"),
        BuilderResult("ci", "docker-container",
                      nodes=[unused, broken, ignored, samples.crun_node(), no_reason]),
    ])  # fmt: skip
    assert flow.findings(result) == [
        "builder gone: unreadable",
        "builder ci, node b0: cannot reach it",
        f"builder ci, node ci0: `run --keep` rejected: {samples.CRUN_KEEP_REASON}",
        f"builder ci, node n0: `run --keep` rejected: {keep.evidence}",
    ]


def test_the_refusal_report_always_ends_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from runtimecheck import report

    monkeypatch.setattr(report, "render", lambda *a, **k: "no newline")
    assert flow._render(samples.crun_blocked()) == "no newline\n"
    monkeypatch.setattr(report, "render", lambda *a, **k: "one\n")
    assert flow._render(samples.crun_blocked()) == "one\n"

    def broken(*a, **k):
        raise ValueError("a renderer bug")

    monkeypatch.setattr(report, "render", broken)
    assert flow._render(samples.crun_blocked()) == ""


def test_a_report_file_is_never_coloured_and_nothing_reaches_stdout(
    reporting: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("CLICOLOR_FORCE", "1")
    reporting.verdict = BLOCK
    assert build(["--runtimecheck-output", "plain.txt", "app"]) == 1
    text = (tmp_path / "plain.txt").read_text()
    assert "run --keep" in text and "\x1b[" not in text
    assert capsys.readouterr().out == ""


def test_a_report_without_a_local_dockerfile_has_no_location(
    reporting: World, tmp_path: Path
) -> None:
    reporting.verdict = WARN
    outcome = build(["--runtimecheck-output", "sarif=r.sarif", "https://example.com/repo.git"])
    assert isinstance(outcome, Handed)
    [result] = json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["results"]
    # anchored where SARIF results without a Dockerfile are: the project's settings file
    where = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert where == ".runtimecheck.toml"


def test_a_dockerfile_outside_the_working_directory_is_named_in_full(
    reporting: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = tmp_path / "work"
    inside.mkdir()
    monkeypatch.chdir(inside)
    reporting.verdict = WARN
    dockerfile = tmp_path / "app" / "Dockerfile"
    assert isinstance(
        build(["--runtimecheck-output", "sarif=r.sarif", "-f", str(dockerfile), "."]), Handed
    )
    sarif = json.loads((inside / "r.sarif").read_text())
    where = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == str(dockerfile)


def test_a_malformed_report_request_says_the_fix(reporting: World, capsys) -> None:
    assert build(["--runtimecheck-output", "a.txt", "--runtimecheck-output", "b.txt", "."]) == 2
    assert reporting.checks == []
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].endswith("; nothing built")
    assert err[1].endswith("name the format of the others: --runtimecheck-output FORMAT=FILE "
                           "(text, json, github, sarif)")  # fmt: skip


# --- what the check is asked, and what is said ----------------------------------------------------


def test_the_check_is_asked_for_the_builder_the_platforms_and_the_settings(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.settings.ignore = frozenset({"exec-pid-file"})
    world.settings.assume_runtime = {"*": "runc=1.1.5"}
    assert isinstance(
        build(["--platform", "linux/arm64,linux/amd64", "--builder", "b", "."]), Handed
    )
    cfg, options, progress = world.asked
    assert (options.builder, options.ignore, options.assume_runtime, options.bootstrap) == (
        "b", frozenset({"exec-pid-file"}), {"*": "runc=1.1.5"}, True,
    )  # fmt: skip
    assert options.platforms == ["linux/arm64,linux/amd64"]  # as given; the audit splits them
    assert callable(progress)
    assert cfg.directory == Path(os.environ["DOCKER_CONFIG"])
    assert world.witnessed == [(cfg, "b")]
    assert world.selected_in == [cfg]
    assert world.progress_to == [sys.stderr]
    monkeypatch.setenv("DOCKER_DEFAULT_PLATFORM", "linux/s390x")
    build(["--builder", "c", "."])
    assert world.asked[1].platforms == ["linux/s390x"]


def test_each_builder_and_platform_has_its_own_cache_entry(world: World) -> None:
    for args in (
        ["--builder", "a", "."],
        ["--builder", "b", "."],
        ["--platform", "linux/arm64", "."],
        ["."],
    ):
        build(args)
        build(args)
    assert world.checks == ["a", "b", None, None]


def test_a_node_chosen_by_detected_platforms_is_never_cached(world: World) -> None:
    world.selection_detected = True
    build(["."])
    build(["."])
    assert len(world.checks) == 2


def test_a_pass_is_logged_with_the_builder_s_name(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runtimecheck import log

    monkeypatch.setattr(log, "_threshold", log._LEVELS["info"])
    build(["--builder", "b", "."])
    assert "info: builder b: pass" in capsys.readouterr().err
    monkeypatch.setenv(handover.SKIP_ENV, "1")
    build(["."])
    assert "info: runtime check skipped" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (ValueError("boom"), "internal error: ValueError: boom"),
        (RuntimecheckError("the daemon is away"), "the daemon is away"),
    ],
)
def test_a_check_that_fails_says_why_and_builds(
    world: World, capsys: pytest.CaptureFixture[str], raised: Exception, said: str
) -> None:
    world.raise_in_check = raised
    assert isinstance(build(["."]), Handed)
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"docker-runtimecheck: {said}",
        "docker-runtimecheck: the builder could not be checked; building anyway",
    ]


def test_settings_that_cannot_be_read_skip_the_check_and_say_so(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runtimecheck import settings

    def broken(*a, **k):
        raise OSError("no such file")

    monkeypatch.setattr(settings, "load", broken)
    assert isinstance(build(["."]), Handed)
    assert capsys.readouterr().err == (
        "docker-runtimecheck: runtime check not done (OSError: no such file); building anyway\n"
    )
    assert world.checks == []


def test_a_failed_check_writes_no_report_and_says_so(
    reporting: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reporting.raise_in_check = RuntimecheckError("the daemon is away")
    assert isinstance(build(["--runtimecheck-output", "json=r.json", "."]), Handed)
    err = capsys.readouterr().err.splitlines()
    assert "docker-runtimecheck: no report written: the builder was not checked" in err
    assert not (tmp_path / "r.json").exists()


def test_a_refusal_says_how_to_skip(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.verdict = BLOCK
    assert build(["."]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "docker-runtimecheck: build refused before it started; fix the builder, or skip this "
        "check once with --skip-runtimecheck or RUNTIMECHECK_SKIP=1"
    )


def test_a_block_that_is_not_refused_still_shows_the_report(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.verdict = BLOCK
    world.settings.fail_on = "never"
    assert isinstance(build(["."]), Handed)
    err = capsys.readouterr().err
    assert "verdict:" in err and "refused" not in err


def test_only_report_files_asked_for_leave_stdout_to_buildx(
    reporting: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reporting.verdict = WARN
    assert isinstance(build(["--runtimecheck-output", "json=r.json", "."]), Handed)
    assert capsys.readouterr().out == ""
    assert (tmp_path / "r.json").is_file()


# --- a block spared because the build never runs a container ------------------------------------


SPARED = "this build never calls the runtime: {why} (unless a base image carries ONBUILD RUN triggers); a build with RUN steps on this builder would fail"


def dockerfile(tmp_path: Path, text: str, name: str = "Dockerfile") -> Path:
    path = tmp_path / "ctx" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "args", "spared"),
    [
        ("FROM busybox\nCOPY . /\n", [], True),
        ("FROM busybox\nRUN true\n", [], False),
        ("FROM busybox AS a\nRUN true\nFROM scratch AS b\nCOPY x /\n", ["--target", "b"], True),
        ("FROM busybox AS a\nRUN true\nFROM scratch AS b\nCOPY x /\n", ["--target", "a"], False),
        ("FROM busybox\nCOPY . /\n", ["--build-arg", "BUILDKIT_SYNTAX=docker/dockerfile:1"], False),
    ],
)  # fmt: skip
def test_a_block_is_a_warning_for_a_build_that_runs_no_container(
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    args: list,
    spared: bool,
) -> None:
    from runtimecheck.preflight.dockerfile import runtime_needed

    world.verdict = BLOCK
    path = dockerfile(tmp_path, text)
    outcome = build([*args, str(path.parent)])
    err = capsys.readouterr().err
    if spared:
        build_args = (
            dict(a.split("=", 1) for a in args[1::2]) if args[:1] == ["--build-arg"] else {}
        )
        target = args[1] if args[:1] == ["--target"] else None
        why = runtime_needed(text, target=target, build_args=build_args).why
        assert isinstance(outcome, Handed)
        assert err.splitlines()[-2:] == [
            f"docker-runtimecheck: {SPARED.format(why=why)}",
            f"docker-runtimecheck: {flow.BUILDING_DESPITE_WARNINGS}",
        ]
        build([*args, str(path.parent)])
        assert len(world.checks) == 2  # it depends on the Dockerfile: never cached
    else:
        assert outcome == 1 and "never calls the runtime" not in err


def test_a_dockerfile_too_large_to_read_lets_the_block_stand(world: World, tmp_path: Path) -> None:
    from runtimecheck.preflight.stdin import LIMIT

    world.verdict = BLOCK
    path = dockerfile(tmp_path, "FROM busybox\n" + "# padding\n" * (LIMIT // 10))
    assert path.stat().st_size > LIMIT
    assert build([str(path.parent)]) == 1
    dockerfile(tmp_path, "FROM busybox\n" + "#" * (LIMIT - len("FROM busybox\n")))
    assert path.stat().st_size == LIMIT
    assert isinstance(build([str(path.parent)]), Handed)  # the limit itself is read


def test_a_dockerfile_that_is_not_utf8_is_still_read(world: World, tmp_path: Path) -> None:
    world.verdict = BLOCK
    path = tmp_path / "ctx" / "Dockerfile"
    path.parent.mkdir()
    path.write_bytes(b"# \xff\xfe\nFROM busybox\nCOPY . /\n")
    assert isinstance(build([str(path.parent)]), Handed)


def test_a_dockerfile_from_stdin_is_read_and_given_back(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtimecheck.preflight import stdin

    given_back: list[bytes] = []
    monkeypatch.setattr(stdin, "take", lambda: (b"FROM busybox\nCOPY . /\n# \xff\n", True))
    monkeypatch.setattr(stdin, "give_back", given_back.append)
    world.verdict = BLOCK
    assert isinstance(build(["-f", "-", str(tmp_path)]), Handed)
    assert given_back == [b"FROM busybox\nCOPY . /\n# \xff\n"]
    # Cut short (more than the limit on stdin): the block stands, and all of it goes on.
    monkeypatch.setattr(stdin, "take", lambda: (b"FROM busybox\n", False))
    assert build(["-f", "-", str(tmp_path)]) == 1
    assert given_back[-1] == b"FROM busybox\n"


def test_with_the_context_on_stdin_there_is_no_dockerfile_to_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtimecheck.preflight import stdin

    taken: list[bool] = []
    monkeypatch.setattr(stdin, "take", lambda: taken.append(True) or (b"FROM x\n", True))
    world.verdict = BLOCK
    assert build(["-f", "-", "-"]) == 1
    assert build(["-"]) == 1
    assert taken == []  # stdin is the build context here, not a Dockerfile


# --- `docker build` through the alias -------------------------------------------------------------


def test_docker_build_names_the_context_s_builder_unless_one_is_named(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = Path(os.environ["DOCKER_CONFIG"])
    (config / "config.json").write_text(json.dumps({"currentContext": "here"}))

    def built(args: list[str], *, docker_build: bool) -> str | None:
        monkeypatch.delenv("BUILDX_BUILDER", raising=False)
        try:
            flow.preflight_and_build(GlobalOptions(), args, docker_build=docker_build)
        except Handed as handed:
            return handed.env.get("BUILDX_BUILDER")
        raise AssertionError("not handed over")

    assert built(["."], docker_build=True) == "here"
    assert built(["."], docker_build=False) is None
    assert built(["--builder", "b", "."], docker_build=True) is None
    monkeypatch.setenv("BUILDX_BUILDER", "mine")
    with pytest.raises(Handed) as info:
        flow.preflight_and_build(GlobalOptions(), ["."], docker_build=True)
    assert info.value.env["BUILDX_BUILDER"] == "mine"
    # Called without saying: not `docker build`.
    monkeypatch.delenv("BUILDX_BUILDER")
    with pytest.raises(Handed) as info:
        flow.preflight_and_build(GlobalOptions(), ["."])
    assert "BUILDX_BUILDER" not in info.value.env


def test_a_warning_is_never_spared_and_stays_cached(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.verdict = WARN
    path = dockerfile(tmp_path, "FROM busybox\nCOPY . /\n")
    build([str(path.parent)])
    build([str(path.parent)])
    assert "never calls the runtime" not in capsys.readouterr().err
    assert len(world.checks) == 1


def test_settings_refused_by_their_own_check_say_their_words(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runtimecheck import settings

    def refused(*a, **k):
        raise RuntimecheckError("unknown check id 'nope' in RUNTIMECHECK_IGNORE")

    monkeypatch.setattr(settings, "load", refused)
    assert isinstance(build(["."]), Handed)
    assert capsys.readouterr().err == (
        "docker-runtimecheck: runtime check not done (unknown check id 'nope' in "
        "RUNTIMECHECK_IGNORE); building anyway\n"
    )
