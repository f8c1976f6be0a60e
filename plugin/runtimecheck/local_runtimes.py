"""Runtime binaries on this machine judged on their own, against one BuildKit version.

For `docker runtimecheck probe PATH`, and for the advice given when no builder could be
inspected (every known runtime name on this host's PATH, against the newest BuildKit).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

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


def host_environment(
    mountinfo: Optional[str] = None, euid: Optional[int] = None
) -> tuple[Optional[str], Optional[bool], str]:
    """(cgroup version, rootless, how learnt) for a BuildKit run here by this user: this
    host's /sys/fs/cgroup (/proc/self/mountinfo), and rootless unless run as root."""
    from .probe import environment

    why = ""
    if mountinfo is None:
        mountinfo, why = environment.read_mountinfo()
    uid = os.geteuid() if euid is None else euid
    rootless = uid != 0
    who = f"{'rootless' if rootless else 'rootful'}: run by uid {uid}"
    if mountinfo is None:
        return None, rootless, f"{why}; {who}"
    mount = environment.cgroup_mount(mountinfo)
    return mount.version, rootless, f"{mount.describe()} on this host; {who}"


def _node(path: str, runtime: RuntimeFacts, buildkit: str, source: str) -> NodeFacts:
    cgroup, rootless, how = host_environment()
    return NodeFacts(
        builder=HOST_BUILDER,
        node=path,
        driver=HOST_DRIVER,
        endpoint=None,
        buildkit=BuildKitFacts(
            version=buildkit, source=source, cgroup=cgroup, rootless=rootless, environment=how
        ),
        runtime=runtime,
        fix_context=FixContext(driver=HOST_DRIVER),
        status="running",
    )
