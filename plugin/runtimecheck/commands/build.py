"""`docker runtimecheck build ARGS…` (and `docker build` through the builder alias): the
preflight, then `docker buildx build ARGS…`. See runtimecheck.preflight."""

from __future__ import annotations

from . import Context


def run(ctx: Context, args: list[str], *, docker_build: bool = False) -> int:
    from runtimecheck.preflight import preflight_and_build

    return preflight_and_build(ctx.options, args, docker_build=docker_build)
