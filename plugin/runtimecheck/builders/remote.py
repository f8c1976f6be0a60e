"""The remote driver: a BuildKit reached at an address (driver/remote/util/endpoint.go).

An endpoint that names a container (`docker-container://`) or a pod (`kube-pod://`) is
probed there, as buildx reaches it; a socket on this machine (`unix://`) held by a buildkitd
has that buildkitd's runtime probed on the host. Behind any other only BuildKit's API is
reachable: no flags, config, binary or exec, so the runtime is unknown unless declared
(`--assume-runtime crun=1.14.4`, per builder or "*", also from the config file).
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import parse_qs, urlparse

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


def url_host(netloc: str) -> str:
    """The host of a URL's authority as Go's url.Hostname gives it: without user, port and
    brackets, its case kept (Python's `hostname` lowers it; container names keep theirs)."""
    host = netloc.rpartition("@")[2]
    name, colon, port = host.rpartition(":")
    if colon and (port.isdigit() or not port):
        host = name
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def container_endpoint(endpoint: Optional[str]) -> Optional[tuple[str, Optional[str]]]:
    """(container, docker context or None) of `docker-container://NAME?context=CTX`.

    BuildKit's connection helper (moby/buildkit client/connhelper/dockercontainer) runs
    `docker [--context=CTX] exec -i NAME buildctl dial-stdio`: the container is found as
    that `docker` finds it.
    """
    if not endpoint or not endpoint.startswith("docker-container://"):
        return None
    url = urlparse(endpoint)
    context = (parse_qs(url.query).get("context") or [""])[0] or None
    host = url_host(url.netloc)
    return (host, context) if host else None


def inspect_node(ctx: InspectContext, builder: Builder, node: Node) -> list[NodeFacts]:
    from runtimecheck.dockercli import GlobalOptions, resolve

    named = container_endpoint(node.endpoint)
    if named is not None:
        from . import docker_container

        container, context = named
        # The `docker` BuildKit runs sees the environment (DOCKER_HOST, DOCKER_CONTEXT,
        # config.json), not the flags given to this command.
        opts = GlobalOptions(config=str(ctx.cfg.directory), context=context)
        daemon = resolve(opts).endpoint.host
        facts = docker_container._inspect(
            ctx, builder, node, container=container, daemon=daemon, driver=NAME
        )
        facts.notes.append(f"the endpoint names container {container}, probed on {daemon}")
    elif (node.endpoint or "").startswith("kube-pod://"):
        from . import kube_pod

        facts = kube_pod.inspect(ctx, builder, node)
    elif (node.endpoint or "").startswith("unix://"):
        from . import local_buildkitd

        facts = local_buildkitd.inspect(ctx, builder, node)
    else:
        facts = node_facts(builder, node)
    _version_from_buildx(ctx, builder, node, facts)
    return [facts]


def _version_from_buildx(
    ctx: InspectContext, builder: Builder, node: Node, facts: NodeFacts
) -> None:
    """BuildKit's own version (its Info API), as the installed buildx reports it."""
    if facts.buildkit.version:
        return
    from . import buildx_inspect

    inspected, why = buildx_inspect.ask(ctx.cfg.options, builder.name, ctx.timeout)
    listed = inspected.node(node.name) if inspected else None
    # What buildx answered replaces the general word that the version was not read.
    facts.notes = [n for n in facts.notes if "BuildKit version was not read" not in n]
    if listed is not None and listed.buildkit:
        facts.buildkit.version = listed.buildkit
        facts.buildkit.source = buildx_inspect.SOURCE
    elif listed is not None:
        facts.notes.append(f"{buildx_inspect.SOURCE} names no BuildKit version for {node.name}")
    else:
        facts.notes.append(f"the BuildKit version was not read: {why or 'no such node listed'}")


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
