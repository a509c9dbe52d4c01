"""The pluggy hook specification of collectief's payroll exporters (E1).

A plugin is a module (or any object) with functions marked ``@hookimpl`` whose names are the hooks
below. It is found through an entry point in the group ``collectief.exporters``; the entry point's
name is the plugin's name (what the allow-list names). The built-in exporters are plugins of the
same kind, registered through the same hook. Every hook is documented in ``docs/plugins.md``.

``PLUGIN_API_VERSION`` is "major.minor": the minor grows when something is added (a plugin written
for 1.0 works with 1.3), the major only when a hook or the exporter interface changes incompatibly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .exporter import Exporter

PROJECT_NAME = "collectief"
ENTRY_POINT_GROUP = "collectief.exporters"
PLUGIN_API_VERSION = "1.0"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def collectief_register_exporters() -> list[Exporter]:
    """The exporters this plugin provides (objects with the ``Exporter`` interface).

    Called once per plugin when the exporters are loaded. An exception here is recorded as the
    plugin's failure; the plugin's exporters are then not offered.
    """


@hookspec
def collectief_exporter_api_version() -> str:
    """The plugin API version the plugin was written for, e.g. ``"1.0"`` (optional hook).

    A plugin whose major version differs from ``PLUGIN_API_VERSION``'s, or whose minor version is
    newer, is refused (recorded as a failure) instead of failing later in obscure ways.
    """
