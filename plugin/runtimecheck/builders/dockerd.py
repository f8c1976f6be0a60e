"""The docker driver: the BuildKit built into dockerd, and the `runc` on dockerd's own PATH.

The Engine version (`/version`) gives the bundled BuildKit. The runtime is the `runc` found on
dockerd's PATH, or `DOCKER_BUILDKIT_RUNC_COMMAND` from dockerd's environment from Engine 26.0
(moby PR #47563); daemon.json runtimes are never consulted by the builder. dockerd's
environment is read from /proc when the daemon serves a unix socket on this machine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional

from runtimecheck import dockerapi
from runtimecheck.dockercli import DockerConfig
from runtimecheck.facts import BuildKitFacts, FixContext, NodeFacts, RuntimeFacts, RuntimeIdentity
from runtimecheck.knowledge import Knowledge, Runtime
from runtimecheck.preflight import witnesses as kinds
from runtimecheck.probe import environment as env
from runtimecheck.probe.host import which

from . import docker_endpoint
from . import socket_holders as sockets
from .driver import InspectContext, NotCheap, local_socket
from .store import Builder, Node

NAME = "docker"

# The driver's attributes (driver.Driver): this module is the driver.
name = NAME
priority = 10
boots_on_demand = False
asks_engine_version = True
RUNC_COMMAND_ENV = "DOCKER_BUILDKIT_RUNC_COMMAND"
RAMDISK_ENV = "DOCKER_RAMDISK"  # NoPivot for the built-in BuildKit (builder-next)
# Set by RootlessKit; dockerd then builds rootless (moby rootless.RunningWithRootlessKit).
ROOTLESSKIT_ENV = "ROOTLESSKIT_STATE_DIR"
RUNC_COMMAND_SINCE = (26, 0)
DEFAULT_COMMAND = "runc"
SCAN_LIMIT_S = 2.0  # looking through /proc for the process holding the socket


@dataclass
class Dockerd:
    """The dockerd process serving the socket, as /proc shows it."""

    pid: int
    environ: dict[str, str]
    same_root: Optional[bool]  # its / is ours (so a path on its PATH is the same file here)
    start_ticks: Optional[int] = None  # /proc/<pid>/stat starttime, for fingerprints
    mountinfo: Optional[str] = None  # /proc/<pid>/mountinfo: what its BuildKit sees
    mountinfo_error: str = ""


@dataclass
class Located:
    """The binary dockerd's builder would execute, before it is run."""

    command: str  # as dockerd would look it up: "runc" or the override
    source: str  # "dockerd's PATH" / "DOCKER_BUILDKIT_RUNC_COMMAND"
    path_env: Optional[str]
    notes: list[str] = field(default_factory=list)


def engine_major_minor(version: Optional[str]) -> Optional[tuple[int, int]]:
    if not version:
        return None
    parts = version.lstrip("v").split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or "0")
    except (ValueError, IndexError):
        return None


def locate_runtime(engine_version: Optional[str], environ: dict[str, str]) -> Located:
    """Which command dockerd's builder runs, from its version and environment. Pure."""
    notes: list[str] = []
    override = environ.get(RUNC_COMMAND_ENV) or None
    engine = engine_major_minor(engine_version)
    path_env = environ.get("PATH")
    if override:
        if engine is not None and engine >= RUNC_COMMAND_SINCE:
            return Located(override, RUNC_COMMAND_ENV, path_env, notes)
        if engine is None:
            notes.append(
                f"dockerd has {RUNC_COMMAND_ENV}={override}, honoured only from Engine 26.0; "
                "the Engine version is unknown, so runc on its PATH was assumed"
            )
        else:
            notes.append(
                f"dockerd has {RUNC_COMMAND_ENV}={override}, which Engine {engine_version} "
                "ignores (honoured from 26.0)"
            )
    if path_env is None:
        notes.append("dockerd's environment has no PATH")
    return Located(DEFAULT_COMMAND, "dockerd's PATH", path_env, notes)


def minor_range(version: str) -> str:
    """`v0.25.0` → `v0.25.x`."""
    major, _, rest = version.partition(".")
    return f"{major}.{rest.partition('.')[0]}.x"


