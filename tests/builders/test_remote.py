"""The remote driver: nothing but the address is known; a declared runtime stands in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtimecheck import knowledge, verdict
from runtimecheck.builders import gather, remote, store
from runtimecheck.dockercli import GlobalOptions, resolve
from runtimecheck.errors import UsageError
from runtimecheck.facts import BLOCK, PASS, VERDICT_UNKNOWN, WARN


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
    assert verdict.decide(kb, facts, frozenset()).verdict in (WARN, VERDICT_UNKNOWN)


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
