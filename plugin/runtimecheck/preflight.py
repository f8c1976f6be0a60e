"""`docker runtimecheck build …`: check the builder a build will use, then become that build.

The builder is found the way buildx finds it (`--builder` in the arguments, BUILDX_BUILDER,
the store's current builder, the context's), checked (or its cached verdict reused), and then
this process is replaced by `docker [global flags] buildx build ARGS…` with the arguments as
given: stdin (`-f -`), the terminal, signals and the exit status are buildx's from there on.
stdout is left to buildx; everything said here goes to stderr.

What stops a build, after the `fail_on` setting (flag, RUNTIMECHECK_FAIL_ON, project or user
config):

- `block` (the default): only a blocked builder is refused, before anything reaches buildx,
  with the report (reason and fix) on stderr and exit status 1. When the builder cannot be
  inspected at all (daemon down, unknown driver, our own failure), a warning is printed and
  the build goes ahead: a build is never stopped because this check failed.
- `warn`: also a warning verdict, and a builder that could not be inspected, are refused
  (never a failure of this check itself).
- `never`: nothing is refused; findings are printed and the build goes ahead.

`--skip-runtimecheck` (taken out of the arguments handed over) or RUNTIMECHECK_SKIP=1 skips
the check. A warm cache answers without importing typer, rich, click, requests or the docker
SDK.
"""

from __future__ import annotations

import os
import sys

from . import log
from .errors import EXIT_BLOCK, RuntimecheckError

# Not `typing.TYPE_CHECKING`, no dataclasses, no facts: the warm path (a cached verdict) may
# cost little more than the interpreter's own start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .cache import VerdictCache
    from .dockercli import GlobalOptions
    from .facts import Result
    from .settings import Settings

# The verdicts of facts.py and their order (worst last), for the warm path.
PASS, WARN, VERDICT_UNKNOWN, BLOCK = "pass", "warn", "unknown", "block"
VERDICT_ORDER = {PASS: 0, WARN: 1, VERDICT_UNKNOWN: 2, BLOCK: 3}

SKIP_ENV = "RUNTIMECHECK_SKIP"
REEXEC_ENV = "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND"
# The parent CLI's socket is ours, not the re-run docker's: it makes its own for buildx.
PLUGIN_SOCKET_ENV = "DOCKER_CLI_PLUGIN_SOCKET"
EXIT_CANNOT_RUN = 127
BUILDING_DESPITE_WARNINGS = "building anyway; `docker runtimecheck` shows the details and the fix"


# --- the arguments -----------------------------------------------------------------------------

SKIP_FLAG = "--skip-runtimecheck"

# `docker buildx build` flags that take a value (buildx commands/build.go, including the
# hidden ones kept for `docker build` compatibility, and buildx's persistent `--builder`).
VALUE_FLAGS = frozenset(
    {
        "add-host", "allow", "annotation", "attest", "build-arg", "build-context", "builder",
        "cache-from", "cache-to", "call", "cgroup-parent", "cpu-period", "cpu-quota",
        "cpu-shares", "cpuset-cpus", "cpuset-mems", "file", "iidfile", "invoke", "isolation",
        "label", "memory", "memory-swap", "metadata-file", "network", "no-cache-filter", "on",
        "output", "platform", "policy", "progress", "provenance", "root", "sbom", "secret",
        "security-opt", "server-config", "shm-size", "ssh", "tag", "target", "ulimit",
    }
)  # fmt: skip
BOOL_FLAGS = frozenset(
    {
        "check", "compress", "debug", "detach", "force-rm", "load", "no-cache", "print", "pull",
        "push", "quiet", "rm", "squash",
    }
)  # fmt: skip
VALUE_SHORTHANDS = frozenset("tfocm")
BOOL_SHORTHANDS = frozenset("qD")


class BuildArgs:
    def __init__(self) -> None:
        self.builder: str | None = None  # the last `--builder` value ("" too); None: absent
        self.skip = False  # `--skip-runtimecheck` was given
        self.help = False  # `--help` / `-h`: buildx prints its help and builds nothing
        self.forwarded: list[str] = []  # the arguments for buildx, ours taken out


