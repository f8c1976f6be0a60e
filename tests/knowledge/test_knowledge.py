"""The knowledge base's questions: versions, invocations, Engine and image tables."""

from __future__ import annotations

import pytest
from packaging.version import Version

from runtimecheck import knowledge
from runtimecheck.knowledge import parse_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.15", Version("1.15")),
        ("v0.12.5", Version("0.12.5")),
        ("v0.13.0-beta3", Version("0.13.0b3")),
        ("1.1.5+ds1", Version("1.1.5+ds1")),
        ("1.1.12-0ubuntu3", Version("1.1.12")),
        ("release-20240513.0", Version("20240513.0")),
        ("1.0.0-rc93", Version("1.0.0rc93")),
        ("1.1.0-rc.1", Version("1.1.0rc1")),
        ("1.0.0-rc92+dev", Version("1.0.0rc92+dev")),
        ("v0.8.3-34-geeb7b65ab7d6", Version("0.8.3.post34")),
        ("v0.12.5-0.20231208203051-3b6880d2a00f", Version("0.12.5.dev20231208203051")),
        ("v0.12.6-m.1", Version("0.12.6")),
        ("unknown", None),
        ("0.0.0-dev", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_version(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize(
    ("version", "spec", "inside"),
    [
        ("1.0.0-rc93", ">=1.0.0rc1", True),
        ("1.0.0-rc93", "<1.1.0rc1", True),
        ("1.1.0-rc.1", "<1.1.0rc1", False),
        ("1.1.0-rc.1", ">=1.1.0rc1", True),
        # PEP 440: `<1.1.0` leaves out 1.1.0's own pre-releases, hence the bounds above.
        ("1.1.0-rc.1", "<1.1.0", False),
        ("1.0.0-rc1", ">=1.0.0rc1", True),
        ("0.99", ">=1.0.0rc1", False),
        # A pre-release in a range that names none (packaging before 24 leaves it out unless
        # asked; in_range always asks).
        ("1.16-rc1", ">=0.2", True),
    ],
)
def test_ranges_admit_release_candidates(version, spec, inside):
    from packaging.specifiers import SpecifierSet

    parsed = parse_version(version)
    assert parsed is not None
    assert knowledge.in_range(parsed, SpecifierSet(spec)) is inside


def test_commits_between_releases_sort_where_they_were_made():
    after = parse_version("v0.8.3-34-geeb7b65ab7d6")
    before = parse_version("v0.12.5-0.20231208203051-3b6880d2a00f")
    assert after is not None and before is not None
    assert Version("0.8.3") < after < Version("0.8.4")
    assert Version("0.12.4") < before < Version("0.12.5")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("v0.8.3-34-geeb7b65ab7d6", "34 commits after v0.8.3"),
        (
            "v0.12.5-0.20231208203051-3b6880d2a00f",
            "a commit before v0.12.5 (3b6880d2a00f), not a release",
        ),
        ("1.1.0-rc.1", "a pre-release"),
        ("v0.12.5", None),
        (None, None),
    ],
)
def test_release_kind_says_what_is_not_a_release(text, kind):
    assert knowledge.release_kind(text) == kind


def test_crun_dev_build_sorts_just_after_its_base_release():
    dev = parse_version("1.4.5.0.0.0.25-7077")
    assert dev is not None
    assert Version("1.4.5") < dev < Version("1.4.6")


def test_runsc_releases_compare_by_date():
    older, newer = parse_version("release-20231129.0"), parse_version("release-20240513.0")
    assert older is not None and newer is not None and older < newer


def test_run_keep_and_delete_are_sent_from_buildkit_0_12(kb):
    assert "run-keep" not in {i.id for i in kb.invocations("v0.11.6")}
    sent = {i.id for i in kb.invocations("v0.12.0")}
    assert {"run-keep", "delete", "exec-pid-file"} <= sent


def test_no_pivot_is_only_sent_when_the_embedder_asks(kb):
    assert "run-no-pivot" not in {i.id for i in kb.invocations("v0.12.5")}
    assert "run-no-pivot" in {i.id for i in kb.invocations("v0.12.5", no_pivot=True)}


