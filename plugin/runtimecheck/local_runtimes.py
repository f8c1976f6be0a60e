"""Runtime binaries on this machine judged on their own, against one BuildKit version.

For `docker runtimecheck probe PATH`, and for the advice given when no builder could be
inspected (every known runtime name on this host's PATH, against the newest BuildKit).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .facts import BuilderResult, BuildKitFacts, FixContext, NodeFacts, NodeResult, RuntimeFacts
from .knowledge import Knowledge

HOST_BUILDER = "host PATH"
HOST_DRIVER = "host"


def judge(
    kb: Knowledge,
    path: str,
    buildkit: str,
    source: str,
    *,
    timeout: float = 5.0,
    deep: bool = False,
):
    """(the node's verdict, the probe's facts) for the binary at `path`; with `deep`, also
    BuildKit's call sequence run with it for real."""
    from . import verdict
    from .probe import host

    facts = host.probe_binary(
        path, kb.invocations(), timeout=timeout, runtimes=kb.identities(), deep=deep
    )
    return verdict.decide(kb, _node(path, facts, buildkit, source)), facts


def on_path(kb: Knowledge, ignore: frozenset[str] = frozenset()) -> BuilderResult:
    """Every known runtime on this host's PATH, judged against the newest BuildKit."""
    from . import verdict
    from .probe import host

    nodes: list[NodeResult] = []
    seen: set[Path] = set()
    for name in kb.binaries():
        path = shutil.which(name)
        if not path or Path(path).resolve() in seen:
            continue
        seen.add(Path(path).resolve())
        facts = host.probe_binary(path, kb.invocations(), runtimes=kb.identities())
        node = _node(path, facts, kb.newest_buildkit(), "newest known")
        nodes.append(verdict.decide(kb, node, ignore))
    return BuilderResult(
        HOST_BUILDER, HOST_DRIVER, nodes=nodes, error=None if nodes else "no OCI runtime on PATH"
    )


def _node(path: str, runtime: RuntimeFacts, buildkit: str, source: str) -> NodeFacts:
    return NodeFacts(
        builder=HOST_BUILDER,
        node=path,
        driver=HOST_DRIVER,
        endpoint=None,
        buildkit=BuildKitFacts(version=buildkit, source=source),
        runtime=runtime,
        fix_context=FixContext(driver=HOST_DRIVER),
        status="running",
    )
