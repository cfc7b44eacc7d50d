"""``alc pkg test``: a package's ``*_spec.lua`` files, each in its own sandbox VM.

Every spec file runs under ``spec_harness.lua`` (a lust-compatible ``describe`` / ``it`` /
``expect``) in a fresh VM with the package's root first on the search path, so ``require`` finds
the package under test and its siblings. ``alc.llm`` pauses are answered from a script (default:
``"mock answer"`` every time); a spec may install its own ``_G.alc`` stub instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from alc.engine.errors import InstallFailed
from alc.engine.executor import Executor
from alc.engine.lua import Done, Errored, LimitHit
from alc.engine.packages import PackageResolver, PackageRoot
from alc.engine.pkg._guard import read_text
from alc.engine.pkg._sandbox import ToolHost, cycle, drive
from alc.engine.protocol import Limits

__all__ = ["SPEC_LIMITS", "SpecResult", "run_spec", "spec_files"]

SPEC_LIMITS = Limits(max_step_seconds=120)
"""The limits of one spec file's run (each step between two ``alc.llm`` pauses)."""


@cache
def _harness() -> str:
    return resources.files("alc.engine.pkg").joinpath("spec_harness.lua").read_text("utf-8")


@dataclass(frozen=True)
class SpecResult:
    """One spec file's outcome.

    Attributes:
        package: the package tested.
        file: the spec file's path relative to the package's root (``sc/spec/sc_spec.lua``).
        passed / failed: counts of ``it`` cases.
        cases: ``{"name", "ok", "error"?}`` per case, in run order.
        error: why the file itself could not run to its end (syntax, an error outside any
            ``it``, a broken limit), or None.
        pauses: ``alc.llm`` calls answered from the script.
    """

    package: str
    file: str
    passed: int
    failed: int
    cases: tuple[dict[str, Any], ...]
    error: str | None
    pauses: int

    @property
    def ok(self) -> bool:
        """Every case passed, there was at least one, and the file ran to its end."""
        return self.error is None and self.failed == 0 and self.passed > 0

    def wire(self) -> dict[str, Any]:
        """JSON-ready dict: package, file, ok, passed, failed, error, pauses, failures (the
        failed cases only)."""
        return {
            "package": self.package,
            "file": self.file,
            "ok": self.ok,
            "passed": self.passed,
            "failed": self.failed,
            "error": self.error,
            "pauses": self.pauses,
            "failures": [c for c in self.cases if not c.get("ok")],
        }


def spec_files(package_dir: Path) -> list[Path]:
    """Every ``*_spec.lua`` below a package folder, sorted."""
    return sorted(p for p in package_dir.rglob("*_spec.lua") if p.is_file())


def run_spec(
    package: str,
    root: Path,
    path: Path,
    resolver: PackageResolver,
    *,
    answers: Sequence[str] = (),
    limits: Limits = SPEC_LIMITS,
    executor: Executor | None = None,
) -> SpecResult:
    """Run one spec file of ``package`` (installed under ``root``) and report its cases."""
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    try:
        source = read_text(path)
    except InstallFailed as exc:
        return SpecResult(package, rel, 0, 0, (), f"cannot read the spec file: {exc.message}", 0)
    first = PackageRoot(root, "explicit")
    host = ToolHost(PackageResolver([first, *(r for r in resolver.scoped if r.path != root)]))
    run = drive(
        _harness(),
        {"source": source, "chunkname": rel},
        chunkname="=alc-spec-harness",
        host=host,
        answer=cycle(answers),
        limits=limits,
        executor=executor,
    )
    match run.last:
        case Done(dict() as report):
            pass
        case Done():
            return SpecResult(package, rel, 0, 0, (), "the spec did not finish", run.pauses)
        case Errored(message) | LimitHit(_, message):
            return SpecResult(package, rel, 0, 0, (), message, run.pauses)
    cases = tuple(c for c in report.get("cases") or () if isinstance(c, dict))
    return SpecResult(
        package=package,
        file=rel,
        passed=int(report.get("passed") or 0),
        failed=int(report.get("failed") or 0),
        cases=cases,
        error=report.get("error"),
        pauses=run.pauses,
    )
