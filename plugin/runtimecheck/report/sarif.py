"""SARIF 2.1.0 for GitHub code scanning.

A builder is not a file, but code scanning rejects a result without a physical location
("locationFromSarifResult: expected at least one location") or with an empty URI. Every
result is therefore anchored at line 1 of a file of the project: the build's Dockerfile in
build mode, the path given with `--sarif-location`, else the project's `.runtimecheck.toml`
(where a check is ignored) or its `Dockerfile`; and every result names `builder/node` as a
logical location. A rule's help is generic and links to the check's page (`helpUri`); what
was found on one node is in the result. `partialFingerprints` are derived from builder, node
and check id, so an alert stays one alert across runs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Optional
from urllib.parse import quote

from runtimecheck import __version__, behaviour
from runtimecheck.facts import BLOCK, PASS, SEVERITY_BLOCK, Check, NodeResult, Result

from . import levels
from .docs import check_page
from .json_report import TOOL_NAME
from .text import fix_steps

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/docker-runtimecheck/docker-runtimecheck"
ARTIFACT_URI = ".runtimecheck.toml"
FINGERPRINT_KEY = "runtimecheckFinding/v1"

# Findings that are not one invocation: the node could not be inspected, or fails as a whole;
# and the note that a verdict holds only until a later BuildKit.
NOT_INSPECTED = "node-not-inspected"
NODE_VERDICT = "node-verdict"
FORESIGHT = "foresight"
_NODE_RULES = {
    NOT_INSPECTED: (
        "A builder or builder node could not be inspected",
        "Its runtime is unknown, so a build on it may fail midway. Run `docker runtimecheck` "
        "where the builder is reachable to see why.",
        "warning",
    ),
    NODE_VERDICT: (
        "A builder node cannot pass for reasons beyond one invocation",
        "For example its BuildKit version is unknown or newer than the data; the notes say why.",
        "warning",
    ),
    FORESIGHT: (
        "A later BuildKit release sends something this runtime fails",
        "The builder passes (or only warns) because its BuildKit is older than the first "
        "release that sends an invocation this runtime rejects or does not honour. Upgrading "
        "BuildKit, or the Docker Engine that bundles it, breaks it: fix the runtime first.",
        "note",
    ),
}


def render_sarif(result: Result, *, artifact_uri: Optional[str] = None) -> str:
    document = sarif_document(result, artifact_uri=artifact_uri or default_location())
    return json.dumps(document, indent=2) + "\n"


def default_location(cwd: Optional[str] = None) -> str:
    """The project's .runtimecheck.toml (searched as the settings are), else ./Dockerfile
    when there is one, else .runtimecheck.toml: GitHub accepts a file that does not exist."""
    import os
    from pathlib import Path

    from runtimecheck.settings import project_file

    here = Path(cwd or os.getcwd())
    found = project_file(here)
    if found is not None:
        return os.path.relpath(found, here)
    if (here / "Dockerfile").is_file():
        return "Dockerfile"
    return ARTIFACT_URI


def sarif_document(result: Result, *, artifact_uri: str = ARTIFACT_URI) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []

    def add(rule_id: str, rule: dict[str, Any], where: str, level: str, text: str, **extra: Any):
        if rule_id not in rules:
            rules[rule_id] = rule
        if result.what_if:
            text = f"{result.what_if[:1].upper()}{result.what_if[1:]}. {text}"
        entry = {
            "ruleId": rule_id,
            "ruleIndex": list(rules).index(rule_id),
            "level": level,
            "message": {"text": text},
            "locations": [_location(where, artifact_uri)],
            "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(where, rule_id)},
        }
        if rule_id == FORESIGHT:  # one per invocation a later BuildKit sends
            check = extra["properties"]["check"]
            entry["partialFingerprints"] = {
                FINGERPRINT_KEY: _fingerprint(where, f"{rule_id}/{check}")
            }
        entry.update(extra)
        results.append(entry)

    for builder in result.builders:
        if builder.error and not builder.nodes:
            text = f"Builder {builder.name} ({builder.driver}) could not be read: {builder.error}"
            add(NOT_INSPECTED, _node_rule(NOT_INSPECTED), builder.name, "warning", text)
        for node in builder.nodes:
            where = f"{builder.name}/{node.name}"
            for rule_id, level, text, extra in _node_findings(where, node):
                rule = _node_rule(rule_id) if rule_id in _NODE_RULES else _check_rule(node, rule_id)
                add(rule_id, rule, where, level, text, **extra)

    run_properties = {"properties": {"whatIf": result.what_if}} if result.what_if else {}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                **run_properties,
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }


def _node_findings(where: str, node: NodeResult) -> list[tuple[str, str, str, dict[str, Any]]]:
    if node.error:
        text = f"Builder node {where} could not be inspected: {node.error}"
        return [(NOT_INSPECTED, "warning", text, {})]
    found = [
        (check.id, level_of(check), _check_message(where, check), _check_extra(check))
        for check in node.checks
        if check.verdict != PASS
    ]
    if not found and node.verdict != PASS:
        level = "error" if node.verdict == BLOCK else "warning"
        notes = " ".join(node.notes) or f"verdict {node.verdict}"
        found.append((NODE_VERDICT, level, f"Builder node {where}: {node.verdict}. {notes}", {}))
    for item in node.foresight:
        extra = {
            "properties": {
                "check": item.id,
                "invocation": item.invocation,
                "status": item.status,
                "from": item.buildkit,
                "engine": item.engine,
            }
        }
        found.append((FORESIGHT, "note", f"Builder node {where}: {item.text}", extra))
    return found


def level_of(check: Check) -> str:
    """SARIF's words: `note` where the others say notice."""
    level = levels.level_of(check)
    return "note" if level == levels.NOTICE else level


