"""The remote driver: nothing but the address is known; a declared runtime stands in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtimecheck import knowledge, verdict
from runtimecheck.builders import gather, remote, store
from runtimecheck.dockercli import GlobalOptions, resolve
from runtimecheck.errors import UsageError
from runtimecheck.facts import BLOCK, PASS, VERDICT_UNKNOWN


@pytest.fixture
def setup(tmp_path: Path):
    (tmp_path / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(tmp_path / "docker")), env={})
    doc = {
        "Name": "farm",
        "Driver": "remote",
        "Nodes": [{"Name": "farm0", "Endpoint": "tcp://buildkitd.example:1234"}],
    }
    builder = store.parse_instance("farm", tmp_path / "farm", json.dumps(doc).encode())
    return cfg, builder, knowledge.load()


def test_unknown_runtime_says_how_to_declare_it(setup) -> None:
    cfg, builder, kb = setup
    [facts] = gather.inspect_builder(cfg, builder, kb=kb)
    assert facts.error is None and facts.runtime is None
    assert facts.endpoint == "tcp://buildkitd.example:1234"
    assert any("--assume-runtime" in n for n in facts.notes)
    # Nothing about its runtime is known: never a pass, and not a block without evidence.
    assert verdict.decide(kb, facts, frozenset()).verdict == VERDICT_UNKNOWN


@pytest.mark.parametrize("key", ["farm", "*"])
def test_declared_runtime_is_used_unverified(setup, key: str) -> None:
    cfg, builder, kb = setup
    [facts] = gather.inspect_builder(cfg, builder, kb=kb, assumed={key: "crun=1.14.4"})
    runtime = facts.runtime
    assert runtime is not None and not runtime.verified and runtime.where == "declared"
    assert (runtime.identity.name, runtime.identity.version) == ("crun", "1.14.4")
    assert any("declared" in n for n in facts.notes)


def test_declared_runtime_for_another_builder_does_not_apply(setup) -> None:
    cfg, builder, kb = setup
    [facts] = gather.inspect_builder(cfg, builder, kb=kb, assumed={"other": "crun=1.15"})
    assert facts.runtime is None


def test_declared_runtime_with_a_known_buildkit_decides(setup) -> None:
    cfg, builder, kb = setup
    [facts] = gather.inspect_builder(cfg, builder, kb=kb, assumed={"*": "crun=1.14.4"})
    facts.buildkit.version = "v0.12.5"  # as a BuildKit API answer would give it
    assert verdict.decide(kb, facts, frozenset()).verdict == BLOCK
    facts.runtime = remote.declared_runtime("crun", "1.15")
    assert verdict.decide(kb, facts, frozenset()).verdict == PASS


@pytest.mark.parametrize("bad", ["crun", "crun=", "=1.2", "crun 1.14"])
def test_malformed_declaration_is_a_usage_error(setup, bad: str) -> None:
    cfg, builder, kb = setup
    with pytest.raises(UsageError):
        gather.inspect_builder(cfg, builder, kb=kb, assumed={"*": bad})


# --- endpoints that name something this tool can look at (driver/remote/util/endpoint.go) ---


@pytest.mark.engine
def test_a_docker_container_endpoint_is_probed_like_a_builder_container(
    tmp_path: Path, make_container, test_images, kb
) -> None:
    # BuildKit's connection helper runs `docker exec -i NAME buildctl dial-stdio`
    # (moby/buildkit client/connhelper/dockercontainer): NAME is a container on the daemon the
    # environment's docker uses.
    container = make_container(test_images["crun_as_runc"], command=[], init=True)
    (tmp_path / "docker").mkdir()
    cfg = resolve(GlobalOptions(config=str(tmp_path / "docker")))
    endpoint = f"docker-container://{container.name}"
    doc = {"Name": "dc", "Driver": "remote", "Nodes": [{"Name": "dc0", "Endpoint": endpoint}]}
    builder = store.parse_instance("dc", tmp_path / "dc", json.dumps(doc).encode())

    [facts] = gather.inspect_builder(cfg, builder, kb=kb)

    assert facts.driver == "remote" and facts.endpoint == endpoint and facts.error is None
    assert facts.runtime is not None and facts.runtime.verified
    assert facts.runtime.identity.name == "crun"
    assert facts.buildkit.version == "v0.12.5" and facts.buildkit.source == "buildkitd --version"
    assert verdict.decide(kb, facts, frozenset()).verdict == BLOCK


def test_a_missing_container_is_said(setup, tmp_path: Path) -> None:
    cfg, _, kb = setup
    doc = {"Name": "dc", "Driver": "remote",
           "Nodes": [{"Name": "dc0", "Endpoint": "docker-container://nosuch?context=nowhere"}]}  # fmt: skip
    builder = store.parse_instance("dc", tmp_path / "dc", json.dumps(doc).encode())
    [facts] = gather.inspect_builder(cfg, builder, kb=kb)
    assert facts.error is not None and "nowhere" in facts.error


def test_the_buildkit_version_comes_from_buildx_inspect(dockerconfig, tmp_path: Path, kb) -> None:
    from support.paths import FIXTURES

    text = (FIXTURES / "buildx-inspect" / "two-nodes-v0.36.1.txt").read_text()
    recorded = tmp_path / "inspect.txt"
    recorded.write_text(text.replace("@BUILDER@", "farm").replace("@NODE0@", "farm0"))
    opts = GlobalOptions(config=str(dockerconfig.dir), raw=["--config", str(dockerconfig.dir)])
    cfg = resolve(opts, env={})
    doc = {"Name": "farm", "Driver": "remote",
           "Nodes": [{"Name": "farm0", "Endpoint": "tcp://buildkitd.example:1234"}]}  # fmt: skip
    builder = store.parse_instance("farm", tmp_path / "farm", json.dumps(doc).encode())

    import os

    os.environ["RECORDER_INSPECT"] = str(recorded)
    try:
        [facts] = gather.inspect_builder(cfg, builder, kb=kb, assumed={"*": "crun=1.14.4"})
    finally:
        del os.environ["RECORDER_INSPECT"]
    assert (facts.buildkit.version, facts.buildkit.source) == ("v0.12.5", "`docker buildx inspect`")
    assert verdict.decide(kb, facts, frozenset()).verdict == BLOCK  # crun 1.14 and --keep

    # Without an answer from buildx (here: none installed for this config), it says why.
    [plain] = gather.inspect_builder(resolve(GlobalOptions(config=str(tmp_path)), env={}),
                                     builder, kb=kb)  # fmt: skip
    assert plain.buildkit.version is None
    assert any("BuildKit version was not read" in n and "buildx inspect" in n for n in plain.notes)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        # dockercontainer.go SpecFromURL: the container is Go's url.Hostname(), which keeps the
        # case (docker's container names are case-sensitive).
        ("docker-container://MyBuilder", ("MyBuilder", None)),
        ("docker-container://MyBuilder?context=Other", ("MyBuilder", "Other")),
        ("docker-container://user@bk_1:1234", ("bk_1", None)),
        ("docker-container://", None),
    ],
)
def test_a_container_endpoint_keeps_the_name_s_case(endpoint: str, expected) -> None:
    assert remote.container_endpoint(endpoint) == expected
