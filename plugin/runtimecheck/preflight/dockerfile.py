"""Whether a build calls the OCI runtime at all: only a `RUN` step (its own, or an `ONBUILD RUN`
of a stage it builds on) or a frontend image (`# syntax=`, BUILDKIT_SYNTAX) runs a container.

Pure: the Dockerfile's text and the build's arguments in, an answer out. The text is parsed
with dockerfile-parse; what that parser does not model (heredocs, variables in stage
references) makes the answer "cannot tell", and "cannot tell" keeps the full verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

# Every instruction the Dockerfile frontend knows (moby/buildkit frontend/dockerfile/command).
INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
# A here-document (`<<EOF`, `<<-"EOF"`): its body is not instructions, which the parser
# cannot tell.
HEREDOC = re.compile(r"<<-?\s*[\"']?[A-Za-z_][\w.-]*")
# A directive naming a frontend, in any of the forms BuildKit's DetectSyntax accepts (`#`,
# `//`, JSON): anything before the first instruction that mentions it counts.
SYNTAX = re.compile(r"\bsyntax\b\W*[=:]", re.IGNORECASE)
FROM_FLAG = re.compile(r"^--[\w-]+(=\S*)?$")


@dataclass(frozen=True)
class Needs:
    """runtime: True (the build runs a container), False (it never does), None (cannot tell)."""

    runtime: Optional[bool]
    why: str


@dataclass
class _Stage:
    index: int
    name: Optional[str]
    base: str
    runs: bool = False  # a RUN, or an ONBUILD RUN that a stage built on it triggers
    onbuild_runs: bool = False
    uses: set[str] | None = None  # stage names or indexes it copies from

    @property
    def label(self) -> str:
        return self.name or str(self.index)


def runtime_needed(
    text: str, *, target: Optional[str] = None, build_args: Optional[dict[str, str]] = None
) -> Needs:
    """Whether building `target` (else the last stage) of this Dockerfile runs a container."""
    if (build_args or {}).get("BUILDKIT_SYNTAX"):
        return Needs(True, "BUILDKIT_SYNTAX names a frontend image, which runs in a container")
    from dockerfile_parse import DockerfileParser

    text = text.lstrip("\ufeff")
    import io

    try:
        structure = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8"))).structure
    except Exception as e:  # the parser's own failure: nothing is known
        return Needs(None, f"the Dockerfile could not be parsed ({type(e).__name__})")
    first = next((i for i in structure if i["instruction"].upper() in INSTRUCTIONS), None)
    head = text.splitlines()[: first["startline"] if first else None]
    if any(SYNTAX.search(line) for line in head):
        return Needs(True, "its syntax directive names a frontend image, run in a container")
    stages: list[_Stage] = []
    for item in structure:
        word, value = item["instruction"].upper(), item["value"]
        if word == "COMMENT":
            continue
        line = f"line {item['startline'] + 1}"
        if word not in INSTRUCTIONS:
            return Needs(None, f"{line} is not an instruction ({word})")
        if HEREDOC.search(value):
            return Needs(None, f"{line} holds a here-document")
        if word == "FROM":
            stage = _from(len(stages), value)
            if stage is None:
                return Needs(None, f"{line}: FROM {value!r} is not understood")
            stages.append(stage)
            continue
        if not stages:
            continue  # ARG before the first FROM
        stage = stages[-1]
        if word == "RUN":
            stage.runs = True
        elif word == "ONBUILD" and value.split(None, 1)[0].upper() == "RUN":
            stage.onbuild_runs = True
        elif word in ("COPY", "ADD"):
            source = _from_flag(value)
            if source is not None:
                if "$" in source:
                    return Needs(None, f"{line}: --from={source} names a variable")
                stage.uses = (stage.uses or set()) | {source.lower()}
    if not stages:
        return Needs(None, "no FROM instruction")
    built = _built(stages, target)
    if built is None:
        return Needs(None, f"no stage named {target!r}" if target else "no stage to build")
    for stage in built:
        if stage.runs:
            return Needs(True, f"stage {stage.label} has a RUN step")
    for stage in built:
        parent = _stage(stages, stage.base, before=stage.index)
        if parent is not None and parent.onbuild_runs:
            return Needs(True, f"stage {stage.label} triggers ONBUILD RUN of stage {parent.label}")
    labels = ", ".join(s.label for s in sorted(built, key=lambda s: s.index))
    return Needs(False, f"no RUN step in the stages it builds ({labels}) and no frontend image")


def _from(index: int, value: str) -> Optional[_Stage]:
    words = [w for w in value.split() if not FROM_FLAG.match(w)]
    if len(words) == 1:
        base, name = words[0], None
    elif len(words) == 3 and words[1].lower() == "as":
        base, name = words[0], words[2].lower()
    else:
        return None
    if "$" in base:
        return None  # which stage or image it is depends on build arguments
    return _Stage(index=index, name=name, base=base.lower())


def _from_flag(value: str) -> Optional[str]:
    for word in value.split():
        if word.startswith("--from="):
            return word[len("--from=") :]
        if not word.startswith("--"):
            break
    return None


def _stage(stages: list[_Stage], ref: str, *, before: int) -> Optional[_Stage]:
    """The earlier stage `ref` names (by name, or by index for --from), else None: an image."""
    for stage in stages[:before]:
        if stage.name == ref or str(stage.index) == ref:
            return stage
    return None


def _built(stages: list[_Stage], target: Optional[str]) -> Optional[list[_Stage]]:
    """The target stage and every stage it depends on (as base or --from source)."""
    if target:
        goal = next((s for s in stages if s.name == target.lower()), None)
        if goal is None:
            return None
    else:
        goal = stages[-1]
    built: dict[int, _Stage] = {}
    todo = [goal]
    while todo:
        stage = todo.pop()
        if stage.index in built:
            continue
        built[stage.index] = stage
        for ref in [stage.base, *(stage.uses or ())]:
            dep = _stage(stages, ref, before=stage.index)
            if dep is not None:
                todo.append(dep)
    return list(built.values())