def test_no_pivot_is_sent_from_buildkit_0_5_1(kb):
    """moby/buildkit PR #980 (commit eba3ffc268b0), first in v0.5.1 (buildkit_nopivot.txt)."""
    assert "run-no-pivot" not in {i.id for i in kb.invocations("v0.5.0", no_pivot=True)}
    assert "run-no-pivot" in {i.id for i in kb.invocations("v0.5.1", no_pivot=True)}


def test_state_and_exec_arrive_with_buildkit_0_8(kb):
    assert "state" not in {i.id for i in kb.invocations("v0.7.0")}
    assert {"state", "exec-process"} <= {i.id for i in kb.invocations("v0.8.0")}


def test_unparsable_buildkit_version_sends_nothing_known(kb):
    assert kb.invocations("unknown") == []
    assert len(kb.invocations()) == len(kb.invocation_list)


def test_invocation_lookup(kb):
    keep = kb.invocation("run-keep")
    assert keep is not None and keep.display == "run --keep" and keep.severity == "block"
    assert kb.invocation("no-such-thing") is None


def test_newest_buildkit_is_the_highest_release(kb):
    newest = parse_version(kb.newest_buildkit())
    assert newest is not None
    assert all(r.parsed <= newest for r in kb.releases)
    assert kb.newest_buildkit() == "v0.32.2"


ALL_BUT_KEEP = [
    "global-log",
    "run-bundle",
    "run-no-pivot",
    "delete",
    "kill",
    "state",
    "exec-process",
    "exec-pid-file",
]


@pytest.mark.parametrize("version", ["1.0.0-rc1", "1.0.0-rc10", "1.0.0-rc93", "1.0.0-rc95"])
def test_runc_release_candidates_take_everything_but_keep(kb, version):
    """runc_flags.txt: rc1 … rc95 have every flag BuildKit uses except run --keep."""
    for invocation in ALL_BUT_KEEP:
        row = kb.support("runc", invocation, version)
        assert row is not None and row.status == "accepted", (version, invocation)
    keep = kb.support("runc", "run-keep", version)
    assert keep is not None and keep.status == "rejected"


@pytest.mark.parametrize(
    ("version", "status"),
    [("1.0.3", "rejected"), ("1.1.0-rc.1", "accepted"), ("1.1.0", "accepted")],
)
def test_runc_keep_arrives_with_1_1_0_rc_1(kb, version, status):
    row = kb.support("runc", "run-keep", version)
    assert row is not None and row.status == status


@pytest.mark.parametrize(
    ("version", "keep", "no_pivot"),
    [
        ("0.0.1", "rejected", "rejected"),
        ("0.1.0", "rejected", "rejected"),
        ("0.2.0", "ignored", "ignored"),
        ("0.4.1", "ignored", "ignored"),
        ("0.5.0", "ignored", "accepted"),
        ("0.7.0", "ignored", "accepted"),
    ],
)
def test_youki_keep_and_no_pivot_by_version(kb, version, keep, no_pivot):
    """youki_run_flags.txt: both flags parsed from v0.2.0; --keep never read, --no-pivot read
    from v0.5.0 (commit d07159691ded)."""
    keep_row = kb.support("youki", "run-keep", version)
    pivot_row = kb.support("youki", "run-no-pivot", version)
    assert keep_row is not None and keep_row.status == keep
    assert pivot_row is not None and pivot_row.status == no_pivot
    delete = kb.support("youki", "delete", version)
    assert delete is not None and delete.status == "accepted"


def test_kata_runtime_has_no_oci_lifecycle_commands(kb):
    """kata_runtime_cmds.txt: no run, delete, kill or state in any tag 2.0.0 … 4.1.0."""
    for invocation in ["run-bundle", "run-keep", "delete", "kill", "state", "exec-process"]:
        for version in ("2.0.0", "3.32.0", "4.1.0"):
            row = kb.support("kata-runtime", invocation, version)
            assert row is not None and row.status == "rejected", (invocation, version)
    log = kb.support("kata-runtime", "global-log", "3.32.0")
    assert log is not None and log.status == "accepted"


