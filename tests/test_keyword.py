"""BM25 saved next to the index: a restart loads it instead of re-tokenizing every passage, and only when it
was built from exactly the passages in the store."""

from __future__ import annotations

import numpy as np
import pytest

from index.keyword import KeywordIndex
from index.store import PassageStore
from qa.pipeline import Engine

pytestmark = pytest.mark.slow

QUERIES = ["sorghum sales", "TikTok American users", "Josh Gackle soybean", "53% farm exports", "Kuala Lumpur"]


@pytest.fixture(scope="module")
def passages(seed_settings, embedder):
    return PassageStore(seed_settings, embedder.name, embedder.dim, create=False).passages()


def _results(index: KeywordIndex) -> list[list[tuple[str, float]]]:
    return [[(s.passage.id, round(score, 9)) for s, score in index.search(q, 10)] for q in QUERIES]


def test_a_saved_index_searches_exactly_like_a_new_one(passages, tmp_path):
    path = tmp_path / "bm25.npz"
    built = KeywordIndex.load_or_build(passages, path)
    assert path.is_file()
    loaded = KeywordIndex._load(path, passages, KeywordIndex.signature(passages), 1.5, 0.75)
    assert loaded is not None and loaded is not built
    assert _results(loaded) == _results(built) == _results(KeywordIndex(passages))
    assert all(_results(loaded))  # every query finds something


def test_other_passages_or_a_damaged_file_mean_a_rebuild(passages, tmp_path):
    path = tmp_path / "bm25.npz"
    KeywordIndex.load_or_build(passages, path)
    fewer = [p for p in passages if p.passage.article_id != passages[0].passage.article_id]
    assert KeywordIndex._load(path, fewer, KeywordIndex.signature(fewer), 1.5, 0.75) is None
    rebuilt = KeywordIndex.load_or_build(fewer, path)  # and saved for the new passages
    assert len(rebuilt) == len(fewer)
    assert all(
        s.passage.article_id != passages[0].passage.article_id for r in QUERIES for s, _ in rebuilt.search(r, 50)
    )
    assert KeywordIndex._load(path, fewer, KeywordIndex.signature(fewer), 1.5, 0.75) is not None

    path.write_bytes(b"PK\x03\x04 not really a zip")
    assert _results(KeywordIndex.load_or_build(passages, path)) == _results(KeywordIndex(passages))
    np.savez(path, signature=np.array(KeywordIndex.signature(passages)))  # right signature, arrays missing
    assert _results(KeywordIndex.load_or_build(passages, path)) == _results(KeywordIndex(passages))


def test_a_folder_it_cannot_write_just_means_no_saved_index(passages, tmp_path):
    blocker = tmp_path / "index"
    blocker.write_text("a file where the index folder should be")  # unwritable even for root
    index = KeywordIndex.load_or_build(passages, blocker / "bm25.npz")
    assert _results(index) == _results(KeywordIndex(passages))
    assert blocker.read_text().startswith("a file") and list(tmp_path.iterdir()) == [blocker]


def test_the_engine_saves_it_beside_the_index_and_the_next_engine_loads_it(seed_settings, passages, monkeypatch):
    first = Engine(seed_settings).retriever
    first.refresh()
    path = first.store.keyword_cache_path
    assert path.is_file() and path.parent == seed_settings.index_dir

    def no_rebuild(*args, **kwargs):
        raise AssertionError("rebuilt BM25 although a saved index of the same passages was there")

    monkeypatch.setattr(KeywordIndex, "__init__", no_rebuild)
    second = Engine(seed_settings).retriever
    assert _results(second.keyword) == _results(first.keyword)
