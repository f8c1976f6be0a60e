from __future__ import annotations

import pytest

from runtimecheck import report
from runtimecheck.errors import EXIT_BLOCK, EXIT_PASS, EXIT_UNINSPECTED, UsageError
from runtimecheck.facts import BuilderResult, Result
from runtimecheck.report.style import Style, color_wanted, encodes, style_for
from runtimecheck.report.text import split_fix
from support import report_samples as samples
from support.report_samples import FakeStream

ESC = "\x1b"


def text(result: Result, **kwargs) -> str:
    return report.render(result, "text", **kwargs)


def test_blocked_node_shows_failing_invocation_evidence_and_each_fix_command_verbatim():
    out = text(samples.crun_blocked(), color=False)
    assert "builder ci (docker-container)" in out
    assert "node ci0  ✗ block" in out
    assert "v0.13.2 (from buildkitd --version" in out
    assert "crun 1.8.1 at /usr/bin/crun (container buildx_buildkit_ci0, verified)" in out
    assert "✗ run --keep (run-keep): rejected" in out
    assert samples.CRUN_KEEP_REASON in out
    assert samples.CRUN_KEEP_EVIDENCE in out
    lines = out.splitlines()
    for command in (samples.RM_AND_CREATE, samples.PIN):
        [line] = [ln for ln in lines if command in ln]
        assert line.strip() == command  # alone on its line, ready to paste
        assert line.startswith("      ")
    assert out.rstrip().endswith("verdict: ✗ block (1 blocked)")


def test_passing_node_is_a_few_lines():
    out = text(samples.runc_pass(), color=False)
    node = out.split("builder default (docker)\n")[1].split("\n\n")[0]
    assert len(node.splitlines()) <= 4
    assert "✓ accepted: --log FILE --log-format json, run --bundle, run --keep" in node
    assert "runc 1.1.12 at /usr/bin/runc (host, verified)" in node
    assert "fix:" not in out


def test_youki_ignored_option_is_marked_by_what_it_costs_and_says_why():
    out = text(samples.youki_ignored(), color=False)
    assert "✗ run --keep (run-keep): ignored" in out  # every RUN step fails: a block
    assert "does not honour it" in out
    assert "(declared, not verified)" in out
    assert "node remote0  ✗ block" in out


def test_a_rejected_debug_option_is_a_warning_mark():
    out = text(samples.debug_option_rejected(), color=False)
    assert "node sb0  ! warn" in out
    assert "! exec --pid-file (exec-pid-file): rejected" in out
    assert out.rstrip().endswith("verdict: ! warn (1 with warnings)")


def test_unknown_runtime_groups_what_could_not_be_told():
    out = text(samples.unknown_runtime(), color=False)
    assert "node k8s0  ? unknown" in out
    assert "? could not tell: --log FILE --log-format json (global-log)" in out
    assert out.count("is not probed and not in the version data") == 1
    assert "note: Runtime 'mystery-rt' is not in the knowledge base" in out
    assert "version unknown (worker unknown)" in out


def test_uninspected_node_and_unreadable_builder_show_their_errors():
    out = text(samples.mixed(), color=False)
    assert "not inspected: Cannot connect to the Docker daemon at tcp://10.0.0.9:2376" in out
    assert "could not be read: no builder 'gone' in the buildx store" in out
    assert "note: Nodes were probed concurrently." in out
    assert "2 blocked, 1 unknown, 2 not inspected, 1 passed" in out


def test_check_in_the_ignore_list_is_shown_but_not_counted():
    out = text(samples.crun_ignored(), color=False)
    assert "- run --keep (run-keep): rejected; in the ignore list, not counted" in out
    assert "fix:" not in out
    assert "verdict: ✓ pass" in out


def test_colour_on_a_terminal_only():
    assert ESC in text(samples.crun_blocked(), stream=FakeStream(tty=True))
    assert ESC not in text(samples.crun_blocked(), stream=FakeStream(tty=False))


def test_no_color_and_dumb_terminal_turn_colour_off(monkeypatch):
    tty = FakeStream(tty=True)
    assert color_wanted(tty, {})
    assert not color_wanted(tty, {"NO_COLOR": "1"})
    assert not color_wanted(tty, {"TERM": "dumb"})
    assert color_wanted(tty, {"NO_COLOR": ""})  # only a non-empty value counts
    monkeypatch.setenv("NO_COLOR", "yes")
    out = text(samples.crun_blocked(), stream=tty)
    assert ESC not in out
    assert "✗" in out  # the marks remain


