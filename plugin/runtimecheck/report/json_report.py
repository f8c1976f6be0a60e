"""The report for pipelines: a versioned JSON document (docs/json-format.md).

Every key is always present, null where a value is unknown, in a fixed order.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from runtimecheck import __version__
from runtimecheck.behaviour import Behaviour
from runtimecheck.facts import (
    BuilderResult,
    BuildKitFacts,
    Check,
    Foresight,
    NodeResult,
    Result,
    RuntimeFacts,
    RuntimeIdentity,
)

SCHEMA_VERSION = 1
_NO_IDENTITY = RuntimeIdentity(name=None, version=None)
TOOL_NAME = "docker-runtimecheck"


def render_json(result: Result) -> str:
    return _dump(result_document(result))


def render_node_json(node: NodeResult) -> str:
    return _dump({**_head(node.verdict), **node_document(node)})


def result_document(result: Result) -> dict[str, Any]:
    return {
        **_head(result.verdict),
        "inspectedNothing": result.inspected_nothing,
        "builders": [builder_document(b) for b in result.builders],
        "notes": list(result.notes),
        "advisory": [builder_document(b) for b in result.advisory],
        "whatIf": result.what_if,
    }


def builder_document(builder: BuilderResult) -> dict[str, Any]:
    return {
        "name": builder.name,
        "driver": builder.driver,
        "verdict": builder.verdict,
        "error": builder.error,
        "selection": builder.selection,
        "nodes": [node_document(n) for n in builder.nodes],
    }


def node_document(node: NodeResult) -> dict[str, Any]:
    return {
        "name": node.name,
        "driver": node.driver,
        "verdict": node.verdict,
        "status": node.status,
        "used": node.used,
        "endpoint": node.endpoint,
        "buildkit": buildkit_document(node.buildkit),
        "runtime": runtime_document(node.runtime),
        "checks": [check_document(c) for c in node.checks],
        "notes": list(node.notes),
        "error": node.error,
        "foresight": [foresight_document(f) for f in node.foresight],
    }


def foresight_document(item: Foresight) -> dict[str, Any]:
    return {
        "id": item.id,
        "invocation": item.invocation,
        "status": item.status,
        "verdict": item.verdict,
        "buildkit": item.buildkit,
        "engine": item.engine,
        "text": item.text,
    }


def buildkit_document(buildkit: BuildKitFacts) -> dict[str, Any]:
    return {
        "version": buildkit.version,
        "source": buildkit.source or None,
        "worker": buildkit.worker,
        "noPivot": buildkit.no_pivot,
        "cgroup": buildkit.cgroup,
        "rootless": buildkit.rootless,
        "environment": buildkit.environment or None,
        "hypothetical": buildkit.hypothetical,
        "actual": buildkit.actual,
        "judgedAs": buildkit.to_judge,
    }


def runtime_document(runtime: Optional[RuntimeFacts]) -> dict[str, Any]:
    if runtime is None:
        runtime = RuntimeFacts(path=None, identity=_NO_IDENTITY, where="")
    identity = runtime.identity
    return {
        "name": identity.name,
        "version": identity.version,
        "path": runtime.path,
        "where": runtime.where or None,
        "verified": runtime.verified,
        "wrapper": identity.wrapper,
        "error": runtime.error,
        "versionSource": runtime.version_source or None,
        "behaviour": behaviour_document(runtime.behaviour),
    }


def behaviour_document(behaviour: Optional[Behaviour]) -> Optional[dict[str, Any]]:
    """BuildKit's call sequence run for real (--deep); null when it was not asked for."""
    if behaviour is None:
        return None
    return {
        "result": behaviour.result,
        "step": behaviour.step,
        "reason": behaviour.reason or None,
        "steps": [
            {
                "step": s.name,
                "call": s.call,
                "outcome": s.outcome,
                "exitCode": s.exit_code,
                "evidence": s.evidence,
            }
            for s in behaviour.steps
        ],
        "left": behaviour.left,
    }


def check_document(check: Check) -> dict[str, Any]:
    return {
        "id": check.id,
        "invocation": check.invocation,
        "status": check.status,
        "severity": check.severity,
        "verdict": check.verdict,
        "evidence": check.evidence,
        "reason": check.reason or None,
        "fix": list(check.fix),
        "source": check.source or None,
        "ignored": check.ignored,
    }


def _head(verdict: str) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "verdict": verdict,
    }


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