# Each row of moby_buildkit_ranges.txt that differs from its minor's first release, and the
# edges around them (moby/moby vendor/modules.txt, vendor.conf for 20.10).
@pytest.mark.parametrize(
    ("engine", "buildkit"),
    [
        ("20.10.0", "v0.8.0-4-g950603da215a"),
        ("20.10.24+dfsg1", "v0.8.3-34-geeb7b65ab7d6"),
        ("23.0.0", "v0.10.6"),
        ("23.0.1", "v0.10.7-0.20230208155512-4f0ee09c40e2"),
        ("23.0.18", "v0.10.7-0.20230412161310-d52b2d584242"),
        ("24.0.1", "v0.11.6"),
        ("24.0.2", "v0.11.7-0.20230525183624-798ad6b0ce9f"),
        ("24.0.7", "v0.11.7-0.20230908085316-d3e6c1360f6e"),
        ("24.0.9", "v0.11.7-0.20240124010513-435cb77e369c"),
        ("25.0.0", "v0.12.5-0.20231208203051-3b6880d2a00f"),
        ("25.0.1", "v0.12.5-0.20231208203051-3b6880d2a00f"),
        ("25.0.3", "v0.12.5"),
        ("25.0.15", "v0.12.5"),
        ("25.0.16", "v0.12.6-m.1"),
        ("25.0.17", "v0.12.6-m.3"),
        ("26.0.2", "v0.13.1"),
        ("26.1.0", "v0.13.1"),
        ("26.1.1", "v0.13.2"),
        ("27.0.3", "v0.14.1"),
        ("27.1.1", "v0.15.0"),
        ("27.1.2", "v0.15.1"),
        ("27.5.1", "v0.18.2"),
        ("28.0.1", "v0.20.0"),
        ("28.0.2", "v0.20.1"),
        ("28.0.3", "v0.20.2"),
        ("28.0.4", "v0.20.2"),
        ("28.3.0", "v0.23.1"),
        ("28.3.1", "v0.23.2"),
        ("28.3.3", "v0.23.2"),
        ("28.5.2", "v0.25.2"),
        ("29.0.0", "v0.25.2"),
        ("29.0.4", "v0.25.2"),
        ("29.1.0", "v0.26.2"),
        ("29.1.5", "v0.26.3"),
        ("29.4.3", "v0.29.0"),
        ("29.7.1", "v0.32.0"),
        ("29.7.2", "v0.32.2"),
    ],
)
def test_engine_bundled_buildkit(kb, engine, buildkit):
    found = kb.engine_buildkit(engine)
    assert found is not None
    assert found[0] == buildkit
    assert "moby/moby" in found[1]


def test_engine_rows_name_the_tags_they_were_read_at(kb):
    found = kb.engine_buildkit("25.0.16")
    assert found is not None
    assert found[1] == (
        "moby/moby vendor/modules.txt at v25.0.16: github.com/moby/buildkit v0.12.5 => "
        "github.com/Mirantis/buildkit v0.12.6-m.1"
    )
    found = kb.engine_buildkit("29.7.0")
    assert found is not None and "at docker-v29.7.0 … docker-v29.7.1" in found[1]


@pytest.mark.parametrize(
    ("engine", "keep"),
    [("23.0.18", False), ("24.0.9", False), ("25.0.0", True), ("25.0.16", True)],
)
def test_pre_release_buildkit_of_an_engine_sends_what_it_has(kb, engine, keep):
    """25.0.0 bundles a commit before v0.12.5, which already sends run --keep; 24.0.9 one
    before v0.11.7, which does not."""
    found = kb.engine_buildkit(engine)
    assert found is not None
    assert ("run-keep" in {i.id for i in kb.invocations(found[0])}) is keep


def test_engine_outside_the_table_is_unknown(kb):
    assert kb.engine_buildkit("19.03.15") is None
    assert kb.engine_buildkit("27.0.0") is None  # never released
    assert kb.engine_buildkit("29.7.3") is None  # newer than the data
    assert kb.engine_buildkit("not-a-version") is None


