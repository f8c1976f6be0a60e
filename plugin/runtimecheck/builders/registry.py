"""The buildx drivers this tool knows: every list of drivers is derived from this table.

Each driver is a module that implements `driver.Driver` (its attributes and two functions).
A new driver is one such module, one entry here, and its data (fix texts in
metadata/fixes.toml).
"""

from __future__ import annotations

from typing import Optional

from . import docker_container, dockerd, kubernetes, remote
from .driver import Driver

# One annotated name each, so that the type checker holds every module to the protocol.
_docker_container: Driver = docker_container
_docker: Driver = dockerd
_kubernetes: Driver = kubernetes
_remote: Driver = remote
DRIVERS: dict[str, Driver] = {d.name: d for d in (_docker_container, _docker, _kubernetes, _remote)}
# What `docker buildx create` stores when it names no driver (store/nodegroup.go).
STORED_DEFAULT = docker_container.NAME


def names() -> tuple[str, ...]:
    return tuple(DRIVERS)


def driver(name: str) -> Optional[Driver]:
    return DRIVERS.get(name or STORED_DEFAULT)


def booted_on_demand() -> tuple[str, ...]:
    return tuple(name for name, d in DRIVERS.items() if d.boots_on_demand)
