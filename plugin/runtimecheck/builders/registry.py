"""The buildx drivers this tool knows: every list of drivers is derived from this table.

Each driver is a module that implements `driver.Driver` (its attributes and two functions).
A new driver is one such module, one entry here, and its data (fix texts in
metadata/fixes.toml).
"""

from __future__ import annotations

from typing import Optional

from . import docker_container, dockerd, kubernetes, remote
from .driver import Driver
from .store import Builder

# One annotated name each, so that the type checker holds every module to the protocol.
_docker_container: Driver = docker_container
_docker: Driver = dockerd
_kubernetes: Driver = kubernetes
_remote: Driver = remote
DRIVERS: dict[str, Driver] = {d.name: d for d in (_docker_container, _docker, _kubernetes, _remote)}

# driver/remote/util/endpoint.go: the URL schemes the remote driver accepts.
REMOTE_SCHEMES = ("docker-container", "kube-pod", "npipe", "ssh", "tcp", "unix")


def names() -> tuple[str, ...]:
    return tuple(DRIVERS)


def driver(name: str) -> Optional[Driver]:
    """The driver of that name; None for an unknown one, and for "" (see resolve_unnamed)."""
    return DRIVERS.get(name) if name else None


def resolve_unnamed(endpoint: Optional[str], *, serves_buildkit: bool = True) -> tuple[str, str]:
    """(driver, why) for a stored builder whose Driver is empty.

    buildx (builder/builder.go Builder.Factory) then takes the driver of lowest priority
    among all of them, with instanceRequired false, so the docker driver may win too
    (driver/manager.go GetDefaultFactory; each factory's Priority): docker 10 when node 0's
    daemon serves BuildKit at /grpc (every Linux Engine with the BuildKit builder, registered
    in cmd/dockerd/daemon.go since 18.09; buildx first pings the daemon and stops when it does
    not answer), remote 20 when the node's endpoint is a URL of a scheme it accepts,
    docker-container 30, kubernetes 40. `buildx create` never stores an empty Driver (it
    resolves one then, with instanceRequired true); older stores or hand edits may hold one.
    """
    supported = {name: d.priority for name, d in DRIVERS.items()}
    if not serves_buildkit:
        del supported[dockerd.NAME]
    scheme, sep, _ = (endpoint or "").partition("://")
    if not sep or scheme not in REMOTE_SCHEMES:
        del supported[remote.NAME]
    chosen = min(supported, key=lambda n: supported[n])
    ranked = ", ".join(f"{n} {p}" for n, p in sorted(supported.items(), key=lambda i: i[1]))
    why = (
        f"stored without a driver: buildx takes the one of lowest priority ({ranked}), "
        f"so {chosen}"
        + (" (node 0's daemon is taken to serve BuildKit, as every Linux Engine since 18.09 does)"
           if chosen == dockerd.NAME else "")
    )  # fmt: skip
    return chosen, why


def resolve(builder: Builder) -> Builder:
    """The builder with the driver buildx would use for it (an empty Driver resolved, said in
    its first node's notes); the same object."""
    if builder.driver == "" and builder.nodes:
        name, why = resolve_unnamed(builder.nodes[0].endpoint)
        builder.driver = name
        builder.nodes[0].notes.append(why)
    return builder


def booted_on_demand() -> tuple[str, ...]:
    return tuple(name for name, d in DRIVERS.items() if d.boots_on_demand)
