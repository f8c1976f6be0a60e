"""The knowledge base and the questions it answers. Pure: it holds the loaded data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from packaging.version import Version

from runtimecheck.facts import ACCEPTED

from .model import (
    Consequence,
    EngineRow,
    FixSettings,
    FixTemplate,
    ImageRow,
    Invocation,
    Nested,
    Release,
    Runtime,
    Support,
)
from .versions import image_tag, in_range, parse_version


@dataclass(frozen=True)
class Knowledge:
    directory: Path
    invocation_list: tuple[Invocation, ...]
    releases: tuple[Release, ...]
    runtimes: tuple[Runtime, ...]
    support_rows: tuple[Support, ...]
    engines: tuple[EngineRow, ...]
    images: tuple[ImageRow, ...]
    fix_settings: FixSettings
    fixes: tuple[FixTemplate, ...]
    consequences: tuple[Consequence, ...] = ()
    nested: tuple[Nested, ...] = ()

    def newest_buildkit(self) -> str:
        return max(self.releases, key=lambda r: r.parsed).version

    def first_sent(self, invocation: Invocation) -> Optional[str]:
        """The first BuildKit release that sends it, e.g. `v0.12.0` (from its range)."""
        bound = min(
            (Version(s.version) for s in invocation.buildkit if s.operator in (">=", "==")),
            default=None,
        )
        return f"v{bound}" if bound is not None else None

    def first_engine(self, invocation: Invocation, no_pivot: bool = True) -> Optional[str]:
        """The first Docker Engine release whose bundled BuildKit sends it, e.g. `25.0.0`."""
        sending = []
        for row in self.engines:
            parsed = parse_version(row.buildkit)
            low = min(
                (Version(s.version) for s in row.engine if s.operator in (">=", "==")),
                default=None,
            )
            if parsed is not None and low is not None and invocation.sent_by(parsed, no_pivot):
                sending.append(low)
        return str(min(sending)) if sending else None

    def consequence(
        self, invocation_id: str, known: dict[str, object]
    ) -> tuple[Optional[Consequence], list[Consequence]]:
        """(the row that holds under `known`, the rows that might hold were the unknown
        conditions learnt). No row: the invocation's own severity and `fails` hold."""
        rows = [c for c in self.consequences if c.invocation == invocation_id]
        held = next((c for c in rows if c.matches(known)), None)
        maybe = [] if held else [c for c in rows if c.could_match(known)]
        return held, maybe

    def stock_runc(self) -> Optional[str]:
        """The runc of the stock image, which follows the newest BuildKit release."""
        found = self.image_runc(self.newest_buildkit())
        return found[0] if found else None

    def nested_rows(self, outer: Optional[str], outer_version: Optional[str]) -> list[Nested]:
        """The rows that hold for a builder container running under `outer` (all of its rows
        when its version is unknown)."""
        if not outer:
            return []
        parsed = parse_version(outer_version)
        return [
            n
            for n in self.nested
            if n.outer == outer and (parsed is None or in_range(parsed, n.outer_versions))
        ]

    def image_avoiding(
        self, rows: list[Nested], runc_min: Optional[str]
    ) -> Optional[tuple[str, str]]:
        """(tag, runc) of the newest moby/buildkit release whose runc fails under none of
        `rows` and is at least `runc_min`."""
        floor = parse_version(runc_min)
        for image in sorted(
            self.images, key=lambda i: parse_version(i.newest_tag()) or Version("0"), reverse=True
        ):
            runc = parse_version(image.runc)
            tag = image.newest_tag()
            if runc is None or tag is None or (floor is not None and runc < floor):
                continue
            if not any(in_range(runc, n.runc) for n in rows):
                return tag, image.runc
        return None

    def invocation(self, invocation_id: str) -> Optional[Invocation]:
        return next((i for i in self.invocation_list if i.id == invocation_id), None)

    def invocations(
        self, buildkit_version: Optional[str] = None, no_pivot: bool = False
    ) -> list[Invocation]:
        """All invocations, or those this BuildKit version sends (an unparsable one: none)."""
        if buildkit_version is None:
            return list(self.invocation_list)
        parsed = parse_version(buildkit_version)
        if parsed is None:
            return []
        return [i for i in self.invocation_list if i.sent_by(parsed, no_pivot)]

    def runtime(self, name: Optional[str]) -> Optional[Runtime]:
        if not name:
            return None
        return next((r for r in self.runtimes if r.name == name), None)

    def identities(self) -> tuple[Runtime, ...]:
        """The runtimes recognisable from `--version`, those needing a feature tag first."""
        known = [r for r in self.runtimes if r.version_line]
        return tuple(sorted(known, key=lambda r: r.feature_tag is None))

    def binaries(self) -> tuple[str, ...]:
        """Every name a known runtime is installed under, in the data's order."""
        return tuple(dict.fromkeys(b for r in self.runtimes for b in r.binaries))

    def flags_runtime(self, name: str) -> str:
        """The runtime whose command line `name` has (krun -> crun)."""
        runtime = self.runtime(name)
        return runtime.flags_of if runtime and runtime.flags_of else name

    def support_for(self, runtime: str, invocation_id: str) -> list[Support]:
        name = self.flags_runtime(runtime)
        return [s for s in self.support_rows if s.runtime == name and s.invocation == invocation_id]

    def support(
        self, runtime: str, invocation_id: str, version: Optional[str]
    ) -> Optional[Support]:
        parsed = parse_version(version)
        if parsed is None:
            return None
        rows = self.support_for(runtime, invocation_id)
        return next((s for s in rows if in_range(parsed, s.versions)), None)

    def fixed_in(self, runtime: str, invocation_id: str) -> Optional[Support]:
        """The accepting row with the lowest lower bound: where the runtime started to accept."""
        bounded = [
            (bound, s)
            for s in self.support_for(runtime, invocation_id)
            if s.status == ACCEPTED and (bound := s.lower_bound()) is not None
        ]
        return min(bounded, key=lambda pair: pair[0])[1] if bounded else None

    def engine_buildkit(self, engine_version: Optional[str]) -> Optional[tuple[str, str]]:
        """(BuildKit tag, source) bundled by this Docker Engine, or None when unknown."""
        row = self.engine_row(engine_version)
        return (row.buildkit, row.source) if row else None

    def engine_row(self, engine_version: Optional[str]) -> Optional[EngineRow]:
        parsed = parse_version(engine_version)
        if parsed is None:
            return None
        base = Version(parsed.base_version)
        return next((e for e in self.engines if in_range(base, e.engine)), None)

    def image_runc(self, tag: Optional[str]) -> Optional[tuple[str, str]]:
        """(runc version, source) bundled in moby/buildkit:<tag>, or None when unknown."""
        parsed = parse_version(image_tag(tag))
        if parsed is None:
            return None
        base = Version(parsed.base_version)
        row = next((i for i in self.images if in_range(base, i.tags)), None)
        return (row.runc, row.source) if row else None

    def fixes_for(
        self,
        problem: str,
        driver: str,
        *,
        override_set: bool,
        engine_version: Optional[str],
        pin_helps: bool,
        stock_image: Optional[bool] = None,
    ) -> list[FixTemplate]:
        engine = parse_version(engine_version)
        chosen = []
        for fix in self.fixes:
            if problem not in fix.problems or driver not in fix.drivers:
                continue
            if fix.override == "set" and not override_set:
                continue
            if fix.override == "unset" and override_set:
                continue
            if fix.engine is not None and (
                engine is None or not in_range(Version(engine.base_version), fix.engine)
            ):
                continue
            if fix.pin_helps and not pin_helps:
                continue
            wrong_image = fix.image is not None and stock_image is not None
            if wrong_image and (fix.image == "stock") != stock_image:
                continue
            chosen.append(fix)
        return chosen
