"""`docker runtimecheck rules`: the knowledge base, as a table to read or as JSON."""

from __future__ import annotations

import json
from typing import Any

from packaging.version import Version

from runtimecheck import behaviour
from runtimecheck.errors import UsageError
from runtimecheck.facts import ACCEPTED, IGNORED, REJECTED, SEVERITY_BLOCK
from runtimecheck.knowledge import WHEN_NO_PIVOT, Invocation, Knowledge, Support

from .docs import check_page

FORMATS = ("text", "json")


def render_rules(kb: Knowledge, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rules_document(kb), indent=2) + "\n"
    if fmt == "text":
        return _text(kb)
    raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")


def rules_document(kb: Knowledge) -> dict[str, Any]:
    """Every entry of the knowledge base, with its source."""
    return {
        "buildkit": {
            "newest": kb.newest_buildkit(),
            "invocations": [
                {
                    "id": i.id,
                    "display": i.display,
                    "buildkit": i.buildkit_text,
                    "when": i.when,
                    "severity": i.severity,
                    "fails": i.fails,
                    "probe": list(i.probe),
                    "source": i.source,
                    "page": check_page(i.id),
                }
                for i in kb.invocation_list
            ],
            "releases": [{"version": r.version, "source": r.source} for r in kb.releases],
            "consequences": [
                {
                    "invocation": c.invocation,
                    "conditions": dict(c.conditions),
                    "severity": c.severity,
                    "fails": c.fails,
                    "source": c.source,
                }
                for c in kb.consequences
            ],
        },
        "runtimes": [
            {
                "name": r.name,
                "flags_of": r.flags_of,
                "wrapper": r.wrapper,
                "source": r.source,
                "support": [
                    {
                        "invocation": s.invocation,
                        "versions": s.versions_text,
                        "status": s.status,
                        "note": s.note,
                        "fails_as": s.fails_as,
                        "source": s.source,
                    }
                    for s in kb.support_rows
                    if s.runtime == r.name
                ],
            }
            for r in kb.runtimes
        ],
        "engines": [
            {"engine": e.engine_text, "buildkit": e.buildkit, "exact": e.exact, "source": e.source}
            for e in kb.engines
        ],
        "images": [{"tags": i.tags_text, "runc": i.runc, "source": i.source} for i in kb.images],
        # Not data: the check `--deep` adds, BuildKit's call sequence run for real.
        "behaviour": {
            "id": behaviour.CHECK_ID,
            "display": behaviour.DISPLAY,
            "severity": SEVERITY_BLOCK,
            "page": check_page(behaviour.CHECK_ID),
            "source": behaviour.SOURCE,
        },
        "fixes": {
            "stock_image": kb.fix_settings.stock_image,
            "pin_image": kb.fix_settings.pin_image,
            "pin_buildkit": kb.fix_settings.pin_buildkit,
            "templates": [
                {
                    "id": f.id,
                    "problems": list(f.problems),
                    "drivers": list(f.drivers),
                    "override": f.override,
                    "engine": str(f.engine) if f.engine is not None else None,
                    "pin_helps": f.pin_helps,
                    "runc_from": f.runc_from,
                    "text": f.text,
                    "source": f.source,
                }
                for f in kb.fixes
            ],
            "nested": [
                {
                    "outer": n.outer,
                    "outer_versions": n.outer_versions_text,
                    "runc": n.runc_text,
                    "note": n.note,
                    "fixed_in": n.fixed_in,
                    "source": n.source,
                }
                for n in kb.nested
            ],
        },
    }


def _table(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
        for row in [header, *rows]
    ]


def _buildkit_columns(kb: Knowledge) -> list[tuple[Version, str]]:
    """One column per BuildKit range in which the set of invocations stays the same."""
    starts = sorted(
        {Version(s.version) for i in kb.invocation_list for s in i.buildkit if s.operator == ">="}
    )
    columns = []
    for n, start in enumerate(starts):
        if n + 1 < len(starts):
            end = starts[n + 1]
            last = f"{end.major}.{end.minor - 1}" if end.minor else f"<{end}"
            label = f"{_first(start)}-{last}"
        else:
            label = f"{_first(start)}+"
        columns.append((start, label))
    return columns


def _first(version: Version) -> str:
    """`v0.8` for a minor's first release, `v0.5.1` otherwise."""
    return f"v{version.major}.{version.minor}" if not version.micro else f"v{version}"


def _sent_cell(invocation: Invocation, version: Version) -> str:
    if not invocation.sent_by(version, no_pivot=True):
        return "-"
    return "if no_pivot" if invocation.when == WHEN_NO_PIVOT else "yes"


def _support_cell(rows: list[Support]) -> str:
    accepted = [r.versions_text or "all" for r in rows if r.status == ACCEPTED]
    if accepted:
        return " ".join(accepted)
    if any(r.status == IGNORED for r in rows):
        return "ignored"
    if any(r.status == REJECTED for r in rows):
        return "never"
    return "?"


def _text(kb: Knowledge) -> str:
    invocations = list(kb.invocation_list)
    columns = _buildkit_columns(kb)
    out = ["What BuildKit's OCI worker sends to the runtime binary, by BuildKit version", ""]
    header = ["invocation", "if missing", *[label for _, label in columns]]
    rows = [
        [i.display, i.severity, *[_sent_cell(i, start) for start, _ in columns]]
        for i in invocations
    ]
    out += _table(header, rows)
    out += [
        "",
        "  block: every RUN step needs it. warn: only debug and interactive containers use it.",
        *[
            f"  {c.invocation}, where BuildKit runs with {c.describe()}: {c.severity} ({c.fails})."
            for c in kb.consequences
        ],
        f"  Newest BuildKit known: {kb.newest_buildkit()}.",
        f"  Each check (its id in the table below) is explained at {check_page('ID')}.",
        f"  With --deep, the check `{behaviour.CHECK_ID}` also runs BuildKit's call sequence for "
        "real (run --keep, state, delete, kill):",
        f"  {check_page(behaviour.CHECK_ID)}",
        "",
        "Runtime versions that accept each invocation",
        "",
    ]
    header = ["runtime", *[i.id for i in invocations]]
    rows = []
    notes = []
    for runtime in kb.runtimes:
        if runtime.wrapper:
            notes.append(f"  {runtime.name}: a wrapper; what counts is the runtime it wraps.")
            continue
        if runtime.flags_of:
            notes.append(f"  {runtime.name}: the same command line as {runtime.flags_of}.")
        rows.append(
            [
                runtime.name,
                *[_support_cell(kb.support_for(runtime.name, i.id)) for i in invocations],
            ]
        )
    out += _table(header, rows)
    out += [
        "",
        "  never: no release accepts it. ignored: accepted but not honoured (does not pass).",
        "  ?: no data; the probe decides.",
        *notes,
        "",
        "Docker Engine -> bundled BuildKit (the buildx docker driver)",
        "",
    ]
    engine_rows = [
        [e.engine_text, e.buildkit if e.exact else f"{e.buildkit} or later"] for e in kb.engines
    ]
    out += _table(["Engine", "BuildKit"], engine_rows)
    out += ["", "moby/buildkit image tag -> bundled runc (buildkit-runc)", ""]
    out += _table(["tag", "runc"], [[i.tags_text, i.runc] for i in kb.images])
    out += [
        "",
        "Every entry's upstream source: docker runtimecheck rules --format json",
        "",
    ]
    return "\n".join(out)
