from __future__ import annotations

from runtimecheck import report
from runtimecheck.report.github import escape_data, escape_property
from support import report_samples as samples


def commands(result) -> list[str]:
    return report.render(result, "github").splitlines()


def unescape(value: str) -> str:
    return (
        value.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def test_escaping_follows_the_runner_rules():
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("ci/ci0: run, keep 5%") == "ci/ci0%3A run%2C keep 5%25"


def test_blocked_check_is_one_error_annotation_with_reason_evidence_and_fix():
    lines = commands(samples.crun_blocked())
    [error] = [ln for ln in lines if ln.startswith("::error ")]
    props, message = error[len("::error ") :].split("::", 1)
    assert props == "title=docker-runtimecheck%3A ci/ci0%3A run --keep rejected"
    assert "\n" not in error
    text = unescape(message)
    assert samples.CRUN_KEEP_REASON in text
    assert samples.CRUN_KEEP_EVIDENCE in text
    assert f"\n    {samples.RM_AND_CREATE}" in text
    assert lines[-1] == "docker-runtimecheck: verdict: ✗ block (1 blocked)"


def test_one_annotation_per_non_pass_check():
    lines = commands(samples.unknown_runtime())
    assert sum(ln.startswith("::warning ") for ln in lines) == 6  # every check unknown/warn
    assert not any(ln.startswith("::error ") for ln in lines)


def test_pass_has_only_the_summary():
    assert commands(samples.runc_pass()) == ["docker-runtimecheck: verdict: ✓ pass (1 passed)"]


def test_ignored_check_is_a_notice():
    lines = commands(samples.crun_ignored())
    [notice] = [ln for ln in lines if ln.startswith("::notice ")]
    assert "ignore list (run-keep)" in unescape(notice)
    assert not any(ln.startswith(("::error ", "::warning ")) for ln in lines)


def test_errors_of_builders_and_nodes_are_warnings():
    lines = commands(samples.mixed())
    warnings = [unescape(ln) for ln in lines if ln.startswith("::warning ")]
    assert any("far/far0 could not be inspected: Cannot connect" in w for w in warnings)
    assert any("Builder gone (docker-container) could not be read" in w for w in warnings)
    assert sum(ln.startswith("::error ") for ln in lines) == 2  # crun and youki


def test_node_failing_beyond_its_checks_still_gets_an_annotation():
    result = samples.runc_pass()
    node = result.builders[0].nodes[0]
    node.verdict = "warn"
    node.notes = ["BuildKit version unknown: evaluated against the newest known."]
    [warning, _summary] = commands(result)
    assert warning.startswith("::warning title=docker-runtimecheck%3A default/default%3A warn::")
    assert "BuildKit version unknown" in warning


def test_probe_node_in_github_format():
    lines = report.render_node(samples.crun_node(), "github", builder="host PATH").splitlines()
    assert lines[0].startswith("::error title=docker-runtimecheck%3A host PATH/ci0%3A run --keep")


def test_a_pass_that_a_later_buildkit_breaks_is_a_notice():
    out = report.render(samples.crun_until_0_12(), "github")
    first = out.splitlines()[0]
    assert first.startswith(
        "::notice title=docker-runtimecheck%3A old/old0%3A ahead%3A run --keep::"
    )
    assert "breaks from BuildKit v0.12.0 (Docker Engine 25.0)" in first


def test_a_sequence_that_differs_is_titled_by_what_the_runtime_did():
    [error] = [line for line in commands(samples.deep_differs()) if line.startswith("::error")]
    assert error.startswith(
        "::error title=docker-runtimecheck%3A ci/ci0%3A BuildKit's call sequence differs "
        "(behaviour)::"
    )
    assert "found no container" in error
