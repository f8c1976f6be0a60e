"""The driver registry: every list of drivers comes from it, and the data agrees with it."""

from __future__ import annotations

from runtimecheck import bootstrap
from runtimecheck.builders import registry


def test_the_drivers_buildx_has() -> None:
    assert set(registry.names()) == {"docker-container", "docker", "kubernetes", "remote"}
    assert set(registry.booted_on_demand()) == {"docker-container", "kubernetes"}
    # The docker driver's bundled BuildKit comes from the Engine's /version.
    assert [n for n, d in registry.DRIVERS.items() if d.asks_engine_version] == ["docker"]


def test_every_driver_a_fix_names_is_known(kb) -> None:
    known = {*registry.names(), "host"}  # host: the runtimes on this machine's PATH
    for fix in kb.fixes:
        assert set(fix.drivers) <= known, (fix.id, fix.where)


# docker/buildx v0.36.1: builder/builder.go Builder.Factory calls
# driver.GetDefaultFactory(ctx, ep, dockerapi, false, …) for an empty Driver, so every driver
# competes, the docker driver too (AllowsInstances is only required by `buildx create` and for
# a named driver, GetFactory(name, true)); priorities from each driver/*/factory.go.
BUILDX_PRIORITIES = {"docker": 10, "remote": 20, "docker-container": 30, "kubernetes": 40}


def test_priorities_are_buildx_s() -> None:
    assert {n: d.priority for n, d in registry.DRIVERS.items()} == BUILDX_PRIORITIES


def test_a_stored_builder_without_a_driver_gets_the_driver_buildx_picks() -> None:
    assert registry.driver("") is None and registry.driver("nosuch") is None
    sock = "unix:///var/run/docker.sock"
    assert registry.resolve_unnamed(sock)[0] == "docker"
    assert registry.resolve_unnamed("mycontext")[0] == "docker"
    # A daemon without BuildKit's /grpc: remote for a URL it accepts, else docker-container.
    assert registry.resolve_unnamed(sock, serves_buildkit=False)[0] == "remote"
    assert registry.resolve_unnamed("mycontext", serves_buildkit=False)[0] == "docker-container"
    assert registry.resolve_unnamed("http://x", serves_buildkit=False)[0] == "docker-container"


def test_only_drivers_buildx_boots_are_booted() -> None:
    from runtimecheck.facts import BuildKitFacts, FixContext, NodeFacts

    def stopped(driver: str) -> NodeFacts:
        return NodeFacts("b", "b0", driver, None, BuildKitFacts(None), None, FixContext(driver),
                         status="stopped")  # fmt: skip

    assert bootstrap.needed("docker-container", [stopped("docker-container")])
    assert not bootstrap.needed("remote", [stopped("remote")])
    assert not bootstrap.needed("docker", [stopped("docker")])
