"""The data files: complete, sourced, consistent; broken ones are reported by file and line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from runtimecheck import knowledge
from runtimecheck.errors import RuntimecheckError
from runtimecheck.knowledge import KnowledgeError

BUILDKIT_SENDS = {
    "global-log",
    "run-bundle",
    "run-keep",
    "run-no-pivot",
    "delete",
    "kill",
    "state",
    "exec-process",
    "exec-pid-file",
}
RUNTIMES = {"runc", "crun", "youki", "runsc", "sysbox-runc", "kata-runtime", "krun"}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "metadata"
    shutil.copytree(knowledge.default_directory(), copy)
    return copy


def append(path: Path, text: str) -> int:
    """Append `text`; return the line number its first line lands on."""
    before = path.read_text()
    if not before.endswith("\n"):
        before += "\n"
    path.write_text(before + text)
    return before.count("\n") + 1


def error_of(directory: Path) -> str:
    with pytest.raises(KnowledgeError) as raised:
        knowledge.load(directory)
    assert isinstance(raised.value, RuntimecheckError)
    return raised.value.message


def test_every_invocation_buildkit_sends_is_covered(kb):
    assert {i.id for i in kb.invocation_list} == BUILDKIT_SENDS


def test_what_buildkit_sends_changes_at_minor_releases_but_once(kb):
    # Upstream changes what it sends at minor releases, with one exception: run --no-pivot
    # from v0.5.1 (moby/buildkit PR #980, commit eba3ffc26: executor.go NoPivot in v0.5.1,
    # absent in v0.5.0). A new exception must be looked at: an Engine row that stands for a
    # whole minor (exact = false, shown as v0.25.x) is judged as its lowest release.
    from packaging.version import Version

    at_patch = {
        (invocation.id, str(spec))
        for invocation in kb.invocation_list
        for spec in invocation.buildkit
        if Version(spec.version).micro != 0
    }
    assert at_patch == {("run-no-pivot", ">=0.5.1")}


def test_a_range_row_over_a_minor_that_changes_inside_is_refused(data):
    line = append(
        data / "engines.toml",
        '\n[[engine]]\nengine = ">=19.3,<19.4"\nbuildkit = "v0.5.0"\nexact = false\n'
        'source = "a row standing for v0.5.0 … v0.5.x"\n',
    )
    message = error_of(data)
    assert f"engines.toml:{line + 4}:" in message
    assert "run-no-pivot changes at >=0.5.1" in message


def test_a_range_row_over_a_minor_that_sends_the_same_is_accepted(data):
    append(
        data / "engines.toml",
        '\n[[engine]]\nengine = ">=19.3,<19.4"\nbuildkit = "v0.6.0"\nexact = false\n'
        'source = "a row standing for v0.6.0 … v0.6.x"\n',
    )
    row = knowledge.load(data).engine_row("19.3.5")
    assert row is not None and not row.exact and row.buildkit == "v0.6.0"


def test_every_runtime_is_covered_for_run_keep(kb):
    known = {r.name for r in kb.runtimes}
    assert known >= RUNTIMES | {"nvidia-container-runtime"}
    for name in RUNTIMES:
        assert kb.support_for(name, "run-keep"), name


def test_every_entry_names_its_upstream_source(kb):
    entries = [
        *kb.invocation_list,
        *kb.releases,
        *kb.runtimes,
        *kb.support_rows,
        *kb.engines,
        *kb.images,
        *kb.fixes,
    ]
    for entry in entries:
        assert entry.source.strip(), entry
    for row in [*kb.support_rows, *kb.invocation_list, *kb.engines, *kb.images]:
        assert re.search(r"[\w-]+/[\w-]+", row.source), row.source


def test_probe_templates_use_only_agreed_placeholders_and_log_only_for_global_flags(kb):
    for invocation in kb.invocation_list:
        assert invocation.probe[:2] == ("--root", "{root}"), invocation.id
        assert "{id}" in invocation.probe
        has_log = "--log" in invocation.probe
        assert has_log == (invocation.id == "global-log"), invocation.id
    keep = kb.invocation("run-keep")
    assert keep is not None
    assert keep.probe == ("--root", "{root}", "run", "--bundle", "{bundle}", "--keep", "{id}")


def test_the_shipped_data_has_no_overlaps(kb):
    # load() already refuses overlaps; this pins that the shipped files pass that check
    assert len(kb.engines) > 10 and len(kb.images) > 10 and len(kb.support_rows) > 40


def test_syntax_error_names_file_and_line(data):
    line = append(data / "engines.toml", '[[engine]]\nengine = ">=30.0"\nbuildkit = v0.40\n')
    message = error_of(data)
    assert f"engines.toml:{line + 2}:" in message
    assert "invalid TOML" in message


def test_contradictory_runtime_rows_name_file_and_line(data):
    line = append(
        data / "runtimes.toml",
        '\n[[support]]\nruntime = "crun"\ninvocations = ["run-keep"]\n'
        'versions = ">=1.10"\nstatus = "accepted"\nsource = "containers/crun"\n',
    )
    message = error_of(data)
    assert f"runtimes.toml:{line + 4}:" in message
    assert "contradicts" in message and "'<1.15'" in message


def test_overlapping_engine_rows_name_file_and_line(data):
    line = append(
        data / "engines.toml",
        '\n[[engine]]\nengine = ">=25.0.2,<25.1"\nbuildkit = "v0.12.4"\nsource = "moby/moby"\n',
    )
    message = error_of(data)
    assert f"engines.toml:{line + 2}:" in message
    assert "overlaps '>=25.0.2,<=25.0.15'" in message


def test_overlapping_image_rows_are_refused(data):
    append(data / "images.toml", '\n[[image]]\ntags = ">=0.16.5"\nrunc = "1.9"\nsource = "a/b"\n')
    assert "images.toml:" in error_of(data)


def test_adjacent_ranges_do_not_count_as_overlapping(data):
    append(
        data / "engines.toml",
        '\n[[engine]]\nengine = ">=30.0,<30.1"\nbuildkit = "v0.40.0"\nsource = "moby/moby"\n',
    )
    assert knowledge.load(data).engine_buildkit("30.0.1") == ("v0.40.0", "moby/moby")


def test_missing_source_names_file_and_line(data):
    line = append(data / "images.toml", '\n[[image]]\ntags = ">=0.40.0,<0.41.0"\nrunc = "1.5.0"\n')
    message = error_of(data)
    assert f"images.toml:{line + 1}:" in message and "source" in message


def test_unparsable_range_names_file_and_line(data):
    line = append(
        data / "runtimes.toml",
        '\n[[support]]\nruntime = "runc"\ninvocations = ["kill"]\n'
        'versions = "newer than 1.0"\nstatus = "accepted"\nsource = "opencontainers/runc"\n',
    )
    message = error_of(data)
    assert f"runtimes.toml:{line + 4}:" in message and "not a version range" in message


@pytest.mark.parametrize(
    ("key_line", "fragment"),
    [
        ('invocations = ["run-kep"]', "unknown value 'run-kep'"),
        ('invocations = ["kill"]\nstatus = "maybe"', "'status' = 'maybe'"),
    ],
)
def test_unknown_names_are_refused(data, key_line, fragment):
    text = f'\n[[support]]\nruntime = "runc"\n{key_line}\nversions = ">=9"\nsource = "a/b"\n'
    if "status" not in key_line:
        text += 'status = "accepted"\n'
    append(data / "runtimes.toml", text)
    assert fragment in error_of(data)


def test_unknown_probe_placeholder_is_refused(data):
    text = (
        (data / "buildkit.toml").read_text().replace('"{bundle}", "--keep"', '"{bundel}", "--keep"')
    )
    (data / "buildkit.toml").write_text(text)
    message = error_of(data)
    assert "buildkit.toml:" in message and "{bundel}" in message


def test_unknown_fix_placeholder_is_refused(data):
    text = (
        (data / "fixes.toml")
        .read_text()
        .replace("to {fixed_in} or later", "to {fixed_at} or later")
    )
    (data / "fixes.toml").write_text(text)
    assert "fixed_at" in error_of(data)


def test_duplicate_invocation_id_is_refused(data):
    text = (data / "buildkit.toml").read_text().replace('id = "kill"', 'id = "state"', 1)
    (data / "buildkit.toml").write_text(text)
    assert "already used at line" in error_of(data)


def test_missing_file_is_named(data):
    (data / "images.toml").unlink()
    assert "images.toml" in error_of(data)


def test_missing_directory_is_an_error(tmp_path):
    assert "does not exist" in error_of(tmp_path / "nowhere")


CONSEQUENCE = (
    '\n[[consequence]]\ninvocation = "{invocation}"\n{conditions}severity = "{severity}"\n'
    'fails = "it costs this"\nsource = "moby/buildkit"\n'
)


@pytest.mark.parametrize(
    ("invocation", "conditions", "severity", "fragment"),
    [
        ("kill", 'cgroup = "v2"\n', "block", "stricter than kill's own 'warn'"),
        ("delete", "", "warn", "names no condition"),
        ("delete", 'cgroup = "v3"\n', "warn", "'cgroup' = 'v3'"),
        ("delete", 'cgroup = "v2"\nrootless = false\n', "warn", "the same conditions"),
        ("dance", 'cgroup = "v2"\n', "warn", "unknown invocation 'dance'"),
    ],
)
def test_consequence_rows_are_checked(data, invocation, conditions, severity, fragment):
    line = append(
        data / "buildkit.toml",
        CONSEQUENCE.format(invocation=invocation, conditions=conditions, severity=severity),
    )
    message = error_of(data)
    assert "buildkit.toml:" in message and fragment in message
    assert int(message.split("buildkit.toml:", 1)[1].split(":", 1)[0]) >= line


def test_fails_as_is_only_for_an_ignored_option(data):
    append(
        data / "runtimes.toml",
        '\n[[support]]\nruntime = "runsc"\ninvocations = ["kill"]\nversions = "<1"\n'
        'status = "rejected"\nfails_as = "delete"\nsource = "google/gvisor"\n',
    )
    assert "'fails_as' is for an option that is accepted, not honoured" in error_of(data)


def test_an_ignored_option_needs_a_note_that_says_how(data):
    append(
        data / "runtimes.toml",
        '\n[[support]]\nruntime = "runsc"\ninvocations = ["kill"]\nversions = "<1"\n'
        'status = "ignored"\nsource = "google/gvisor"\n',
    )
    assert "an option accepted and not honoured needs a note that says how" in error_of(data)


def test_a_nested_row_needs_a_runc_range_and_a_source(data):
    line = append(
        data / "fixes.toml",
        '\n[[nested]]\nouter = "sysbox-runc"\nouter_versions = "<0.8"\nnote = "x"\n'
        'source = "nestybox/sysbox"\n',
    )
    message = error_of(data)
    assert f"fixes.toml:{line + 1}:" in message and "'runc'" in message


def test_runc_from_names_a_known_origin(data):
    text = (
        (data / "fixes.toml")
        .read_text()
        .replace('runc_from = "stock_image"', 'runc_from = "somewhere"', 1)
    )
    (data / "fixes.toml").write_text(text)
    assert "'runc_from' = 'somewhere'" in error_of(data)


def test_the_knowledge_date_is_the_newest_release_read_and_each_is_named():
    import datetime

    import runtimecheck
    from runtimecheck import tomlfile

    checked = tomlfile.loads((knowledge.default_directory() / "checked.toml").read_text())
    entries = checked["checked"]
    assert {e["project"] for e in entries} >= {"moby/buildkit", "moby/moby", "docker/buildx"}
    for entry in entries:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", entry["project"])
        assert entry["release"].strip()
        assert isinstance(entry["date"], datetime.date)
        assert entry["covers"] and set(entry["covers"]) <= set(knowledge.FILES)
    newest = max(e["date"] for e in entries).isoformat()
    assert runtimecheck.metadata_date() == newest
