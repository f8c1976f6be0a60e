"""scripts/derive-metadata on small repositories laid out like moby/moby, moby/buildkit and
opencontainers/runc, made here: tags, vendor files and Dockerfiles as upstream has them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runtimecheck import knowledge
from support.paths import REPO

SCRIPT = REPO / "scripts" / "derive-metadata"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


class Repo:
    def __init__(self, path: Path):
        self.path = path
        path.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            env={**os.environ, **GIT_ENV},
            check=True,
        )
        return done.stdout.strip()

    def commit(self, files: dict[str, str], tag: str = "") -> str:
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", tag or "change")
        if tag:
            self.git("tag", tag)
        return self.git("rev-parse", "HEAD")


def dockerfile(runc: str) -> dict[str, str]:
    return {
        "Dockerfile": f"# syntax=docker/dockerfile:1\n\nARG RUNC_VERSION={runc}\nFROM scratch\n"
    }


def modules(line: str) -> dict[str, str]:
    return {
        "vendor/modules.txt": f"# github.com/containerd/containerd v1.7.0\n## explicit\n{line}\n"
        "## explicit; go 1.20\ngithub.com/moby/buildkit/client\n"
    }


@pytest.fixture(scope="module")
def upstream(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("upstream")
    runc = Repo(root / "runc")
    runc_commit = runc.commit({"VERSION": "1.0.0-rc92+dev\n"})

    buildkit = Repo(root / "buildkit")
    v0_7_0 = buildkit.commit(dockerfile("v1.0.0-rc10"), tag="v0.7.0")
    buildkit.commit({"README.md": "a fix\n"}, tag="v0.7.1")
    buildkit.commit(dockerfile(runc_commit), tag="v0.8.0")
    after = buildkit.commit({"README.md": "after v0.8.0\n"})
    buildkit.commit(dockerfile("v1.1.4"), tag="v0.11.0")
    buildkit.commit(dockerfile("v1.1.5"), tag="v0.11.6")
    buildkit.commit(dockerfile("v1.1.6"), tag="v0.12.0-rc1")  # a pre-release: not an image row
    buildkit.commit(dockerfile("v1.1.7"), tag="v0.12.0")

    moby = Repo(root / "moby")
    moby.commit(
        {"vendor.conf": f"github.com/moby/buildkit {v0_7_0}\n"},
        tag="v19.03.15",  # before 20.10: not derived unless asked
    )
    conf = {"vendor.conf": f"# buildkit\ngithub.com/moby/buildkit                 {after}\n"}
    moby.commit(conf, tag="v20.10.0")
    moby.commit({"README.md": "20.10.1\n"}, tag="v20.10.1")
    moby.git("rm", "-q", "vendor.conf")
    moby.commit(modules("# github.com/moby/buildkit v0.10.6"), tag="v23.0.0")
    moby.commit(
        modules("# github.com/moby/buildkit v0.10.7-0.20230208155512-4f0ee09c40e2"), tag="v23.0.1"
    )
    moby.commit(modules("# github.com/moby/buildkit v0.11.6"), tag="v24.0.0-rc.1")
    moby.commit(modules("# github.com/moby/buildkit v0.11.6"), tag="v24.0.0")
    moby.commit(
        modules("# github.com/moby/buildkit v0.12.5-0.20231208203051-3b6880d2a00f"), tag="v25.0.0"
    )
    moby.commit(modules("# github.com/moby/buildkit v0.12.5"), tag="v25.0.2")
    moby.commit(
        modules("# github.com/moby/buildkit v0.12.5 => github.com/Mirantis/buildkit v0.12.6-m.1"),
        tag="v25.0.16",
    )
    moby.commit(modules("# github.com/moby/buildkit v0.25.2"), tag="v28.5.2")
    moby.commit({"README.md": "29.0.0\n"}, tag="docker-v29.0.0")
    moby.commit(modules("# github.com/moby/buildkit v0.26.2"), tag="docker-v29.1.0")
    return {"moby": moby.path, "buildkit": buildkit.path, "runc": runc.path, "after": Path(after)}


def derive(upstream, metadata: Path, *extra: str, runc: bool = True):
    args = [
        sys.executable,
        str(SCRIPT),
        "--moby",
        str(upstream["moby"]),
        "--buildkit",
        str(upstream["buildkit"]),
        "--metadata",
        str(metadata),
        *extra,
    ]
    if runc:
        args += ["--runc", str(upstream["runc"])]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def metadata(tmp_path) -> Path:
    """A copy of the shipped data, to be rewritten."""
    copy = tmp_path / "metadata"
    shutil.copytree(knowledge.default_directory(), copy)
    return copy


def test_regenerates_the_tables_and_shows_the_difference(upstream, metadata):
    done = derive(upstream, metadata)
    assert done.returncode == 1, done.stderr
    diff = done.stdout
    assert diff.startswith("--- a/metadata/engines.toml\n+++ b/metadata/engines.toml\n")
    assert "+++ b/metadata/images.toml" in diff
    assert '-engine = ">=25.0.16,<=25.0.17"' not in diff  # nothing is written without --write
    assert (metadata / "engines.toml").read_text() == (
        knowledge.default_directory() / "engines.toml"
    ).read_text()


def test_written_tables_are_what_the_repositories_say(upstream, metadata):
    assert derive(upstream, metadata, "--write").returncode == 1
    engines = (metadata / "engines.toml").read_text()
    images = (metadata / "images.toml").read_text()

    short = str(upstream["after"])[:12]
    assert f'buildkit = "v0.8.0-1-g{short}"' in engines
    assert f"vendor.conf at v20.10.0 … v20.10.1: github.com/moby/buildkit {short}" in engines
    assert "19.03" not in engines and "-rc" not in engines
    assert 'engine = "==23.0.1"\nbuildkit = "v0.10.7-0.20230208155512-4f0ee09c40e2"' in engines
    assert 'engine = "==24.0.0"\nbuildkit = "v0.11.6"' in engines
    assert (
        'engine = "==25.0.16"\nbuildkit = "v0.12.6-m.1"\nsource = "moby/moby vendor/modules.txt '
        "at v25.0.16: github.com/moby/buildkit v0.12.5 => github.com/Mirantis/buildkit "
        'v0.12.6-m.1"'
    ) in engines
    # docker-v29.0.0 has no vendor/modules.txt of its own change: it still holds v0.25.2, but a
    # new minor starts a new row.
    assert 'engine = "==28.5.2"\nbuildkit = "v0.25.2"' in engines
    assert 'engine = "==29.0.0"\nbuildkit = "v0.25.2"' in engines
    assert 'engine = "==29.1.0"\nbuildkit = "v0.26.2"' in engines

    assert 'tags = ">=0.7.0,<=0.7.1"\nrunc = "1.0.0-rc10"' in images
    assert 'tags = "==0.8.0"\nrunc = "1.0.0-rc92+dev"' in images
    assert "opencontainers/runc VERSION at that commit: 1.0.0-rc92+dev" in images
    assert 'tags = "==0.11.6"\nrunc = "1.1.5"' in images
    assert 'tags = "==0.12.0"\nrunc = "1.1.7"' in images
    assert "1.1.6" not in images  # only in a release candidate's Dockerfile

    # The written files are valid knowledge, and mean what they say.
    kb = knowledge.load(metadata)
    assert kb.engine_buildkit("20.10.1")[0] == f"v0.8.0-1-g{short}"
    assert kb.engine_buildkit("25.0.1") is None  # no such tag upstream here
    assert "run-keep" in {i.id for i in kb.invocations(kb.engine_buildkit("25.0.0")[0])}
    assert "run-keep" not in {i.id for i in kb.invocations(kb.engine_buildkit("23.0.1")[0])}
    assert kb.image_runc("moby/buildkit:v0.8.0") == (
        "1.0.0-rc92+dev",
        f"moby/buildkit Dockerfile at v0.8.0: RUNC_VERSION={short_runc(upstream)} "
        "(opencontainers/runc VERSION at that commit: 1.0.0-rc92+dev)",
    )

    again = derive(upstream, metadata)
    assert again.returncode == 0 and again.stdout == ""
    assert "up to date" in again.stderr


def short_runc(upstream) -> str:
    out = subprocess.run(
        ["git", "-C", str(upstream["runc"]), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()[:12]


def test_older_engines_on_request(upstream, metadata):
    done = derive(upstream, metadata, "--write", "--engines-since", "19.03")
    assert done.returncode == 1
    engines = (metadata / "engines.toml").read_text()
    assert 'engine = "==19.3.15"\nbuildkit = "v0.7.0"' in engines


def test_a_runc_commit_needs_the_runc_clone(upstream, metadata):
    done = derive(upstream, metadata, runc=False)
    assert done.returncode == 2
    assert "v0.8.0 builds runc at commit" in done.stderr and "--runc" in done.stderr
    assert done.stdout == ""


def test_a_missing_clone_is_named(upstream, metadata, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--moby",
            str(tmp_path / "nowhere"),
            "--buildkit",
            str(upstream["buildkit"]),
            "--metadata",
            str(metadata),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("derive-metadata: moby/moby: no such directory:")
