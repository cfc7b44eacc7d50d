"""The executor interfaces and the inline executor (re-exported by ``alc.engine.executor``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from alc.engine.lua import Allowance, Host, LuaVM, Seeds, StepResult
from alc.engine.protocol import Limits


class VMLost(Exception):
    """The VM is gone (its worker died outside this VM's own step): rebuild it by replay.

    Raised before anything was sent to the VM, so the step it was asked for did not happen.
    """


class VM(Protocol):
    """One strategy VM, wherever it runs (see :class:`~alc.engine.lua.LuaVM` for the methods).

    ``step`` and ``step_value`` never raise for anything the strategy does: failures are
    :class:`~alc.engine.lua.StepResult` values. They raise :class:`VMLost` when the VM
    disappeared before the step started.
    """

    def start_code(self, code: str, ctx: Any, chunkname: str = "=code") -> None: ...
    def start_strategy(self, name: str, ctx: Any) -> None: ...
    def step(
        self, answers: Sequence[str] = (), allowance: Allowance | None = None
    ) -> StepResult: ...
    def step_value(self, value: Any, allowance: Allowance | None = None) -> StepResult: ...
    def close(self) -> None: ...


class Executor(Protocol):
    """Where session VMs are created and stepped.

    Attributes:
        name: ``"inline"`` or ``"process"`` (shown in statistics and docs).
    """

    name: str

    def create_vm(self, host: Host, limits: Limits, seeds: Seeds, *, near: VM | None = None) -> VM:
        """A new VM for one session (``near``: place it beside that VM, e.g. fork children)."""
        ...

    def close(self) -> None:
        """Release the executor's resources (worker processes); VMs become unusable."""
        ...


Primitives = Mapping[str, Callable[..., Any]]
Libraries = Sequence[tuple[str, str]]


def default_stdlib() -> tuple[Primitives, Libraries]:
    """The ``alc.*`` standard library every VM gets unless an executor is given another."""
    from alc.engine import stdlib

    return stdlib.PRIMITIVES, stdlib.LIBRARIES


class InlineExecutor:
    """Run each VM in this process, on the thread that steps it.

    Args:
        primitives / libraries: the stdlib installed into every VM (default: ``alc.engine.stdlib``).
    """

    name = "inline"

    def __init__(
        self, primitives: Primitives | None = None, libraries: Libraries | None = None
    ) -> None:
        default_primitives, default_libraries = default_stdlib()
        self._primitives = default_primitives if primitives is None else primitives
        self._libraries = default_libraries if libraries is None else libraries

    def create_vm(self, host: Host, limits: Limits, seeds: Seeds, *, near: VM | None = None) -> VM:
        return LuaVM(host, limits, seeds, self._primitives, self._libraries)

    def close(self) -> None:
        pass
