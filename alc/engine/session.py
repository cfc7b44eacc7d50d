"""One session: a strategy coroutine in its own VM, its phase, its stats.

The session's phase (:mod:`alc.engine.phase`: paused with its queries and answers, running, or
ended with its outcome) is changed only by :func:`alc.engine.phase.transition`; this module runs
the steps and hands their results to it, and replay hands it the journal's events the same way.

The pause rule, stated once: ``alc.llm`` and ``alc.llm_batch`` pause; nothing else does.

A :class:`Session` never touches the store for journal writes: each operation returns the
outcome *and* the events to journal; the registry commits them before anyone sees the outcome.
Everything the strategy reads from outside (time, env, sources, ``alc.state``) goes through
:class:`Effects`, which records it live and serves it back during :meth:`Session.restore`, so a
replay re-issues exactly the same prompts or reports :class:`~alc.engine.errors.ReplayDiverged`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from alc.engine.accounting import Budget, SessionStats
from alc.engine.clock import Clock
from alc.engine.effects import EffectMismatch, Effects
from alc.engine.errors import InvalidInput, ReplayDiverged
from alc.engine.executor import VM, Executor, StepControl, current_control, watching
from alc.engine.fork import Fork
from alc.engine.host import Observations, SessionHost, SessionRuntime, injected_env
from alc.engine.lua import (
    Allowance,
    Done,
    Errored,
    Forked,
    LimitHit,
    QuerySpec,
    Seeds,
    StepResult,
    Yield,
)
from alc.engine.packages import PackageResolver
from alc.engine.phase import (
    Answered,
    Cancel,
    Ended,
    Paused,
    Phase,
    PhaseEvent,
    Resumed,
    Running,
    Stepped,
    prompt_hash,
    resolve_answers,
    transition,
)
from alc.engine.protocol import (
    Accepted,
    Cancelled,
    Completed,
    Failed,
    Limits,
    NeedsResponse,
    Outcome,
    Query,
    Response,
    SessionState,
    Usage,
    dumps,
)
from alc.engine.store import (
    AnswerEvent,
    JournalEntry,
    JournalEvent,
    PauseEvent,
    SessionRecord,
    Store,
    Summary,
)

# prompt_hash: see phase
__all__ = ["Effects", "Session", "State", "new_identity", "new_session_id", "prompt_hash"]

JournalEvents = list[JournalEvent]

_RESUMED = Resumed()


State = SessionState
"""The session state enum (:class:`alc.engine.protocol.SessionState`)."""


def new_session_id() -> str:
    """``s-`` + 128 random bits in hex."""
    return new_identity()[0]


def new_identity() -> tuple[str, Seeds]:
    """A new session's id (``s-`` + 128 random bits in hex) and its seeds (63 and 32 random
    bits, as :meth:`Seeds.new` draws them), from one read of the OS's random source."""
    raw = os.urandom(28)
    return "s-" + raw[:16].hex(), Seeds(
        math_seed=int.from_bytes(raw[16:24], "big") >> 1,
        hash_seed=int.from_bytes(raw[24:28], "big"),
    )