def _check_extra(check: Check) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "properties": {
            "invocation": check.invocation,
            "status": check.status,
            "verdict": check.verdict,
            "evidence": check.evidence,
        }
    }
    if check.ignored:
        extra["suppressions"] = [
            {"kind": "external", "justification": f"{check.id} is in the ignore list"}
        ]
    return extra


def _check_message(where: str, check: Check) -> str:
    reason = check.reason or f"`{check.invocation}`: {check.status}."
    return f"Builder node {where}: {reason}\nEvidence: {check.evidence}" + _fix_text(check.fix)


def _check_rule(node: NodeResult, rule_id: str) -> dict[str, Any]:
    check = next(c for c in node.checks if c.id == rule_id)
    level = "error" if check.severity == SEVERITY_BLOCK else "warning"
    if rule_id == behaviour.CHECK_ID:
        short, help_text = behaviour.RULE_SHORT, behaviour.RULE_HELP
    else:
        short = f"The OCI runtime must accept `{check.invocation}`, which BuildKit sends"
        help_text = (
            f"BuildKit runs the OCI runtime binary as `{check.invocation}`. A runtime that "
            "rejects or ignores it makes builds fail midway; the result says which runtime, "
            f"why, and the fix for that builder. Ignore this check with `--ignore {check.id}` "
            f'or `ignore = ["{check.id}"]` in .runtimecheck.toml.'
        )
    # The invocation's own source; the runtime row that decided this node is in the result.
    invocation_source = check.source.split("; ")[0]
    return _rule(rule_id, short, help_text, level, source=invocation_source or None)


def _node_rule(rule_id: str) -> dict[str, Any]:
    short, help_text, level = _NODE_RULES[rule_id]
    return _rule(rule_id, short, help_text, level)


def _rule(
    rule_id: str, short: str, help_text: str, level: str, *, source: Optional[str] = None
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": short},
        "helpUri": check_page(rule_id),
        "help": {"text": help_text},
        "defaultConfiguration": {"level": level},
    }
    if source:
        rule["properties"] = {"source": source}
    return rule


def _fix_text(fixes: list[str]) -> str:
    return "\nFix:\n" + "\n".join(fix_steps(fixes)) if fixes else ""


def _location(where: str, artifact_uri: str) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(artifact_uri, safe="/")},
            "region": {"startLine": 1},
        },
        "logicalLocations": [{"name": where, "fullyQualifiedName": where, "kind": "module"}],
    }


def _fingerprint(where: str, rule_id: str) -> str:
    return hashlib.sha256(f"{where}/{rule_id}".encode()).hexdigest()
