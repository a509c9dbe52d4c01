"""The process: settings, aiohttp app, CLI, logging. Wires the other packages together."""
