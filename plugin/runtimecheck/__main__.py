"""Entry point. Answers `docker-cli-plugin-metadata` with JSON alone, then hands off.

The docker CLI runs the metadata command on every `docker --help`, and the build preflight
sits in front of every build: neither path may import typer, rich or the docker SDK.
"""

from __future__ import annotations

import sys

from . import __version__

METADATA = {
    "SchemaVersion": "0.1.0",
    "Vendor": "docker-runtimecheck",
    "Version": __version__,
    "ShortDescription": "Check that a builder's OCI runtime accepts what its BuildKit sends",
    "URL": "https://github.com/docker-runtimecheck/docker-runtimecheck",
}


def metadata_json() -> str:
    import json

    return json.dumps(METADATA, separators=(",", ":"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["docker-cli-plugin-metadata"]:
        sys.stdout.write(metadata_json() + "\n")
        return 0
    from .dispatch import dispatch

    return dispatch(args)


if __name__ == "__main__":
    sys.exit(main())
