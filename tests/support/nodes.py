"""Node facts the verdict tests start from."""

from __future__ import annotations

from typing import Optional

from runtimecheck.facts import (
    ACCEPTED,
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


def node(
    runtime: Optional[str],
    version: Optional[str],
    buildkit: Optional[str],
    *,
    driver: str = "docker-container",
    probes: Optional[dict[str, str]] = None,
    worker: Optional[str] = "oci",
    no_pivot: bool = False,
    wrapper: Optional[str] = None,
    binary_override: Optional[str] = None,
    engine_version: Optional[str] = None,
    error: Optional[str] = None,
    cgroup: Optional[str] = None,
    rootless: Optional[bool] = None,
) -> NodeFacts:
    outcomes = {
        i: ProbeOutcome(i, status, f"exit 1: probe says {status}")
        for i, status in (probes or {}).items()
    }
    rt = RuntimeFacts(
        path="/usr/bin/runc",
        identity=RuntimeIdentity(runtime, version, wrapper=wrapper),
        probes=outcomes,
        verified=probes is not None,
    )
    return NodeFacts(
        builder="ci",
        node="ci0",
        driver=driver,
        endpoint=None,
        buildkit=BuildKitFacts(
            buildkit, worker=worker, no_pivot=no_pivot, cgroup=cgroup, rootless=rootless
        ),
        runtime=rt,
        fix_context=FixContext(
            driver=driver,
            builder="ci",
            binary_override=binary_override,
            engine_version=engine_version,
        ),
        error=error,
    )


def check(result, check_id):
    return next(c for c in result.checks if c.id == check_id)


def all_accepted(kb, buildkit="v0.12.0") -> dict[str, str]:
    return {i.id: ACCEPTED for i in kb.invocations(buildkit)}
