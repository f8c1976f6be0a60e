"""The knowledge base: what BuildKit sends, what each runtime accepts, and the fixes.

All of it lives in the TOML files of `metadata/`: `loader` reads and validates them, `model`
holds their entries, `base` answers questions about them, `versions` compares versions.
Nothing here reads anything but those files.
"""

from .base import Knowledge
from .loader import default_directory, load
from .model import (
    FILES,
    PROBLEM_TOO_OLD,
    PROBLEM_UNSUPPORTED,
    RUNC_FROM_IMAGE,
    RUNC_FROM_STOCK_IMAGE,
    WHEN_ALWAYS,
    WHEN_NO_PIVOT,
    Consequence,
    EngineRow,
    FixSettings,
    FixTemplate,
    ImageRow,
    Invocation,
    KnowledgeError,
    Nested,
    Release,
    Runtime,
    Support,
    Where,
)
from .versions import (
    describe_match,
    image_tag,
    in_range,
    is_stock_image,
    parse_version,
    release_kind,
)

__all__ = [
    "FILES",
    "PROBLEM_TOO_OLD",
    "PROBLEM_UNSUPPORTED",
    "RUNC_FROM_IMAGE",
    "RUNC_FROM_STOCK_IMAGE",
    "WHEN_ALWAYS",
    "WHEN_NO_PIVOT",
    "Consequence",
    "EngineRow",
    "FixSettings",
    "FixTemplate",
    "ImageRow",
    "Invocation",
    "Knowledge",
    "KnowledgeError",
    "Nested",
    "Release",
    "Runtime",
    "Support",
    "Where",
    "default_directory",
    "describe_match",
    "image_tag",
    "in_range",
    "is_stock_image",
    "load",
    "parse_version",
    "release_kind",
]
