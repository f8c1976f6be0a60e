"""The remote driver: only BuildKit's API is reachable — no flags, config, binary or exec.

The runtime cannot be seen from here, so it is unknown unless declared
(`--assume-runtime crun=1.14.4`, per builder or "*", also from the config file).
"""

from __future__ import annotations

from typing import Any, Optional

from runtimecheck.assumed import HOW_TO_DECLARE, parse_assumed
from runtimecheck.dockercli import DockerConfig
from runtimecheck.facts import BuildKitFacts, FixContext, NodeFacts, RuntimeFacts, RuntimeIdentity

from .driver import InspectContext, NotCheap
from .store import Builder, Node

NAME = "remote"

# The driver's attributes (driver.Driver): this module is the driver.
name = NAME
priority = 20
boots_on_demand = False
asks_engine_version = False


def assumed_for(builder: str, assumed: Optional[dict[str, str]]) -> Optional[tuple[str, str]]:
    """The declaration that applies to `builder`: its own, else "*"; None when there is none."""
    if not assumed:
        return None
    value = assumed.get(builder) or assumed.get(builder.lower()) or assumed.get("*")
    return parse_assumed(value) if value else None


def declared_runtime(name: str, version: str) -> RuntimeFacts:
    return RuntimeFacts(
        path=None,
        identity=RuntimeIdentity(name=name, version=version),
        verified=False,
        where="declared",
    )


def inspect_node(ctx: InspectContext, builder: Builder, node: Node) -> list[NodeFacts]:
    return [node_facts(builder, node)]


def witnesses(cfg: DockerConfig, node: Node) -> list[list[Any]]:
    raise NotCheap("remote builders are checked in full every time")


def node_facts(builder: Builder, node: Node) -> NodeFacts:
    """Static: the address, and that nothing about the runtime can be read from here."""
    return NodeFacts(
        builder=builder.name,
        node=node.name,
        driver=NAME,
        endpoint=node.endpoint,
        buildkit=BuildKitFacts(version=None, source="", worker=None),
        runtime=None,
        fix_context=FixContext(driver=NAME, builder=builder.name, node=node.name),
        status="unknown",
        notes=[
            "the remote driver exposes only the BuildKit API: its runtime binary cannot be "
            f"inspected; {HOW_TO_DECLARE}",
            f"the BuildKit version was not read (`docker buildx inspect {builder.name}` shows it)",
        ],
    )
