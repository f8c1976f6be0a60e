"""What `docker runtimecheck` and `docker runtimecheck probe` do, free of typer."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Optional

from . import log
from .dockercli import GlobalOptions
from .errors import EXIT_BLOCK, EXIT_PASS, EXIT_UNINSPECTED, UsageError
from .facts import BLOCK, BuilderResult, BuildKitFacts, FixContext, NodeFacts, NodeResult

HOST_BUILDER = "host PATH"


def check_command(
    opts: GlobalOptions,
    *,
    builder: Optional[str],
    all_builders: bool,
    fmt: Optional[str],
    fail_on: Optional[str],
    ignore: list[str],
    assume_runtime: Optional[str],
    bootstrap: bool,
    timeout: float,
) -> int:
    from . import report, settings
    from .check import CheckOptions, run_check
    from .dockercli import resolve
    from .report.progress import Progress

    flags: dict = {"ignore": ignore, "fail_on": fail_on, "format": fmt}
    if assume_runtime:
        _parse_assumed(assume_runtime)
        flags["assume_runtime"] = {builder or "*": assume_runtime}
    conf = settings.load(flags=flags)
    cfg = resolve(opts)
    log.debug(f"docker endpoint {cfg.endpoint.host} (context {cfg.endpoint.context})")
    options = CheckOptions(
        builder=builder,
        all=all_builders,
        bootstrap=bootstrap,
        assume_runtime=dict(conf.assume_runtime),
        ignore=conf.ignore,
        timeout=timeout,
    )
    with Progress(sys.stderr) as progress:
        result = run_check(cfg, options, progress=progress.update)
        if result.inspected_nothing and not all_builders:
            # For information only: it never stands in for the builder's verdict.
            progress.update("checking the runtimes on this host's PATH")
            result.advisory.append(host_runtimes(conf.ignore))
    sys.stdout.write(report.render(result, conf.format or "text"))
    return report.exit_status(result, conf.fail_on)


def _parse_assumed(value: str) -> tuple[str, str]:
    name, sep, version = value.partition("=")
    if not sep or not name or not version:
        raise UsageError(f"--assume-runtime expects NAME=VERSION (e.g. crun=1.14.4), got {value!r}")
    return name, version


def host_runtimes(ignore: frozenset[str] = frozenset()) -> BuilderResult:
    """Every known runtime on this host's PATH, judged against the newest BuildKit."""
    from . import knowledge, verdict
    from .probe import host

    kb = knowledge.load()
    nodes: list[NodeResult] = []
    seen: set[Path] = set()
    for name in kb.binaries():
        path = shutil.which(name)
        if not path or Path(path).resolve() in seen:
            continue
        seen.add(Path(path).resolve())
        facts = host.probe_binary(path, kb.invocations(), runtimes=kb.identities())
        nodes.append(
            verdict.decide(
                kb, _host_node(path, facts, kb.newest_buildkit(), "newest known"), ignore
            )
        )
    return BuilderResult(
        HOST_BUILDER, "host", nodes=nodes, error=None if nodes else "no OCI runtime on PATH"
    )


def _host_node(path: str, runtime, buildkit: str, source: str) -> NodeFacts:
    return NodeFacts(
        builder=HOST_BUILDER,
        node=path,
        driver="host",
        endpoint=None,
        buildkit=BuildKitFacts(version=buildkit, source=source),
        runtime=runtime,
        fix_context=FixContext(driver="host"),
        status="running",
    )


def probe_command(path: str, *, buildkit: Optional[str], fmt: str, timeout: float) -> int:
    from . import knowledge, report, verdict
    from .probe import host

    kb = knowledge.load()
    resolved = path if "/" in path else (shutil.which(path) or path)
    facts = host.probe_binary(resolved, kb.invocations(), timeout=timeout, runtimes=kb.identities())
    version = buildkit or kb.newest_buildkit()
    source = "--buildkit" if buildkit else "newest known"
    node = verdict.decide(kb, _host_node(resolved, facts, version, source))
    sys.stdout.write(report.render_node(node, fmt))
    if facts.error is not None:
        return EXIT_UNINSPECTED
    return EXIT_BLOCK if node.verdict == BLOCK else EXIT_PASS
