"""Versions as binaries and tags print them, and ranges of them. Pure."""

from __future__ import annotations

import re
from typing import Optional

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

_RUNSC_RELEASE = re.compile(r"^release-(\d{8})(?:\.(\d+))?$")
_LEADING_RELEASE = re.compile(r"^(\d+(?:\.\d+)*)")
# `git describe` of a commit after a release: 0.8.3-34-geeb7b65ab7d6 (34 commits after 0.8.3).
_GIT_DESCRIBE = re.compile(r"^(\d+\.\d+\.\d+)-(\d+)-g([0-9a-f]{4,40})$")
# A Go pseudo-version: 0.12.5-0.20231208203051-3b6880d2a00f is a commit made before 0.12.5
# (after the release before it), a pre-release of 0.12.5.
_GO_PSEUDO = re.compile(r"^(\d+\.\d+\.\d+)-(?:[0-9A-Za-z.]+\.)?0\.(\d{14})-([0-9a-f]{12})$")


def parse_version(text: Optional[str]) -> Optional[Version]:
    """A comparable version from what a binary or tag prints, or None when hopeless.

    `v0.13.0-beta3` is a pre-release of 0.13.0; `1.0.0-rc93` and `1.1.0-rc.1` are runc's
    release candidates (pre-releases: a range meant to admit them names a pre-release bound,
    `>=1.1.0rc1`); `1.1.5+ds1` is 1.1.5 with a local label;
    crun's dev build `1.4.5.0.0.0.25-7077` sorts after 1.4.5 and before 1.4.6; runsc's
    `release-20240513.0` compares by date; a distribution suffix such as `1.1.12-0ubuntu1`
    keeps its leading release. A commit between releases, as `git describe` names it
    (`v0.8.3-34-geeb7b65ab7d6`), is a post-release of the tag before it; a Go pseudo-version
    (`v0.12.5-0.20231208203051-3b6880d2a00f`) is a development release before 0.12.5.
    `0.0.0-dev` (a build from a main branch) and `unknown` say nothing about what the binary
    supports, so they give None.
    """
    if not text:
        return None
    s = text.strip()
    if s[:1] in ("v", "V") and s[1:2].isdigit():
        s = s[1:]
    runsc = _RUNSC_RELEASE.match(s)
    if runsc:
        s = f"{runsc.group(1)}.{runsc.group(2) or 0}"
    described = _GIT_DESCRIBE.match(s)
    if described:
        s = f"{described.group(1)}.post{described.group(2)}"
    pseudo = _GO_PSEUDO.match(s)
    if pseudo:
        s = f"{pseudo.group(1)}.dev{pseudo.group(2)}"
    try:
        version = Version(s)
    except InvalidVersion:
        leading = _LEADING_RELEASE.match(s)
        if not leading:
            return None
        version = Version(leading.group(1))
    if not any(version.release):
        return None
    return version


def in_range(version: Version, spec: SpecifierSet) -> bool:
    """Whether `version` lies in `spec`, pre-releases included (`1.0.0-rc93` is in
    `>=1.0.0rc1`). As PEP 440 has it, `<1.1.0` does not admit 1.1.0's own pre-releases: a
    range that must, ends at the first of them (`<1.1.0rc1`)."""
    return spec.contains(version, prereleases=True)


def release_kind(text: Optional[str]) -> Optional[str]:
    """What a version string that is not a plain release names, in words; None otherwise.

    `v0.8.3-34-geeb7b65ab7d6` → "34 commits after v0.8.3"; `v0.12.5-0.2023…-3b6880d2a00f` →
    "a commit before v0.12.5 (3b6880d2a00f), not a release"; `1.1.0-rc.1` → "a pre-release".
    """
    if not text:
        return None
    s = text.strip()
    prefix = "v" if s[:1] == "v" else ""
    bare = s[1:] if prefix else s
    described = _GIT_DESCRIBE.match(bare)
    if described:
        return f"{described.group(2)} commits after {prefix}{described.group(1)}"
    pseudo = _GO_PSEUDO.match(bare)
    if pseudo:
        return f"a commit before {prefix}{pseudo.group(1)} ({pseudo.group(3)}), not a release"
    parsed = parse_version(s)
    if parsed is not None and parsed.is_prerelease:
        return "a pre-release"
    return None


def describe_match(version_text: str, spec_text: str) -> str:
    """`1.8.1 < 1.15`, `0.5.2 in >=0.2.0`, `1.4 (every version)`."""
    parts = [p.strip() for p in spec_text.split(",") if p.strip()]
    if not parts:
        return f"{version_text} (every version)"
    if len(parts) == 1:
        op = re.match(r"^(~=|==|!=|<=|>=|<|>)", parts[0])
        if op:
            return f"{version_text} {op.group(1)} {parts[0][len(op.group(1)) :].strip()}"
    return f"{version_text} in {spec_text}"


def image_tag(reference: Optional[str]) -> Optional[str]:
    """`v0.12.5` from `moby/buildkit:v0.12.5-rootless@sha256:…`, `v0.12.5`, …; None: no tag."""
    if not reference:
        return None
    reference = reference.split("@", 1)[0]
    _, colon, tag = reference.rpartition(":")
    if not colon or "/" in tag:
        tag = "" if "/" in reference else reference
    return tag.removesuffix("-rootless") or None


def is_stock_image(image: Optional[str]) -> bool:
    """moby/buildkit itself (any registry prefix docker.io adds), not a derived image."""
    if not image:
        return False
    repo = image.split("@", 1)[0]
    name, colon, tag = repo.rpartition(":")
    if colon and "/" not in tag:
        repo = name
    return repo in ("moby/buildkit", "docker.io/moby/buildkit", "index.docker.io/moby/buildkit")
