"""The remote driver's `unix:///PATH` endpoint when a buildkitd on this machine listens there.

buildx dials the path itself (docker/buildx driver/remote/driver.go Dial: the address after
`unix://`). The process holding that socket is found in /proc (socket_holders); when it is
buildkitd, its command line, environment and config file say which binary its OCI worker
runs (moby/buildkit cmd/buildkitd main_oci_worker.go: `--oci-worker-binary`, else
`[worker.oci] binary` of `--config` or the default buildkitd.toml; else executor/runcexecutor
New: `buildkit-runc`, then `runc`, looked up on buildkitd's PATH), and that binary is probed
on this host as the docker driver's runc is. What cannot be read is said, never guessed.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from runtimecheck.assumed import HOW_TO_DECLARE
from runtimecheck.errors import RuntimecheckError
from runtimecheck.facts import BuildKitFacts, FixContext, NodeFacts, RuntimeFacts, RuntimeIdentity
from runtimecheck.knowledge import Knowledge
from runtimecheck.probe import environment as env

from . import buildkitd, remote
from . import socket_holders as sockets
from .driver import InspectContext
from .store import Builder, Node

NAME = "buildkitd"
SCAN_LIMIT_S = 2.0
CONNECT_TIMEOUT_S = 2.0
VERSION_TIMEOUT_S = 5.0
MAX_PROC_BYTES = 1 << 20  # a command line or environment larger than this is not read
MAX_CONFIG_BYTES = 1 << 20
PROC = Path("/proc")


class Unreadable(Exception):
    """Something buildkitd's runtime depends on cannot be read: the runtime is not judged."""


@dataclass
class Buildkitd:
    """The buildkitd process behind the socket, as /proc shows it."""

    pid: int
    binary: str  # the file run as buildkitd (for an interpreted one: its script)
    replaced: bool  # that file was deleted or replaced since it started
    flags: list[str]  # its arguments after the buildkitd word
    environ: dict[str, str]
    cwd: str
    in_user_namespace: bool
    uid: Optional[int] = None  # its effective uid (/proc/<pid>/status)
    # /proc/<pid>/mountinfo: what its /sys/fs/cgroup is (None: unreadable, and why)
    mountinfo: Optional[str] = None
    mountinfo_error: str = ""


def socket_path(endpoint: Optional[str]) -> Optional[str]:
    """The path buildx dials for `unix://PATH` (relative paths from its working directory,
    which is this command's too); None for another scheme."""
    if not endpoint or not endpoint.startswith("unix://"):
        return None
    path = endpoint[len("unix://") :]
    return os.path.abspath(path) if path else None


def inspect(ctx: InspectContext, builder: Builder, node: Node) -> NodeFacts:
    path = socket_path(node.endpoint)
    if path is None:
        raise RuntimecheckError(f"{node.endpoint} names no socket")
    not_listening = listening(path)
    if not_listening:
        raise RuntimecheckError(
            not_listening,
            hint=f"buildx cannot connect either: start buildkitd with --addr unix://{path}",
        )
    try:
        daemon = find(path, PROC)
    except Unreadable as e:
        return _runtime_unknown(builder, node, str(e))
    try:
        return _judge(ctx.kb, builder, node, daemon, min(ctx.timeout, 5.0), deep=ctx.deep)
    except Unreadable as e:
        return _runtime_unknown(builder, node, str(e))


def listening(path: str) -> Optional[str]:
    """Why nothing accepts connections at `path`; None when something does."""
    import socket

    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        return f"no socket at {path}: {e.strerror or e}"
    if not stat.S_ISSOCK(mode):
        return f"{path} is not a socket"
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(CONNECT_TIMEOUT_S)
    try:
        client.connect(path)
    except OSError as e:
        return f"nothing accepts connections at {path}: {e.strerror or e}"
    finally:
        client.close()
    return None


def find(path: str, proc: Path) -> Buildkitd:
    """The buildkitd holding the socket at `path`; Unreadable saying why it cannot be told."""
    deadline = time.monotonic() + SCAN_LIMIT_S
    holding = sockets.holders(path, proc, deadline=deadline)
    if not holding:
        why = f"no process is seen holding {path}"
        if time.monotonic() > deadline:
            why += f" within {SCAN_LIMIT_S:g} s"
        if os.geteuid() != 0:
            why += " (only root sees the sockets of other users' processes)"
        raise Unreadable(
            why + "; a buildkitd in another network namespace (rootlesskit's, a container's) "
            "is not visible from here"
        )
    named = [pid for pid in holding if sockets.comm(pid, proc) == NAME]
    if not named:
        who = ", ".join(f"{sockets.comm(pid, proc) or '?'} (pid {pid})" for pid in holding)
        raise Unreadable(f"{path} is held by {who}, not by buildkitd")
    if len(named) > 1:
        raise Unreadable(f"several buildkitd processes hold {path}: pids {named}")
    return read_process(named[0], proc)