def test_force_color_colours_a_pipe_unless_no_color_says_otherwise():
    pipe = FakeStream(tty=False)
    assert not color_wanted(pipe, {})
    assert color_wanted(pipe, {"FORCE_COLOR": "1"})
    assert color_wanted(pipe, {"FORCE_COLOR": "1", "TERM": "dumb"})
    assert not color_wanted(pipe, {"FORCE_COLOR": "0"})
    assert not color_wanted(pipe, {"FORCE_COLOR": "1", "NO_COLOR": "1"})


def test_ascii_stream_gets_ascii_marks_and_nothing_it_cannot_encode():
    stream = FakeStream(tty=False, encoding="ascii")
    assert not encodes(stream, "✓")
    result = samples.mixed()
    result.notes.append("naïve note ‘quoted’")
    out = text(result, stream=stream)
    out.encode("ascii")
    assert "x run --keep (run-keep): rejected" in out
    assert "+ accepted:" in out
    assert samples.RM_AND_CREATE in out


def test_render_node_text_for_probe():
    out = report.render_node(samples.runc_node(), "text", color=False)
    assert out.startswith("node default  ✓ pass")
    assert out.rstrip().endswith("verdict: ✓ pass")


@pytest.mark.parametrize(
    ("fix", "expected"),
    [
        (
            "Let BuildKit run the runc bundled in its image: docker buildx rm x",
            ("Let BuildKit run the runc bundled in its image:", "docker buildx rm x"),
        ),
        (
            "Point it elsewhere: run `sudo systemctl edit docker`, then: sudo systemctl restart docker",
            (
                "Point it elsewhere: run `sudo systemctl edit docker`, then:",
                "sudo systemctl restart docker",
            ),
        ),
        (
            "Upgrade crun to 1.15: it is the first release.",
            ("Upgrade crun to 1.15: it is the first release.", None),
        ),
        ("docker buildx use default", ("", "docker buildx use default")),
    ],
)
def test_split_fix(fix, expected):
    assert split_fix(fix) == expected


def test_unknown_format_is_a_usage_error_naming_the_formats():
    for render in (report.render, report.render_node):
        sample = samples.runc_pass() if render is report.render else samples.runc_node()
        with pytest.raises(UsageError) as info:
            render(sample, "yaml")
        assert info.value.message == "unknown format 'yaml'"
        assert info.value.hint == "use one of: text, json, github, sarif"


def test_a_node_alone_is_rendered_for_its_stream_or_as_told(capsys):
    plain = report.render_node(samples.crun_node(), "text", color=False)
    coloured = report.render_node(samples.crun_node(), "text", color=True)
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert report.render_node(samples.crun_node(), "text", stream=FakeStream(tty=False)) == plain
    assert report.render_node(samples.crun_node(), "text", stream=FakeStream(tty=True)) == coloured
    # No stream given: stdout, which is not a terminal under the tests.
    assert report.render_node(samples.crun_node(), "text") == plain


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_a_node_alone_is_reported_as_a_builder_of_its_driver(fmt):
    node = samples.crun_node()
    alone = report.render_node(node, fmt)
    named = report.render_node(node, fmt, builder="host PATH")
    as_builder = report.render(
        Result([BuilderResult(node.driver, node.driver, nodes=[samples.crun_node()])]), fmt
    )
    assert alone == as_builder
    assert "host PATH" in named and "host PATH" not in alone


def test_style_paint_without_colour_is_identity():
    assert Style(color=False).paint("x", "block") == "x"
    assert style_for(FakeStream(tty=False)).color is False


# --- exit status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "fail_on", "expected"),
    [
        ("runc_pass", "block", EXIT_PASS),
        ("runc_pass", "warn", EXIT_PASS),
        ("crun_blocked", "block", EXIT_BLOCK),
        ("crun_blocked", "warn", EXIT_BLOCK),
        ("crun_blocked", "never", EXIT_PASS),
        ("youki_ignored", "block", EXIT_BLOCK),
        ("crun_ignored", "block", EXIT_PASS),
        ("debug_option_rejected", "block", EXIT_PASS),
        ("debug_option_rejected", "warn", EXIT_BLOCK),
        ("uninspectable", "block", EXIT_UNINSPECTED),
        ("uninspectable", "never", EXIT_UNINSPECTED),
        ("unknown_runtime", "block", EXIT_UNINSPECTED),
        ("unknown_runtime", "warn", EXIT_UNINSPECTED),
        ("mixed", "block", EXIT_BLOCK),
        ("mixed", "never", EXIT_PASS),
    ],
)
def test_exit_status(sample, fail_on, expected):
    assert report.exit_status(samples.ALL[sample](), fail_on) == expected


