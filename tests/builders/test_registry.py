"""The driver registry: every list of drivers comes from it, and the data agrees with it."""

from __future__ import annotations

from runtimecheck import bootstrap, knowledge
from runtimecheck.builders import registry


def test_the_drivers_buildx_has() -> None:
    assert set(registry.names()) == {"docker-container", "docker", "kubernetes", "remote"}
    assert set(registry.booted_on_demand()) == {"docker-container", "kubernetes"}
    # The docker driver's bundled BuildKit comes from the Engine's /version.
    assert [n for n, d in registry.DRIVERS.items() if d.asks_engine_version] == ["docker"]


def test_every_driver_a_fix_names_is_known() -> None:
    known = {*registry.names(), "host"}  # host: the runtimes on this machine's PATH
    for fix in knowledge.load().fixes:
        assert set(fix.drivers) <= known, (fix.id, fix.where)


def test_a_stored_builder_without_a_driver_is_a_docker_container_one() -> None:
    assert registry.driver("") is registry.DRIVERS["docker-container"]
    assert registry.driver("nosuch") is None


def test_only_drivers_buildx_boots_are_booted() -> None:
    from runtimecheck.facts import BuildKitFacts, FixContext, NodeFacts

    def stopped(driver: str) -> NodeFacts:
        return NodeFacts("b", "b0", driver, None, BuildKitFacts(None), None, FixContext(driver),
                         status="stopped")  # fmt: skip

    assert bootstrap.needed("docker-container", [stopped("docker-container")])
    assert not bootstrap.needed("remote", [stopped("remote")])
    assert not bootstrap.needed("docker", [stopped("docker")])
