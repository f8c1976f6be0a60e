from __future__ import annotations

from pathlib import Path

import pytest

from runtimecheck import settings
from runtimecheck.errors import UsageError


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    (path / ".git").mkdir(parents=True)
    (path / "sub" / "dir").mkdir(parents=True)
    return path


def load(cwd: Path, home: Path, env: dict | None = None, flags: dict | None = None):
    return settings.load(cwd=cwd, env={"HOME": str(home), **(env or {})}, flags=flags)


def user_config(home: Path, text: str) -> Path:
    path = home / ".config" / "docker-runtimecheck" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_defaults(repo, home):
    conf = load(repo, home)
    assert conf.ignore == frozenset()
    assert conf.fail_on == "block"
    assert conf.assume_runtime == {}
    assert conf.format is None
    assert conf.sources == []


def test_ignore_is_the_union_of_every_source(repo, home):
    (repo / ".runtimecheck.toml").write_text('ignore = ["exec-pid-file"]\n')
    user_config(home, 'ignore = ["kill"]\n')
    conf = load(
        repo / "sub" / "dir",
        home,
        env={"RUNTIMECHECK_IGNORE": "delete, state"},
        flags={"ignore": ["run-keep,global-log", "Run-No-Pivot"]},
    )
    assert set(conf.ignore) == {
        "exec-pid-file",
        "kill",
        "delete",
        "state",
        "run-keep",
        "global-log",
        "run-no-pivot",
    }
    assert conf.sources == [
        "command line",
        "environment (RUNTIMECHECK_IGNORE)",
        str(repo / ".runtimecheck.toml"),
        str(home / ".config" / "docker-runtimecheck" / "config.toml"),
    ]


def test_wildcards_match_check_ids(repo, home):
    conf = load(repo, home, flags={"ignore": ["exec-*", "*-pivot"]})
    assert "exec-pid-file" in conf.ignore
    assert "exec-process" in conf.ignore
    assert "run-no-pivot" in conf.ignore
    assert "run-keep" not in conf.ignore
    assert "exec" not in conf.ignore
    assert "*" not in load(repo, home).ignore


def test_scalars_flag_over_env_over_project_over_user(repo, home):
    (repo / ".runtimecheck.toml").write_text('fail-on = "never"\nformat = "sarif"\n')
    user_config(home, 'fail-on = "warn"\nformat = "github"\n')
    assert load(repo, home).fail_on == "never"
    assert load(repo, home).format == "sarif"
    env = {"RUNTIMECHECK_FAIL_ON": "warn", "RUNTIMECHECK_FORMAT": "json"}
    assert load(repo, home, env=env).fail_on == "warn"
    assert load(repo, home, env=env).format == "json"
    flagged = load(repo, home, env=env, flags={"fail_on": "block", "format": "text"})
    assert (flagged.fail_on, flagged.format) == ("block", "text")
    (repo / ".runtimecheck.toml").unlink()
    assert load(repo, home).fail_on == "warn"


def test_assume_runtime_merges_per_builder(repo, home):
    (repo / ".runtimecheck.toml").write_text(
        '[assume-runtime]\nci = "crun=1.14.4"\n"*" = "runc=1.1.12"\n'
    )
    user_config(home, '[assume-runtime]\nci = "crun=1.8.1"\nlocal = "youki=0.3.3"\n')
    conf = load(repo, home, flags={"assume_runtime": {"*": "runc = 1.2.0"}})
    assert conf.assume_runtime == {"ci": "crun=1.14.4", "*": "runc=1.2.0", "local": "youki=0.3.3"}


def test_project_file_is_found_upwards_but_not_past_the_repository(tmp_path, repo, home):
    (tmp_path / ".runtimecheck.toml").write_text('ignore = ["kill"]\n')
    assert load(repo / "sub" / "dir", home).ignore == frozenset()
    outside = tmp_path / "elsewhere" / "deep"
    outside.mkdir(parents=True)
    assert "kill" in load(outside, home).ignore
    (repo / "sub" / ".runtimecheck.toml").write_text('ignore = ["delete"]\n')
    assert set(load(repo / "sub" / "dir", home).ignore) == {"delete"}