@pytest.mark.parametrize("fail_on", ["block", "warn", "never"])
def test_unknown_next_to_a_pass_is_the_headline_and_exit_3(fail_on):
    result = Result(samples.runc_pass().builders + samples.unknown_runtime().builders)
    assert result.verdict == "unknown"
    assert report.exit_status(result, fail_on) == EXIT_UNINSPECTED


@pytest.mark.parametrize("fail_on", ["block", "warn", "never"])
def test_uninspected_node_next_to_a_pass_is_exit_3(fail_on):
    result = Result(samples.runc_pass().builders + samples.uninspectable().builders)
    assert report.exit_status(result, fail_on) == EXIT_UNINSPECTED
    unread = Result([*samples.runc_pass().builders, BuilderResult("gone", "docker", error="gone")])
    assert report.exit_status(unread, fail_on) == EXIT_UNINSPECTED


def test_a_block_outweighs_an_unknown():
    result = Result(samples.crun_blocked().builders + samples.uninspectable().builders)
    assert result.verdict == "block"
    assert report.exit_status(result, "block") == EXIT_BLOCK


def test_no_builder_at_all_is_exit_3():
    assert report.exit_status(Result(), "block") == EXIT_UNINSPECTED


def test_unknown_fail_on_is_a_usage_error_naming_the_values():
    with pytest.raises(UsageError) as info:
        report.exit_status(samples.runc_pass(), "sometimes")
    assert info.value.message == "unknown fail-on value 'sometimes'"
    assert info.value.hint == "use one of: block, warn, never"


def test_by_default_only_a_block_fails():
    assert report.exit_status(samples.crun_blocked()) == EXIT_BLOCK
    assert report.exit_status(samples.debug_option_rejected()) == EXIT_PASS


def test_warning_fails_only_with_fail_on_warn():
    result = samples.runc_pass()
    result.builders[0].nodes[0].verdict = "warn"
    assert report.exit_status(result, "block") == EXIT_PASS
    assert report.exit_status(result, "warn") == EXIT_BLOCK
    assert report.exit_status(result, "never") == EXIT_PASS


def test_a_runtime_version_not_printed_by_the_binary_says_where_it_came_from():
    from runtimecheck.facts import RuntimeFacts, RuntimeIdentity
    from runtimecheck.report.text import runtime_text

    runtime = RuntimeFacts(
        path="/usr/bin/buildkit-runc",
        identity=RuntimeIdentity("runc", "1.2.2"),
        verified=True,
        where="container buildx_buildkit_b0",
        version_source="image moby/buildkit:v0.18.0",
    )
    assert runtime_text(runtime) == (
        "runc 1.2.2 at /usr/bin/buildkit-runc (container buildx_buildkit_b0, verified; "
        "version from image moby/buildkit:v0.18.0)"
    )


def test_a_pass_that_a_later_buildkit_breaks_says_so():
    out = report.render(samples.crun_until_0_12(), "text", color=False)
    assert f"ahead: {samples.FORESIGHT_TEXT}" in out
    assert out.rstrip().endswith("verdict: ✓ pass (1 passed)")


# --- the behaviour probe (--deep) ---------------------------------------------------------


def test_a_sequence_that_differs_names_the_step_the_consequence_and_the_evidence():
    out = text(samples.deep_differs(), color=False)
    assert "node ci0  ✗ block" in out
    # The data and the parse probes see nothing wrong with runc 1.1.12 ...
    assert "✓ accepted: --log <file> --log-format json, run --bundle, run --keep," in out
    # ... what it did does.
    assert "✗ BuildKit's call sequence (behaviour): differs" in out
    assert "`state <id>` found no container: the runtime removed it when its process exited" in out
    assert "evidence: behaviour: run --bundle <bundle> --keep <id>: exit 0" in out
    assert f"state <id>: {samples.DEEP_GONE_EVIDENCE}" in out
    lines = out.splitlines()
    [create] = [ln for ln in lines if "docker buildx create" in ln and "buildx-stable-1" in ln]
    assert create.strip().startswith("docker buildx rm --keep-state ci && docker buildx create")


def test_a_sequence_that_behaves_is_one_line():
    out = text(samples.deep_behaves(), color=False)
    assert "✓ behaves as BuildKit needs: run --keep, state, delete, kill (run for real)" in out
    assert "run for real (behaviour)" not in out  # not also among the accepted invocations
    assert out.rstrip().endswith("verdict: ✓ pass (1 passed)")


def test_a_sequence_not_run_is_a_note_and_the_verdict_stands():
    out = text(samples.deep_not_run(), color=False)
    assert f"note: Behaviour probe (--deep) not run: {samples.DEEP_NOT_RUN_REASON}." in out
    assert "behaves" not in out and "differs" not in out
    assert out.rstrip().endswith("verdict: ✓ pass (1 passed)")
