"""The audit: which builders → facts from their drivers → verdicts → one `Result`.

Builders are audited concurrently (with `--all`, the whole takes as long as the slowest);
each builder's nodes are inspected concurrently by `builders.gather`.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional, Union

from .bootstrap import BOOTSTRAP_TIMEOUT_S
from .builders.gather import GRACE_S
from .builders.store import Builder, BuilderError
from .dockercli import DockerConfig
from .errors import RuntimecheckError
from .facts import BuilderResult, NodeFacts, Result

if TYPE_CHECKING:
    from .builders.usage import Usage
    from .knowledge import Knowledge
    from .whatif import WhatIf


@dataclass
class AuditOptions:
    builder: Optional[str] = None  # None: the builder a build would use
    all: bool = False  # every stored builder and every context's default builder
    # Boot a builder that is not running through buildx first (the only thing that changes
    # state); without it, such a builder is judged from its configuration.
    bootstrap: bool = False
    assume_runtime: dict[str, str] = field(default_factory=dict)  # builder or "*" → "crun=1.14.4"
    ignore: frozenset[str] = frozenset()
    timeout: float = 30.0  # bound for one builder, all nodes together
    # Judge every node's probed runtime against this BuildKit / Engine instead of its own.
    what_if: Optional[WhatIf] = None
    deep: bool = False  # also run BuildKit's call sequence for real (--deep)
    # A build's `--platform` values (DOCKER_DEFAULT_PLATFORM's when none; empty: none): only
    # the nodes that build runs on count. None: not a build, every node counts.
    platforms: Optional[list[str]] = None


def audit(
    cfg: DockerConfig,
    options: AuditOptions,
    progress: Optional[Callable[[str], None]] = None,
) -> Result:
    from . import knowledge
    from .builders import selection

    kb = knowledge.load()
    if options.all:
        candidates = selection.all_builders(cfg)
    else:
        candidates = [selection.selected_builder(cfg, options.builder)]
    result = _audit_all(cfg, candidates, kb, options, progress)
    if options.what_if is not None:
        result.what_if = options.what_if.label()
    return result


def _audit_all(
    cfg: DockerConfig,
    candidates: list[Union[Builder, BuilderError]],
    kb: Knowledge,
    options: AuditOptions,
    progress: Optional[Callable[[str], None]],
) -> Result:
    if len(candidates) == 1:
        return Result([_audit_one(cfg, candidates[0], kb, options, progress)])

    results: dict[int, BuilderResult] = {}

    def work(index: int, builder: Union[Builder, BuilderError]) -> None:
        results[index] = _audit_one(cfg, builder, kb, options, None)

    if progress:
        progress(f"inspecting {len(candidates)} builders")
    threads = [
        threading.Thread(target=work, args=(i, b), name=f"runtimecheck-audit-{b.name}", daemon=True)
        for i, b in enumerate(candidates)
    ]
    for thread in threads:
        thread.start()
    # Each builder is bounded by the timeout (and a boot by its own); a thread still running
    # past that is reported, not waited for.
    limit = options.timeout + GRACE_S + (BOOTSTRAP_TIMEOUT_S if options.bootstrap else 0)
    deadline = time.monotonic() + limit
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return Result(
        [
            results.get(i)
            or BuilderResult(b.name, b.driver, error=f"did not answer within {limit:g} s")
            for i, b in enumerate(candidates)
        ]
    )


def _audit_one(
    cfg: DockerConfig,
    builder: Union[Builder, BuilderError],
    kb: Knowledge,
    options: AuditOptions,
    progress: Optional[Callable[[str], None]],
) -> BuilderResult:
    from . import bootstrap, verdict

    if isinstance(builder, BuilderError):
        return BuilderResult(builder.name, builder.driver, error=builder.message)
    use = None
    try:
        node_facts = _inspect(cfg, builder, kb, options, progress)
        if options.platforms is not None:
            use = _usage(cfg, builder, options.platforms, options.timeout)
        counted = [f for f in node_facts if use is None or f.index in use.nodes]
        if bootstrap.needed(builder.driver, counted):
            node_facts = _booted(cfg, builder, node_facts, kb, options, progress)
            if options.platforms is not None:
                use = _usage(cfg, builder, options.platforms, options.timeout)  # now detected
    except RuntimecheckError as e:
        return BuilderResult(builder.name, builder.driver, error=e.message)
    if options.what_if is not None:
        from . import whatif

        node_facts = [whatif.apply(options.what_if, facts) for facts in node_facts]
    nodes = [verdict.decide(kb, facts, options.ignore) for facts in node_facts]
    result = BuilderResult(builder.name, builder.driver, nodes=nodes)
    if use is not None and len(builder.nodes) > 1:
        for node, facts in zip(nodes, node_facts):
            node.used = facts.index in use.nodes
        result.selection = use.sentence
        result.selection_detected = use.detected
    elif use is None:
        from .builders import usage

        result.selection = usage.without_build(builder, os.environ.get(DEFAULT_PLATFORM_ENV))
    return result


# buildx's default for `--platform` (commands/build.go: platformsDefault).
DEFAULT_PLATFORM_ENV = "DOCKER_DEFAULT_PLATFORM"


def _usage(cfg: DockerConfig, builder: Builder, values: list[str], timeout: float) -> Usage:
    """The nodes a build with these platforms runs on; buildx is asked what the nodes detect
    only when their stored platforms do not decide it."""
    from .builders import buildx_inspect, usage

    wanted, _ = usage.requested(values)
    if wanted is None or not usage.needs_detected(builder, wanted):
        return usage.for_build(builder, values)
    inspected, why = buildx_inspect.ask(cfg.options, builder.name, timeout)
    detected = usage.detected_by_buildx(inspected, builder)
    if inspected is not None and detected is not None and None in detected:
        why = "buildx lists no platforms for a node that is not running"
    found = usage.for_build(builder, values, detected, why)
    found.detected = True
    return found


def _booted(
    cfg: DockerConfig,
    builder: Builder,
    node_facts: list[NodeFacts],
    kb: Knowledge,
    options: AuditOptions,
    progress: Optional[Callable[[str], None]],
) -> list[NodeFacts]:
    """The nodes after `docker buildx inspect --bootstrap`, or as they were, saying why."""
    from . import bootstrap

    if not options.bootstrap:
        how = bootstrap.check_command(cfg.options, builder.name)
        for facts in node_facts:
            if facts.status in bootstrap.NOT_RUNNING:
                facts.notes.append(
                    f"not running: check it for real with `{how}` (it boots the builder as a "
                    "build would, with `docker buildx inspect --bootstrap`)"
                )
        return node_facts
    if progress:
        progress(f"booting builder {builder.name} (docker buildx inspect --bootstrap)")
    problem = bootstrap.boot(cfg.options, builder.name)
    if problem is not None:
        for facts in node_facts:
            facts.notes.append(f"not booted: {problem}")
        return node_facts
    return _inspect(cfg, builder, kb, options, progress)


def _inspect(
    cfg: DockerConfig,
    builder: Builder,
    kb: Knowledge,
    options: AuditOptions,
    progress: Optional[Callable[[str], None]],
) -> list[NodeFacts]:
    from .builders import gather

    if progress:
        progress(f"inspecting builder {builder.name} ({builder.driver})")
    return gather.inspect_builder(
        cfg,
        builder,
        kb=kb,
        assumed=options.assume_runtime,
        timeout=options.timeout,
        deep=options.deep,
    )
