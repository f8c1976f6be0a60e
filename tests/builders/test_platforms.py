"""Platforms and the node a build runs on, against upstream's own rules and recorded choices.

The matcher cases are containerd/platforms v1.0.0-rc.4's test tables (the version docker/buildx
v0.36.1 vendors), extracted verbatim into tests/fixtures/platforms/.
"""

from __future__ import annotations

import functools
import json

import pytest

from runtimecheck.builders import platforms
from runtimecheck.builders.platforms import Platform, choose, parse
from support.paths import FIXTURES

UPSTREAM = json.loads(
    (FIXTURES / "platforms" / "containerd-platforms-v1.0.0-rc.4.json").read_text()
)
AMD64 = Platform("linux", "amd64")


def cases(test: str) -> list[dict]:
    return UPSTREAM["cases"][test]


@pytest.mark.parametrize("case", cases("TestOnly"), ids=lambda c: c["platform"])
def test_only_matches_as_containerd(case: dict) -> None:
    matcher = platforms.only(parse(case["platform"], AMD64))
    for spec in case["match"]:
        assert matcher.match(parse(spec, AMD64)), spec
    for spec in case["no_match"]:
        assert not matcher.match(parse(spec, AMD64)), spec


@pytest.mark.parametrize("case", cases("TestOnlyStrict"), ids=lambda c: c["platform"])
def test_only_strict_matches_as_containerd(case: dict) -> None:
    matcher = platforms.only_strict(parse(case["platform"], AMD64))
    for spec in case["match"]:
        assert matcher.match(parse(spec, AMD64)), spec
    for spec in case["no_match"]:
        assert not matcher.match(parse(spec, AMD64)), spec


@pytest.mark.parametrize("case", cases("TestCompareOSFeatures"), ids=lambda c: c["platform"])
@pytest.mark.parametrize("make", [platforms.only, platforms.only_strict])
def test_ordering_with_os_features_as_containerd(case: dict, make) -> None:
    matcher = make(parse(case["platform"], AMD64))
    parsed = {spec: parse(spec, AMD64) for spec in case["platforms"]}

    def compare(a: str, b: str) -> int:
        return (
            -1
            if matcher.less(parsed[a], parsed[b])
            else 1
            if matcher.less(parsed[b], parsed[a])
            else 0
        )

    assert sorted(case["platforms"], key=functools.cmp_to_key(compare)) == case["expected"]


@pytest.mark.parametrize(
    ("spec", "formatted"),
    [
        # containerd Parse then Normalize, as buildx's util/platformutil.Parse does.
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/amd64/v1", "linux/amd64"),
        ("linux/aarch64", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("linux/arm64/v9.0", "linux/arm64/v9"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/armel", "linux/arm/v6"),
        ("linux/arm/7", "linux/arm/v7"),
        ("linux/i386", "linux/386"),
        ("LINUX/AMD64", "linux/amd64"),
        ("macos/arm64", "darwin/arm64"),
        ("arm64", "linux/arm64"),  # a bare architecture: this machine's OS
        ("linux", "linux/amd64"),  # a bare OS: this machine's architecture
        ("local", "linux/amd64"),
    ],
)
def test_parse_normalises_as_buildx(spec: str, formatted: str) -> None:
    assert str(parse(spec, AMD64)) == formatted


@pytest.mark.parametrize(
    "spec", ["", "linux/*", "nosuch", "linux/amd64/v2/x", "linux/a b", "linux/"]
)
def test_what_containerd_cannot_parse_is_an_error(spec: str) -> None:
    with pytest.raises(ValueError):
        parse(spec, AMD64)


def test_a_value_may_hold_several_platforms() -> None:
    assert [str(p) for p in platforms.parse_all(["linux/amd64,linux/arm64", "linux/arm/v7"], AMD64)] == [
        "linux/amd64", "linux/arm64", "linux/arm/v7",
    ]  # fmt: skip


def test_stored_platforms_are_oci_json() -> None:
    doc = {"architecture": "arm64", "os": "linux", "variant": "v8"}
    assert platforms.from_store(doc) == Platform("linux", "arm64")
    assert platforms.from_store("linux/amd64") is None


# --- the node a build runs on: docker/buildx v0.36.1 build/resolver/driver.go ------------------

P = functools.partial(parse, this_machine=AMD64)


def nodes(*specs: str) -> list[list[Platform]]:
    return [[P(s) for s in spec.split(",") if s] for spec in specs]


@pytest.mark.parametrize(
    ("stored", "requested", "detected", "chosen", "certain"),
    [
        # No platform: the first node (resolve: len(nodeIdxs) == 0 → driverIndex 0).
        (("linux/arm64", "linux/amd64"), [], None, {0}, True),
        # Strict matches on the stored platforms, no need to know what the nodes detect.
        (("linux/amd64", "linux/arm64"), ["linux/arm64"], None, {1}, True),
        (("linux/amd64", "linux/arm64"), ["linux/amd64"], None, {0}, True),
        (("linux/amd64", "linux/arm64"), ["linux/amd64", "linux/arm64"], None, {0, 1}, True),
        (("linux/arm64,linux/amd64", "linux/arm64"), ["linux/amd64"], None, {0}, True),
        # Imperfect: every node's detected platforms, matched with Only.
        (("", ""), ["linux/arm64"], [["linux/amd64"], ["linux/arm64", "linux/arm/v7"]], {1}, True),
        (("", ""), ["linux/amd64"], [["linux/amd64"], ["linux/arm64"]], {0}, True),
        (("", ""), ["linux/s390x"], [["linux/amd64"], ["linux/arm64"]], {0}, True),  # none: 0
        # A platform a node runs only by compatibility (386 on amd64, arm/v7 on arm64): buildx
        # since v0.13 picks that node; before v0.13 exact matches only, so node 0; both count.
        (("", ""), ["linux/386"], [["linux/arm64"], ["linux/amd64"]], {0, 1}, True),
        (("linux/amd64", ""), ["linux/arm/v7"], [[], ["linux/arm64"]], {0, 1}, True),
        # Detected platforms not known: every node that may be the best match counts.
        (("", ""), ["linux/arm64"], None, {0, 1}, False),
        (("", "", ""), ["linux/arm64"], [["linux/arm64"], None, ["linux/amd64"]], {0, 1}, False),
    ],
)
def test_the_node_buildx_resolves(stored, requested, detected, chosen, certain) -> None:
    found = choose(
        nodes(*stored),
        [P(r) for r in requested],
        None if detected is None else [None if d is None else [P(s) for s in d] for d in detected],
    )
    assert (set(found.nodes), found.certain) == (chosen, certain)


def test_buildx_before_0_13_picks_the_last_node_of_an_equal_platform_and_that_counts() -> None:
    # build/build.go resolveDriversBase (v0.10–v0.12): availablePlatforms[Format(p)] = i.
    found = choose(nodes("linux/amd64", "linux/amd64"), [P("linux/amd64")], names=["a0", "a1"])
    assert set(found.nodes) == {0, 1}
    assert "before v0.13" in found.reason and "a1" in found.reason