def node_facts(
    builder: Builder,
    node: Node,
    endpoint: Optional[str],
    *,
    engine_version: Optional[str],
    kb: Knowledge,
    dockerd: Optional[Dockerd],
    runtime: Optional[RuntimeFacts],
    notes: list[str],
) -> NodeFacts:
    """Engine version + dockerd + the resolved binary's facts → NodeFacts. Pure."""
    notes = list(notes)
    row = kb.engine_row(engine_version) if engine_version else None
    judged_as = None
    if row is not None:
        version, source = row.buildkit, f"Engine {engine_version}: {row.source}"
        if not row.exact:
            # The row names the lowest of the releases it stands for: show it as a range.
            judged_as, version = version, minor_range(version)
    else:
        version, source = None, ""
        notes.append(
            f"the BuildKit bundled in Engine {engine_version} is not known"
            if engine_version
            else "the Engine version could not be read"
        )
    no_pivot = bool(dockerd.environ.get(RAMDISK_ENV)) if dockerd is not None else None
    cgroup, rootless, environment = _environment(dockerd)
    override = None
    if dockerd is not None:
        located = locate_runtime(engine_version, dockerd.environ)
        if located.source == RUNC_COMMAND_ENV:
            override = located.command
    return NodeFacts(
        builder=builder.name,
        node=node.name,
        driver=NAME,
        endpoint=endpoint,
        buildkit=BuildKitFacts(
            version=version,
            source=source,
            worker="oci",
            no_pivot=no_pivot,
            cgroup=cgroup,
            rootless=rootless,
            environment=environment,
            judged_as=judged_as,
        ),
        runtime=runtime,
        fix_context=FixContext(
            driver=NAME,
            builder=builder.name,
            node=node.name,
            binary_override=override,
            engine_version=engine_version,
        ),
        status="running",
        notes=notes,
    )


def _environment(dockerd: Optional[Dockerd]) -> tuple[Optional[str], Optional[bool], str]:
    """(cgroup version, rootless, how learnt) of the BuildKit inside dockerd. Pure."""
    if dockerd is None:
        return None, None, "dockerd's /proc entry could not be read"
    rootless = bool(dockerd.environ.get(ROOTLESSKIT_ENV))
    how = (
        f"rootless: dockerd runs under RootlessKit ({ROOTLESSKIT_ENV})"
        if rootless
        else f"rootful: dockerd's environment has no {ROOTLESSKIT_ENV}"
    )
    unreadable = dockerd.mountinfo_error or "no mountinfo"
    cgroup, said = env.cgroup_of(dockerd.mountinfo, unreadable, f"dockerd (pid {dockerd.pid})")
    return cgroup, rootless, f"{said}; {how}"


def resolved_runtime(
    located: Located,
    dockerd: Dockerd,
    *,
    invocations: list[Any],
    timeout: float,
    which: Callable[[str, Optional[str]], Optional[str]],
    probe_binary: Callable[..., RuntimeFacts],
    runtimes: Optional[Sequence[Runtime]] = None,
) -> RuntimeFacts:
    """Find and run the binary dockerd would run (host edge; the probe functions are passed)."""
    where = f"host (dockerd pid {dockerd.pid})"
    if dockerd.same_root is False:
        return RuntimeFacts(
            path=None,
            identity=RuntimeIdentity(name=None, version=None),
            verified=False,
            error="dockerd runs in another mount namespace; its runtime binary was not run",
            where=where,
        )
    path = which(located.command, located.path_env or "")
    if path is None:
        return RuntimeFacts(
            path=None,
            identity=RuntimeIdentity(name=None, version=None),
            verified=False,
            error=f"{located.command} is not found on dockerd's PATH ({located.path_env or 'empty'})",
            where=where,
        )
    facts = probe_binary(path, invocations, timeout=timeout, runtimes=runtimes)
    facts.where = where
    return facts


# --- /proc: the dockerd behind a socket --------------------------------------------------------