def parse_build_args(args: list[str]) -> BuildArgs:
    parsed = BuildArgs()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            parsed.forwarded.extend(args[i:])
            break
        if arg in ("--help", "-h"):
            parsed.help = True
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
            if "--" + name == SKIP_FLAG:
                parsed.skip = _flag_bool(value) if eq else True
                i += 1
                continue
            takes_value = name in VALUE_FLAGS or (
                name not in BOOL_FLAGS and i + 1 < len(args) and not args[i + 1].startswith("-")
            )
            if not eq and takes_value and i + 1 < len(args):
                value = args[i + 1]
                parsed.forwarded.extend(args[i : i + 2])
                i += 2
            else:
                parsed.forwarded.append(arg)
                i += 1
            if name == "builder":
                parsed.builder = value
            continue
        if arg.startswith("-") and len(arg) > 1:
            # A shorthand cluster (`-qt name`, `-tname`): a value letter takes the rest of
            # the word, or the next argument.
            parsed.forwarded.append(arg)
            i += 1
            for pos, letter in enumerate(arg[1:], start=1):
                if letter in BOOL_SHORTHANDS:
                    continue
                if letter in VALUE_SHORTHANDS and pos == len(arg) - 1 and i < len(args):
                    parsed.forwarded.append(args[i])
                    i += 1
                break
            continue
        parsed.forwarded.append(arg)
        i += 1
    return parsed


def _flag_bool(value: str) -> bool:
    return value.strip().lower() not in ("0", "f", "false", "no", "off")


# --- the preflight ------------------------------------------------------------------------------


SKIP_HELP = (
    f"      {SKIP_FLAG}       Skip the builder's runtime check"
    f" (docker runtimecheck; also {SKIP_ENV}=1)"
)


def preflight_and_build(opts: GlobalOptions, args: list[str], *, docker_build: bool = False) -> int:
    """Check the builder, then become `docker buildx build ARGS…`.

    `docker_build`: called for `docker build` through the builder alias, which, as without
    the alias, builds on the current context's builder unless one is named.
    """
    parsed = parse_build_args(args)
    tail = ["buildx", "build", *parsed.forwarded]
    if parsed.help:
        return buildx_help(opts, tail)  # nothing will be built
    if docker_build and parsed.builder is None and not os.environ.get("BUILDX_BUILDER"):
        _name_the_context_builder(opts)
    if parsed.skip or _truthy(os.environ.get(SKIP_ENV, "")):
        log.info("runtime check skipped")
        return exec_docker(opts, tail)
    from . import warm
    from .cache import VerdictCache

    key, cache, hit, fresh = "", None, None, False
    try:
        key = warm.cache_key(opts.endpoint_flags(), parsed.builder)
        cache = VerdictCache()
        hit = cache.get(key)
        fresh = hit is not None and warm.still_true(hit.witnesses)
    except Exception as e:  # a cache we cannot use (or no working directory): check in full
        log.debug(f"verdict cache not used: {type(e).__name__}: {e}")
        cache, fresh = None, False
    if fresh and hit is not None:
        log.debug(f"{hit.verdict} (cached; nothing it depended on has changed)")
        for line in hit.lines:
            _say(line)
        if hit.verdict == WARN:
            _say(BUILDING_DESPITE_WARNINGS)
        return exec_docker(opts, tail)
    refused = _preflight(opts, parsed.builder, key, cache)
    if refused is not None:
        return refused
    return exec_docker(opts, tail)


def _name_the_context_builder(opts: GlobalOptions) -> None:
    """BUILDX_BUILDER=<current context>, as the docker CLI sets it for `docker build`."""
    from .dockercli import config_path, current_context_name, read_config

    try:
        context = current_context_name(opts, read_config(config_path(opts)), os.environ)
    except RuntimecheckError as e:
        log.debug(f"no context for BUILDX_BUILDER: {e.message}")
        return
    os.environ["BUILDX_BUILDER"] = context


