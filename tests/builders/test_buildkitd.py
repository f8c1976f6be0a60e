"""What buildkitd makes of its flags and buildkitd.toml: worker, binary, version. Pure."""

from __future__ import annotations

from typing import Optional

import pytest

from runtimecheck.builders import buildkitd


@pytest.mark.parametrize(
    "argv",
    [
        ["--oci-worker-binary=crun"],
        ["--oci-worker-binary", "crun"],
        ["-oci-worker-binary", "crun"],
        ["--oci-worker-binary=runc", "--debug", "--oci-worker-binary=crun"],  # the last wins
        ["--allow-insecure-entitlement", "network.host", "--oci-worker-binary", "crun"],
    ],
)
def test_binary_flag_forms(argv: list[str]) -> None:
    flags = buildkitd.parse_flags(argv)
    assert flags.oci_binary == "crun" and flags.problems == []


@pytest.mark.parametrize(
    "argv, oci, containerd",
    [
        (["--oci-worker=false", "--containerd-worker=true"], False, True),
        (["--oci-worker", "false", "--containerd-worker", "1"], False, True),
        (["--oci-worker=auto"], None, None),
        (["--oci-worker=True", "--containerd-worker=F"], True, False),
        ([], None, None),
    ],
)
def test_worker_switches(argv: list[str], oci: Optional[bool], containerd: Optional[bool]) -> None:
    flags = buildkitd.parse_flags(argv)
    assert (flags.oci_worker, flags.containerd_worker, flags.problems) == (oci, containerd, [])


def test_bad_flag_values_are_problems_not_guesses() -> None:
    flags = buildkitd.parse_flags(["--oci-worker=maybe", "--oci-worker-binary"])
    assert flags.oci_worker is None and flags.oci_binary is None
    assert flags.problems == [
        "flag --oci-worker-binary has no value",
        "--oci-worker=maybe is neither true, false nor auto",
    ]


def test_flags_after_a_double_dash_are_not_flags() -> None:
    assert buildkitd.parse_flags(["--", "--oci-worker-binary=crun"]).oci_binary is None


def test_config_flag_names_the_file_read() -> None:
    argv = ["--config", "/etc/buildkit/buildkitd.toml", "--oci-worker-binary=crun"]
    assert buildkitd.parse_flags(argv).config == "/etc/buildkit/buildkitd.toml"


@pytest.mark.parametrize(
    "text",
    [
        '[worker.oci]\n  binary = "crun"\n',
        '[worker]\noci = { binary = "crun" }\n',
        'worker.oci.binary = "crun"\n',
        'debug = true\n[worker.oci]\nenabled = true\nbinary = "crun"\n[worker.containerd]\n',
    ],
)
def test_toml_shapes_naming_the_binary(text: str) -> None:
    toml = buildkitd.parse_toml(text)
    assert toml.oci_binary == "crun" and toml.error is None


def test_toml_that_is_not_toml_or_names_nothing() -> None:
    assert buildkitd.parse_toml('[worker.oci\nbinary = "crun"').error is not None
    assert buildkitd.parse_toml("").oci_binary is None
    assert buildkitd.parse_toml("worker = 3\n").oci_binary is None
    assert buildkitd.parse_toml('[worker.oci]\nbinary = ""\n').oci_binary is None


def test_flags_override_the_toml() -> None:
    flags = buildkitd.parse_flags(["--oci-worker-binary=runc", "--containerd-worker=true"])
    toml = buildkitd.parse_toml(
        '[worker.oci]\nbinary = "crun"\nenabled = false\n'
        '[worker.containerd]\nenabled = false\naddress = "unix:///run/c.sock"\n'
    )
    settings = buildkitd.effective(flags, toml)
    assert (settings.binary_override, settings.binary_from) == ("runc", "--oci-worker-binary")
    assert settings.candidates == ["runc"]
    assert (settings.oci_enabled, settings.containerd_enabled) == (False, True)
    assert settings.containerd_address == "/run/c.sock"