# Every run of buildkit_runc_version.txt (moby/buildkit Dockerfile ARG RUNC_VERSION), at both
# of its ends.
@pytest.mark.parametrize(
    ("tag", "runc"),
    [
        ("v0.7.0", "1.0.0-rc10"),
        ("v0.7.1", "1.0.0-rc10"),
        ("v0.7.2", "1.0.0-rc91"),
        ("v0.8.0", "1.0.0-rc92+dev"),
        ("v0.8.1", "1.0.0-rc92+dev"),
        ("v0.8.2", "1.0.0-rc93"),
        ("v0.8.3", "1.0.0-rc93"),
        ("v0.9.0", "1.0.0"),
        ("v0.9.3", "1.0.0"),
        ("v0.10.0", "1.0.2"),
        ("v0.10.6", "1.0.2"),
        ("v0.11.0", "1.1.4"),
        ("v0.11.5", "1.1.4"),
        ("v0.11.6", "1.1.5"),
        ("v0.12.0", "1.1.7"),
        ("v0.12.4", "1.1.7"),
        ("moby/buildkit:v0.12.5", "1.1.12"),
        ("v0.13.2-rootless", "1.1.12"),
        ("v0.14.1", "1.1.12"),
        ("v0.15.2", "1.1.13"),
        ("v0.16.0", "1.1.14"),
        ("v0.17.3", "1.1.15"),
        ("docker.io/moby/buildkit:v0.18.1@sha256:abc", "1.2.2"),
        ("v0.18.2", "1.2.3"),
        ("v0.19.0", "1.2.4"),
        ("v0.20.2", "1.2.5"),
        ("v0.22.0", "1.2.6"),
        ("v0.24.0", "1.3.0"),
        ("v0.25.1", "1.3.1"),
        ("v0.25.2", "1.3.3"),
        ("v0.26.3", "1.3.3"),
        ("v0.28.1", "1.3.4"),
        ("v0.30.0", "1.3.5"),
        ("v0.31.2", "1.3.6"),
        ("localhost:5000/moby/buildkit:v0.32.0", "1.4.3"),
        ("v0.32.2", "1.4.3"),
    ],
)
def test_image_bundled_runc(kb, tag, runc):
    found = kb.image_runc(tag)
    assert found is not None and found[0] == runc


@pytest.mark.parametrize(
    "tag", ["buildx-stable-1", "latest", "moby/buildkit", None, "v0.6.4", "v0.32.3"]
)
def test_image_without_a_version_tag_is_unknown(kb, tag):
    assert kb.image_runc(tag) is None


def test_krun_has_crun_flags(kb):
    row = kb.support("krun", "run-keep", "1.14.4")
    assert row is not None and row.status == "rejected" and row.runtime == "crun"


def test_fixed_in_names_the_first_accepting_release(kb):
    crun = kb.fixed_in("crun", "run-keep")
    runc = kb.fixed_in("runc", "run-keep")
    assert crun is not None and str(crun.lower_bound()) == "1.15"
    # runc's first release with --keep is its first 1.1.0 release candidate.
    assert runc is not None and str(runc.lower_bound()) == "1.1.0rc1"
    assert kb.fixed_in("runsc", "run-keep") is None


def test_default_directory_is_cached(kb):
    assert knowledge.load() is knowledge.load()


def test_where_each_invocation_arrives(kb):
    keep = kb.invocation("run-keep")
    pivot = kb.invocation("run-no-pivot")
    state = kb.invocation("state")
    assert keep is not None and pivot is not None and state is not None
    assert (kb.first_sent(keep), kb.first_engine(keep)) == ("v0.12.0", "25.0.0")
    assert kb.first_sent(pivot) == "v0.5.1"
    assert kb.first_sent(state) == "v0.8.0"
    assert kb.first_engine(state) == "20.10.0"  # the oldest Engine in the data


