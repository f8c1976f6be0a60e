"""What a yes/no value says: the one home of that rule.

Our own settings (RUNTIMECHECK_SKIP, `--skip-runtimecheck=VALUE`) take the usual words; a
value another program reads (docker's and buildkitd's flags, DOCKER_CLI_HOOKS) is read the way
that program reads it, Go's strconv.ParseBool.

On the build preflight's start-up path: no imports.
"""

from __future__ import annotations

TRUE = frozenset({"1", "t", "true", "y", "yes", "on"})
FALSE = frozenset({"0", "f", "false", "n", "no", "off"})


def parse_bool(value: str) -> bool | None:
    """True, False, or None when `value` is neither."""
    word = value.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    return None


def is_true(value: str) -> bool:
    return parse_bool(value) is True


def is_false(value: str) -> bool:
    return parse_bool(value) is False


# strconv.ParseBool: exactly these spellings.
GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def go_bool(value: str) -> bool | None:
    """What Go's strconv.ParseBool makes of `value`; None where it fails."""
    if value in GO_TRUE:
        return True
    if value in GO_FALSE:
        return False
    return None