def test_no_override_means_the_default_candidates() -> None:
    settings = buildkitd.effective(buildkitd.parse_flags([]), buildkitd.parse_toml(None))
    assert settings.candidates == ["buildkit-runc", "runc"] and settings.binary_from == ""


@pytest.mark.parametrize(
    "argv, on_path, socket, worker",
    [
        ([], True, None, "oci"),
        # On auto the OCI worker needs buildkit-runc or runc on PATH, whatever binary is set.
        (["--oci-worker-binary=crun"], False, True, "containerd"),
        (["--oci-worker-binary=crun"], False, False, None),
        (["--oci-worker=false"], True, True, "containerd"),
        (["--oci-worker=true"], False, None, "oci"),
        ([], None, None, None),
    ],
)
def test_which_worker_runs_the_steps(
    argv: list[str], on_path: Optional[bool], socket: Optional[bool], worker: Optional[str]
) -> None:
    settings = buildkitd.effective(buildkitd.parse_flags(argv), buildkitd.parse_toml(None))
    found, note = buildkitd.decide_worker(settings, on_path, socket)
    assert found == worker
    assert (note is None) == (worker == "oci")


@pytest.mark.parametrize(
    "image, version",
    [
        ("moby/buildkit:v0.12.5", "v0.12.5"),
        ("moby/buildkit:v0.12.5-rootless", "v0.12.5"),
        ("docker.io/moby/buildkit:v0.13.0-rc2@sha256:" + "a" * 64, "v0.13.0-rc2"),
        ("localhost:5000/moby/buildkit:0.15", "v0.15"),
        ("localhost:5000/moby/buildkit", None),
        ("moby/buildkit:buildx-stable-1", None),
        ("moby/buildkit:latest", None),
        ("moby/buildkit", None),
        (None, None),
    ],
)
def test_version_from_the_image_tag(image: Optional[str], version: Optional[str]) -> None:
    assert buildkitd.image_tag_version(image) == version


@pytest.mark.parametrize(
    "image, stock",
    [
        ("moby/buildkit:v0.12.5", True),
        ("docker.io/moby/buildkit", True),
        ("moby/buildkit@sha256:" + "a" * 64, True),
        ("example.com/moby/buildkit:v0.12.5", False),
        ("my/buildkit-crun:v0.12.5", False),
        (None, False),
    ],
)
def test_stock_image(image: Optional[str], stock: bool) -> None:
    assert buildkitd.is_stock_image(image) is stock


def test_version_line_of_buildkitd() -> None:
    out = "buildkitd github.com/moby/buildkit v0.12.5 bac3f2b673f3f9d33e79046008e7a38e856b3dc6\n"
    assert buildkitd.parse_version_output(out) == "v0.12.5"
    assert buildkitd.parse_version_output("buildkitd: command not found\n") is None


@pytest.mark.parametrize(
    ("argv", "rootless", "source"),
    [
        ([], None, ""),
        (["--rootless"], True, "--rootless"),
        (["--rootless=false"], False, "--rootless"),
        (["--rootless", "--oci-worker-rootless=false"], False, "--oci-worker-rootless"),
        (["--oci-worker-rootless", "--rootless=false"], True, "--oci-worker-rootless"),
    ],
)
def test_rootless_flags(argv, rootless, source) -> None:
    """cmd/buildkitd: --rootless, then --oci-worker-rootless (Go bool flags)."""
    settings = buildkitd.effective(buildkitd.parse_flags(argv), buildkitd.parse_toml(None))
    assert (settings.rootless, settings.rootless_from) == (rootless, source)


def test_rootless_from_the_toml_and_the_flag_winning() -> None:
    toml = buildkitd.parse_toml("[worker.oci]\n  rootless = true\n")
    assert buildkitd.effective(buildkitd.parse_flags([]), toml).rootless is True
    flags = buildkitd.parse_flags(["--rootless=false"])
    assert buildkitd.effective(flags, toml).rootless is False
    assert buildkitd.parse_flags(["--rootless=maybe"]).problems == [
        "--rootless=maybe is neither true nor false"
    ]
