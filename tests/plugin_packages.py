"""Plugin packages for the exporter tests: the real example package and throwaway fake ones.

``install_example()`` pip-installs ``examples/collectief-exporter-example`` (editable, no
dependencies) into the running environment unless it is already installed from this checkout, and
makes it importable in the running interpreter, so its entry point is found like any vendor's. It
first tries without build isolation (offline, needs setuptools with wheel support in the
environment) and then with it (pip fetches setuptools, as ``./dev`` does for collectief itself).
A file lock keeps parallel test workers from installing at the same time.

``FakePlugins`` writes modules plus a ``*.dist-info`` with an ``entry_points.txt`` into a temporary
directory on ``sys.path``: an installed distribution as far as ``importlib.metadata`` can tell, for
plugins that are meant to be broken.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import json
import site
import subprocess
import sys
import sysconfig
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "collectief-exporter-example"
EXAMPLE_DISTRIBUTION = "collectief-exporter-example"


def _installed_from_here() -> bool:
    try:
        distribution = importlib.metadata.distribution(EXAMPLE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return False
    direct_url = distribution.read_text("direct_url.json")
    if not direct_url:
        return False
    info = json.loads(direct_url)
    return (
        info.get("dir_info", {}).get("editable", False) and info.get("url", "") == EXAMPLE.as_uri()
    )


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no parallel workers to guard against in practice
        yield
        return
    with open(Path(sys.prefix) / ".collectief-example-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def install_example() -> None:
    with _install_lock():
        importlib.invalidate_caches()
        if not _installed_from_here():
            pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-input"]
            attempts = [
                [*pip, "--no-build-isolation", "-e", str(EXAMPLE)],
                [*pip, "-e", str(EXAMPLE)],
            ]
            errors = []
            for command in attempts:
                done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
                if done.returncode == 0:
                    break
                errors.append(done.stderr[-2000:])
            else:
                pytest.fail("cannot install the example plugin:\n" + "\n".join(errors))
    # An editable install adds a .pth file; process it as interpreter start-up would have.
    site_packages = Path(sysconfig.get_paths()["purelib"])
    for pth in sorted(site_packages.glob("__editable__*collectief_exporter_example*.pth")):
        site.addpackage(str(site_packages), pth.name, None)  # type: ignore[attr-defined]
    importlib.invalidate_caches()
    importlib.import_module("collectief_exporter_example")


class FakePlugins:
    """Fake installed distributions, each with one entry point in ``collectief.exporters``."""

    def __init__(self, directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.directory = directory
        self.monkeypatch = monkeypatch
        self.modules: list[str] = []
        monkeypatch.syspath_prepend(str(directory))

    def add(self, name: str, source: str, *, value: str | None = None) -> str:
        """Install plugin ``name`` whose module holds ``source``; returns the module name."""
        module = f"fake_plugin_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        (self.directory / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        dist_info = self.directory / f"{module}-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 1.0\n",
            encoding="utf-8",
        )
        (dist_info / "entry_points.txt").write_text(
            f"[collectief.exporters]\n{name} = {value or module}\n", encoding="utf-8"
        )
        self.modules.append(module)
        self.monkeypatch.delitem(sys.modules, module, raising=False)
        importlib.invalidate_caches()
        return module
