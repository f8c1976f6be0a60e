"""`docker runtimecheck`: audit the builder a build would use (or every builder), report."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Optional

from runtimecheck import log

from . import Context


@dataclass
class CheckRequest:
    builder: Optional[str] = None  # None: the one a build would use
    all: bool = False
    format: Optional[str] = None  # None: from the settings, else text
    outputs: list[str] = field(default_factory=list)  # FILE, or FORMAT=FILE
    quiet: bool = False
    color: str = "auto"  # auto / always / never
    fail_on: Optional[str] = None
    ignore: list[str] = field(default_factory=list)
    assume_runtime: Optional[str] = None  # NAME=VERSION
    sarif_location: Optional[str] = None
    bootstrap: bool = False
    timeout: float = 30.0
    buildkit: Optional[str] = None  # --buildkit: judge against this BuildKit (hypothetical)
    engine: Optional[str] = None  # --engine: … against the BuildKit this Engine bundles
    deep: bool = False  # also run BuildKit's call sequence for real where each runtime runs


def run(ctx: Context, request: CheckRequest) -> int:
    from runtimecheck import knowledge, report, settings, whatif
    from runtimecheck.assumed import parse_assumed
    from runtimecheck.audit import AuditOptions, audit
    from runtimecheck.behaviour import CHECK_ID as BEHAVIOUR_CHECK
    from runtimecheck.dockercli import resolve
    from runtimecheck.report.outputs import plan_outputs, write
    from runtimecheck.report.progress import Progress

    what_if = whatif.resolve(knowledge.load(), request.buildkit, request.engine)
    flags: dict = {"ignore": request.ignore, "fail_on": request.fail_on, "format": request.format}
    if request.assume_runtime:
        parse_assumed(request.assume_runtime)
        flags["assume_runtime"] = {request.builder or "*": request.assume_runtime}
    conf = settings.load(flags=flags)
    conf.check_ignored([*(i.id for i in knowledge.load().invocations()), BEHAVIOUR_CHECK])
    outputs = plan_outputs(conf.format or "text", request.outputs, quiet=request.quiet)
    cfg = resolve(ctx.options)
    log.debug(f"docker endpoint {cfg.endpoint.host} (context {cfg.endpoint.context})")
    options = AuditOptions(
        builder=request.builder,
        all=request.all,
        bootstrap=request.bootstrap,
        assume_runtime=dict(conf.assume_runtime),
        ignore=conf.ignore,
        timeout=request.timeout,
        what_if=what_if,
        deep=request.deep,
    )
    with Progress(sys.stderr, enabled=False if request.quiet else None) as progress:
        result = audit(cfg, options, progress=progress.update)
        if result.inspected_nothing and not request.all:
            # For information only: it never stands in for the builder's verdict.
            from runtimecheck import local_runtimes

            progress.update("checking the runtimes on this host's PATH")
            result.advisory.append(local_runtimes.on_path(knowledge.load(), conf.ignore))
    color = {"always": True, "never": False}.get(request.color)
    # Files first: one that cannot be written is an error before anything reaches stdout.
    for out in sorted(outputs, key=lambda o: o.path is None):
        stream = sys.stdout if out.path is None else None
        text = report.render(
            result,
            out.format,
            color=color if out.path is None else False,
            stream=stream,
            sarif_location=request.sarif_location,
        )
        write(out, text)
    return report.exit_status(result, conf.fail_on)
