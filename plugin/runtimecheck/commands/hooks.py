"""The docker CLI's hook: a hint after `docker build` / `docker buildx build`.

The CLI runs `docker-runtimecheck runtimecheck docker-cli-plugin-hooks '<json>'` after a
command listed in config.json `plugins.runtimecheck.hooks`, only when hooks are enabled and
stdout is a terminal, and prints the `Template` we answer under "What's next:". It passes
`CommandError` only for its own commands: after a plugin command (`buildx build`, and
`docker build`, which the CLI forwards to buildx) it calls hooks only when the command
succeeded, with an empty error.

So the hint is only given when the error the CLI passes is the one this plugin is about (a
runtime rejecting `--keep`); otherwise nothing is printed at all. Printing nothing is also
what keeps older CLIs quiet: they print a "What's next:" header even for an empty template,
but skip a hook whose output is not JSON. The template is a Go text/template, so the hint
must not contain `{{`. This never fails: bad input means no output and exit status 0.
"""

from __future__ import annotations

import json
import re
import sys

from runtimecheck.probe.observe import UNKNOWN_OPTION

from . import Context

HOOKED_COMMANDS = ("build", "buildx build", "builder build", "image build")
NEXT_STEPS = 0  # hooks.NextSteps, the only message type

# The option this hint is about, named in a runtime's "unknown option" message (whose
# shapes are the probe's: runtimecheck.probe.observe.UNKNOWN_OPTION).
KEEP = re.compile(r"(?:^|[\s'\"`:=])-{1,2}keep\b")


HINT = (
    "The builder's OCI runtime rejected an option BuildKit passed (`run --keep`).\n"
    "Run `docker runtimecheck` to see which runtime it is and the exact fix."
)


def run(ctx: Context, args: list[str]) -> int:
    try:
        template = hint_for(args[0] if args else "")
    except Exception:  # a hook must never disturb the command it follows
        template = ""
    if template:
        sys.stdout.write(json.dumps({"Type": NEXT_STEPS, "Template": template}) + "\n")
    return 0


def hint_for(payload: str) -> str:
    """The hint for one hook request (its JSON), or "" when there is nothing worth saying."""
    try:
        request = json.loads(payload)
    except ValueError:
        return ""
    if not isinstance(request, dict):
        return ""
    command = request.get("RootCmd")
    error = request.get("CommandError")
    if command not in HOOKED_COMMANDS or not isinstance(error, str) or not error:
        return ""
    if not (UNKNOWN_OPTION.search(error) and KEEP.search(error)):
        return ""
    return HINT.replace("{{", "{ {")