class Session:
    """One strategy run. Use :meth:`create` or :meth:`restore`, not the constructor.

    Not thread-safe: the registry serialises calls per session.
    """

    def __init__(
        self,
        record: SessionRecord,
        *,
        store: Store,
        resolver: PackageResolver,
        clock: Clock,
        executor: Executor,
        limits: Limits | None = None,
    ) -> None:
        self.record = record
        self.session_id = record.session_id
        self.clock = clock
        self.phase: Phase = Running()  # a new session runs its first step
        self.head = 0
        self.next_query = 0
        self._forks: dict[str, tuple[int, str]] = {}  # the last pause's queries from fork children
        self.last_touch = 0.0  # the registry's clock.monotonic() at its last use
        ctx = record.ctx if isinstance(record.ctx, dict) else {}
        self.budget = Budget.parse(ctx.get("budget"))
        # ``limits``: the record's, already a model (a new session); else rebuilt from the record
        # (validated when it was created)
        self.limits = limits if limits is not None else Limits.model_construct(**record.limits)
        self.counters = SessionStats()
        self.effects = Effects()
        self.observations = Observations()
        self.runtime = SessionRuntime(
            session_id=record.session_id,
            namespace=str(ctx.get("_ns") or "default"),
            limits=self.limits,
            effects=self.effects,
            clock=clock,
            store=store,
            resolver=resolver,
            stats=self.counters,
            observations=self.observations,
            budget_remaining=self.budget_remaining,
            env=injected_env(ctx.get("_env")),
            tenant=record.tenant,
        )
        self._host = SessionHost(self.runtime)
        self._executor = executor
        self._fork: Fork | None = None
        self._vm_memory = 0
        self.vm: VM = executor.create_vm(
            self._host, self.limits, Seeds(record.math_seed, record.hash_seed)
        )

    # ------------------------------------------------------------------ the phase

    @property
    def state(self) -> SessionState:
        """The state name of the current phase."""
        return self.phase.state

    @property
    def pending(self) -> tuple[Query, ...]:
        """The current pause's queries (answered or not); empty unless paused."""
        return self.phase.queries if isinstance(self.phase, Paused) else ()

    @property
    def answers(self) -> Mapping[str, Response]:
        """The answers given so far to the current pause; empty unless paused."""
        return self.phase.answers if isinstance(self.phase, Paused) else {}

    @property
    def outcome(self) -> Outcome | None:
        """The terminal outcome once ended, else None."""
        return self.phase.outcome if isinstance(self.phase, Ended) else None

    def _apply(self, event: PhaseEvent) -> tuple[JournalEvent, ...]:
        """Move to the next phase (the one place a session's phase changes)."""
        self.phase, journal = transition(self.phase, event, self.session_id)
        return journal

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls, record: SessionRecord, control: StepControl | None = None, **deps: Any
    ) -> tuple[Session, Outcome, JournalEvents]:
        """Build a session and run it to its first pause or end (``control``: see
        :meth:`feed`)."""
        session = cls(record, **deps)
        session._prepare()
        outcome = session._advance((), control)
        return session, outcome, list(session._apply(session._stepped(outcome)))

    @classmethod
    def restore(
        cls, record: SessionRecord, events: Sequence[JournalEntry], head: int, **deps: Any
    ) -> Session:
        """Rebuild a paused session by deterministic replay of its journal.

        Raises:
            ReplayDiverged: the code asked for different prompts (or made different reads) than
                the journal recorded. The journal is not touched.
            SourceChanged: a pinned source file is missing from the store.
        """
        session = cls(record, **deps)
        session._prepare()
        pause_no = 0
        for entry in events:
            event = entry.event
            if isinstance(event, AnswerEvent):
                session._answer({event.query_id: journaled_response(event)})
                continue
            if not isinstance(event, PauseEvent):
                break  # terminal: nothing after it to restore
            session.effects.load(list(event.effects))
            answers = session._resume()
            try:
                result = session._run(answers)
                effects = session.effects.take()
            except EffectMismatch as exc:
                raise session._diverged(pause_no, str(exc)) from None
            if session.observations.source_changed is not None:
                raise session.observations.source_changed
            queries = session._check_replayed_pause(pause_no, result, list(event.queries))
            session._apply(Stepped(session._pause(queries), effects))
            pause_no += 1
        session.head = head
        return session

    def close(self) -> None:
        """Release the session's VMs now (not when the garbage collector gets to them)."""
        if self._fork is not None:
            self._fork.close()
            self._fork = None
        self.vm.close()

    def _prepare(self) -> None:
        try:
            if self.record.code is not None:
                self.vm.start_code(self.record.code, self.record.ctx)
            else:
                assert self.record.strategy is not None
                self.vm.start_strategy(self.record.strategy, self.record.ctx)
        except SyntaxError as exc:
            raise InvalidInput(f"The Lua code does not compile: {exc}") from None

    def _check_replayed_pause(
        self, pause_no: int, result: StepResult, recorded: list[dict[str, Any]]
    ) -> tuple[QuerySpec, ...]:
        """The queries of a replayed step that paused as the journal recorded."""
        match result:
            case Yield(queries):
                pass
            case Done():
                raise self._diverged(
                    pause_no, "the code finished where the journal recorded a pause"
                )
            case Errored(message) | LimitHit(_, message):
                raise self._diverged(
                    pause_no, f"the code failed ({message}) where the journal recorded a pause"
                )
            case Forked():
                raise self._diverged(pause_no, "the code forked where the journal recorded a pause")
        if len(queries) != len(recorded):
            raise self._diverged(
                pause_no,
                f"the code asked {len(queries)} queries, the journal recorded {len(recorded)}",
            )
        for offset, (spec, old) in enumerate(zip(queries, recorded, strict=True)):
            if prompt_hash(spec) != old["hash"]:
                qid = f"q-{self.next_query + offset}"
                raise ReplayDiverged(
                    f"Replay of session {self.session_id} diverged at query {qid} (pause "
                    f"{pause_no}): the journal recorded prompt {_excerpt(old['prompt'])} "
                    f"(hash {old['hash']}) but the code now asks {_excerpt(spec.prompt)} "
                    f"(hash {prompt_hash(spec)}). The strategy is not deterministic (or its "
                    "code changed); the journal was left untouched. Start a new session.",
                    session_id=self.session_id,
                )
        return queries

    def _diverged(self, pause_no: int, why: str) -> ReplayDiverged:
        return ReplayDiverged(
            f"Replay of session {self.session_id} diverged at pause {pause_no} (next query "
            f"q-{self.next_query}): {why}. The journal was left untouched; start a new session.",
            session_id=self.session_id,
        )

    # ------------------------------------------------------------------ driver operations

    def feed(
        self, responses: Mapping[str | None, Response], control: StepControl | None = None
    ) -> tuple[Outcome, JournalEvents]:
        """Apply answers (``None`` key = the single pending query); resume on the last one.

        ``control`` holds the step this feed runs: it hears the step's ``alc.progress`` calls,
        and once cancelled it stops the step and the session ends ``cancelled``.

        Raises:
            SessionFinished, InvalidInput, AmbiguousQuery, UnknownQuery, AlreadyAnswered:
                nothing was applied.
        """
        session_id = self.session_id
        resolved = resolve_answers(
            self.phase,
            responses,
            session_id=session_id,
            next_query=self.next_query,
            max_bytes=self.limits.max_output_bytes,
        )
        events = list(self._answer(resolved))
        phase = self.phase
        assert isinstance(phase, Paused)
        if not phase.complete:
            remaining = len(phase.open)
            return Accepted.trusted(
                session_id=session_id, remaining=remaining, status="accepted"
            ), (events)
        outcome = self._advance(self._resume(), control)
        self.phase, journal = transition(self.phase, self._stepped(outcome), session_id)
        events.extend(journal)
        return outcome, events

    def cancel(self) -> tuple[Cancelled, JournalEvents]:
        """Cancel a paused session.

        Raises:
            SessionFinished: it already ended.
        """
        outcome = self._cancelled()
        return outcome, list(self._apply(Cancel(outcome)))

    def _cancelled(self) -> Cancelled:
        return Cancelled(session_id=self.session_id, stats=self.stats())

    @property
    def fork_children(self) -> Mapping[str, tuple[int, str]]:
        """Which ``alc.fork`` child asked each query of the current pause: query id ->
        (child index, strategy); empty when the pause is the strategy's own."""
        return self._forks

    def _stepped(self, outcome: NeedsResponse | Completed | Failed | Cancelled) -> Stepped:
        """A live step's result for the transition: its outcome, the reads it made, and which
        fork child asked each query of a pause."""
        forks = self._forks if isinstance(outcome, NeedsResponse) else {}
        return Stepped(outcome, self.effects.take(), forks, self.clock.time())

    def _answer(self, answers: Mapping[str, Response]) -> tuple[JournalEvent, ...]:
        """Record answers (already resolved) in the phase and the stats."""
        phase = self.phase
        self.phase, journal = transition(phase, Answered(answers), self.session_id)
        queries = phase.queries if isinstance(phase, Paused) else ()
        for qid, response in answers.items():
            for query in queries:
                if query.id == qid:
                    self.counters.record_answer(response, query)
                    break
        return journal

    def _resume(self) -> list[str]:
        """The answers of a complete pause, in query order, as the session starts running (the
        first step of a new session has none)."""
        phase = self.phase
        if not isinstance(phase, Paused):
            return []
        answers = phase.answers
        texts = [answers[q.id].text for q in phase.queries]
        self.counters.rounds += 1
        self.phase, _ = transition(phase, _RESUMED, self.session_id)
        return texts

    # ------------------------------------------------------------------ stepping

    def _run(self, answers: Sequence[str]) -> StepResult:
        """One step of the strategy, answering its (or its fork children's) last pause."""
        if self.counters.pauses == 0:
            self.counters.started_at = self.runtime.now(counted=False)
        allowance = Allowance.for_limits(self.limits)
        if self._fork is not None:
            result = self._after_fork_step(
                self._fork.step(answers, allowance, self._budget_violation), allowance
            )
        else:
            result = self.vm.step(answers, allowance)
            self._vm_memory = result.memory  # as _parent_step, inline: this runs every step
        while True:
            match result:
                case Forked(request):
                    self._fork = Fork(
                        request,
                        self._new_child_vm,
                        Seeds(self.record.math_seed, self.record.hash_seed),
                        self._vm_memory,
                    )
                    result = self._fork.step((), allowance, self._budget_violation)
                    result = self._after_fork_step(result, allowance)
                case Yield(queries) if self._fork is None:
                    # a pause over ctx.budget is refused: its alc.llm raises (catchable, sticky)
                    refused = self._budget_violation(queries) if self.budget is not None else ""
                    if not refused:
                        return result
                    allowance = Allowance(
                        allowance.deadline,
                        max(1, allowance.instructions - result.instructions),
                        allowance.memory,
                    )
                    result = self._parent_step(
                        self.vm.step_value({"budget_exceeded": refused}, allowance)
                    )
                case _:
                    return result

    def _new_child_vm(self, seeds: Seeds) -> VM:
        return self._executor.create_vm(self._host, self.limits, seeds, near=self.vm)

    def _parent_step(self, result: StepResult) -> StepResult:
        self._vm_memory = result.memory
        return result

    def _after_fork_step(self, result: StepResult, allowance: Allowance) -> StepResult:
        match result:
            case Yield():
                return result
            case Done(results):
                self._fork = None
                return self._parent_step(self.vm.step_value(results, allowance))
        self._fork = None
        return result  # a child broke a limit, or failed with on_error = "abort"

    def _advance(
        self, answers: Sequence[str], control: StepControl | None = None
    ) -> NeedsResponse | Completed | Failed | Cancelled:
        """Run one step live and turn its result into an outcome (the caller hands it to
        :func:`~alc.engine.phase.transition` as :class:`~alc.engine.phase.Stepped`).

        A step stopped by a cancelled ``control`` (or one that paused after the cancel came)
        ends the session ``cancelled``.
        """
        if control is None and current_control() is None:
            result = self._run(answers)  # nothing to watch (replay, or a request without one)
        else:
            with watching(control):
                result = self._run(answers)
        if control is not None and control.cancelled and isinstance(result, Yield | LimitHit):
            if self._fork is not None:
                self._fork.close()
                self._fork = None
            return self._cancelled()
        source_changed = self.observations.source_changed
        if source_changed is not None:
            return self._fail(source_changed.message, source_changed.error_code)
        match result:
            case Yield(queries):
                return self._pause(queries)
            case Done(value):
                return Completed.trusted(
                    session_id=self.session_id, result=value, stats=self.stats(), status="completed"
                )
            case LimitHit(code, message):
                return self._fail(message, code)
            case Errored(message, traceback):
                return self._lua_failure(message, traceback)
            case Forked():  # _run steps every fork to its end
                raise AssertionError("a fork request left the session's step")

    def _lua_failure(self, message: str, traceback: str) -> Failed:
        """The failure of a step whose strategy raised ``message`` (uncaught)."""
        if self.counters.budget_exceeded and "budget exceeded" in message:
            return self._fail(message, "budget_exceeded")  # the refusal went uncaught
        if self.observations.state_quota_exceeded and "state_quota_exceeded" in message:
            return self._fail(message, "state_quota_exceeded")  # the refusal went uncaught
        if traceback:
            message = f"{message}\n{traceback}"
        return self._fail(message, "lua_error")

    def _fail(self, message: str, code: str) -> Failed:
        return Failed(session_id=self.session_id, error=message, error_code=code)

    def _pause(self, specs: Sequence[QuerySpec]) -> NeedsResponse:
        queries = []
        forks: dict[str, tuple[int, str]] = {}
        n = self.next_query
        for spec in specs:
            qid = f"q-{n}"
            queries.append(
                Query.trusted(
                    id=qid,
                    prompt=spec.prompt,
                    system=spec.system,
                    max_tokens=spec.max_tokens,
                    grounded=spec.grounded,
                    underspecified=spec.underspecified,
                    options=spec.options,
                    role=spec.role,
                    cache_breakpoint=spec.cache_breakpoint,
                )
            )
            if spec.fork is not None:
                forks[qid] = spec.fork
            n += 1
        self.counters.record_pause(specs)
        self._forks = forks
        self.next_query = n
        return NeedsResponse.trusted(
            session_id=self.session_id, queries=tuple(queries), status="needs_response"
        )

    # ------------------------------------------------------------------ budget and stats

    def _budget_violation(self, specs: Sequence[QuerySpec]) -> str:
        if self.budget is None:
            return ""
        return self.budget.refusal(self.counters, specs, self._elapsed_ms)

    def _elapsed_ms(self) -> int:
        return max(0, round((self.runtime.now(counted=False) - self.counters.started_at) * 1000))

    def stats(self) -> dict[str, Any]:
        """The stats object of docs/protocol.md (``auto`` + ``custom``)."""
        elapsed = self._elapsed_ms()
        auto = self.counters.auto(elapsed)
        if self.budget is not None:
            auto["budget"] = self.budget.wire(self.counters, elapsed)
        return {"auto": auto, "custom": dict(self.counters.custom)}

    def budget_remaining(self) -> dict[str, Any] | None:
        """What is left of ``ctx.budget`` (``alc.budget_remaining()``), or None without one."""
        if self.budget is None:
            return None
        return self.budget.for_strategy(self.counters, self._elapsed_ms())

    # ------------------------------------------------------------------ views

    def summary(self) -> Summary:
        """The row other processes read (state, pending queries, progress, recent log)."""
        phase, record, observations = self.phase, self.record, self.observations
        paused = type(phase) is Paused
        return Summary(
            session_id=self.session_id,
            strategy=record.strategy,
            created_at=record.created_at,
            updated_at=self.clock.time(),
            state=phase.state._value_,  # the plain str (``.value`` is a slow descriptor)
            head=self.head,
            pending=phase.wires if paused else (),  # type: ignore[union-attr]
            answered=tuple(phase.answers) if paused else (),  # type: ignore[union-attr]
            llm_calls=self.counters.llm_calls,
            progress=observations.progress,
            log=tuple(observations.log),
            outcome=phase.outcome.wire() if type(phase) is Ended else None,
        )


def journaled_response(event: AnswerEvent) -> Response:  # also the tracer's view of an answer
    """The Response an ``answer`` event recorded (already validated when it was fed)."""
    usage = event.usage
    return Response.trusted(
        text=event.text,
        usage=Usage.trusted(
            prompt_tokens=usage.get("prompt_tokens"), response_tokens=usage.get("response_tokens")
        )
        if usage
        else None,
    )


def _excerpt(text: str, limit: int = 160) -> str:
    text = text if len(text) <= limit else text[:limit] + "…"
    return dumps(text)
