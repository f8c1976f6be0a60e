"""A recreate command keeps everything the builder has but the one change it is for."""

from __future__ import annotations

import shlex

from runtimecheck.facts import (
    REJECTED,
    NodeFacts,
    ProbeOutcome,
    RuntimeIdentity,
    StoredBuilder,
    StoredNode,
)
from runtimecheck.fixcommands import cache_note, recreate
from runtimecheck.verdict import decide
from support.nodes import crun_rejecting_keep

TWO_NODES = StoredBuilder(
    name="ci",
    driver="docker-container",
    nodes=[
        StoredNode(
            name="ci0",
            endpoint="unix:///var/run/docker.sock",
            platforms=["linux/amd64"],
            driver_opts={"image": "registry.example/bk:crun", "env.NO_PROXY": "a,b", "network": "host"},
            flags=["--debug", "--oci-worker-binary", "crun", "--allow-insecure-entitlement=network.host"],
            has_config=True,
        ),
        StoredNode(
            name="arm",
            endpoint="arm-box",
            platforms=["linux/arm64/v8"],
            driver_opts={"image": "registry.example/bk:crun"},
            flags=["--oci-worker-binary=crun"],
        ),
    ],
)  # fmt: skip


def steps(command: str) -> list[list[str]]:
    return [shlex.split(step) for step in command.split(" && ")]


def test_everything_is_kept_but_the_change() -> None:
    copy, rm, first, second = steps(recreate(TWO_NODES, {"oci_worker_binary": "buildkit-runc"}))
    assert copy == ["docker", "cp", "buildx_buildkit_ci0:/etc/buildkit/buildkitd.toml",
                    "buildkitd-ci.toml"]  # fmt: skip
    assert rm == ["docker", "buildx", "rm", "--keep-state", "ci"]
    assert first == [
        "docker", "buildx", "create", "--name", "ci", "--driver", "docker-container",
        "--node", "ci0", "--driver-opt", "image=registry.example/bk:crun",
        "--driver-opt", '"env.NO_PROXY=a,b"', "--driver-opt", "network=host",
        "--platform", "linux/amd64",
        "--buildkitd-flags=--debug --allow-insecure-entitlement=network.host "
        "--oci-worker-binary=buildkit-runc",
        "--buildkitd-config", "buildkitd-ci.toml", "unix:///var/run/docker.sock",
    ]  # fmt: skip
    assert second == [
        "docker", "buildx", "create", "--append", "--name", "ci", "--driver",
        "docker-container", "--node", "arm", "--driver-opt", "image=registry.example/bk:crun",
        "--platform", "linux/arm64/v8", "--buildkitd-flags=--oci-worker-binary=buildkit-runc",
        "arm-box",
    ]  # fmt: skip


def test_an_image_change_keeps_the_worker_binary() -> None:
    _, _, first, _ = steps(recreate(TWO_NODES, {"image": "moby/buildkit:v0.11.6"}))
    assert "image=moby/buildkit:v0.11.6" in first
    flags = next(w for w in first if w.startswith("--buildkitd-flags="))
    assert "--oci-worker-binary crun" in flags


def test_kubernetes_takes_no_endpoint_and_loses_its_cache() -> None:
    kube = StoredBuilder("k", "kubernetes", [StoredNode("k0", "kubernetes:///k?deployment=k0",
                                                        driver_opts={"namespace": "ci"})])  # fmt: skip
    (rm, create) = steps(recreate(kube, {"image": "moby/buildkit:v0.11.6"}))
    assert rm == ["docker", "buildx", "rm", "k"]
    assert create[-1] == "image=moby/buildkit:v0.11.6"
    assert "discards its build cache" in cache_note(kube)
    assert "--keep-state" in cache_note(TWO_NODES)


def crun_node(image: str, override: str | None) -> NodeFacts:
    return crun_rejecting_keep(image=image, binary_override=override)


def test_a_stock_image_pointed_at_another_runtime_keeps_its_image(kb) -> None:
    fixes = next(c for c in decide(kb, crun_node("moby/buildkit:v0.12.5", "crun")).checks
                 if c.id == "run-keep").fix  # fmt: skip
    first_recreate = next(f for f in fixes if "docker buildx create" in f)
    assert "instead of crun" in first_recreate
    assert "image=moby/buildkit:v0.12.5" in first_recreate  # kept as it was
    assert "buildx-stable-1" not in first_recreate
    assert "--oci-worker-binary=buildkit-runc" in first_recreate


def test_a_custom_image_is_replaced_by_the_stock_one(kb) -> None:
    fixes = next(c for c in decide(kb, crun_node("registry.example/bk:crun", None)).checks
                 if c.id == "run-keep").fix  # fmt: skip
    assert any("image=moby/buildkit:buildx-stable-1" in f for f in fixes)
    assert len(fixes) == len(set(fixes))


def test_a_node_failing_several_checks_shows_each_fix_line_once(kb) -> None:
    from runtimecheck import report
    from runtimecheck.facts import BuilderResult, Result

    facts = crun_node("registry.example/bk:crun", None)
    # A runtime (a hypothetical crun build) rejecting two of what BuildKit sends.
    facts.runtime.probes["exec-pid-file"] = ProbeOutcome("exec-pid-file", REJECTED, "exit 1")
    node = decide(kb, facts)
    assert sum(1 for c in node.checks if c.fix) >= 2  # the same recreate would come twice
    out = report.render(Result([BuilderResult("ci", "docker-container", nodes=[node])]), "text")
    commands = [line.strip() for line in out.splitlines() if "docker buildx" in line]
    assert commands and len(commands) == len(set(commands))


def test_an_unknown_verdict_offers_no_recreate(kb) -> None:
    facts = crun_node("registry.example/bk:crun", None)
    facts.runtime.identity = RuntimeIdentity("brand-new-rt", "1.0")
    facts.runtime.probes = {}
    node = decide(kb, facts)
    assert node.verdict == "unknown"
    assert not any("docker buildx" in f for c in node.checks for f in c.fix)
