from __future__ import annotations

import pytest

from runtimecheck.probe.identify import parse_version_output
from support.paths import FIXTURES

VERSIONS = FIXTURES / "versions"

# file → (name, version, wrapper)
EXPECTED = {
    "runc-1.1.5-debian12.txt": ("runc", "1.1.5+ds1", None),
    "runc-1.1.11.txt": ("runc", "1.1.11", None),
    "runc-1.4.0-rc.1.txt": ("runc", "1.4.0-rc.1", None),
    "crun-1.8.1-debian12.txt": ("crun", "1.8.1", None),
    "crun-0.14.txt": ("crun", "0.14", None),
    "crun-0.19-dirty.txt": ("crun", "0.19-dirty", None),
    "crun-0.20.1.5-dev.txt": ("crun", "0.20.1.5-925d-dirty", None),
    "crun-1.20-centos9.txt": ("crun", "1.20", None),
    "krun-1.20-fedora41.txt": ("krun", "1.20", None),
    "youki-0.5.4.txt": ("youki", "0.5.4", None),
    "youki-0.5.7.txt": ("youki", "0.5.7", None),
    "runsc-release-20250407.0.txt": ("runsc", "release-20250407.0", None),
    "runsc-unstamped.txt": ("runsc", None, None),
    "sysbox-runc-0.6.4.txt": ("sysbox-runc", "0.6.4", None),
    "nvidia-container-runtime-1.11.0-runc-1.1.5.txt": ("runc", "1.1.5", "nvidia-container-runtime"),
    "runc-1.0.0-rc93.txt": ("runc", "1.0.0-rc93", None),
    "youki-0.1.0.txt": ("youki", "0.1.0", None),
    "youki-0.4.1.txt": ("youki", "0.4.1", None),
    "crun-1.15.txt": ("crun", "1.15", None),
    # Built without a version stamp, as moby/buildkit's images build runc 1.0 to 1.2.
    "runc-1.2.2-buildkit-unstamped.txt": ("runc", None, None),
}


def test_every_fixture_is_expected_and_cited():
    files = {p.name for p in VERSIONS.glob("*.txt")}
    assert files == set(EXPECTED)
    sources = (VERSIONS / "SOURCES.md").read_text()
    assert all(f"`{name}`" in sources for name in files)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_outputs(name):
    text = (VERSIONS / name).read_text()
    identity = parse_version_output(text)
    assert (identity.name, identity.version, identity.wrapper) == EXPECTED[name]
    assert identity.raw == text


def test_crun_feature_tags_are_kept():
    identity = parse_version_output((VERSIONS / "crun-1.8.1-debian12.txt").read_text())
    assert identity.features_tags == (
        "+SYSTEMD",
        "+SELINUX",
        "+APPARMOR",
        "+CAP",
        "+SECCOMP",
        "+EBPF",
        "+YAJL",
    )
    krun = parse_version_output((VERSIONS / "krun-1.20-fedora41.txt").read_text())
    assert "+LIBKRUN" in krun.features_tags


@pytest.mark.parametrize(
    ("text", "name", "version"),
    [
        ("crun 0.9.1\n", "crun", "0.9.1"),  # before crun PR #93 (PACKAGE_STRING)
        ("crun version 1.4.5.0.0.0.25-7077\ncommit: x\n", "crun", "1.4.5.0.0.0.25-7077"),
        ("\n\nrunc version 1.0.0\n", "runc", "1.0.0"),
        ("youki version:  0.5.6\n", "youki", "0.5.6"),
    ],
)
def test_other_first_lines(text, name, version):
    identity = parse_version_output(text)
    assert (identity.name, identity.version) == (name, version)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "kata-runtime  : 3.2.0\n   commit   : abc\n   OCI specs: 1.0.2\n",
        "usage: frobnicate [--version]\n",
        "\x00\x9f\ufffd garbage \x07\n\x01",
        "this mentions runc version 1.1.5 but later on the line\n",
    ],
)
def test_anything_else_is_unknown_and_kept(text):
    identity = parse_version_output(text)
    assert identity.name is None
    assert identity.version is None
    assert identity.raw == text


def test_nvidia_wrapper_around_crun_reports_crun():
    text = (
        "NVIDIA Container Runtime version 1.14.3\ncommit: abc\nspec: 1.1.0\n\n"
        + (VERSIONS / "crun-1.8.1-debian12.txt").read_text()
    )
    identity = parse_version_output(text)
    assert (identity.name, identity.version, identity.wrapper) == (
        "crun",
        "1.8.1",
        "nvidia-container-runtime",
    )


def test_nvidia_wrapper_whose_runtime_did_not_answer():
    identity = parse_version_output("NVIDIA Container Runtime version 1.14.3\ncommit: abc\n")
    assert identity.name is None
    assert identity.wrapper == "nvidia-container-runtime"


def test_a_new_runtime_is_recognised_from_data_alone(tmp_path):
    import shutil

    from runtimecheck import knowledge

    for name in knowledge.FILES:
        shutil.copy(knowledge.default_directory() / name, tmp_path / name)
    with open(tmp_path / "runtimes.toml", "a", encoding="utf-8") as f:
        f.write(
            "\n[[runtime]]\nname = \"newrt\"\nversion_line = ['^newrt/(\\S+) ']\n"
            'binaries = ["newrt"]\nsource = "a test"\n'
        )
    kb = knowledge.load(tmp_path)
    identity = parse_version_output("newrt/2.4.1 (commit abc)\n", kb.identities())
    assert (identity.name, identity.version) == ("newrt", "2.4.1")
    assert "newrt" in kb.binaries()
    assert parse_version_output("newrt/2.4.1 (commit abc)\n").name is None  # packaged data


def test_a_version_line_that_is_no_regular_expression_names_its_line(tmp_path):
    import shutil

    from runtimecheck import knowledge

    for name in knowledge.FILES:
        shutil.copy(knowledge.default_directory() / name, tmp_path / name)
    with open(tmp_path / "runtimes.toml", "a", encoding="utf-8") as f:
        f.write('\n[[runtime]]\nname = "bad"\nversion_line = ["(unclosed"]\nsource = "x"\n')
    with pytest.raises(knowledge.KnowledgeError, match=r"runtimes\.toml:\d+: .*not a regular"):
        knowledge.load(tmp_path)
