from __future__ import annotations

import json
import re

import pytest

from runtimecheck import __version__, report
from support import report_samples as samples
from support.paths import REPO

TOP = [
    "schemaVersion",
    "tool",
    "verdict",
    "inspectedNothing",
    "builders",
    "notes",
    "advisory",
    "whatIf",
]
BUILDER = ["name", "driver", "verdict", "error", "selection", "nodes"]
NODE = [
    "name",
    "driver",
    "verdict",
    "status",
    "used",
    "endpoint",
    "buildkit",
    "runtime",
    "checks",
    "notes",
    "error",
    "foresight",
]
FORESIGHT = ["id", "invocation", "status", "verdict", "buildkit", "engine", "text"]
BUILDKIT = [
    "version",
    "source",
    "worker",
    "noPivot",
    "cgroup",
    "rootless",
    "environment",
    "hypothetical",
    "actual",
    "judgedAs",
]
RUNTIME = ["name", "version", "path", "where", "verified", "wrapper", "error", "versionSource"]
CHECK = [
    "id",
    "invocation",
    "status",
    "severity",
    "verdict",
    "evidence",
    "reason",
    "fix",
    "source",
    "ignored",
]


def document(result) -> dict:
    return json.loads(report.render(result, "json"))


@pytest.mark.parametrize("sample", sorted(samples.ALL))
def test_every_documented_key_is_present_in_order(sample):
    doc = document(samples.ALL[sample]())
    assert list(doc) == TOP
    assert doc["schemaVersion"] == 1
    assert doc["tool"] == {"name": "docker-runtimecheck", "version": __version__}
    for builder in doc["builders"]:
        assert list(builder) == BUILDER
        for node in builder["nodes"]:
            assert list(node) == NODE
            assert list(node["buildkit"]) == BUILDKIT
            assert list(node["runtime"]) == RUNTIME
            for check in node["checks"]:
                assert list(check) == CHECK
                assert isinstance(check["fix"], list)
            for item in node["foresight"]:
                assert list(item) == FORESIGHT


def test_blocked_crun_node():
    doc = document(samples.crun_blocked())
    assert doc["verdict"] == "block"
    [builder] = doc["builders"]
    assert (builder["name"], builder["driver"], builder["verdict"]) == (
        "ci",
        "docker-container",
        "block",
    )
    [node] = builder["nodes"]
    assert node["runtime"] == {
        "name": "crun",
        "version": "1.8.1",
        "path": "/usr/bin/crun",
        "where": "container buildx_buildkit_ci0",
        "verified": True,
        "wrapper": None,
        "error": None,
        "versionSource": None,
    }
    assert node["buildkit"]["source"] == "buildkitd --version"
    keep = next(c for c in node["checks"] if c["id"] == "run-keep")
    assert keep["status"] == "rejected"
    assert keep["verdict"] == "block"
    assert keep["evidence"] == samples.CRUN_KEEP_EVIDENCE
    assert keep["fix"] == samples.CRUN_FIX
    assert keep["ignored"] is False
    accepted = next(c for c in node["checks"] if c["id"] == "delete")
    assert accepted["reason"] is None


def test_unknowns_are_null_never_missing():
    doc = document(samples.uninspectable())
    node = doc["builders"][0]["nodes"][0]
    assert doc["inspectedNothing"] is True
    assert node["error"].startswith("Cannot connect")
    assert node["runtime"]["name"] is None
    assert node["runtime"]["where"] is None
    assert node["runtime"]["verified"] is False
    assert node["buildkit"]["version"] is None
    assert node["buildkit"]["source"] is None
    assert node["checks"] == []

    unknown = document(samples.unknown_runtime())["builders"][0]["nodes"][0]
    assert unknown["buildkit"]["worker"] is None
    assert unknown["runtime"]["path"] is None


def test_ignored_check_is_flagged():
    doc = document(samples.crun_ignored())
    keep = next(c for c in doc["builders"][0]["nodes"][0]["checks"] if c["id"] == "run-keep")
    assert keep["ignored"] is True
    assert doc["verdict"] == "pass"


def test_builder_error_and_result_notes():
    doc = document(samples.mixed())
    gone = next(b for b in doc["builders"] if b["name"] == "gone")
    assert gone == {
        "name": "gone",
        "driver": "docker-container",
        "verdict": "unknown",
        "error": "no builder 'gone' in the buildx store",
        "selection": None,
        "nodes": [],
    }
    assert doc["notes"] == ["Nodes were probed concurrently."]


def test_probe_json_is_one_node_with_a_top_level_verdict():
    doc = json.loads(report.render_node(samples.crun_node(), "json"))
    assert doc["schemaVersion"] == 1
    assert doc["verdict"] == "block"
    assert doc["runtime"]["name"] == "crun"
    assert doc["runtime"]["version"] == "1.8.1"
    assert doc["runtime"]["path"] == "/usr/bin/crun"
    for check in doc["checks"]:
        assert {"invocation", "status", "evidence"} <= set(check)


def test_output_is_stable():
    assert report.render(samples.mixed(), "json") == report.render(samples.mixed(), "json")


DOCS = REPO / "docs" / "json-format.md"


def documented_keys(heading: str) -> list[str]:
    """The keys of the table under `### heading` in docs/json-format.md, in their order."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split(f"### {heading}", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([^`]+)`", section, flags=re.MULTILINE)


def flattened(document: dict) -> list[str]:
    """Keys, with those of nested objects as `parent.key` (as the docs write them)."""
    keys = []
    for key, value in document.items():
        if isinstance(value, dict):
            keys += [f"{key}.{sub}" for sub in value]
        else:
            keys.append(key)
    return keys


def test_the_documentation_lists_exactly_the_keys_in_their_order():
    doc = document(samples.crun_blocked())
    [builder] = doc["builders"]
    [node] = builder["nodes"]
    assert documented_keys("Top level") == list(doc)
    assert documented_keys("Builder") == list(builder)
    assert documented_keys("Node") == flattened(node)
    assert documented_keys("Check") == list(node["checks"][0])
    [old] = document(samples.crun_until_0_12())["builders"][0]["nodes"]
    assert documented_keys("Foresight") == list(old["foresight"][0])


def test_a_pass_that_a_later_buildkit_breaks_says_so():
    [node] = document(samples.crun_until_0_12())["builders"][0]["nodes"]
    assert node["verdict"] == "pass"
    assert node["foresight"] == [
        {
            "id": "run-keep",
            "invocation": "run --keep",
            "status": "rejected",
            "verdict": "block",
            "buildkit": "v0.12.0",
            "engine": "25.0.0",
            "text": samples.FORESIGHT_TEXT,
        }
    ]