def read_process(pid: int, proc: Path) -> Buildkitd:
    base = proc / str(pid)
    cmdline = [a.decode("utf-8", "replace") for a in _read(base / "cmdline").split(b"\0")]
    if cmdline and cmdline[-1] == "":
        cmdline.pop()
    try:
        exe = os.readlink(base / "exe")
        cwd = os.readlink(base / "cwd")
    except OSError as e:
        raise Unreadable(f"buildkitd (pid {pid}) cannot be looked at: {_why(e)}") from None
    environ = sockets.parse_environ(_read(base / "environ"))
    same_root = sockets.same_root(pid, proc)
    if same_root is not True:
        raise Unreadable(
            f"buildkitd (pid {pid}) runs under another root directory (in a container?): the "
            "files it names are not this machine's; name its container with docker-container://"
            if same_root is False
            else f"whether buildkitd (pid {pid}) sees this machine's files cannot be told"
        )
    mountinfo, mountinfo_error = env.read_mountinfo(str(pid), proc)
    try:
        status = _read(base / "status").decode("utf-8", "replace")
    except Unreadable:
        status = ""
    uid_line = next((line for line in status.splitlines() if line.startswith("Uid:")), "")
    deleted = " (deleted)"
    replaced = exe.endswith(deleted)
    exe = exe[: -len(deleted)] if replaced else exe
    if os.path.basename(exe) == NAME:
        binary, flags = exe, cmdline[1:]
    else:
        # An interpreter runs a script named buildkitd: the kernel names the process after it.
        at = next((i for i, a in enumerate(cmdline[1:], 1) if os.path.basename(a) == NAME), None)
        if at is None:
            raise Unreadable(
                f"which file buildkitd (pid {pid}) runs from cannot be told: {exe} runs "
                f"{' '.join(cmdline)[:200]}"
            )
        binary, flags = os.path.join(cwd, cmdline[at]), cmdline[at + 1 :]
    return Buildkitd(
        pid=pid,
        binary=binary,
        replaced=replaced,
        flags=flags,
        environ=environ,
        cwd=cwd,
        # No uid_map: a kernel without user namespaces, so not in one.
        in_user_namespace=os.path.exists(base / "uid_map")
        and in_user_namespace(_read(base / "uid_map").decode("ascii", "replace")),
        uid=env.effective_uid(uid_line),
        mountinfo=mountinfo,
        mountinfo_error=mountinfo_error,
    )


def in_user_namespace(uid_map: str) -> bool:
    """moby/sys/userns uidMapInUserNS: anything but the initial namespace's `0 0 4294967295`
    (an empty map too). Pure."""
    lines = uid_map.splitlines()
    if not lines or not lines[0].strip():
        return True
    try:
        first = [int(n) for n in lines[0].split()[:3]]
    except ValueError:
        return False
    return first != [0, 0, 4294967295]


def _read(path: Path, limit: int = MAX_PROC_BYTES) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise Unreadable(f"cannot read {path}: {_why(e)}") from None
    if len(data) > limit:
        raise Unreadable(f"{path} is larger than {limit} bytes; not read")
    return data


def _why(e: OSError) -> str:
    why = e.strerror or str(e)
    if isinstance(e, PermissionError) and os.geteuid() != 0:
        why += " (run as root, or as the user buildkitd runs as)"
    return why


# --- what it runs -----------------------------------------------------------------------------


def look_path(name: str, daemon: Buildkitd) -> Optional[str]:
    """Go's exec.LookPath as buildkitd runs it: a name with a slash from its working
    directory, else the first executable on its PATH; relative PATH entries are refused
    (exec.ErrDot, which runcexecutor takes as not found)."""
    from runtimecheck.probe.host import which

    if "/" in name:
        return which(os.path.join(daemon.cwd, name), "")
    path_env = daemon.environ.get("PATH", "")
    return which(name, ":".join(d for d in path_env.split(":") if os.path.isabs(d)))


def config_path(daemon: Buildkitd, flags: buildkitd.DaemonFlags, version: Optional[str]) -> str:
    if flags.config:
        return os.path.join(daemon.cwd, flags.config)
    return buildkitd.default_config_path(daemon.in_user_namespace, daemon.environ, version)


def read_config(path: str) -> Optional[str]:
    """The config's text; None when there is no such file (config.LoadFile: then no config)."""
    try:
        return _read(Path(path), MAX_CONFIG_BYTES).decode("utf-8", "replace")
    except Unreadable:
        if not os.path.lexists(path):
            return None
        raise


