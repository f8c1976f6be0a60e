"""The docker-container driver: the buildkitd container `buildx_buildkit_<node>` per node.

A running container is asked directly, in one exec: which binary buildkitd would run, what
it answers, the config file it reads and `buildkitd --version`. A stopped or never-created
one is judged from its static configuration, and the report says the runtime was not run.
Nothing is created or started here: booting a builder is buildx's job
(`docker buildx inspect --bootstrap`, see runtimecheck.bootstrap).
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from typing import Any, Optional

from runtimecheck import dockerapi
from runtimecheck.dockercli import DockerConfig
from runtimecheck.engine import Engine, TooLarge
from runtimecheck.errors import RuntimecheckError
from runtimecheck.facts import NodeFacts
from runtimecheck.preflight import witnesses as kinds

from . import buildkitd, docker_endpoint
from .buildkitd_container import (
    DEFAULT_IMAGE,
    Observed,
    from_store,
    node_facts,
    probe_running,
    settings_for,
)
from .driver import InspectContext, NotCheap, local_socket
from .store import Builder, Node

NAME = "docker-container"
CONTAINER_PREFIX = "buildx_buildkit_"
MAX_CONFIG_BYTES = 1 << 20

# The driver's attributes (driver.Driver): this module is the driver.
name = NAME
priority = 30
boots_on_demand = True
asks_engine_version = False


def container_name(node: str) -> str:
    return CONTAINER_PREFIX + node


# --- the edge: the engine ------------------------------------------------------------------


def inspect_node(ctx: InspectContext, builder: Builder, node: Node) -> list[NodeFacts]:
    return [_inspect(ctx, builder, node)]


def _inspect(
    ctx: InspectContext,
    builder: Builder,
    node: Node,
    *,
    container: Optional[str] = None,
    daemon: Optional[str] = None,
    driver: str = NAME,
) -> NodeFacts:
    """Look at one node's container (its daemon reached through `ctx.engine_for`): the
    builder container buildx made, or `container` on `daemon` (a remote driver's
    docker-container:// endpoint)."""
    kb, timeout = ctx.kb, ctx.timeout
    engine = ctx.engine_for(node.endpoint if container is None else daemon)
    name = container or container_name(node.name)
    attrs = engine.inspect_container(name)
    if attrs is None:
        if container is not None:
            raise RuntimecheckError(f"no container {name} on {engine.endpoint.host}")
        return node_facts(
            builder, node, engine.endpoint.host, _never_created(builder, node), kb, driver=NAME
        )

    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    host_config = attrs.get("HostConfig") or {}
    observed = Observed(
        image=config.get("Image") or node.driver_opts.get("image") or DEFAULT_IMAGE,
        cmd=list(config.get("Cmd") or []),
        config_text=None,
        status="running" if state.get("Running") else "stopped",
        container_runtime=host_config.get("Runtime") or None,
        env=_env(config.get("Env")),
    )
    if state.get("Paused") or state.get("Restarting") or not state.get("Running"):
        # No exec is possible; judged from its configuration.
        observed.status = "stopped"
        observed.notes.append(f"container {name} is {state.get('Status') or 'not running'}")

    config_path = buildkitd.parse_flags(observed.cmd or []).config or buildkitd.DEFAULT_CONFIG_PATH
    if observed.status == "running":
        transport = engine.exec_transport(attrs)
        where = f"container {name}"
        probe_running(transport, where, node, observed, config_path, kb, timeout, ctx.deep)
    else:
        _read_stopped_config(engine, name, node, observed, config_path, timeout)
    endpoint = engine.endpoint.host if container is None else node.endpoint
    return node_facts(builder, node, endpoint, observed, kb, driver=driver)


def _never_created(builder: Builder, node: Node) -> Observed:
    return from_store(
        node, [f"container {container_name(node.name)} does not exist yet; judged from the store"]
    )


def _read_stopped_config(
    engine: Engine, name: str, node: Node, observed: Observed, config_path: str, timeout: float
) -> None:
    """A stopped container's files can still be read (the archive API does not start it)."""
    text: Optional[str] = None
    try:
        tar = engine.archive(name, config_path, MAX_CONFIG_BYTES + TAR_OVERHEAD)
        text = _single_file_from_tar(tar) if tar is not None else None
    except RuntimecheckError as e:
        observed.notes.append(f"could not read {config_path} from the stopped container: {e}")
    except (tarfile.TarError, TooLarge) as e:
        observed.notes.append(f"{config_path} in the stopped container was not read: {e}")
    if text is not None:
        observed.config_text = text
    elif node.buildkitd_toml is not None:
        observed.config_text = node.buildkitd_toml
        observed.notes.append(f"{config_path} taken from the builder store")


# A tar of one file: its header, the content padded to 512 bytes, two zero blocks, some slack.
TAR_OVERHEAD = 16 * 1024


def _single_file_from_tar(data: bytes) -> Optional[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive:
            if member.isfile() and member.size <= MAX_CONFIG_BYTES:
                handle = archive.extractfile(member)
                if handle is not None:
                    return handle.read().decode("utf-8", "replace")
    return None


# --- what a verdict depends on, for the build preflight's cache ---------------------------

# What a container's PATH is when its image sets none (the engine's default).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def witnesses(cfg: DockerConfig, node: Node) -> list[list[Any]]:
    """The container's id and start time (buildkitd reads its flags and config when it
    starts) and, inside it (archive stats: no exec), the binary buildkitd runs, found the way
    it finds it, and the PATH directories before it."""
    sock = local_socket(docker_endpoint(cfg, node.endpoint).host)
    name = container_name(node.name)
    witness = kinds.container_witness(sock, name)
    if witness[-1] is None:
        raise NotCheap(f"container {name} could not be described")
    if witness[-1] == ["absent"]:
        return [witness]
    status, attrs = dockerapi.get_json(sock, f"/containers/{name}/json")
    if status != 200 or not isinstance(attrs, dict) or attrs.get("Id") != witness[-1][0]:
        raise NotCheap(f"container {name} changed while it was looked at")
    cid = str(attrs["Id"])
    config = attrs.get("Config") or {}
    cmd = [str(a) for a in config.get("Cmd") or []]
    # buildkitd reads its flags and config file when it starts (the container's start time
    # covers them) and chooses the binary's name then; each run looks that name up on PATH.
    config_path = buildkitd.parse_flags(cmd).config or buildkitd.DEFAULT_CONFIG_PATH
    observed = Observed(
        image=config.get("Image"), cmd=cmd, config_text=_read_file(sock, cid, config_path)
    )
    settings, _ = settings_for(node, observed)
    dirs = [d for d in _path_env(config.get("Env")).split(":") if d]
    watched = [_in_container(sock, cid, d) for d in dirs]
    binary = _resolve(sock, cid, settings.candidates, dirs)
    if binary is not None and posixpath.dirname(binary[3]) in dirs:
        # Only a binary of that name appearing in an earlier directory can take its place.
        watched = watched[: dirs.index(posixpath.dirname(binary[3]))]
    found = [witness, *watched]
    if binary is not None:
        found.append(binary)
        target = binary[-1][-1]
        if target:  # a symlink: what it points at is what runs
            found.append(
                _in_container(sock, cid, posixpath.join(posixpath.dirname(binary[3]), target))
            )
    return found


def _in_container(sock: str, cid: str, path: str) -> list[Any]:
    witness = kinds.container_path_witness(sock, cid, path)
    if witness[-1] is None:
        raise NotCheap(f"{path} in container {cid[:12]} could not be described")
    return witness


def _resolve(sock: str, cid: str, candidates: list[str], dirs: list[str]) -> Optional[list[Any]]:
    """The witness of the binary buildkitd runs: the first candidate found on PATH (as
    exec.LookPath and the probe script find it), or the absolute one."""
    for candidate in candidates:
        paths = [candidate] if "/" in candidate else [posixpath.join(d, candidate) for d in dirs]
        for path in paths:
            witness = _in_container(sock, cid, path)
            stat = witness[-1]
            if stat != ["absent"] and _executable_file(stat):
                return witness
    return None


# Go's os.FileMode keeps the file type in high bits: dir, symlink, device, pipe, socket,
# char device, irregular.
FILE_TYPE_BITS = (1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)


def _executable_file(stat: list[Any]) -> bool:
    """A regular file with an execute bit, or a symlink (followed, as exec and `-x` do)."""
    mode = stat[2] if isinstance(stat[2], int) else 0
    if stat[4]:
        return True
    return not mode & FILE_TYPE_BITS and bool(mode & 0o111)


def _read_file(sock: str, cid: str, path: str) -> Optional[str]:
    """A small file's text through the archive API (a tar of one file); None when unreadable."""
    import io
    import tarfile

    status, _, body = dockerapi.request(sock, "GET", f"/containers/{cid}/archive?path={path}")
    if status != 200 or len(body) > MAX_CONFIG_BYTES:
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(body)) as archive:
            for member in archive:
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is not None:
                    return handle.read().decode("utf-8", "replace")
    except tarfile.TarError:
        return None
    return None


def _env(env: Any) -> dict[str, str]:
    pairs = (item.partition("=") for item in env or [] if isinstance(item, str))
    return {name: value for name, eq, value in pairs if eq}


def _path_env(env: Any) -> str:
    for item in env or []:
        if isinstance(item, str) and item.startswith("PATH="):
            return item[len("PATH=") :]
    return DEFAULT_PATH