def test_runc_that_cannot_run_under_sysbox(kb):
    assert [n.runc_text for n in kb.nested_rows("sysbox-runc", "0.6.5")] == [
        ">=1.2.0rc1",
        ">=1.3.3",
        ">=1.2.8,<1.3.0",
    ]
    assert [n.fixed_in for n in kb.nested_rows("sysbox-runc", "0.6.6")] == ["0.7.0", "0.7.0"]
    assert kb.nested_rows("sysbox-runc", "0.7.0") == []
    assert len(kb.nested_rows("sysbox-runc", None)) == 3  # version unknown: every row counts
    assert kb.nested_rows("runc", None) == [] and kb.nested_rows(None, None) == []


def test_the_newest_image_whose_runc_runs_under_sysbox(kb):
    assert kb.image_avoiding(kb.nested_rows("sysbox-runc", None), "1.1.0") == ("v0.17.3", "1.1.15")
    assert kb.image_avoiding(kb.nested_rows("sysbox-runc", "0.6.6"), "1.1.0") == (
        "v0.25.1",
        "1.3.1",
    )
    # No row: the newest release's image.
    assert kb.image_avoiding([], "1.1.0") == ("v0.32.2", "1.4.3")


# --- versions as upstream writes them ------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "spec", "said"),
    [
        ("1.8.1", "<1.15", "1.8.1 < 1.15"),
        ("0.5.2", ">= 0.2.0", "0.5.2 >= 0.2.0"),
        ("1.4", "", "1.4 (every version)"),
        ("1.4", " , ", "1.4 (every version)"),
        ("1.0", ">=0.9,<2", "1.0 in >=0.9,<2"),
        ("1.0", ">=0.9, <2", "1.0 in >=0.9, <2"),
    ],
)
def test_how_a_version_matches_is_said(version: str, spec: str, said: str) -> None:
    from runtimecheck.knowledge.versions import describe_match

    assert describe_match(version, spec) == said


@pytest.mark.parametrize(
    ("reference", "tag"),
    [
        ("moby/buildkit:v0.12.5-rootless@sha256:abc", "v0.12.5"),
        ("moby/buildkit:v0.12.5@sha256:a@b", "v0.12.5"),
        ("v0.12.5", "v0.12.5"),
        ("buildkit:v0.11.6", "v0.11.6"),
        ("registry:5000/moby/buildkit:v0.13.0", "v0.13.0"),
        ("moby/buildkit", None),
        ("localhost:5000/moby/buildkit", None),  # a registry's port is no tag
        ("moby/buildkit@sha256:abc", None),
        ("", None),
        (None, None),
    ],
)
def test_the_tag_of_an_image_reference(reference: str | None, tag: str | None) -> None:
    from runtimecheck.knowledge.versions import image_tag

    assert image_tag(reference) == tag


@pytest.mark.parametrize(
    ("image", "stock"),
    [
        ("moby/buildkit:v0.12.5", True),
        ("moby/buildkit", True),
        ("docker.io/moby/buildkit@sha256:abc", True),
        ("index.docker.io/moby/buildkit:latest", True),
        ("moby/buildkit@sha256:a@b", True),
        ("localhost:5000/moby/buildkit:v0.12.5", False),
        ("moby/buildkit-fork:v1", False),
        ("ghcr.io/moby/buildkit:v0.12.5", False),
        ("", False),
        (None, False),
    ],
)
def test_the_stock_image_is_moby_buildkit_itself(image: str | None, stock: bool) -> None:
    from runtimecheck.knowledge.versions import is_stock_image

    assert is_stock_image(image) is stock


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("v0.8.3-34-geeb7b65ab7d6", "34 commits after v0.8.3"),
        ("0.8.3-34-geeb7b65ab7d6", "34 commits after 0.8.3"),
        ("v0.12.5-0.20231016162222-3b6880d2a00f", "a commit before v0.12.5 (3b6880d2a00f), not a release"),
        ("0.12.5-0.20231016162222-3b6880d2a00f", "a commit before 0.12.5 (3b6880d2a00f), not a release"),
        ("1.1.0-rc.1", "a pre-release"),
        ("v1.1.0", None),
        ("", None),
        (None, None),
    ],
)  # fmt: skip
def test_what_a_version_that_is_no_plain_release_is(text: str | None, kind: str | None) -> None:
    from runtimecheck.knowledge.versions import release_kind

    assert release_kind(text) == kind


