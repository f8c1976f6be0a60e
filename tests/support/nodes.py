"""Node facts the verdict tests start from."""

from __future__ import annotations

from typing import Optional

from runtimecheck.facts import (
    REJECTED,
    BuildKitFacts,
    FixContext,
    NodeFacts,
    ProbeOutcome,
    RuntimeFacts,
    RuntimeIdentity,
)


def crun_rejecting_keep(
    builder: str = "ci",
    *,
    image: Optional[str],
    binary_override: Optional[str],
    path: str = "/usr/bin/crun",
    evidence: str = "exit 64",
) -> NodeFacts:
    """A docker-container node whose crun 1.8.1 rejects `run --keep` of BuildKit v0.12.5."""
    return NodeFacts(
        builder=builder,
        node=builder + "0",
        driver="docker-container",
        endpoint=None,
        buildkit=BuildKitFacts("v0.12.5"),
        runtime=RuntimeFacts(
            path=path,
            identity=RuntimeIdentity("crun", "1.8.1"),
            probes={"run-keep": ProbeOutcome("run-keep", REJECTED, evidence)},
            verified=True,
        ),
        fix_context=FixContext("docker-container", builder, builder + "0", image, binary_override),
    )