def buildx_help(opts: GlobalOptions, tail: list[str]) -> int:
    """buildx's help for the build command, then the one flag this preflight adds."""
    import subprocess

    from .dockercli import docker_command

    argv = [docker_command(opts), *opts.raw, *tail]
    env = {k: v for k, v in os.environ.items() if k != PLUGIN_SOCKET_ENV}
    sys.stdout.flush()
    try:
        code = subprocess.call(argv, env=env)
    except OSError as e:
        raise RuntimecheckError(
            f"cannot run {argv[0]}: {e.strerror or e}",
            exit_code=EXIT_CANNOT_RUN,
            hint="is the docker CLI installed and on PATH?",
        ) from None
    if code == 0:
        print(SKIP_HELP, flush=True)
    return code


def forward_to_buildx(opts: GlobalOptions, rest: list[str]) -> int:
    """`docker builder SUB …` under the `builder` alias: run `docker buildx SUB …` as given.

    Never `docker build` or `docker builder`: with the alias in place they come back here.
    """
    return exec_docker(opts, ["buildx", *rest])


class Outcome:
    def __init__(
        self,
        verdict: str,
        lines: list[str],
        result: Result | None = None,  # None when the check itself failed
        builder: str | None = None,
        witnesses: list | None = None,  # what the verdict depended on, when cheaply known
        our_failure: bool = False,  # a bug of ours, not the builder: never refuses a build
    ) -> None:
        self.verdict = verdict
        self.lines = lines  # one line per finding worth saying
        self.result = result
        self.builder = builder
        self.witnesses = witnesses
        self.our_failure = our_failure


def _preflight(
    opts: GlobalOptions, builder: str | None, key: str, cache: VerdictCache | None
) -> int | None:
    """None to go ahead with the build, else the exit status of the refusal.

    An answer that lets the build go ahead is cached with its witnesses.
    """
    from . import settings

    try:
        # Seen before they are read, so that a change meanwhile leaves the entry stale, not wrong.
        own = _own_witnesses()
        conf = settings.load()
    except Exception as e:
        message = e.message if isinstance(e, RuntimecheckError) else f"{type(e).__name__}: {e}"
        _say(f"runtime check not done ({message}); building anyway")
        return None
    try:
        outcome = _check(opts, builder, conf)
    except RuntimecheckError as e:
        outcome = Outcome(VERDICT_UNKNOWN, [e.message])
    except Exception as e:  # a bug of ours must never stop a build
        import traceback

        log.debug(traceback.format_exc())
        message = f"internal error: {type(e).__name__}: {e}"
        outcome = Outcome(VERDICT_UNKNOWN, [message], our_failure=True)

    refuse = not outcome.our_failure and _refuses(outcome.verdict, conf.fail_on)
    if cache is not None and not refuse and outcome.witnesses is not None:
        try:
            cache.put(key, outcome.verdict, outcome.lines, outcome.witnesses + own)
        except Exception as e:
            log.debug(f"verdict not cached: {type(e).__name__}: {e}")
    if outcome.verdict == PASS:
        log.info(f"builder {outcome.builder}: pass")
        return None
    report = None
    if outcome.result is not None and (refuse or outcome.verdict == BLOCK):
        report = _render(outcome.result)
    if report:
        sys.stderr.write(report)
    else:
        for line in outcome.lines:
            _say(line)
    if refuse:
        _say(
            "build refused before it started; fix the builder, or skip this check once with "
            f"--skip-runtimecheck or {SKIP_ENV}=1"
        )
        return EXIT_BLOCK
    if outcome.verdict == VERDICT_UNKNOWN:
        _say("the builder could not be checked; building anyway")
    elif outcome.verdict == WARN:
        _say(BUILDING_DESPITE_WARNINGS)
    return None