def version_of(daemon: Buildkitd, notes: list[str]) -> Optional[str]:
    from runtimecheck.run import run

    if daemon.replaced:
        notes.append(
            f"{daemon.binary} was replaced after buildkitd (pid {daemon.pid}) started: "
            "its --version is not the running one's"
        )
        return None
    done = run([daemon.binary, "--version"], timeout=VERSION_TIMEOUT_S)
    version = buildkitd.parse_version_output(done.text()) if done.ok else None
    if version is None:
        what = done.error or ("no answer" if done.timed_out else f"exit {done.returncode}")
        notes.append(f"`{daemon.binary} --version` gave no BuildKit version ({what})")
    return version


def _judge(
    kb: Knowledge,
    builder: Builder,
    node: Node,
    daemon: Buildkitd,
    timeout: float,
    *,
    deep: bool = False,
) -> NodeFacts:
    from runtimecheck.probe import host

    where = f"host (buildkitd pid {daemon.pid})"
    notes = [f"buildkitd pid {daemon.pid} ({daemon.binary}) listens on the endpoint"]
    version = version_of(daemon, notes)
    flags = buildkitd.parse_flags(daemon.flags)
    config = config_path(daemon, flags, version)
    toml = buildkitd.parse_toml(read_config(config))
    settings = buildkitd.effective(flags, toml)
    notes += flags.problems + ([toml.error] if toml.error else [])

    binary = next(filter(None, (look_path(c, daemon) for c in settings.candidates)), None)
    if binary is None:
        names = settings.candidates
        if "/" in names[0]:
            why = f"{names[0]} is not an executable file (seen from buildkitd's {daemon.cwd})"
        else:
            missing = (
                f"{names[0]} is not"
                if len(names) == 1
                else "neither " + " nor ".join(names) + " is"
            )
            why = f"{missing} found on buildkitd's PATH ({daemon.environ.get('PATH') or 'empty'})"
        runtime = RuntimeFacts(
            path=None, identity=RuntimeIdentity(name=None, version=None), error=why, where=where
        )
    else:
        runtime = host.probe_binary(
            binary, kb.invocations(), timeout=timeout, runtimes=kb.identities(), deep=deep
        )
        runtime.where = where
    on_path = any(look_path(name, daemon) for name in buildkitd.DEFAULT_CANDIDATES)
    address = settings.containerd_address
    containerd = address.startswith("tcp://") or os.path.exists(address)
    worker, worker_note = buildkitd.decide_worker(settings, on_path, containerd)
    if worker_note:
        notes.append(worker_note)
    if settings.binary_from:
        given = "" if settings.binary_from.startswith("--") else f" of {config}"
        notes.append(f"{settings.binary_from}{given} names {settings.binary_override}")
    cgroup, rootless, environment = place(daemon, settings)
    return NodeFacts(
        builder=builder.name,
        node=node.name,
        driver=remote.NAME,
        endpoint=node.endpoint,
        buildkit=BuildKitFacts(
            version=version,
            source="buildkitd --version" if version else "",
            worker=worker,
            cgroup=cgroup,
            rootless=rootless,
            environment=environment,
        ),
        runtime=runtime,
        fix_context=FixContext(
            driver=remote.NAME,
            builder=builder.name,
            node=node.name,
            binary_override=settings.binary_override,
        ),
        status="running",
        notes=notes,
    )


def place(
    daemon: Buildkitd, settings: buildkitd.Settings
) -> tuple[Optional[str], Optional[bool], str]:
    """(cgroup version, rootless, how they were learnt) where this buildkitd runs: what a
    failing `delete` costs depends on both (runtimecheck.probe.environment). Pure."""
    who = f"buildkitd (pid {daemon.pid})"
    unreadable = daemon.mountinfo_error or f"{who}'s mountinfo could not be read"
    cgroup, said = env.cgroup_of(daemon.mountinfo, unreadable, who)
    if settings.rootless is not None:
        rootless = settings.rootless
        why = f"{'rootless' if rootless else 'rootful'} by {settings.rootless_from}"
    elif daemon.in_user_namespace:
        rootless, why = True, f"rootless: {who} runs in a user namespace"
    elif daemon.uid is not None and daemon.uid != 0:
        rootless, why = True, f"rootless: {who} runs as uid {daemon.uid}"
    elif daemon.uid == 0:
        rootless, why = False, f"rootful: {who} runs as root, in no user namespace of its own"
    else:
        rootless, why = None, f"whether {who} runs rootless could not be learnt"
    return cgroup, rootless, f"{said}; {why}"


def _runtime_unknown(builder: Builder, node: Node, why: str) -> NodeFacts:
    """A buildkitd answers, but what it runs could not be read: nothing is judged of it."""
    facts = remote.node_facts(builder, node)
    facts.status = "running"
    facts.notes = [f"buildkitd's runtime was not checked: {why}", HOW_TO_DECLARE]
    return facts
