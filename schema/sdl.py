"""The schema's SDL, as committed in ``schema.graphql`` (G5) and checked by the test suite."""

from __future__ import annotations

from . import build_schema


def export_sdl() -> str:
    """The SDL of the full schema (introspection settings do not change the types)."""
    return build_schema().as_str() + "\n"
