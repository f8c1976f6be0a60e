"""Which of a builder's nodes a build runs on: `platforms.choose` on the store's nodes, with
the platforms the installed buildx lists for them when the stored ones do not decide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from . import buildx_inspect, platforms
from .store import Builder


@dataclass
class Usage:
    nodes: frozenset[int]  # indexes of the nodes the build may run on
    sentence: str  # what the report says about it
    detected: bool = False  # decided by the nodes' detected platforms (or their absence)


def requested(values: Sequence[str]) -> tuple[Optional[list[platforms.Platform]], str]:
    """The build's platforms; (None, why) when buildx could not parse them (it then stops
    before building anything)."""
    try:
        return platforms.parse_all(values), ""
    except ValueError as e:
        return None, f"--platform {','.join(values)} is not a platform buildx accepts ({e})"


def stored(builder: Builder) -> list[list[platforms.Platform]]:
    found = []
    for node in builder.nodes:
        parsed = (platforms.from_store(p) for p in node.platforms)
        found.append([p for p in parsed if p is not None])
    return found


def needs_detected(builder: Builder, wanted: Sequence[platforms.Platform]) -> bool:
    """Whether the stored platforms leave the choice to what each node's BuildKit detects."""
    return not platforms.choose(stored(builder), wanted).certain


def detected_by_buildx(
    inspected: Optional[buildx_inspect.Inspected], builder: Builder
) -> Optional[list[Optional[list[platforms.Platform]]]]:
    """Each node's platforms as `docker buildx inspect` lists them (None for one it does not)."""
    if inspected is None:
        return None
    found: list[Optional[list[platforms.Platform]]] = []
    for node in builder.nodes:
        listed = inspected.node(node.name)
        if listed is None or listed.platforms is None:
            found.append(None)
            continue
        try:
            found.append(platforms.parse_all(listed.platforms))
        except ValueError:
            found.append(None)
    return found


def for_build(
    builder: Builder,
    values: Sequence[str],
    detected: Optional[Sequence[Optional[Sequence[platforms.Platform]]]] = None,
    why_not_detected: str = "",
) -> Usage:
    """The nodes a build with these `--platform` values (empty: none) runs on."""
    every = frozenset(range(len(builder.nodes)))
    wanted, problem = requested(values)
    if wanted is None:
        return Usage(every, f"every node counts: {problem}")
    names = [n.name for n in builder.nodes]
    choice = platforms.choose(stored(builder), wanted, detected, names)
    used = ", ".join(names[i] for i in sorted(choice.nodes))
    sentence = f"this build runs on node {used}" if len(choice.nodes) == 1 else (
        f"this build may run on nodes {used}")  # fmt: skip
    reason = choice.reason
    if not choice.certain and why_not_detected:
        reason += f" ({why_not_detected})"
    return Usage(choice.nodes, f"{sentence}: {reason}")


def without_build(builder: Builder, default_platform: Optional[str]) -> Optional[str]:
    """For the plain check of a builder of several nodes: which node a build uses."""
    if len(builder.nodes) < 2:
        return None
    names = [n.name for n in builder.nodes]
    if not default_platform:
        return (
            f"a build without --platform runs on node {names[0]} only (the first); with "
            "--platform, on the node whose platforms match (`docker runtimecheck build …` "
            "counts only the nodes that build uses)"
        )
    usage = for_build(builder, [default_platform])
    return f"with DOCKER_DEFAULT_PLATFORM={default_platform}, {usage.sentence}"
