"""Which builds run a container at all, read from real Dockerfiles."""

from __future__ import annotations

import pytest

from runtimecheck.preflight.dockerfile import runtime_needed

COPY_ONLY = """\
FROM alpine:3.20
COPY app /app
ENV A=1
CMD ["/app"]
"""

UNUSED_RUN = """\
FROM golang:1.23 AS tools
RUN go install example.com/tool@latest

FROM alpine:3.20 AS final
COPY app /app
"""

COPY_FROM_RUN_STAGE = """\
FROM golang:1.23 AS build
RUN go build -o /out/app .

FROM scratch
COPY --from=build /out/app /app
"""

COPY_FROM_INDEX = """\
from golang:1.23
run go build -o /out/app .

from scratch
copy --from=0 /out/app /app
"""

BASE_STAGE_RUNS = """\
FROM alpine AS base
RUN apk add curl
FROM base AS final
COPY x /x
"""

HEREDOC_RUN = """\
FROM alpine
RUN <<EOF
apk add curl
EOF
"""

HEREDOC_COPY = """\
FROM alpine AS a
COPY <<EOF /etc/motd
FROM busybox
EOF
"""

ONBUILD_PARENT = """\
FROM alpine AS base
ONBUILD RUN make
FROM base
COPY x /x
"""

ONBUILD_UNUSED = """\
FROM alpine AS lib
ONBUILD RUN make
FROM alpine
COPY x /x
"""


@pytest.mark.parametrize(
    ("text", "target", "runtime"),
    [
        (COPY_ONLY, None, False),
        ("\ufeff" + COPY_ONLY.replace("\n", "\r\n"), None, False),  # BOM and CRLF
        (UNUSED_RUN, None, False),
        (UNUSED_RUN, "tools", True),
        (UNUSED_RUN, "FINAL", False),  # stage names are case-insensitive
        (COPY_FROM_RUN_STAGE, None, True),
        (COPY_FROM_INDEX, None, True),
        (BASE_STAGE_RUNS, None, True),
        (ONBUILD_PARENT, None, True),
        (ONBUILD_UNUSED, None, False),
        ("FROM alpine\nCOPY --from=nginx:1 /etc/nginx /etc/nginx\n", None, False),  # an image
        ("# escape=`\nFROM alpine\nCOPY a `\n  b\n", None, False),
        ('FROM alpine\nRUN ["/bin/true"]\n', None, True),
    ],
)
def test_what_the_stages_built_run(text: str, target: str | None, runtime: bool) -> None:
    assert runtime_needed(text, target=target).runtime is runtime


@pytest.mark.parametrize(
    "text",
    [
        "# syntax=docker/dockerfile:1\n" + COPY_ONLY,
        "#syntax = docker/dockerfile:1.7\n" + COPY_ONLY,
        "# check=error=true\n# SYNTAX=example.com/frontend\n" + COPY_ONLY,
        "// syntax = docker/dockerfile:1\n" + COPY_ONLY,
        '{"syntax": "docker/dockerfile:1"}\n' + COPY_ONLY,
    ],
)
def test_a_frontend_image_runs_in_a_container(text: str) -> None:
    needs = runtime_needed(text)
    assert needs.runtime is True and "frontend image" in needs.why


def test_a_frontend_named_by_build_argument_runs_in_a_container() -> None:
    needs = runtime_needed(COPY_ONLY, build_args={"BUILDKIT_SYNTAX": "docker/dockerfile:1"})
    assert needs.runtime is True
    assert runtime_needed(COPY_ONLY, build_args={"OTHER": "x"}).runtime is False


def test_a_syntax_comment_after_the_first_instruction_is_only_a_comment() -> None:
    assert runtime_needed(COPY_ONLY + "# syntax=docker/dockerfile:1\n").runtime is False


@pytest.mark.parametrize(
    ("text", "target", "why"),
    [
        (HEREDOC_RUN, None, "here-document"),
        (HEREDOC_COPY, None, "here-document"),  # its body would read as a FROM
        ("FROM alpine\nRUNN x\n", None, "not an instruction"),
        ("ARG BASE=alpine\nFROM ${BASE}\nCOPY a b\n", None, "not understood"),
        ("FROM alpine AS a\nFROM scratch\nCOPY --from=$STAGE a b\n", None, "variable"),
        (COPY_ONLY, "nope", "no stage named 'nope'"),
        ("# only a comment\n", None, "no FROM"),
        ("FROM a b c d\n", None, "not understood"),
    ],
)
def test_what_cannot_be_told_is_said_and_keeps_the_verdict(text, target, why) -> None:
    needs = runtime_needed(text, target=target)
    assert needs.runtime is None
    assert why in needs.why


def test_the_answer_names_the_stages_it_read() -> None:
    needs = runtime_needed(UNUSED_RUN)
    assert needs.why == "no RUN step in the stages it builds (final) and no frontend image"
    assert runtime_needed(COPY_FROM_RUN_STAGE).why == "stage build has a RUN step"
