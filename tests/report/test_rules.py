"""`rules` output: the text tables and the JSON document."""

from __future__ import annotations

import json

import pytest

from runtimecheck.errors import UsageError
from runtimecheck.report.rules import render_rules


def line_of(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(start))


def test_text_shows_buildkit_versions_by_invocation(kb):
    text = render_rules(kb, "text")
    header = line_of(text, "invocation")
    keep = line_of(text, "run --keep")
    assert "v0.8-0.11" in header and "v0.12+" in header
    cells = keep.split()
    assert cells[-1] == "yes" and cells[-2] == "-"
    assert "if no_pivot" in line_of(text, "run --no-pivot")


def test_text_shows_runtime_versions_per_invocation(kb):
    text = render_rules(kb, "text")
    assert ">=1.15" in line_of(text, "crun ")
    assert ">=1.1.0" in line_of(text, "runc ")
    assert "ignored" in line_of(text, "youki ")
    assert "never" in line_of(text, "runsc ")
    assert "nvidia-container-runtime: a wrapper" in text


def test_text_shows_engine_and_image_tables(kb):
    text = render_rules(kb, "text")
    assert line_of(text, ">=25.0.2,<=25.0.15").split()[-1] == "v0.12.5"
    assert line_of(text, ">=0.12.5,<=0.14.1").split()[-1] == "1.1.12"


def test_json_holds_every_entry_with_its_source(kb):
    document = json.loads(render_rules(kb, "json"))
    assert document["buildkit"]["newest"] == kb.newest_buildkit()
    ids = [i["id"] for i in document["buildkit"]["invocations"]]
    assert ids == [i.id for i in kb.invocation_list]
    keep = next(i for i in document["buildkit"]["invocations"] if i["id"] == "run-keep")
    assert keep["probe"] == ["--root", "{root}", "run", "--bundle", "{bundle}", "--keep", "{id}"]
    rows = [row for r in document["runtimes"] for row in r["support"]]
    assert len(rows) == len(kb.support_rows)
    assert all(row["source"] for row in rows)
    crun = next(r for r in document["runtimes"] if r["name"] == "crun")
    assert {"invocation": "run-keep", "versions": ">=1.15", "status": "accepted"}.items() <= next(
        row
        for row in crun["support"]
        if row["status"] == "accepted" and row["invocation"] == "run-keep"
    ).items()
    assert len(document["engines"]) == len(kb.engines)
    assert len(document["images"]) == len(kb.images)
    assert {f["id"] for f in document["fixes"]["templates"]} == {f.id for f in kb.fixes}


def test_unknown_format_is_a_usage_error(kb):
    with pytest.raises(UsageError):
        render_rules(kb, "yaml")


def test_text_says_where_a_failure_costs_less(kb):
    text = render_rules(kb, "text")
    header = line_of(text, "invocation")
    assert "v0.5.1-0.7" in header  # run --no-pivot arrives with v0.5.1
    line = line_of(text, "delete, where BuildKit runs with cgroup v2, not rootless: warn")
    assert "in the background and drops its error" in line


def test_json_has_the_conditions_and_the_nested_runtimes(kb):
    doc = json.loads(render_rules(kb, "json"))
    [delete] = doc["buildkit"]["consequences"]
    assert delete["conditions"] == {"cgroup": "v2", "rootless": False}
    assert delete["severity"] == "warn" and "monitor.go" in delete["source"]
    youki = next(r for r in doc["runtimes"] if r["name"] == "youki")
    keep = next(
        s for s in youki["support"] if s["invocation"] == "run-keep" and s["status"] == "ignored"
    )
    assert keep["fails_as"] == "delete"
    assert {n["fixed_in"] for n in doc["fixes"]["nested"]} == {"0.6.6", "0.7.0"}
    bundled = next(
        f for f in doc["fixes"]["templates"] if f["id"] == "docker-container-bundled-runc"
    )
    assert bundled["runc_from"] == "stock_image"
