"""The main flow: which builders → facts from their drivers → verdicts → one `Result`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional

from .dockercli import DockerConfig
from .errors import RuntimecheckError
from .facts import BuilderResult, NodeFacts, Result

if TYPE_CHECKING:
    from .builders.store import Builder
    from .knowledge import Knowledge


@dataclass
class CheckOptions:
    builder: Optional[str] = None  # None: the builder a build would use
    all: bool = False  # every stored builder and every context's default builder
    # Boot a builder that is not running through buildx first (the only thing that changes
    # state); without it, such a builder is judged from its configuration.
    bootstrap: bool = False
    assume_runtime: dict[str, str] = field(default_factory=dict)  # builder or "*" → "crun=1.14.4"
    ignore: frozenset[str] = frozenset()
    timeout: float = 30.0  # bound for one builder, all nodes together


def run_check(
    cfg: DockerConfig,
    options: CheckOptions,
    progress: Optional[Callable[[str], None]] = None,
) -> Result:
    from . import bootstrap, knowledge, verdict
    from .builders import gather, selection

    kb = knowledge.load()
    result = Result()
    if options.all:
        candidates = selection.all_builders(cfg)
    else:
        candidates = [selection.selected_builder(cfg, options.builder)]

    for builder in candidates:
        if isinstance(builder, selection.BuilderError):
            result.builders.append(
                BuilderResult(builder.name, builder.driver, error=builder.message)
            )
            continue
        if progress:
            progress(f"inspecting builder {builder.name} ({builder.driver})")
        try:
            node_facts = gather.inspect_builder(
                cfg, builder, kb=kb, assumed=options.assume_runtime, timeout=options.timeout
            )
            if bootstrap.needed(builder.driver, node_facts):
                node_facts = _booted(cfg, builder, node_facts, kb, options, progress)
        except RuntimecheckError as e:
            result.builders.append(BuilderResult(builder.name, builder.driver, error=e.message))
            continue
        nodes = [verdict.decide(kb, facts, options.ignore) for facts in node_facts]
        result.builders.append(BuilderResult(builder.name, builder.driver, nodes=nodes))
    return result


def _booted(
    cfg: DockerConfig,
    builder: Builder,
    node_facts: list[NodeFacts],
    kb: Knowledge,
    options: CheckOptions,
    progress: Optional[Callable[[str], None]],
) -> list[NodeFacts]:
    """The nodes after `docker buildx inspect --bootstrap`, or as they were, saying why."""
    from . import bootstrap
    from .builders import gather

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
    if progress:
        progress(f"inspecting builder {builder.name} ({builder.driver})")
    return gather.inspect_builder(
        cfg, builder, kb=kb, assumed=options.assume_runtime, timeout=options.timeout
    )
