"""A cheap digest of everything that decides the selected builder's runtime, for the preflight.

Standard library only (it runs before every build): the store bytes of the builder, per
docker-container node the container's id and start time (one GET each), for the docker
driver the Engine's /version, dockerd's pid and start time, and the runtime binary's stat.
None whenever that cannot be had cheaply (remote daemons, kubernetes, remote driver): the
caller then runs the full check. Equal digests mean nothing that was looked at changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any, Optional
from urllib.parse import quote

from runtimecheck.dockercli import DockerConfig
from runtimecheck.engine_http import EngineHTTPError, get_json, socket_path
from runtimecheck.errors import RuntimecheckError

from . import docker_driver, docker_endpoint
from .docker_container import container_name
from .select import context_names, selected_builder_name
from .store import DOCKER, DOCKER_CONTAINER, StoreFileError, read_instance, store_root

HTTP_TIMEOUT_S = 2.0


class _NotCheap(Exception):
    pass


def fingerprint(
    cfg: DockerConfig,
    builder_name: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Optional[str]:
    """`sha256:<hex>` of the selected builder's configuration and state; None: not cheaply."""
    try:
        return _fingerprint(cfg, builder_name, env)
    except (_NotCheap, RuntimecheckError, EngineHTTPError, OSError):
        return None


def _fingerprint(
    cfg: DockerConfig, builder_name: Optional[str], env: Optional[Mapping[str, str]]
) -> str:
    name = selected_builder_name(cfg, builder_name, env)
    parts: list[Any] = ["runtimecheck-fingerprint-1", name]
    try:
        builder = read_instance(store_root(cfg, env), name)
    except StoreFileError as e:
        raise _NotCheap(e.message) from None
    if builder is None:
        if name not in context_names(cfg):
            raise _NotCheap(f"no builder {name}")
        parts += [DOCKER, _docker_driver_state(docker_endpoint(cfg, name).host)]
        return _digest(parts)

    parts += [builder.driver, hashlib.sha256(builder.raw).hexdigest()]
    for node in builder.nodes:
        if node.config_file:
            parts.append(_file_stat(node.config_file))
        if builder.driver == DOCKER_CONTAINER:
            host = docker_endpoint(cfg, node.endpoint).host
            parts.append(_container_state(host, container_name(node.name)))
        elif builder.driver == DOCKER:
            parts.append(_docker_driver_state(docker_endpoint(cfg, node.endpoint).host))
        else:
            raise _NotCheap(f"{builder.driver} builders are not fingerprinted")
    return _digest(parts)


def _container_state(host: str, name: str) -> list[Any]:
    if socket_path(host) is None:
        raise _NotCheap(f"{host} is not a local socket")
    status, doc = get_json(host, f"/containers/{quote(name)}/json", timeout=HTTP_TIMEOUT_S)
    if status == 404:
        return [name, "absent"]
    if status != 200 or not isinstance(doc, dict):
        raise _NotCheap(f"container {name}: HTTP {status}")
    state = doc.get("State") or {}
    return [name, doc.get("Id"), state.get("StartedAt"), state.get("Running")]


def _docker_driver_state(host: str) -> list[Any]:
    sock = socket_path(host)
    if sock is None:
        raise _NotCheap(f"{host} is not a local socket")
    status, version = get_json(host, "/version", timeout=HTTP_TIMEOUT_S)
    if status != 200 or not isinstance(version, dict):
        raise _NotCheap(f"/version: HTTP {status}")
    dockerd, why = docker_driver.find_dockerd(sock)
    if dockerd is None:
        raise _NotCheap(why)
    located = docker_driver.locate_runtime(version.get("Version"), dockerd.environ)
    from runtimecheck.probe.host import which

    binary = which(located.command, located.path_env or "")
    return [
        version,
        dockerd.pid,
        dockerd.start_ticks,
        located.command,
        located.path_env,
        dockerd.environ.get("DOCKER_RAMDISK"),
        _file_stat(binary) if binary else None,
    ]


def _file_stat(path: str) -> list[Any]:
    try:
        st = os.stat(path)
    except OSError as e:
        return [path, e.errno]
    return [path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def _digest(parts: list[Any]) -> str:
    data = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(data.encode()).hexdigest()
