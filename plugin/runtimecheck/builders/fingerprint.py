"""What the selected builder's verdict depends on, as witnesses the warm path can re-check.

The files buildx's selection reads (docker's config.json and context, the store's `current`,
`defaults/` and the builder's instance file), per docker-container node the container's id
and start time, for the docker driver dockerd's process start and the runtime binary on its
PATH. None whenever that cannot be had cheaply (remote daemons, kubernetes, remote driver,
a container the daemon will not describe): such a builder is checked in full every time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from runtimecheck import warm
from runtimecheck.dockercli import DEFAULT_CONTEXT, DockerConfig, context_dir_name
from runtimecheck.errors import RuntimecheckError

from . import docker_driver, docker_endpoint
from .docker_container import container_name
from .select import context_names, selected_builder_name
from .store import (
    DOCKER,
    DOCKER_CONTAINER,
    StoreFileError,
    environment,
    instance_path,
    key_hash,
    read_instance,
    store_root,
)


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
            found.append(_container(host, container_name(node.name)))
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


def _container(host: str, name: str) -> list[Any]:
    witness = warm.container_witness(_local_socket(host), name)
    if witness[-1] is None:
        raise _NotCheap(f"container {name} could not be described")
    return witness


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
