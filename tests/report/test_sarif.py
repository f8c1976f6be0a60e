from __future__ import annotations

import json

import pytest

from runtimecheck import __version__, report
from runtimecheck.report.sarif import FINGERPRINT_KEY, NOT_INSPECTED
from support import report_samples as samples

LEVELS = {"none", "note", "warning", "error"}


def sarif(result) -> dict:
    return json.loads(report.render(result, "sarif"))


def assert_valid_sarif(log: dict) -> None:
    """The properties SARIF 2.1.0 requires, and those GitHub code scanning insists on."""
    assert log["version"] == "2.1.0"
    assert log["$schema"].startswith("https://")
    assert isinstance(log["runs"], list)
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "docker-runtimecheck"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in LEVELS
    for result in run["results"]:
        assert result["message"]["text"]
        assert result["level"] in LEVELS
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"], "code scanning rejects a result without a location"
        for location in result["locations"]:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert uri
            assert " " not in uri
            assert ":" not in uri  # repository-relative, no scheme
            assert location["physicalLocation"]["region"]["startLine"] >= 1
            for logical in location["logicalLocations"]:
                assert logical["fullyQualifiedName"]
        fingerprints = result["partialFingerprints"]
        assert all(isinstance(v, str) and v for v in fingerprints.values())
        for suppression in result.get("suppressions", []):
            assert suppression["kind"] in {"inSource", "external"}


@pytest.mark.parametrize("sample", sorted(samples.ALL))
def test_every_sample_is_valid_sarif(sample):
    assert_valid_sarif(sarif(samples.ALL[sample]()))


def test_blocked_check_is_an_error_with_the_fix():
    run = sarif(samples.crun_blocked())["runs"][0]
    [result] = run["results"]
    assert result["ruleId"] == "run-keep"
    assert result["level"] == "error"
    text = result["message"]["text"]
    assert samples.CRUN_KEEP_REASON in text
    assert samples.RM_AND_CREATE in text
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "ci/ci0"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        ".runtimecheck.toml"
    )
    [rule] = run["tool"]["driver"]["rules"]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert "run --keep" in rule["shortDescription"]["text"]
    assert samples.RM_AND_CREATE in rule["help"]["text"]


def test_levels_and_rule_ids_across_situations():
    results = sarif(samples.mixed())["runs"][0]["results"]
    found = {
        (r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], r["ruleId"]): r["level"]
        for r in results
    }
    assert found[("ci/ci0", "run-keep")] == "error"
    assert found[("remote/remote0", "run-keep")] == "error"
    assert found[("k8s/k8s0", "run-keep")] == "warning"
    assert found[("k8s/k8s0", "exec-pid-file")] == "warning"
    assert found[("far/far0", NOT_INSPECTED)] == "warning"
    assert found[("gone", NOT_INSPECTED)] == "warning"
    assert not any(where == "default/default" for where, _ in found)


def test_ignored_check_is_a_suppressed_note():
    [result] = sarif(samples.crun_ignored())["runs"][0]["results"]
    assert result["level"] == "note"
    assert result["suppressions"][0]["kind"] == "external"


def test_pass_has_no_results():
    assert sarif(samples.runc_pass())["runs"][0]["results"] == []


def test_fingerprints_are_stable_and_distinct():
    first = [
        r["partialFingerprints"][FINGERPRINT_KEY]
        for r in sarif(samples.mixed())["runs"][0]["results"]
    ]
    again = [
        r["partialFingerprints"][FINGERPRINT_KEY]
        for r in sarif(samples.mixed())["runs"][0]["results"]
    ]
    assert first == again
    assert len(set(first)) == len(first)


def test_a_pass_that_a_later_buildkit_breaks_is_a_note():
    doc = sarif(samples.crun_until_0_12())
    [result] = doc["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("foresight", "note")
    assert result["message"]["text"] == f"Builder node old/old0: {samples.FORESIGHT_TEXT}"
    assert result["properties"]["from"] == "v0.12.0" and result["properties"]["check"] == "run-keep"
    [rule] = doc["runs"][0]["tool"]["driver"]["rules"]
    assert rule["defaultConfiguration"]["level"] == "note"