def test_xdg_config_home_wins_over_home(repo, home, tmp_path):
    user_config(home, 'ignore = ["kill"]\n')
    xdg = tmp_path / "xdg"
    (xdg / "docker-runtimecheck").mkdir(parents=True)
    (xdg / "docker-runtimecheck" / "config.toml").write_text('ignore = ["state"]\n')
    assert set(load(repo, home, env={"XDG_CONFIG_HOME": str(xdg)}).ignore) == {"state"}
    assert set(load(repo, home, env={"XDG_CONFIG_HOME": "relative"}).ignore) == {"kill"}


def test_malformed_toml_names_file_and_line(repo, home):
    path = repo / ".runtimecheck.toml"
    path.write_text('ignore = ["run-keep"]\nfail-on = warn\n')
    with pytest.raises(UsageError) as e:
        load(repo, home)
    assert str(path) in e.value.message
    assert "line 2" in e.value.message


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('\n\nfail-on = "sometimes"\n', 3, "fail-on"),
        ('format = "yaml"\n', 1, "format"),
        ("ignore = [1, 2]\n", 1, "ignore"),
        ('ignore = ["run keep"]\n', 1, "not a check id"),
        ('# comment\nignores = ["run-keep"]\n', 2, "unknown setting 'ignores'"),
        ('assume-runtime = "crun"\n', 1, "assume-runtime"),
        ('[assume-runtime]\nci = "crun"\n', 2, "NAME=VERSION"),
    ],
)
def test_invalid_values_name_file_and_line(repo, home, text, line, words):
    path = repo / ".runtimecheck.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as e:
        load(repo, home)
    assert e.value.message.startswith(f"{path}, line {line}: ")
    assert words in e.value.message


def test_invalid_flag_and_environment_values(repo, home):
    with pytest.raises(UsageError, match="--fail-on"):
        load(repo, home, flags={"fail_on": "sometimes"})
    with pytest.raises(UsageError, match="RUNTIMECHECK_FORMAT"):
        load(repo, home, env={"RUNTIMECHECK_FORMAT": "yaml"})
    with pytest.raises(UsageError, match="RUNTIMECHECK_IGNORE"):
        load(repo, home, env={"RUNTIMECHECK_IGNORE": "run keep"})
    with pytest.raises(UsageError, match="NAME=VERSION"):
        load(repo, home, flags={"assume_runtime": "crun"})


def test_empty_environment_values_say_nothing(repo, home):
    conf = load(repo, home, env={"RUNTIMECHECK_IGNORE": " , ", "RUNTIMECHECK_FAIL_ON": ""})
    assert conf.ignore == frozenset()
    assert conf.sources == []


def test_flags_as_the_cli_passes_them(repo, home):
    conf = load(
        repo,
        home,
        flags={
            "ignore": [],
            "fail_on": None,
            "format": None,
            "assume_runtime": {"ci": "crun=1.14.4"},
        },
    )
    assert conf.assume_runtime == {"ci": "crun=1.14.4"}
    assert conf.fail_on == "block"
    assert conf.sources == ["command line"]


def test_every_file_load_could_read_is_witnessed(repo, home):
    from runtimecheck.preflight import witnesses as warm

    env = {"HOME": str(home)}
    cwd = repo / "sub" / "dir"
    seen = settings.watched_witnesses(cwd, env)
    assert warm.still_true(seen)
    (repo / ".git" / "index").write_text("a commit")  # .git counts only by existing
    assert warm.still_true(seen)
    for appearing in (repo / "sub" / ".runtimecheck.toml", repo / ".runtimecheck.toml"):
        appearing.write_text('ignore = ["kill"]\n')
        assert not warm.still_true(seen)
        appearing.unlink()
        assert warm.still_true(seen)
    (repo / ".git").rename(repo / "not-git")  # the search would now go on upwards
    assert not warm.still_true(seen)
    (repo / "not-git").rename(repo / ".git")
    user_config(home, 'fail-on = "warn"\n')
    assert not warm.still_true(seen)
