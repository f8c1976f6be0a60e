"""The pinned dependency sets agree with the ranges in pyproject.toml."""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PY39 = {"python_version": "3.9", "python_full_version": "3.9.0"}


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    return {canonicalize_name(r.name): r for r in requirements}


def pins(name: str) -> dict[str, Version]:
    found = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            package, _, version = line.partition("==")
            found[canonicalize_name(package)] = Version(version)
    return found


def test_the_zipapp_set_satisfies_every_range_for_python_3_9() -> None:
    pinned = pins("zipapp.txt")
    for name, requirement in declared().items():
        if requirement.marker is not None and not requirement.marker.evaluate(PY39):
            continue
        assert name in pinned, f"{name} is not bundled"
        assert pinned[name] in requirement.specifier, (name, pinned[name], requirement)


def test_the_lowest_set_is_each_direct_dependency_s_lower_bound() -> None:
    lowest = pins("lowest.txt")
    expected = {}
    for name, requirement in declared().items():
        bounds = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        assert len(bounds) == 1, f"{name} needs exactly one lower bound: {requirement}"
        expected[name] = bounds[0]
    assert lowest == expected


def test_the_cli_framework_is_typer_slim_without_rich() -> None:
    assert "typer-slim" in declared()
    assert "rich" not in pins("zipapp.txt")
