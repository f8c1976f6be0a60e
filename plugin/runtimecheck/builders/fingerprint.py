"""What the selected builder's verdict depends on, as witnesses the warm path can re-check.

The files buildx's selection reads (docker's config.json and context, the store's `current`,
`defaults/` and the builder's instance file); per docker-container node the container's id
and start time (buildkitd reads its flags and config when it starts) and, inside it (Engine
API archive stats, no exec), the runtime binary buildkitd will run, found the way it finds
it, and the PATH directories before it; for the docker driver dockerd's process start and the runtime binary
on its PATH. All are seen before the check, so that a change during it leaves the entry
stale, never wrong. None whenever that cannot be had cheaply (remote daemons, kubernetes,
remote driver, a container the daemon will not describe): such a builder is checked in
full every time.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any, Optional

from runtimecheck import warm
from runtimecheck.dockercli import DEFAULT_CONTEXT, DockerConfig, context_dir_name
from runtimecheck.errors import RuntimecheckError

from . import buildkitd, docker_driver, docker_endpoint
from .docker_container import MAX_CONFIG_BYTES, Observed, container_name, settings_for
from .select import context_names, selected_builder_name
from .store import (
    DOCKER,
    DOCKER_CONTAINER,
    Node,
    StoreFileError,
    environment,
    instance_path,
    key_hash,
    read_instance,
    store_root,
)

# What a container's PATH is when its image sets none (the engine's default).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class _NotCheap(Exception):
    pass


def witnesses(
    cfg: DockerConfig,
    builder_name: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Optional[list[list[Any]]]:
    """The witnesses of the builder a build would use; None when it cannot be had cheaply."""
    try:
        return _collect(cfg, builder_name, environment(env))
    except (_NotCheap, RuntimecheckError, OSError):
        return None


def _collect(
    cfg: DockerConfig, builder_name: Optional[str], env: Mapping[str, str]
) -> list[list[Any]]:
    name = selected_builder_name(cfg, builder_name, env)
    root = store_root(cfg, env)
    found = [warm.file_witness(str(cfg.directory / "config.json"))]
    found += _context_files(cfg, cfg.endpoint.context)
    found.append(warm.file_witness(str(root / "current")))
    found.append(warm.file_witness(str(root / "defaults" / key_hash(cfg.endpoint.buildx_key))))
    stored = instance_path(root, name)
    if stored is not None:
        found.append(warm.file_witness(str(stored)))
    try:
        builder = read_instance(root, name)
    except StoreFileError as e:
        raise _NotCheap(e.message) from None
    if builder is None:
        if name not in context_names(cfg):
            raise _NotCheap(f"no builder {name}")
        found += _context_files(cfg, name)
        return found + _docker_driver(docker_endpoint(cfg, name).host)

    for node in builder.nodes:
        if node.config_file:
            found.append(warm.file_witness(node.config_file))
        if node.endpoint and "://" not in node.endpoint:
            found += _context_files(cfg, node.endpoint)
        host = docker_endpoint(cfg, node.endpoint).host
        if builder.driver == DOCKER_CONTAINER:
            found += _container(host, node)
        elif builder.driver == DOCKER:
            found += _docker_driver(host)
        else:
            raise _NotCheap(f"{builder.driver} builders are checked in full every time")
    return found


def _context_files(cfg: DockerConfig, context: str) -> list[list[Any]]:
    if context == DEFAULT_CONTEXT:
        return []
    meta = cfg.directory / "contexts" / "meta" / context_dir_name(context) / "meta.json"
    return [warm.file_witness(str(meta))]


def _local_socket(host: str) -> str:
    path = warm.socket_path(host)
    if path is None:
        raise _NotCheap(f"{host} is not a local socket")
    return path


def _container(host: str, node: Node) -> list[list[Any]]:
    sock = _local_socket(host)
    name = container_name(node.name)
    witness = warm.container_witness(sock, name)
    if witness[-1] is None:
        raise _NotCheap(f"container {name} could not be described")
    if witness[-1] == ["absent"]:
        return [witness]
    status, attrs = warm.get_json(sock, f"/containers/{name}/json")
    if status != 200 or not isinstance(attrs, dict) or attrs.get("Id") != witness[-1][0]:
        raise _NotCheap(f"container {name} changed while it was looked at")
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
    witness = warm.container_path_witness(sock, cid, path)
    if witness[-1] is None:
        raise _NotCheap(f"{path} in container {cid[:12]} could not be described")
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

    status, _, body = warm.request(sock, "GET", f"/containers/{cid}/archive?path={path}")
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


def _path_env(env: Any) -> str:
    for item in env or []:
        if isinstance(item, str) and item.startswith("PATH="):
            return item[len("PATH=") :]
    return DEFAULT_PATH


def _docker_driver(host: str) -> list[list[Any]]:
    sock = _local_socket(host)
    status, version = warm.get_json(sock, "/version")
    if status != 200 or not isinstance(version, dict):
        raise _NotCheap(f"/version: HTTP {status}")
    dockerd, why = docker_driver.find_dockerd(sock)
    if dockerd is None or dockerd.start_ticks is None:
        raise _NotCheap(why)
    located = docker_driver.locate_runtime(version.get("Version"), dockerd.environ)
    from runtimecheck.probe.host import which

    binary = which(located.command, located.path_env or "")
    if binary is None:
        raise _NotCheap(f"{located.command} is not on dockerd's PATH")
    # dockerd's start covers its version and environment; the binary can change under it.
    return [
        warm.process_witness(dockerd.pid, dockerd.start_ticks),
        warm.file_witness(binary),
    ]
