from __future__ import annotations

import json

import pytest

from runtimecheck import report
from runtimecheck.report.sarif import FINGERPRINT_KEY, NOT_INSPECTED
from support import report_samples as samples
from support.sarif import assert_valid_sarif


def sarif(result) -> dict:
    return json.loads(report.render(result, "sarif"))


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
    # The rule is the same for every node: its help is generic, the node's fix is in the result.
    assert samples.RM_AND_CREATE not in rule["help"]["text"]
    assert rule["helpUri"].endswith("/docs/checks/run-keep.md")


def test_the_anchor_file_is_chosen_and_can_be_given(tmp_path, monkeypatch):
    from runtimecheck.report.sarif import default_location

    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / ".git").mkdir()
    assert default_location(str(project / "sub")) == ".runtimecheck.toml"
    (project / "sub" / "Dockerfile").write_text("FROM scratch\n")
    assert default_location(str(project / "sub")) == "Dockerfile"
    (project / ".runtimecheck.toml").write_text("")
    assert default_location(str(project / "sub")) == "../.runtimecheck.toml"
    given = report.render(samples.crun_blocked(), "sarif", sarif_location="build/Dockerfile")
    location = json.loads(given)["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "build/Dockerfile"
    spaced = report.render(samples.crun_blocked(), "sarif", sarif_location="my app/Dockerfile")
    assert_valid_sarif(json.loads(spaced))
    assert "my%20app/Dockerfile" in spaced


def test_the_docs_address_can_be_overridden(monkeypatch):
    monkeypatch.setenv("RUNTIMECHECK_DOCS_URL", "https://docs.example/checks")
    rule = sarif(samples.crun_blocked())["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["helpUri"] == "https://docs.example/checks/run-keep.md"


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


def test_a_sequence_that_differs_has_its_own_rule():
    run = sarif(samples.deep_differs())["runs"][0]
    [result] = run["results"]
    assert (result["ruleId"], result["level"]) == ("behaviour", "error")
    assert "found no container" in result["message"]["text"]
    assert "docker buildx create" in result["message"]["text"]
    [rule] = run["tool"]["driver"]["rules"]
    assert rule["id"] == "behaviour"
    assert "--deep" in rule["shortDescription"]["text"]
    assert "--ignore behaviour" in rule["help"]["text"]
    assert rule["helpUri"].endswith("/docs/checks/behaviour.md")