# --- the first release that sends an invocation, the stock image, images that avoid a fault ----


@pytest.mark.parametrize(
    ("invocation", "buildkit", "engine"),
    [
        ("run-keep", "v0.12.0", "25.0.0"),
        ("kill", "v0.3.0", "20.10.0"),
        ("state", "v0.8.0", "20.10.0"),
    ],
)
def test_the_first_buildkit_and_engine_that_send_an_invocation(
    kb, invocation: str, buildkit: str, engine: str
) -> None:
    inv = kb.invocation(invocation)
    assert (kb.first_sent(inv), kb.first_engine(inv)) == (buildkit, engine)


def test_run_no_pivot_is_sent_only_where_the_engine_asks_for_it(kb) -> None:
    inv = kb.invocation("run-no-pivot")
    assert kb.first_sent(inv) == "v0.5.1"
    assert kb.first_engine(inv) == "20.10.0"  # with DOCKER_RAMDISK, by default
    assert kb.first_engine(inv, no_pivot=False) is None


def test_the_stock_runc_is_that_of_the_newest_buildkit_image(kb) -> None:
    runc, source = kb.image_runc(kb.newest_buildkit())
    assert kb.stock_runc() == runc
    assert f"RUNC_VERSION=v{runc}" in source


def test_images_whose_runc_sysbox_can_run(kb) -> None:
    # sysbox-runc before 0.6.6 fails with runc 1.2 and later; before 0.7.0 also with 1.3.3+
    # and 1.2.8+ (metadata/nested.toml).
    old = kb.nested_rows("sysbox-runc", "0.6.4")
    assert kb.image_avoiding(old, None) == ("v0.17.3", "1.1.15")
    assert kb.image_avoiding(old, "1.1.15") == ("v0.17.3", "1.1.15")
    assert kb.image_avoiding(old, "1.1.16") is None
    assert kb.image_avoiding(old, "1.2.0") is None
    newer = kb.nested_rows("sysbox-runc", "0.6.7")
    assert kb.image_avoiding(newer, "1.2.0") == ("v0.25.1", "1.3.1")
    assert kb.image_avoiding([], None) == (kb.newest_buildkit(), kb.stock_runc())


def test_a_consequence_s_conditions_in_words(kb) -> None:
    import dataclasses

    [held] = [c for c in kb.consequences if c.describe() == "cgroup v2, not rootless"]
    rootless = dataclasses.replace(held, conditions=(("cgroup", "v1"), ("rootless", True)))
    assert rootless.describe() == "cgroup v1, rootless"
    assert dataclasses.replace(held, conditions=()).describe() == ""


def test_a_version_no_row_covers_has_no_support_row(kb) -> None:
    assert kb.support("crun", "run-keep", "1.8.1").status == "rejected"
    assert kb.support("runc", "run-bundle", "0.0.1") is None  # before the first release read
    assert kb.support("runc", "run-bundle", None) is None
    assert kb.support("no-such-runtime", "run-keep", "1.0") is None


def test_the_bounds_a_row_names(kb) -> None:
    import dataclasses

    from packaging.specifiers import SpecifierSet

    image = kb.images[0]
    newest = [(i.tags_text, i.newest_tag()) for i in kb.images if i.tags_text == "==0.7.2"]
    assert newest == [("==0.7.2", "v0.7.2")]
    assert dataclasses.replace(image, tags=SpecifierSet(">=0.40")).newest_tag() is None
    row = kb.support_for("crun", "run-keep")[1]
    assert row.lower_bound() == Version("1.15")
    for spec, bound in (("~=1.2", "1.2"), ("==1.3", "1.3"), ("<2", None)):
        lowest = dataclasses.replace(row, versions=SpecifierSet(spec)).lower_bound()
        assert lowest == (Version(bound) if bound else None), spec


