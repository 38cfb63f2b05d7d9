"""BM25 (bm25s) saved next to the index: a restart loads it instead of re-tokenizing every passage, and only when it
was built from exactly the passages in the store."""

from __future__ import annotations

import math

import numpy as np
import pytest

from index.keyword import KeywordIndex
from index.store import PassageStore, StoredPassage
from index.types import Passage
from qa.pipeline import Engine

pytestmark = pytest.mark.slow

QUERIES = ["sorghum sales", "TikTok American users", "Josh Gackle soybean", "53% farm exports", "Kuala Lumpur"]


@pytest.fixture(scope="module")
def passages(seed_settings, embedder):
    return PassageStore(seed_settings, embedder.name, embedder.dim, create=False).passages()


def _results(index: KeywordIndex) -> list[list[tuple[str, float]]]:
    return [[(s.passage.id, round(score, 9)) for s, score in index.search(q, 10)] for q in QUERIES]


def test_a_saved_index_searches_exactly_like_a_new_one(passages, tmp_path):
    path = tmp_path / "bm25"
    built = KeywordIndex.load_or_build(passages, path)
    assert (path / "signature.txt").is_file()
    loaded = KeywordIndex._load(path, passages, KeywordIndex.signature(passages), 1.5, 0.75)
    assert loaded is not None and loaded is not built
    assert _results(loaded) == _results(built) == _results(KeywordIndex(passages))
    assert all(_results(loaded))  # every query finds something


def test_other_passages_or_a_damaged_file_mean_a_rebuild(passages, tmp_path):
    path = tmp_path / "bm25"
    KeywordIndex.load_or_build(passages, path)
    fewer = [p for p in passages if p.passage.article_id != passages[0].passage.article_id]
    assert KeywordIndex._load(path, fewer, KeywordIndex.signature(fewer), 1.5, 0.75) is None
    rebuilt = KeywordIndex.load_or_build(fewer, path)  # and saved for the new passages
    assert len(rebuilt) == len(fewer)
    assert all(
        s.passage.article_id != passages[0].passage.article_id for r in QUERIES for s, _ in rebuilt.search(r, 50)
    )
    assert KeywordIndex._load(path, fewer, KeywordIndex.signature(fewer), 1.5, 0.75) is not None

    KeywordIndex.load_or_build(passages, path)
    matrix = next(path.glob("data.*.npy"))
    matrix.write_bytes(b"\x93NUMPY not really an array")  # right signature, a damaged array
    assert _results(KeywordIndex.load_or_build(passages, path)) == _results(KeywordIndex(passages))
    next(path.glob("indices.*.npy")).unlink()  # right signature, an array missing
    assert _results(KeywordIndex.load_or_build(passages, path)) == _results(KeywordIndex(passages))
    assert KeywordIndex._load(path, passages, KeywordIndex.signature(passages), 1.5, 0.75) is not None  # saved again


def test_a_folder_it_cannot_write_just_means_no_saved_index(passages, tmp_path):
    blocker = tmp_path / "index"
    blocker.write_text("a file where the index folder should be")  # unwritable even for root
    index = KeywordIndex.load_or_build(passages, blocker / "bm25")
    assert _results(index) == _results(KeywordIndex(passages))
    assert blocker.read_text().startswith("a file") and list(tmp_path.iterdir()) == [blocker]


def test_the_engine_saves_it_beside_the_index_and_the_next_engine_loads_it(seed_settings, passages, monkeypatch):
    first = Engine(seed_settings).retriever
    first.refresh()
    path = first.store.keyword_cache_path
    assert path.is_dir() and path.parent == seed_settings.index_dir

    def no_rebuild(*args, **kwargs):
        raise AssertionError("rebuilt BM25 although a saved index of the same passages was there")

    monkeypatch.setattr(KeywordIndex, "__init__", no_rebuild)
    second = Engine(seed_settings).retriever
    assert _results(second.keyword) == _results(first.keyword)


def _stored(article_id: str, text: str) -> StoredPassage:
    return StoredPassage(Passage(article_id, text, 0, len(text), 0), title="")


def test_scores_are_okapi_bm25_with_lucene_idf_over_our_tokens():
    """No model: three hand-made passages. "Tariffs" and "tariff" are one term, "U.S." is "us", stop words go."""
    texts = ["U.S. tariffs and U.S. farmers", "China tariff talks", "Soybean harvest"]
    index = KeywordIndex([_stored(f"a{i}", t) for i, t in enumerate(texts)])
    lengths = [4, 3, 2]  # us tariff us farmer / china tariff talk / soybean harvest
    average, k1, b = sum(lengths) / 3, 1.5, 0.75

    def weight(tf: int, length: int, df: int) -> float:
        return math.log(1 + (3 - df + 0.5) / (df + 0.5)) * tf / (tf + k1 * (1 - b + b * length / average))

    hits = {s.passage.article_id: score for s, score in index.search("U.S. tariffs", 10)}
    assert hits.keys() == {"a0", "a1"}
    assert hits["a0"] == pytest.approx(weight(2, 4, 1) + weight(1, 4, 2))
    assert hits["a1"] == pytest.approx(weight(1, 3, 2))
    assert index.search("the of and", 10) == []  # only stop words
    allowed = np.array([False, True, True])
    assert [s.passage.article_id for s, _ in index.search("tariff", 10, allowed)] == ["a1"]
