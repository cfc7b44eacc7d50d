"""``alc pkg ...``: install, list, remove, link, doctor, scaffold and test strategy packages.

Thin over :class:`alc.engine.pkg.PackageManager` (through :meth:`alc.Engine.packages`): each
command translates its options into one call and emits the reply. Exit codes as everywhere
(:mod:`alc.cli._output`), plus: ``doctor`` exits 1 when it finds an error, ``test`` exits 1
when a spec file fails, so both can gate a CI job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from alc.cli._args import apply_output
from alc.cli._options import OutputOpt
from alc.cli._output import EXIT_FAILED, EXIT_OK, emit

if TYPE_CHECKING:
    from alc.engine.pkg import PackageManager

__all__ = ["register"]

pkg_app = typer.Typer(
    name="pkg",
    help="Install and manage strategy packages (folders, git URLs, collections), the project's "
    "alc.toml / alc.lock, linked working folders, and package spec tests.",
    no_args_is_help=True,
)

ScopeOpt = Annotated[
    str | None,
    typer.Option(
        "--scope",
        help="user or project (default: project if the package is there, else user).",
        show_default=False,
    ),
]
OverrideOpt = Annotated[
    bool,
    typer.Option(
        "--override",
        help="Let the package(s) shadow built-in strategies of the same name (refused without).",
    ),
]
ProjectOpt = Annotated[
    bool,
    typer.Option(
        "--project",
        help="Into the project scope (.alc/packages beside alc.toml, created here if none).",
    ),
]


def _manager() -> PackageManager:
    from alc.cli._args import open_engine

    return open_engine(durable=False).packages()


def _emit(reply: dict[str, Any], failed: bool = False) -> int:
    emit(reply, "packages")
    return EXIT_FAILED if failed else EXIT_OK


@pkg_app.command()
def install(
    source: Annotated[
        str | None,
        typer.Argument(
            help="A package folder, a git URL (https://, git@, file://) or a collection root "
            "(every */init.lua). Omit it to install what alc.toml lists, at alc.lock's pins.",
            show_default=False,
        ),
    ] = None,
    ref: Annotated[
        str | None,
        typer.Option("--ref", help="Git branch, tag or commit to pin.", show_default=False),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Package name (single-package sources).", show_default=False),
    ] = None,
    project: ProjectOpt = False,
    update: Annotated[
        bool, typer.Option("--update", help="Without SOURCE: re-pin alc.lock to the sources now.")
    ] = False,
    override: OverrideOpt = False,
    output: OutputOpt = None,
) -> int:
    """Install packages atomically (a failed install changes nothing).

    JSON: {"status": "ok", "scope", "root", "installed": [<package>, ...], "shadows": [...],
    "lock"?}.
    """
    apply_output(output)
    scope = "project" if project or source is None else "user"
    manager = _manager()
    return _emit(
        manager.install(source, ref=ref, name=name, scope=scope, update=update, override=override)
    )


@pkg_app.command("list")
def list_(
    builtin: Annotated[
        bool, typer.Option("--builtin", help="Include built-in strategies.")
    ] = False,
    output: OutputOpt = None,
) -> int:
    """List packages in search order: name, version, kind, source, scope, pin, shadowed_by.

    JSON: {"status": "ok", "packages": [...], "roots": [{"scope", "path"}, ...], "project"}.
    """
    apply_output(output)
    return _emit(_manager().list_packages(include_builtin=builtin))


@pkg_app.command()
def remove(
    name: Annotated[str, typer.Argument(help="The package to remove.", show_default=False)],
    scope: ScopeOpt = None,
    output: OutputOpt = None,
) -> int:
    """Remove an installed package (project scope: also from alc.toml and alc.lock).

    Sessions that already loaded it keep replaying the source they pinned.
    """
    apply_output(output)
    return _emit(_manager().remove(name, scope=scope))


@pkg_app.command()
def link(
    path: Annotated[str, typer.Argument(help="A package folder you are working on.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Name (default: the folder's).", show_default=False)
    ] = None,
    project: ProjectOpt = False,
    override: OverrideOpt = False,
    output: OutputOpt = None,
) -> int:
    """Make a working folder a package by a symbolic link (edits take effect at once)."""
    apply_output(output)
    scope = "project" if project else "user"
    return _emit(_manager().link(path, name=name, scope=scope, override=override))


@pkg_app.command()
def unlink(
    name: Annotated[str, typer.Argument(help="A linked package.", show_default=False)],
    scope: ScopeOpt = None,
    output: OutputOpt = None,
) -> int:
    """Remove a link made by `alc pkg link` (the working folder is untouched)."""
    apply_output(output)
    return _emit(_manager().unlink(name, scope=scope))


@pkg_app.command()
def doctor(output: OutputOpt = None) -> int:
    """Find broken, shadowed and missing packages, each with its fix; exit 1 on an error.

    JSON: {"status": "ok", "healthy", "errors", "warnings", "issues": [{"kind", "severity",
    "name", "scope", "path", "detail", "fix", "action"}, ...]}.
    """
    apply_output(output)
    reply = _manager().doctor()
    return _emit(reply, failed=not reply["healthy"])


@pkg_app.command()
def scaffold(
    name: Annotated[str, typer.Argument(help="The new package's name.", show_default=False)],
    directory: Annotated[
        str | None,
        typer.Option("--dir", help="Where to create it (default: here).", show_default=False),
    ] = None,
    output: OutputOpt = None,
) -> int:
    """Create a package folder: init.lua (M.meta, M.spec, M.run) and spec/NAME_spec.lua."""
    apply_output(output)
    return _emit(_manager().scaffold(name, directory=directory))


@pkg_app.command()
def test(
    target: Annotated[
        str | None,
        typer.Argument(
            help="A package name, or a package / collection folder (./NAME). Default: the "
            "package here, else every project and user package.",
            show_default=False,
        ),
    ] = None,
    answer: Annotated[
        list[str] | None,
        typer.Option(
            "--answer",
            "-a",
            help="A scripted alc.llm answer (repeatable; used in turn). Default: 'mock answer'.",
            show_default=False,
        ),
    ] = None,
    output: OutputOpt = None,
) -> int:
    """Run a package's *_spec.lua files (lust-style) in the sandbox; exit 1 if any fails.

    JSON: {"status": "ok", "ok", "passed", "failed", "files": [{"package", "file", "ok",
    "passed", "failed", "error", "pauses", "failures"}, ...]}.
    """
    apply_output(output)
    reply = _manager().test(target, answers=answer or ())
    return _emit(reply, failed=not reply["ok"])


def register(app: typer.Typer) -> None:
    """Add the ``pkg`` command group to ``app``."""
    app.add_typer(pkg_app, name="pkg")
