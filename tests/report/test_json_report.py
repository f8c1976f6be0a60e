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
RUNTIME = [
    "name",
    "version",
    "path",
    "where",
    "verified",
    "wrapper",
    "error",
    "versionSource",
    "behaviour",
]
BEHAVIOUR = ["result", "step", "reason", "steps", "left"]
STEP = ["step", "call", "outcome", "exitCode", "evidence"]
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
            behaviour = node["runtime"]["behaviour"]
            if behaviour is not None:
                assert list(behaviour) == BEHAVIOUR
                assert all(list(step) == STEP for step in behaviour["steps"])
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
        "behaviour": None,
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
    deep = document(samples.deep_differs())["builders"][0]["nodes"][0]["runtime"]["behaviour"]
    assert documented_keys("Behaviour") == list(deep)


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


def test_a_runtime_that_does_not_keep_its_container_blocks_on_behaviour_alone():
    doc = document(samples.deep_differs())
    [node] = doc["builders"][0]["nodes"]
    assert doc["verdict"] == node["verdict"] == "block"
    behaviour = node["runtime"]["behaviour"]
    assert (behaviour["result"], behaviour["step"]) == ("differs", "state-kept")
    assert [s["step"] for s in behaviour["steps"]] == ["run-keep", "state-kept"]
    assert behaviour["steps"][-1] == {
        "step": "state-kept",
        "call": "state <id>",
        "outcome": "differs",
        "exitCode": 1,
        "evidence": samples.DEEP_GONE_EVIDENCE,
    }
    # The data and the parse probes accept every invocation of runc 1.1.12: only the behaviour
    # check fails.
    failing = [c for c in node["checks"] if c["verdict"] != "pass"]
    assert [(c["id"], c["status"], c["verdict"]) for c in failing] == [
        ("behaviour", "ignored", "block")
    ]
    assert "removed it when its process exited" in failing[0]["reason"]
    assert "`delete <id>` after the step then finds no container" in failing[0]["reason"]
    assert failing[0]["fix"]


def test_a_sequence_that_was_not_run_is_a_note_and_no_check():
    doc = document(samples.deep_not_run())
    [node] = doc["builders"][0]["nodes"]
    assert node["verdict"] == "pass"
    assert node["runtime"]["behaviour"] == {
        "result": "not-run",
        "step": None,
        "reason": samples.DEEP_NOT_RUN_REASON,
        "steps": [],
        "left": None,
    }
    assert "behaviour" not in [c["id"] for c in node["checks"]]
    assert any(samples.DEEP_NOT_RUN_REASON in note for note in node["notes"])
