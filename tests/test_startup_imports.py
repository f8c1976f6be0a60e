"""The paths the docker CLI and every build go through import nothing heavy."""

from __future__ import annotations

import pytest

from support.paths import PLUGIN
from support.processes import isolated_python

# Never on these paths: the CLI framework, the docker SDK and what they pull in, and the
# standard-library wrappers that cost more than the path may spend.
HEAVY = (
    "typer",
    "click",
    "rich",
    "docker",
    "requests",
    "urllib3",
    "json",
    "typing",
    "dataclasses",
    "pathlib",
    "re",
    "socket",
)


def imported(*args: str) -> tuple[str, set[str]]:
    """(stdout, the modules loaded) of one run of the entry point with these arguments."""
    code = (
        f"import sys; sys.path.insert(0, {str(PLUGIN)!r}); sys.argv = ['docker-runtimecheck', *{list(args)!r}]\n"
        "from runtimecheck.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = isolated_python(code, timeout=60)
    return done.stdout, set(done.stderr.split())


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["runtimecheck", "--version"],
        ["--config", "/nonexistent", "runtimecheck", "--version"],
    ],
)
def test_version_imports_nothing_heavy(args):
    out, modules = imported(*args)
    assert out.startswith("docker-runtimecheck version ")
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY) == []


def test_metadata_imports_neither_the_cli_nor_the_sdk():
    out, modules = imported("docker-cli-plugin-metadata")
    assert '"SchemaVersion":"0.1.0"' in out
    assert "runtimecheck.dispatch" not in modules
    loaded = {m.split(".")[0] for m in modules}
    assert loaded & {"typer", "click", "rich", "docker", "requests", "urllib3"} == set()
