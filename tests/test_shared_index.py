"""One index, two processes: the app answering while ``qa ingest`` in another process adds, changes and
deletes articles. The next questions cite exactly the current corpus, and nothing fails."""

from __future__ import annotations

import subprocess

import pytest
from robust_corpus import start_cli
from ui_server import running_app, seeded_copy

from index.store import PassageStore
from ui import corpus

pytestmark = pytest.mark.slow

TIKTOK_ID = "000_2586af1d1969f1c3"
SOYBEAN_ID = "003_688cffc4895f96d0"
ZEBRAFISH = (
    "Purple zebrafish delights Oslo aquarium\n\n"
    "The zebrafish named Mortimer, kept at the Oslo aquarium since March, is bright purple, its keeper "
    "Ingrid Solberg said on Tuesday.\n"
)


def _ingest_in_another_process(settings) -> str:
    proc = start_cli(settings, "ingest", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


def _check_cites_current_corpus(settings, answer: dict) -> None:
    for c in answer["citations"] + answer["closest"]:
        article = corpus.find_article(settings, c["article_id"])
        assert article is not None, f"cites {c['article_id']}, which is no longer in the corpus"
        assert article.text[c["start"] : c["end"]] == c["quote"] or c in answer["closest"]


def test_the_app_answers_from_the_index_another_process_just_changed(tmp_path, embedder):
    from gradio_client import Client

    from qa.pipeline import Engine

    settings = seeded_copy(tmp_path, embedder)
    engine = Engine(settings)  # the app's: the test looks at its retriever
    with running_app(settings, engine) as url:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        before = client.predict("How many American users does TikTok have?", "[]", api_name="/ask")
        assert before["citations"][0]["article_id"] == TIKTOK_ID
        gackle = client.predict("Who chairs the American Soybean Association?", "[]", api_name="/ask")
        assert "Josh Gackle" in gackle["text"]
        # A store opened before the change: its in-memory vector index still holds the deleted passages.
        stale = PassageStore(settings, embedder.name, embedder.dim, create=False)
        tiktok_vector = embedder.embed(["TikTok has more than 170 million American users"])[0]

        corpus_dir = settings.corpus_dir
        (corpus_dir / f"{TIKTOK_ID}.txt").unlink()
        (corpus_dir / "900_zebrafish.txt").write_text(ZEBRAFISH, encoding="utf-8")
        soy = corpus_dir / f"{SOYBEAN_ID}.txt"
        soy.write_text(soy.read_text(encoding="utf-8").replace("Josh Gackle", "Maria Lindqvist"), encoding="utf-8")
        summary = _ingest_in_another_process(settings)
        assert "1 added, 1 updated, 1 deleted" in summary

        # An id the store no longer resolves is skipped, never a crash.
        hits = stale.search(tiktok_vector, 20)
        assert all(h.passage.article_id != TIKTOK_ID for h in hits)

        gone = client.predict("How many American users does TikTok have?", "[]", api_name="/ask")
        assert all(c["article_id"] != TIKTOK_ID for c in gone["citations"] + gone["closest"])
        _check_cites_current_corpus(settings, gone)

        new = client.predict("What colour is the zebrafish Mortimer?", "[]", api_name="/ask")
        assert new["abstained"] is False and "purple" in new["text"]
        assert new["citations"][0]["article_id"] == "900_zebrafish"
        _check_cites_current_corpus(settings, new)

        changed = client.predict("Who chairs the American Soybean Association?", "[]", api_name="/ask")
        assert "Maria Lindqvist" in changed["text"] and "Gackle" not in changed["text"]
        assert changed["citations"][0]["article_id"] == SOYBEAN_ID
        _check_cites_current_corpus(settings, changed)

        # The dense search sees the new article too (not only BM25): the store was reopened.
        retriever = engine.retriever
        vector = retriever.query_encoder.embed_query("purple zebrafish Mortimer")
        assert retriever.store.search(vector, 1)[0].passage.article_id == "900_zebrafish"
        # Nothing changed since: no reload (the same retriever answers).
        client.predict("What colour is the zebrafish Mortimer?", "[]", api_name="/ask")
        assert engine.retriever is retriever
