"""Every node of a builder, inspected concurrently within one time bound.

One node that cannot be reached (daemon down, exec hanging, …) yields NodeFacts with `error`
set; the others are still reported.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional

from runtimecheck.dockercli import DockerConfig
from runtimecheck.errors import RuntimecheckError
from runtimecheck.facts import NodeFacts
from runtimecheck.knowledge import Knowledge

from . import docker_endpoint, registry, remote
from .driver import InspectContext, failed_node
from .store import Builder, Node

# Threads finishing their last API call after the bound are left to end on their own.
GRACE_S = 2.0


class _Engines:
    """One client per daemon, shared by the nodes on it; connection failures remembered.

    `/version` is asked only when the driver needs it (the docker driver, for the Engine's
    bundled BuildKit); otherwise connecting sends nothing, and each node's first request
    finds out whether its daemon answers.
    """

    def __init__(self, cfg: DockerConfig, timeout: float, *, ask_version: bool):
        self.cfg = cfg
        self.timeout = timeout
        self.ask_version = ask_version
        self._lock = threading.Lock()
        self._by_host: dict[str, Any] = {}

    def __call__(self, name_or_host: Optional[str]) -> Any:
        from runtimecheck import engine

        endpoint = docker_endpoint(self.cfg, name_or_host)
        with self._lock:
            known = self._by_host.get(endpoint.host)
            if known is None:
                try:
                    known = engine.connect(
                        endpoint, timeout=self.timeout, ask_version=self.ask_version
                    )
                except RuntimecheckError as e:
                    known = e
                self._by_host[endpoint.host] = known
        if isinstance(known, RuntimecheckError):
            raise known
        return known

    def close(self) -> None:
        for value in list(self._by_host.values()):
            if not isinstance(value, RuntimecheckError):
                value.close()


def inspect_builder(
    cfg: DockerConfig,
    builder: Builder,
    *,
    kb: Knowledge,
    assumed: Optional[dict[str, str]] = None,
    timeout: float = 20.0,
    deep: bool = False,
) -> list[NodeFacts]:
    """NodeFacts for every node of `builder`, in the store's order.

    Raises RuntimecheckError only for the builder as a whole (unknown driver, no nodes, a bad
    --assume-runtime); anything about one node is in that node's `error`.
    """
    driver = registry.driver(builder.driver)
    if driver is None:
        raise RuntimecheckError(
            f"builder {builder.name!r} uses the driver {builder.driver!r}, which cannot be "
            f"checked (known: {', '.join(registry.names())})"
        )
    if not builder.nodes:
        raise RuntimecheckError(
            f"builder {builder.name!r} has no nodes",
            hint=f"add one with `docker buildx create --append --name {builder.name}`",
        )
    declared = remote.assumed_for(builder.name, assumed)  # a malformed one fails early

    engines = _Engines(cfg, timeout, ask_version=driver.asks_engine_version)
    ctx = InspectContext(cfg=cfg, kb=kb, engine_for=engines, timeout=timeout, deep=deep)
    try:
        facts = _run_bounded(builder, lambda node: driver.inspect_node(ctx, builder, node), timeout)
    finally:
        engines.close()
    if declared:
        for node in facts:
            if node.error is None:
                _apply_declared(node, *declared)
    return facts


def _run_bounded(
    builder: Builder, inspect_one: Callable[[Node], list[NodeFacts]], timeout: float
) -> list[NodeFacts]:
    results: dict[int, list[NodeFacts]] = {}

    def work(index: int, node: Node) -> None:
        try:
            results[index] = inspect_one(node)
        except RuntimecheckError as e:
            hint = f" ({e.hint})" if e.hint else ""
            results[index] = [failed_node(builder, node, e.message + hint)]
        except Exception as e:  # a node's surprise must not hide the other nodes
            results[index] = [failed_node(builder, node, f"{type(e).__name__}: {e}")]

    threads = []
    for index, node in enumerate(builder.nodes):
        thread = threading.Thread(
            target=work, args=(index, node), name=f"runtimecheck-node-{node.name}", daemon=True
        )
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + timeout + GRACE_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))

    facts: list[NodeFacts] = []
    for index, node in enumerate(builder.nodes):
        found = results.get(index)
        if found is None:
            message = f"node {node.name} did not answer within {timeout:g} s"
            found = [failed_node(builder, node, message)]
        for one in found:
            one.index = index
        facts.extend(found)
    return facts


def _apply_declared(node: NodeFacts, name: str, version: str) -> None:
    """A declared runtime stands in for one that could not be run; a probed one wins."""
    if node.runtime is not None and node.runtime.verified:
        node.notes.append(
            f"--assume-runtime {name}={version} ignored: the runtime was probed directly"
        )
        return
    node.runtime = remote.declared_runtime(name, version)
    node.notes.append(f"runtime declared as {name} {version} (--assume-runtime), not verified")
