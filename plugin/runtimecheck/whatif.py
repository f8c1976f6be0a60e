"""The upgrade question, asked before the upgrade: each builder's real, probed runtime judged
against a BuildKit or Docker Engine release it does not run (`--buildkit`, `--engine`).

Pure: the facts learnt at the edges go in, the same facts with the hypothetical BuildKit come
out, saying so. Only the BuildKit changes; the runtime, where BuildKit runs and the rest are
what was probed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from .errors import UsageError
from .facts import NodeFacts
from .knowledge import Knowledge, parse_version, release_kind

DOCKER_DRIVER = "docker"


@dataclass(frozen=True)
class WhatIf:
    """The release assumed: a BuildKit version, or a Docker Engine and what it bundles."""

    buildkit: str  # the BuildKit judged against, e.g. "v0.12.0"
    engine: Optional[str] = None  # --engine: the Engine release; None for --buildkit
    source: str = ""  # where the Engine's BuildKit is read (engines.toml)

    def label(self) -> str:
        """What every report says, whatever its format."""
        if self.engine is None:
            return (
                f"hypothetical: judged against BuildKit {self.buildkit} (--buildkit), not the "
                "BuildKit each builder runs"
            )
        return (
            f"hypothetical: judged against Docker Engine {self.engine} (--engine), which "
            f"bundles BuildKit {self.buildkit}; builders that run their own BuildKit "
            "(docker-container, kubernetes, remote) keep it"
        )


def resolve(kb: Knowledge, buildkit: Optional[str], engine: Optional[str]) -> Optional[WhatIf]:
    """The what-if of the command line, or None; a UsageError names what is wrong."""
    if buildkit and engine:
        raise UsageError("--buildkit and --engine cannot be used together")
    if buildkit:
        if parse_version(buildkit) is None:
            raise UsageError(
                f"--buildkit {buildkit!r} is not a BuildKit version", hint="e.g. --buildkit v0.12.0"
            )
        return WhatIf(buildkit if buildkit.startswith("v") else f"v{buildkit}")
    if engine:
        version = engine.removeprefix("docker-").lstrip("v")
        found = kb.engine_buildkit(version)
        if found is None:
            span = ""
            if kb.engines:  # in release order, as scripts/derive-metadata writes them
                first = _bounds(kb.engines[0].engine_text)[0]
                last = _bounds(kb.engines[-1].engine_text)[-1]
                span = f" (it knows {first} … {last})"
            raise UsageError(
                f"--engine {engine!r}: which BuildKit that Docker Engine bundles is not in the "
                f"data{span}",
                hint="name a released Engine, e.g. --engine 25.0.3, or use --buildkit",
            )
        return WhatIf(found[0], engine=version, source=found[1])
    return None


def apply(what_if: WhatIf, facts: NodeFacts) -> NodeFacts:
    """The node's facts judged against the hypothetical release (a copy; `facts` stays)."""
    if facts.error is not None:
        return facts
    current = facts.buildkit
    runs = current.version or "an unknown version"
    if current.source:
        runs += f" ({current.source})"
    if what_if.engine is not None and facts.driver != DOCKER_DRIVER:
        note = (
            f"--engine {what_if.engine}: this builder runs its own BuildKit, {runs}, which a "
            "Docker Engine upgrade does not change; judged with it"
        )
        return dataclasses.replace(facts, notes=[*facts.notes, note])
    if what_if.engine is not None:
        kind = release_kind(what_if.buildkit)
        source = f"hypothetical: Docker Engine {what_if.engine}"
        if kind:
            source += f", {kind}"
        context = dataclasses.replace(facts.fix_context, engine_version=what_if.engine)
    else:
        source = "hypothetical: --buildkit"
        context = facts.fix_context
    buildkit = dataclasses.replace(
        current,
        version=what_if.buildkit,
        source=source,
        judged_as=None,
        hypothetical=True,
        actual=runs,
    )
    return dataclasses.replace(facts, buildkit=buildkit, fix_context=context)


def _bounds(spec: str) -> list[str]:
    return [part.lstrip("=<>~! ") for part in spec.split(",") if part.strip()]