def test_run_no_pivot_is_sent_only_when_asked_for(kb) -> None:
    sent = kb.invocation("run-no-pivot").sent_by
    assert (sent(Version("0.12.0")), sent(Version("0.12.0"), True)) == (False, True)


# --- what the knowledge answers at its edges (rows made up where the data has none) -----------


def test_the_release_that_fixes_a_problem_is_the_lowest_accepting_one(kb) -> None:
    import dataclasses

    from packaging.specifiers import SpecifierSet

    # youki run --no-pivot: rejected, then ignored from 0.2.0, accepted from 0.5.0.
    assert kb.fixed_in("youki", "run-no-pivot").versions_text == ">=0.5.0"
    keep = kb.support_for("crun", "run-keep")
    accepted = keep[1]
    earlier = dataclasses.replace(accepted, versions=SpecifierSet(">=1.10"), versions_text=">=1.10")
    edited = dataclasses.replace(kb, support_rows=(*kb.support_rows, earlier))
    assert edited.fixed_in("crun", "run-keep").versions_text == ">=1.10"
    assert kb.fixed_in("no-such-runtime", "run-keep") is None


def test_a_consequence_that_holds_leaves_nothing_to_learn(kb) -> None:
    held, maybe = kb.consequence("delete", {"cgroup": "v2", "rootless": False})
    assert held is not None and held.describe() == "cgroup v2, not rootless"
    assert maybe == []
    held, maybe = kb.consequence("delete", {"rootless": False})
    assert held is None and [m.describe() for m in maybe] == ["cgroup v2, not rootless"]


def test_first_senders_of_made_up_ranges(kb) -> None:
    import dataclasses

    from packaging.specifiers import SpecifierSet

    keep = kb.invocation("run-keep")
    exactly = dataclasses.replace(keep, buildkit=SpecifierSet("==0.9.1"))
    assert kb.first_sent(exactly) == "v0.9.1"
    before = dataclasses.replace(keep, buildkit=SpecifierSet("<0.5"))
    assert kb.first_sent(before) is None
    unbounded = [dataclasses.replace(r, engine=SpecifierSet("<20.10")) for r in kb.engines]
    assert dataclasses.replace(kb, engines=tuple(unbounded)).first_engine(keep) is None


def test_images_without_a_known_tag_or_runc_are_passed_over(kb) -> None:
    import dataclasses

    from packaging.specifiers import SpecifierSet

    newest = max(kb.images, key=lambda i: Version(i.newest_tag()[1:]))
    untagged = dataclasses.replace(newest, tags=SpecifierSet(">=0.99"))  # no newest tag
    unknown_runc = dataclasses.replace(newest, tags=SpecifierSet("==0.98.0"), runc="unknown")
    edited = dataclasses.replace(kb, images=(untagged, unknown_runc, *kb.images))
    assert edited.image_avoiding([], None) == (newest.newest_tag(), newest.runc)
    without = dataclasses.replace(kb, images=tuple(i for i in kb.images if i is not newest))
    assert without.stock_runc() is None  # the newest BuildKit's image is not in the data


def test_pre_releases_are_in_a_range_that_covers_them() -> None:
    from packaging.specifiers import SpecifierSet

    from runtimecheck.knowledge.versions import in_range

    assert in_range(Version("1.1.0rc1"), SpecifierSet(">=1.0"))
    assert not in_range(Version("1.1.0rc1"), SpecifierSet(">=1.1.0"))


def test_a_runsc_release_without_a_patch_number() -> None:
    assert parse_version("release-20250407") == Version("20250407.0")
    assert parse_version("release-20250407.1") == Version("20250407.1")


def test_a_capital_v_prefix_is_read_as_a_small_one() -> None:
    for text in ("0.8.3-34-geeb7b65ab7d6", "0.12.5-0.20231208203051-3b6880d2a00f", "1.2.3"):
        assert parse_version(f"V{text}") == parse_version(f"v{text}") == parse_version(text)
