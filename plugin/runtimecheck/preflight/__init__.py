"""The fast path: everything `docker build` pays for before buildx starts.

`route` (how the docker CLI called us: `docker runtimecheck`, or the `builder` alias), `args`
(the build's arguments), `flow` (check or reuse a verdict, refuse or go ahead), `cache` and
`witnesses` (an earlier verdict, and whether what it depended on still holds), `handover`
(become `docker buildx build`).

The start-up budget: a build whose verdict is cached costs little more than the interpreter's
own start-up. These modules, and the ones they use on that path (`launch`, `__main__`,
`dockercli`, `dockerapi`, `fastjson`, `log`, `safe`, `truth`, `parent`, `errors`,
`commands.build`, `commands.Context`), import only C modules and each other at module level:
no typer, click, rich, docker SDK, requests, json, re, typing, dataclasses, pathlib, socket,
threading, subprocess or enum. tests/test_startup_imports.py holds them to it.
"""

from .flow import preflight_and_build

__all__ = ["preflight_and_build"]
