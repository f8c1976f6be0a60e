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
the check. `--runtimecheck-output FORMAT=FILE` (also taken out; repeatable) or
RUNTIMECHECK_OUTPUT (comma-separated) writes the report to files, SARIF anchored at the
build's Dockerfile; the check then runs in full, as the cache keeps only verdicts. A warm cache answers without importing typer, rich, click, requests or the docker
SDK.
"""

from __future__ import annotations

import os
import sys

from runtimecheck import log
from runtimecheck.errors import EXIT_BLOCK, EXIT_USAGE, RuntimecheckError
from runtimecheck.truth import is_true

from .args import OUTPUT_FLAG, parse_build_args
from .handover import SKIP_ENV, buildx_help, exec_docker, name_the_context_builder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtimecheck.dockercli import GlobalOptions
    from runtimecheck.facts import Result
    from runtimecheck.report.outputs import Output
    from runtimecheck.settings import Settings

    from .args import BuildArgs
    from .cache import VerdictCache

# The verdicts of facts.py and their order (worst last), for the warm path.
PASS, WARN, VERDICT_UNKNOWN, BLOCK = "pass", "warn", "unknown", "block"
VERDICT_ORDER = {PASS: 0, WARN: 1, VERDICT_UNKNOWN: 2, BLOCK: 3}

OUTPUT_ENV = "RUNTIMECHECK_OUTPUT"
BUILDING_DESPITE_WARNINGS = "building anyway; `docker runtimecheck` shows the details and the fix"


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
        name_the_context_builder(opts)
    if parsed.skip or is_true(os.environ.get(SKIP_ENV, "")):
        log.info("runtime check skipped")
        return exec_docker(opts, tail)
    reports = _reports(parsed)
    if reports is None:
        return EXIT_USAGE
    if reports:
        refused = _preflight(opts, parsed, reports=reports)
        return refused if refused is not None else exec_docker(opts, tail)
    from . import witnesses
    from .cache import VerdictCache

    cache: VerdictCache | None
    try:
        key = witnesses.cache_key(opts.endpoint_flags(), parsed.builder, parsed.platforms)
        cache = VerdictCache()
        hit = cache.get(key)
        fresh = hit is not None and witnesses.still_true(hit.witnesses)
    except Exception as e:  # a cache we cannot use (or no working directory): check in full
        log.debug(f"verdict cache not used: {type(e).__name__}: {e}")
        key, cache, hit, fresh = "", None, None, False
    if fresh and hit is not None:
        log.debug(f"{hit.verdict} (cached; nothing it depended on has changed)")
        for line in hit.lines:
            _say(line)
        if hit.verdict == WARN:
            _say(BUILDING_DESPITE_WARNINGS)
        return exec_docker(opts, tail)
    refused = _preflight(opts, parsed, key=key, cache=cache)
    if refused is not None:
        return refused
    return exec_docker(opts, tail)


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


def _reports(parsed: BuildArgs) -> list[Output] | None:
    """The report files asked for; None (said) when the request is malformed."""
    given = list(parsed.outputs)
    given += [v.strip() for v in os.environ.get(OUTPUT_ENV, "").split(",") if v.strip()]
    if not given:
        return []
    from runtimecheck.report.outputs import plan_outputs

    try:
        return plan_outputs("text", given, quiet=True, flag=OUTPUT_FLAG)
    except RuntimecheckError as e:
        _say(f"{e.message}; nothing built")
        if e.hint:
            _say(e.hint)
        return None


def build_platforms(given: list[str] | None) -> list[str]:
    """The platforms buildx builds for: the `--platform` values, else DOCKER_DEFAULT_PLATFORM
    (buildx commands/build.go: the flag's default), else none."""
    if given is not None:
        return given
    default = os.environ.get("DOCKER_DEFAULT_PLATFORM")
    return [default] if default else []


def _preflight(
    opts: GlobalOptions,
    parsed: BuildArgs,
    *,
    key: str = "",
    cache: VerdictCache | None = None,
    reports: list[Output] | None = None,
) -> int | None:
    """None to go ahead with the build, else the exit status of the refusal.

    An answer that lets the build go ahead is cached with its witnesses. `reports` are
    written from the result; SARIF results are anchored at the build's Dockerfile. A block
    is only a warning for a build that never runs a container.
    """
    builder, dockerfile = parsed.builder, parsed.dockerfile()
    platforms = build_platforms(parsed.platforms)
    from runtimecheck import settings

    try:
        # Seen before they are read, so that a change meanwhile leaves the entry stale, not wrong.
        own = _own_witnesses()
        conf = settings.load()
    except Exception as e:
        message = e.message if isinstance(e, RuntimecheckError) else f"{type(e).__name__}: {e}"
        _say(f"runtime check not done ({message}); building anyway")
        return None
    try:
        outcome = _audit(opts, builder, conf, platforms or [])
    except RuntimecheckError as e:
        outcome = Outcome(VERDICT_UNKNOWN, [e.message])
    except Exception as e:  # a bug of ours must never stop a build
        import traceback

        log.debug(traceback.format_exc())
        message = f"internal error: {type(e).__name__}: {e}"
        outcome = Outcome(VERDICT_UNKNOWN, [message], our_failure=True)

    if reports:
        if outcome.result is None:
            _say("no report written: the builder was not checked")
        elif not _write_reports(outcome.result, reports, dockerfile):
            return EXIT_USAGE
    spared = None
    if outcome.verdict == BLOCK and not outcome.our_failure:
        spared = _spared(parsed)
        if spared is not None:
            outcome.verdict = WARN
            outcome.witnesses = None  # it depends on the Dockerfile: never cached
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
    if spared is not None:
        _say(
            f"this build never calls the runtime: {spared} (unless a base image carries "
            "ONBUILD RUN triggers); a build with RUN steps on this builder would fail"
        )
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


def _audit(
    opts: GlobalOptions, builder: str | None, conf: Settings, platforms: list[str]
) -> Outcome:
    from runtimecheck.audit import AuditOptions, audit
    from runtimecheck.builders.fingerprint import witnesses
    from runtimecheck.builders.selection import selected_builder_name
    from runtimecheck.dockercli import resolve
    from runtimecheck.report.progress import Progress

    cfg = resolve(opts)
    name = selected_builder_name(cfg, builder)
    # Seen before the check, so that a change during it leaves the entry stale, not wrong.
    seen = witnesses(cfg, name)
    if seen is None:
        log.debug(f"builder {name}: not cacheable, checked in full on every build")
    # A builder that is not running is booted as the build is about to boot it anyway, so
    # that what is checked is the runtime the build will run.
    options = AuditOptions(
        builder=builder,
        ignore=conf.ignore,
        assume_runtime=dict(conf.assume_runtime),
        bootstrap=True,
        platforms=platforms,
    )
    log.debug(f"builder {name}: checking")
    with Progress(sys.stderr) as progress:
        result = audit(cfg, options, progress=progress.update)
    if any(b.selection_detected for b in result.builders):
        log.debug(f"builder {name}: its node was chosen by detected platforms, not cached")
        seen = None
    return Outcome(result.verdict, findings(result), result, builder=name, witnesses=seen)


def _spared(parsed: BuildArgs) -> str | None:
    """Why the build runs no container at all, read from its Dockerfile; None when it does,
    or when that cannot be told (the block then stands)."""
    from .dockerfile import runtime_needed

    try:
        text = _dockerfile_text(parsed)
        if text is None:
            return None
        needs = runtime_needed(text, target=parsed.target, build_args=parsed.build_args)
    except Exception as e:  # reading it is a bonus: failing to never lets a block through
        log.debug(f"Dockerfile not read: {type(e).__name__}: {e}")
        return None
    log.debug(f"Dockerfile: runtime needed: {needs.runtime} ({needs.why})")
    return needs.why if needs.runtime is False else None


def _dockerfile_text(parsed: BuildArgs) -> str | None:
    if parsed.file == "-" and parsed.context not in (None, "-"):
        from . import stdin

        taken, whole = stdin.take()
        stdin.give_back(taken)  # buildx reads all of it, as if nothing had been read
        return taken.decode("utf-8", "replace") if whole else None
    path = parsed.dockerfile()
    if path is None:
        return None
    from .stdin import LIMIT

    with open(path, "rb") as f:
        data = f.read(LIMIT + 1)
    return None if len(data) > LIMIT else data.decode("utf-8", "replace")


def _write_reports(result: Result, reports: list[Output], dockerfile: str | None) -> bool:
    from runtimecheck import report
    from runtimecheck.report.outputs import write

    location = _relative(dockerfile) if dockerfile else None
    try:
        for out in reports:
            text = report.render(result, out.format, color=False, sarif_location=location)
            write(out, text)
    except RuntimecheckError as e:
        _say(f"{e.message}; nothing built")
        return False
    return True


def _relative(path: str) -> str:
    """A path for SARIF: relative to the working directory (where code scanning's checkout
    is) when it lies under it, with forward slashes."""
    full = os.path.abspath(path)
    here = os.getcwd()
    if os.path.commonpath([full, here]) == here:
        path = os.path.relpath(full)
    return path.replace(os.sep, "/")


def _own_witnesses() -> list:
    """The settings files and the knowledge data the verdict will be reached with."""
    from runtimecheck import knowledge, settings

    from . import witnesses

    found = settings.watched_witnesses()
    data = str(knowledge.default_directory())
    paths = [data] + [os.path.join(data, name) for name in knowledge.FILES]
    return found + [witnesses.file_witness(p) for p in paths]


def findings(result: Result) -> list[str]:
    """One line per thing that is not a pass: errors, then failing checks not ignored."""
    lines = []
    for b in result.builders:
        if b.error:
            lines.append(f"builder {b.name}: {b.error}")
        for n in b.nodes:
            if n.used is False:
                continue  # not used by this build: reported, never a finding of it
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
        from runtimecheck import report

        text = report.render(result, "text", stream=sys.stderr)
    except Exception as e:
        log.debug(f"no report: {type(e).__name__}: {e}")
        return ""
    return text if text.endswith("\n") else text + "\n"


def _say(message: str) -> None:
    log.say(message)