def _check(opts: GlobalOptions, builder: str | None, conf: Settings) -> Outcome:
    from .builders.fingerprint import witnesses
    from .builders.selection import selected_builder_name
    from .check import CheckOptions, run_check
    from .dockercli import resolve
    from .report.progress import Progress

    cfg = resolve(opts)
    name = selected_builder_name(cfg, builder)
    # Seen before the check, so that a change during it leaves the entry stale, not wrong.
    seen = witnesses(cfg, name)
    if seen is None:
        log.debug(f"builder {name}: not cacheable, checked in full on every build")
    # A builder that is not running is booted as the build is about to boot it anyway, so
    # that what is checked is the runtime the build will run.
    options = CheckOptions(
        builder=builder,
        ignore=conf.ignore,
        assume_runtime=dict(conf.assume_runtime),
        bootstrap=True,
    )
    log.debug(f"builder {name}: checking")
    with Progress(sys.stderr) as progress:
        result = run_check(cfg, options, progress=progress.update)
    return Outcome(result.verdict, findings(result), result, builder=name, witnesses=seen)


def _own_witnesses() -> list:
    """The settings files and the knowledge data the verdict will be reached with."""
    from . import knowledge, settings, warm

    found = settings.watched_witnesses()
    data = str(knowledge.default_directory())
    paths = [data] + [os.path.join(data, name) for name in knowledge.FILES]
    return found + [warm.file_witness(p) for p in paths]


def findings(result: Result) -> list[str]:
    """One line per thing that is not a pass: errors, then failing checks not ignored."""
    lines = []
    for b in result.builders:
        if b.error:
            lines.append(f"builder {b.name}: {b.error}")
        for n in b.nodes:
            where = f"builder {b.name}, node {n.name}"
            if n.error:
                lines.append(f"{where}: {n.error}")
            for c in n.checks:
                if c.ignored or c.verdict == PASS:
                    continue
                lines.append(f"{where}: `{c.invocation}` {c.status}: {c.reason or c.evidence}")
    return lines


def _refuses(verdict: str, fail_on: str | None) -> bool:
    if fail_on == "never":
        return False
    lowest = WARN if fail_on == "warn" else BLOCK
    return VERDICT_ORDER.get(verdict, VERDICT_ORDER[VERDICT_UNKNOWN]) >= VERDICT_ORDER[lowest]


def _render(result: Result) -> str:
    """The text report for stderr; "" when it cannot be rendered (the findings are said)."""
    try:
        from . import report

        text = report.render(result, "text", stream=sys.stderr)
    except Exception as e:
        log.debug(f"no report: {type(e).__name__}: {e}")
        return ""
    return text if text.endswith("\n") else text + "\n"


def _say(message: str) -> None:
    from .safe import printable

    print(f"runtimecheck: {printable(message)}", file=sys.stderr, flush=True)


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "t", "true", "yes", "y", "on")


# --- handing over -------------------------------------------------------------------------------


def exec_docker(opts: GlobalOptions, tail: list[str]) -> int:
    """Replace this process with `docker [global flags] TAIL…`; returns only on failure."""
    from .dockercli import docker_command

    docker = docker_command(opts)
    argv = [docker, *opts.raw, *tail]
    env = {k: v for k, v in os.environ.items() if k != PLUGIN_SOCKET_ENV}
    log.debug(f"running {argv}")
    sys.stdout.flush()
    sys.stderr.flush()
    _restore_default_signals()
    try:
        os.execvpe(docker, argv, env)
    except OSError as e:
        raise RuntimecheckError(
            f"cannot run {docker}: {e.strerror or e}",
            exit_code=EXIT_CANNOT_RUN,
            hint="is the docker CLI installed and on PATH?",
        ) from None
    return EXIT_CANNOT_RUN  # not reached: execvpe returns only by raising


def _restore_default_signals() -> None:
    # Python ignores SIGPIPE and SIGXFSZ, and an exec keeps what is ignored: buildx must get
    # them with their default action, as it would from a shell. `_signal`, not `signal`: the
    # wrapper imports enum, which costs more than the whole warm path may spend.
    import _signal

    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(_signal, name):
            _signal.signal(getattr(_signal, name), _signal.SIG_DFL)
