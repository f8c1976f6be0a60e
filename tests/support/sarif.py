"""What a SARIF log must hold: the structure SARIF 2.1.0 requires (sarif-schema-2.1.0.json's
required properties and enums, for what the report uses) and what GitHub code scanning insists
on besides."""

from __future__ import annotations

from runtimecheck import __version__

LEVELS = {"none", "note", "warning", "error"}


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
        assert rule["helpUri"].startswith("https://") and rule["helpUri"].endswith(".md")
        assert rule["defaultConfiguration"]["level"] in LEVELS
    for result in run["results"]:
        assert result["message"]["text"]
        assert result["level"] in LEVELS
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"], "code scanning rejects a result without a location"
        for location in result["locations"]:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert uri
            assert " " not in uri  # a URI reference: percent-encoded
            assert ":" not in uri  # repository-relative, no scheme
            assert location["physicalLocation"]["region"]["startLine"] >= 1
            assert location["logicalLocations"], "the builder/node is always named"
            for logical in location["logicalLocations"]:
                assert logical["fullyQualifiedName"]
        fingerprints = result["partialFingerprints"]
        assert all(isinstance(v, str) and v for v in fingerprints.values())
        for suppression in result.get("suppressions", []):
            assert suppression["kind"] in {"inSource", "external"}