def find_dockerd(
    socket_path: str, proc: Path = Path("/proc"), *, scan_limit_s: float = SCAN_LIMIT_S
) -> tuple[Optional[Dockerd], str]:
    """The dockerd serving `socket_path`, and how it was found (or why not)."""
    deadline = time.monotonic() + scan_limit_s
    holding = sockets.holders(socket_path, proc, deadline=deadline)
    pid: Optional[int] = None
    how = ""
    if holding:
        # With socket activation systemd holds the listening socket as well.
        named = [p for p in holding if sockets.comm(p, proc) == "dockerd"]
        if len(named) == 1:
            pid, how = named[0], f"holds {socket_path}"
        elif len(holding) == 1:
            pid, how = holding[0], f"holds {socket_path}"
    if pid is None:
        named = [p for p in sockets.all_pids(proc) if sockets.comm(p, proc) == "dockerd"]
        if len(named) == 1:
            pid, how = named[0], "the only process named dockerd"
        elif not named:
            return None, f"no process serving {socket_path} is visible in {proc}"
        else:
            return None, f"{len(named)} dockerd processes; none is known to serve {socket_path}"
    try:
        raw = (proc / str(pid) / "environ").read_bytes()
    except OSError as e:
        return None, f"cannot read /proc/{pid}/environ of dockerd: {e.strerror or e}"
    mountinfo, why = env.read_mountinfo(str(pid), proc)
    return (
        Dockerd(
            pid=pid,
            environ=sockets.parse_environ(raw),
            same_root=sockets.same_root(pid, proc),
            start_ticks=kinds.process_start(pid, str(proc)),
            mountinfo=mountinfo,
            mountinfo_error=why,
        ),
        how,
    )


# --- the edge ---------------------------------------------------------------------------------


def inspect_node(ctx: InspectContext, builder: Builder, node: Node) -> list[NodeFacts]:
    return [_inspect(ctx, builder, node)]


def witnesses(cfg: DockerConfig, node: Node) -> list[list[Any]]:
    return daemon_witnesses(docker_endpoint(cfg, node.endpoint).host)


def _inspect(ctx: InspectContext, builder: Builder, node: Node) -> NodeFacts:
    from runtimecheck.dockerapi import socket_path
    from runtimecheck.probe import host

    kb, timeout = ctx.kb, ctx.timeout
    engine = ctx.engine_for(node.endpoint)
    host_addr = engine.endpoint.host
    engine_version = engine.version.get("Version") if isinstance(engine.version, dict) else None
    notes: list[str] = []
    runtime: Optional[RuntimeFacts] = None
    dockerd: Optional[Dockerd] = None
    sock = socket_path(host_addr)
    if sock is None:
        notes.append(
            f"the daemon at {host_addr} is not on this machine: the runc on its PATH was not "
            "checked (declare it with --assume-runtime NAME=VERSION)"
        )
    else:
        dockerd, how = find_dockerd(sock)
        if dockerd is None:
            notes.append(f"dockerd's runtime was not checked: {how}")
        else:
            located = locate_runtime(engine_version, dockerd.environ)
            notes += located.notes
            if how != f"holds {sock}":
                notes.append(f"dockerd found as {how}")
            runtime = resolved_runtime(
                located,
                dockerd,
                invocations=kb.invocations(),
                timeout=min(timeout, 5.0),
                which=host.which,
                probe_binary=partial(host.probe_binary, deep=ctx.deep, deep_timeout=timeout),
                runtimes=kb.identities(),
            )
    return node_facts(
        builder,
        node,
        host_addr,
        engine_version=engine_version,
        kb=kb,
        dockerd=dockerd,
        runtime=runtime,
        notes=notes,
    )


# --- what a verdict depends on, for the build preflight's cache ---------------------------


def daemon_witnesses(host: str) -> list[list[Any]]:
    """dockerd's process start (which covers its version and environment) and the runtime
    binary on its PATH, which can change under it."""
    sock = local_socket(host)
    status, version = dockerapi.get_json(sock, "/version")
    if status != 200 or not isinstance(version, dict):
        raise NotCheap(f"/version: HTTP {status}")
    dockerd, why = find_dockerd(sock)
    if dockerd is None or dockerd.start_ticks is None:
        raise NotCheap(why)
    located = locate_runtime(version.get("Version"), dockerd.environ)
    binary = which(located.command, located.path_env or "")
    if binary is None:
        raise NotCheap(f"{located.command} is not on dockerd's PATH")
    return [
        kinds.process_witness(dockerd.pid, dockerd.start_ticks),
        kinds.file_witness(binary),
    ]
