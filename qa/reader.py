"""The reader: finds the answer span in a passage, or says that the passage does not answer.

Our own model (``qa train reader``): all-MiniLM-L6-v2 fine-tuned for extractive question answering
(start/end logits over the passage tokens; the [CLS] token's pair is the no-answer score), exported to int8
ONNX and committed in ``qa/reader_model/`` with its model card. Answering runs it on onnxruntime, never torch.

``margin`` = best span score - no-answer score: above the calibrated threshold (``config.json``, chosen by
the training command on held-out data of its own sources) the passage answers the question.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

READER_DIR = Path(__file__).resolve().parent / "reader_model"
MAX_QUESTION_TOKENS = 64
MAX_ANSWER_TOKENS = 30
PREVIOUS_TURN_SEPARATOR = " [SEP] "


def reader_question(question: str, previous: str = "") -> str:
    """The question side of the reader's input: the question, then the previous turn when there is one (as
    CoQA readers read a follow-up; the training data is built the same way)."""
    question = " ".join(question.split())
    previous = " ".join(previous.split())
    return f"{question}{PREVIOUS_TURN_SEPARATOR}{previous}" if previous else question


@dataclass(frozen=True)
class Window:
    """One model input: question + a stretch of the context. ``offsets[i]`` is the character span of token i in
    the context, or None for question and special tokens."""

    ids: tuple[int, ...]
    type_ids: tuple[int, ...]
    offsets: tuple[tuple[int, int] | None, ...]


@dataclass(frozen=True)
class Span:
    """The reader's best answer in one text: ``text[start:end]``, its score and the no-answer score."""

    index: int  # which of the texts given to ``read``
    start: int
    end: int
    text: str
    score: float
    null: float

    @property
    def margin(self) -> float:
        return self.score - self.null


def load_tokenizer(path: Path):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def encode_windows(tokenizer, question: str, context: str, max_length: int, stride: int, encoded=None) -> list[Window]:
    """The question (cut at ``MAX_QUESTION_TOKENS``) with overlapping windows of the context, ``stride``
    tokens of overlap: the same encoding in training and answering. ``encoded``: the context's encoding, when the
    caller has it already (training reads one paragraph with several questions)."""
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    q_ids = tokenizer.encode(question, add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
    c = encoded if encoded is not None else tokenizer.encode(context, add_special_tokens=False)
    room = max(max_length - len(q_ids) - 3, 16)
    windows = []
    begin = 0
    while True:
        chunk = range(begin, min(begin + room, len(c.ids)))
        ids = (cls_id, *q_ids, sep_id, *(c.ids[i] for i in chunk), sep_id)
        type_ids = (0,) * (len(q_ids) + 2) + (1,) * (len(chunk) + 1)
        offsets = (None,) * (len(q_ids) + 2) + tuple(c.offsets[i] for i in chunk) + (None,)
        windows.append(Window(ids, type_ids, offsets))
        if chunk.stop >= len(c.ids):
            return windows
        begin = chunk.stop - min(stride, room // 2)


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, window: Window) -> tuple[int, int, float] | None:
    """The best (first token, last token, score) over context tokens with end >= start, at most
    ``MAX_ANSWER_TOKENS`` long; None for a window with no context token."""
    allowed = np.array([o is not None for o in window.offsets])
    if not allowed.any():
        return None
    starts = np.where(allowed, start_logits, -np.inf)
    ends = np.where(allowed, end_logits, -np.inf)
    n = len(starts)
    best = (0, 0, -np.inf)
    for length in range(MAX_ANSWER_TOKENS):
        if length >= n:
            break
        scores = starts[: n - length] + ends[length:]
        i = int(np.argmax(scores))
        if scores[i] > best[2]:
            best = (i, i + length, float(scores[i]))
    return None if best[2] == -np.inf else best


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A span that starts or ends inside a word (a word piece: "Byte" of "ByteDance") widened to whole words."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


class Reader:
    """``read(question, texts)``: the best span of each text, one window per run (a window's scores never
    depend on what else is read), on ``threads`` single-threaded runs side by side."""

    def __init__(self, model_dir: Path = READER_DIR, threads: int = 2):
        self.model_dir = Path(model_dir)
        self.threads = threads
        self._lock = threading.Lock()

    @cached_property
    def config(self) -> dict:
        return json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))

    @property
    def threshold(self) -> float:
        return float(self.config["threshold"])

    @cached_property
    def _session(self):
        from index.models import cpu_onnx_session

        return cpu_onnx_session(self.model_dir / "model.onnx", 1)  # one thread per run; ``threads`` runs side by side

    @cached_property
    def _tokenizer(self):
        return load_tokenizer(self.model_dir / "tokenizer.json")

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="reader")

    def _run(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        feeds = {
            "input_ids": np.array([window.ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(window.ids)), dtype=np.int64),
            "token_type_ids": np.array([window.type_ids], dtype=np.int64),
        }
        start, end = self._session.run(["start_logits", "end_logits"], feeds)
        return start[0], end[0]

    def read(self, question: str, texts: list[str]) -> list[Span | None]:
        if not texts:
            return []
        with self._lock:
            session, tokenizer = self._session, self._tokenizer  # noqa: F841  (loaded once, under the lock)
            max_length, stride = int(self.config["max_length"]), int(self.config["stride"])
        jobs = [
            (k, w)
            for k, text in enumerate(texts)
            for w in encode_windows(tokenizer, question, text, max_length, stride)
        ]
        order = sorted(range(len(jobs)), key=lambda j: -len(jobs[j][1].ids))  # longest first
        if self.threads > 1 and len(jobs) > 1:
            outputs = dict(zip(order, self._pool.map(lambda j: self._run(jobs[j][1]), order), strict=True))
        else:
            outputs = {j: self._run(jobs[j][1]) for j in order}
        best: list[Span | None] = [None] * len(texts)
        nulls = [np.inf] * len(texts)
        for j, (k, window) in enumerate(jobs):
            start_logits, end_logits = outputs[j]
            nulls[k] = min(nulls[k], float(start_logits[0] + end_logits[0]))
            found = best_span(start_logits, end_logits, window)
            if found is None:
                continue
            i, e, score = found
            if best[k] is None or score > best[k].score:
                s_char, e_char = whole_words(texts[k], window.offsets[i][0], window.offsets[e][1])
                best[k] = Span(k, s_char, e_char, texts[k][s_char:e_char], score, 0.0)
        return [
            None if span is None else Span(span.index, span.start, span.end, span.text, span.score, nulls[k])
            for k, span in enumerate(best)
        ]
