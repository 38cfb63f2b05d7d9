"""Sentence-transformers embeddings from the all-MiniLM-L6-v2 wheel; an ``Embedder`` loads the model on first use,
so an entry point builds one and passes it to whatever embeds."""

from __future__ import annotations

import threading
from functools import cached_property

import numpy as np

from index.models import EMBED_MODEL_NAME, embedding_model_path


class Embedder:
    """Normalised 384-d embeddings; ``name`` is recorded in the store that it builds."""

    name = EMBED_MODEL_NAME
    dim = 384

    def __init__(self, threads: int = 2, batch_size: int = 32):
        self.threads = threads
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @cached_property
    def model(self):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self.threads)
        return SentenceTransformer(str(embedding_model_path()), device="cpu")

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return vectors.astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def passage_text_for_embedding(title: str, text: str) -> str:
    """What we embed for a passage: its article's title gives short passages their topic."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text
