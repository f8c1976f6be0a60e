"""What every buildx driver offers this tool: one interface, implemented once per driver.

A driver turns one node of a builder into `NodeFacts` (what runs there, learnt at the edge:
the Engine API, an exec, kubectl), and says what a verdict on such a node depends on, as
witnesses the build preflight can re-check cheaply. The drivers are listed in `registry`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional, Protocol

from runtimecheck import dockerapi
from runtimecheck.dockercli import DockerConfig
from runtimecheck.facts import BuildKitFacts, FixContext, NodeFacts
from runtimecheck.knowledge import Knowledge

from .store import Builder, Node


class NotCheap(Exception):
    """What a verdict depends on cannot be re-checked cheaply: check in full every time."""


@dataclass
class InspectContext:
    """What a driver may use to inspect a node: the docker configuration, the knowledge,
    a connected Engine API client per daemon (`engine_for(endpoint)`), the time bound, and
    whether to run the behaviour probe (`--deep`)."""

    cfg: DockerConfig
    kb: Knowledge
    engine_for: Callable[[Optional[str]], Any]
    timeout: float
    deep: bool = False  # also run BuildKit's call sequence for real where the runtime runs


class Driver(Protocol):
    name: str
    # buildx's factory priority (lower wins) for a stored builder that names no driver.
    priority: int
    # buildx creates and starts its nodes on first use (`docker buildx inspect --bootstrap`).
    boots_on_demand: bool
    # Connecting to the node's daemon must ask /version (the docker driver's bundled BuildKit).
    asks_engine_version: bool

    def inspect_node(self, ctx: InspectContext, builder: Builder, node: Node) -> list[NodeFacts]:
        """The node's facts (several for a node with several replicas). Raises
        RuntimecheckError for a node that cannot be inspected at all."""
        ...

    def witnesses(self, cfg: DockerConfig, node: Node) -> list[list[Any]]:
        """What a verdict on `node` depends on, seen now (runtimecheck.preflight.witnesses's kinds).
        Raises NotCheap when that cannot be had cheaply."""
        ...


def failed_node(builder: Builder, node: Node, message: str) -> NodeFacts:
    """A node that could not be inspected at all."""
    return NodeFacts(
        builder=builder.name,
        node=node.name,
        driver=builder.driver,
        endpoint=node.endpoint,
        buildkit=BuildKitFacts(version=None, worker=None),
        runtime=None,
        fix_context=FixContext(
            driver=builder.driver,
            builder=builder.name,
            node=node.name,
            image=node.driver_opts.get("image"),
        ),
        status="unreachable",
        notes=list(node.notes),
        error=message,
    )


def local_socket(host: str) -> str:
    """The path of a daemon's unix socket on this machine; NotCheap for any other."""
    path = dockerapi.socket_path(host)
    if path is None:
        raise NotCheap(f"{host} is not a local socket")
    return path
