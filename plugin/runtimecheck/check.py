"""The main flow: which builders → facts from their drivers → verdicts → one `Result`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from .dockercli import DockerConfig
from .errors import RuntimecheckError
from .facts import BuilderResult, Result


@dataclass
class CheckOptions:
    builder: Optional[str] = None  # None: the builder a build would use
    all: bool = False  # every stored builder and every context's default builder
    bootstrap: bool = False  # start a stopped builder first (the only thing that changes state)
    assume_runtime: dict[str, str] = field(default_factory=dict)  # builder or "*" → "crun=1.14.4"
    ignore: frozenset[str] = frozenset()
    timeout: float = 30.0  # bound for one builder, all nodes together


def run_check(
    cfg: DockerConfig,
    options: CheckOptions,
    progress: Optional[Callable[[str], None]] = None,
) -> Result:
    from . import knowledge, verdict
    from .builders import inspect, select

    kb = knowledge.load()
    result = Result()
    if options.all:
        candidates = select.all_builders(cfg)
    else:
        candidates = [select.selected_builder(cfg, options.builder)]

    for builder in candidates:
        if isinstance(builder, select.BuilderError):
            result.builders.append(
                BuilderResult(builder.name, builder.driver, error=builder.message)
            )
            continue
        if progress:
            progress(f"inspecting builder {builder.name} ({builder.driver})")
        try:
            node_facts = inspect.inspect_builder(
                cfg,
                builder,
                kb=kb,
                bootstrap=options.bootstrap,
                assumed=options.assume_runtime,
                timeout=options.timeout,
            )
        except RuntimecheckError as e:
            result.builders.append(BuilderResult(builder.name, builder.driver, error=e.message))
            continue
        nodes = [verdict.decide(kb, facts, options.ignore) for facts in node_facts]
        result.builders.append(BuilderResult(builder.name, builder.driver, nodes=nodes))
    return result
