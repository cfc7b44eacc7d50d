"""The package layer's guards: the one package-name validator, the one path check before a
write or a delete, and the one bounded reader of package files.

- :func:`package_name`: every package name an operation receives (install ``--name``, remove,
  link, unlink, scaffold, an ``alc.toml`` key) goes through it, at every entry point (CLI, MCP,
  Python API): letters, digits, ``_`` and ``-``, starting with a letter or ``_``, at most
  :data:`MAX_NAME_CHARS` characters. So a name can never be ``..``, absolute, or hold a ``/``.
- :func:`package_folder`: the folder of a package in a root, checked to be a direct child of the
  root (lexically and once symbolic links of the root are resolved) before anything is written
  or removed there.
- :func:`read_file` / :func:`scan_package`: installs read only regular files (never a FIFO, a
  device such as ``/dev/zero``, or a link to one), each at most :data:`MAX_FILE_BYTES`; a package
  folder holds at most :data:`MAX_PACKAGE_FILES` files.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TypeGuard

from alc.engine.errors import InstallFailed, InvalidInput

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NAME_CHARS",
    "MAX_PACKAGE_FILES",
    "is_package_name",
    "lua_files",
    "package_folder",
    "package_name",
    "path_text",
    "read_file",
    "read_text",
    "scan_package",
]

MAX_NAME_CHARS = 64
"""The longest package name (characters)."""

MAX_FILE_BYTES = 4 * 1024 * 1024
"""The largest file (bytes) a package, ``alc.toml`` or ``alc.lock`` may hold: 4 MiB."""

MAX_PACKAGE_FILES = 10_000
"""The most files one package folder may hold."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def is_package_name(name: object) -> TypeGuard[str]:
    """True for a valid package name (see the module docstring)."""
    return isinstance(name, str) and len(name) <= MAX_NAME_CHARS and bool(_NAME.fullmatch(name))


def package_name(name: object, what: str = "Package name") -> str:
    """``name`` when it is a valid package name.

    Raises:
        InvalidInput: it is not (too long, empty, a path, a dot, another character).
    """
    if is_package_name(name):
        return str(name)
    shown = repr(name) if len(repr(name)) <= 80 else f"{repr(name)[:77]}..."
    raise InvalidInput(
        f"{what} {shown} is not valid: use 1 to {MAX_NAME_CHARS} letters, digits, _ and -, "
        "starting with a letter or _ (no dots, slashes or paths)."
    )


MAX_PATH_CHARS = 4096
"""The longest path, URL or ref an operation takes (characters): Linux's ``PATH_MAX``."""


def path_text(value: str, what: str) -> str:
    """``value`` when it can be a path, URL or git ref: no NUL character, at most
    :data:`MAX_PATH_CHARS` characters, each ``/``-separated part at most 255 bytes.

    Raises:
        InvalidInput: it cannot (the message names ``what``).
    """
    parts = value.split("/")
    if (
        "\x00" in value
        or len(value) > MAX_PATH_CHARS
        or any(len(p.encode("utf-8", "surrogateescape")) > 255 for p in parts)
    ):
        raise InvalidInput(
            f"The {what} {value[:60]!r}{'...' if len(value) > 60 else ''} is not usable: no NUL "
            f"characters, at most {MAX_PATH_CHARS} characters and 255 bytes between slashes."
        )
    return value


def package_folder(root: Path, name: str) -> Path:
    """``root / name`` for a valid ``name``, checked to be a direct child of ``root`` (also with
    the root's own links resolved); the folder itself may be a link (``alc pkg link``).

    Raises:
        InvalidInput: an invalid name.
        InstallFailed: the path would leave the root (never expected for a valid name).
    """
    folder = root / package_name(name)
    try:
        real_root = root.resolve()
        real_parent = folder.parent.resolve()
    except (OSError, RuntimeError) as exc:
        raise InstallFailed(f"Cannot resolve {folder}: {exc}.") from None
    if folder.parent != root or real_parent != real_root:
        raise InstallFailed(f"{folder} is not inside the package root {root}; nothing changed.")
    return folder


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (a link is followed), at most ``limit`` bytes.

    Opened without blocking, then checked on the open file: a FIFO, a socket or a device (or a
    link to one) is refused without being read.

    Raises:
        InstallFailed: not a regular file, larger than ``limit``, or unreadable (the message
            names the file).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InstallFailed(f"{path} cannot be read: {exc.strerror or exc}.") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InstallFailed(
                f"{path} is not a regular file (a device, FIFO or socket, or a link to one); "
                "packages hold regular files only."
            )
        if info.st_size > limit:
            raise InstallFailed(_too_large(path, limit))
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InstallFailed(_too_large(path, limit))
    return data


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """:func:`read_file` decoded as UTF-8.

    Raises:
        InstallFailed: as :func:`read_file`, or the file is not UTF-8 text.
    """
    try:
        return read_file(path, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InstallFailed(f"{path} is not UTF-8 text ({exc.reason}).") from None


def _too_large(path: Path, limit: int) -> str:
    return f"{path} is larger than {limit // (1024 * 1024)} MiB, the limit of a package file."


def scan_package(folder: Path) -> None:
    """Check every entry under a package folder before it is copied or read.

    Allowed: folders, regular files of at most :data:`MAX_FILE_BYTES`, and symbolic links that
    resolve to one of those *inside* ``folder`` (``.git`` is skipped). Links are not followed
    into sub-folders.

    Raises:
        InstallFailed: a FIFO, socket or device; a link leaving the package or to a special
            file; a file over the size limit; more than :data:`MAX_PACKAGE_FILES` files.
    """
    base = folder.resolve()
    count = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for entry in [*dirnames, *filenames]:
            path = Path(dirpath) / entry
            count += 1
            if count > MAX_PACKAGE_FILES:
                raise InstallFailed(f"{folder} holds more than {MAX_PACKAGE_FILES} files.")
            _check_entry(path, base)


def _check_entry(path: Path, base: Path) -> None:
    try:
        linked = path.is_symlink()
        target = path.resolve() if linked else path
        info = target.stat()
    except (OSError, RuntimeError) as exc:  # a dangling link, a loop, no permission
        raise InstallFailed(f"{path} cannot be read: {exc}.") from None
    if not stat.S_ISDIR(info.st_mode) and not stat.S_ISREG(info.st_mode):
        raise InstallFailed(
            f"{path} is not a regular file (a device, FIFO or socket, or a link to one); "
            "packages hold regular files only."
        )
    if linked and not target.is_relative_to(base):
        raise InstallFailed(
            f"{path} is a symbolic link leading outside its package ({target}); packages may "
            "link only to their own files."
        )
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES:
        raise InstallFailed(_too_large(path, MAX_FILE_BYTES))


def lua_files(folder: Path) -> list[Path]:
    """Every ``*.lua`` file below ``folder``, sorted (links into sub-folders are not followed;
    ``.git`` is skipped). Read each with :func:`read_text`."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        found.extend(Path(dirpath) / f for f in filenames if f.endswith(".lua"))
    return sorted(found)
