"""The stand-ins of tests/standins: runtimes that cannot be installed here, each answering with
its upstream `--version` text (tests/fixtures/versions, SOURCES.md) and its command line's
answers. They stand in; what proves the probe is the real runc and crun (test_host.py), and
the crun stand-in is held to the real Debian crun 1.8.1 below.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from runtimecheck import verdict
from runtimecheck.facts import (
    ACCEPTED,
    REJECTED,
    BuildKitFacts,
    FixContext,
    NodeFacts,
)
from runtimecheck.probe.host import probe_binary
from runtimecheck.probe.identify import parse_version_output
from support.paths import FIXTURES
from support.runtimes import BUILDKIT_INVOCATIONS, CRUN, IDS, need

STANDINS = Path(__file__).resolve().parents[1] / "standins"
VERSIONS = FIXTURES / "versions"

# stand-in -> (its --version text, the identity read from it)
CASES = {
    "runc-1.0.0-rc93": ("runc-1.0.0-rc93.txt", ("runc", "1.0.0-rc93")),
    "youki-0.1.0": ("youki-0.1.0.txt", ("youki", "0.1.0")),
    "youki-0.4.1": ("youki-0.4.1.txt", ("youki", "0.4.1")),
    "crun-1.8.1": ("crun-1.8.1-debian12.txt", ("crun", "1.8.1")),
    "crun-1.15": ("crun-1.15.txt", ("crun", "1.15")),
    "runc-1.2.2-buildkit-unstamped": ("runc-1.2.2-buildkit-unstamped.txt", ("runc", None)),
}


def standin(name: str) -> str:
    return str(STANDINS / name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_version_text_is_the_recorded_one(name):
    fixture, identity = CASES[name]
    out = subprocess.run([standin(name), "--version"], capture_output=True, check=True).stdout
    assert out == (VERSIONS / fixture).read_bytes()
    parsed = parse_version_output(out.decode())
    assert (parsed.name, parsed.version) == identity


def test_every_stand_in_is_covered_and_says_what_it_is():
    assert sorted(p.name for p in STANDINS.iterdir()) == sorted(CASES)
    for name in CASES:
        head = (STANDINS / name).read_text().split("\n\n", 1)[0]
        assert "Stand-in for" in head and "it runs nothing" in head
        assert "tests/fixtures/versions/SOURCES.md" in head
        assert f"`{name}`" in (VERSIONS / "SOURCES.md").read_text()


def statuses(name: str) -> dict[str, str]:
    facts = probe_binary(standin(name), BUILDKIT_INVOCATIONS)
    assert facts.error is None and facts.verified
    return {k: v.status for k, v in facts.probes.items()}


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("runc-1.0.0-rc93", {"run-keep"}),
        ("youki-0.1.0", {"run-keep", "run-no-pivot"}),
        ("youki-0.4.1", set()),
        ("crun-1.8.1", {"run-keep"}),
        ("crun-1.15", set()),
        ("runc-1.2.2-buildkit-unstamped", set()),
    ],
)
def test_what_each_command_line_takes(name, refused):
    assert statuses(name) == {i: REJECTED if i in refused else ACCEPTED for i in IDS}


def test_the_crun_stand_in_answers_as_the_real_crun_1_8_1():
    """Same statuses and the same evidence, once the private paths are taken out."""

    def answers(path: str) -> dict[str, tuple[str, str]]:
        facts = probe_binary(path, BUILDKIT_INVOCATIONS)
        return {
            k: (v.status, re.sub(r"/\S*runtimecheck-[^/\s`']*", "<tmp>", v.evidence))
            for k, v in facts.probes.items()
        }

    assert answers(standin("crun-1.8.1")) == answers(need(CRUN))


def node(facts, buildkit: str, **kw) -> NodeFacts:
    return NodeFacts(
        builder="b",
        node="b0",
        driver="docker-container",
        endpoint=None,
        buildkit=BuildKitFacts(buildkit, **kw),
        runtime=facts,
        fix_context=FixContext(driver="docker-container", builder="b"),
        status="running",
    )


@pytest.mark.parametrize(
    ("name", "buildkit", "expected"),
    [
        ("runc-1.0.0-rc93", "v0.11.6", "pass"),
        ("runc-1.0.0-rc93", "v0.12.5", "block"),
        ("youki-0.1.0", "v0.11.6", "pass"),
        ("youki-0.1.0", "v0.12.5", "block"),
        ("crun-1.8.1", "v0.11.6", "pass"),
        ("crun-1.8.1", "v0.12.5", "block"),
        ("crun-1.15", "v0.32.2", "pass"),
    ],
)
def test_verdicts_on_the_stand_ins(kb, name, buildkit, expected):
    facts = probe_binary(standin(name), kb.invocations(), runtimes=kb.identities())
    assert verdict.decide(kb, node(facts, buildkit)).verdict == expected


def test_youki_0_4_does_not_honour_no_pivot_where_the_embedder_sends_it(kb):
    facts = probe_binary(standin("youki-0.4.1"), kb.invocations(), runtimes=kb.identities())
    result = verdict.decide(kb, node(facts, "v0.11.6", no_pivot=True))
    pivot = next(c for c in result.checks if c.id == "run-no-pivot")
    assert (pivot.status, pivot.verdict) == ("ignored", "block")
    assert "probe: accepted" in pivot.evidence
