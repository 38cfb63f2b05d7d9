"""Our reader: the shipped int8 model, what it answers and refuses, and the command that trains it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
from conftest import GACKLE, ROOT
from training_sources import tiny_sources

from qa.reader import READER_DIR, Reader, encode_windows, load_tokenizer, reader_question

pytestmark = pytest.mark.slow

USERS = (
    "Analysts note that the trade talks come amid heightened scrutiny of Chinese technology firms in the U.S. "
    "TikTok, with more than 170 million American users, has become a flashpoint in bilateral relations."
)


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def test_the_committed_model_is_the_one_its_card_describes():
    card = (READER_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((READER_DIR / "model.onnx").read_bytes()).hexdigest()
    assert digest in card
    config = json.loads((READER_DIR / "config.json").read_text())
    assert -20 < config["threshold"] < 20 and config["max_length"] >= 128
    for reserved in ("squaddev_v1.1.json", "nyt", "cnn"):
        assert reserved in card


KNOWN_SPANS = {  # question: (passage, the answer span)
    "How many American users does TikTok have?": (USERS, "170 million"),
    "Who chairs the American Soybean Association?": (GACKLE, "Josh Gackle"),
    "What are farmers hopeful that dialogue will produce?": (GACKLE, "a deal"),
}


@pytest.mark.parametrize("question", KNOWN_SPANS)
def test_reader_finds_the_answer_span_in_a_known_passage(reader, question):
    passage, expected = KNOWN_SPANS[question]
    span = reader.read(question, [passage])[0]
    assert span is not None and expected in span.text and len(span.text) <= len(expected) + 20, span
    assert passage[span.start : span.end] == span.text
    assert span.margin >= reader.threshold


def test_a_passage_about_something_else_gives_no_answer(reader):
    span = reader.read("Who won the 2024 Super Bowl?", [USERS + " " + GACKLE])[0]
    assert span is None or span.margin < reader.threshold, span


def test_int8_model_reproduces_the_fp32_spans_it_was_checked_against(reader):
    """``fp32_spans.json`` holds the fp32 model's spans on held-out examples, written by the training command."""
    reference = json.loads((READER_DIR / "fp32_spans.json").read_text(encoding="utf-8"))
    assert len(reference) >= 30
    same = 0
    for item in reference:
        span = reader.read(item["question"], [item["context"]])[0]
        same += span is not None and (span.start, span.end) == (item["start"], item["end"])
    # Dynamic int8 moves near-tied spans: the model card gives the held-out agreement (about 80 %); below 70 % the
    # export or its quantization changed.
    assert same / len(reference) >= 0.7, f"{same} of {len(reference)}"


def test_answers_carry_the_short_answer_inside_the_cited_quote(seed_engine):
    a = seed_engine.answer("How many American users does TikTok have?")
    short = a.short_answer
    assert short is not None and "170 million" in short.text
    cited = next(c for c in a.citations if c.n == short.n)
    assert cited.quote[short.start : short.end] == short.text
    assert a.text.startswith(f"**{short.text}**: ")


def test_a_pronoun_two_turns_back_resolves(seed_engine):
    history = [
        {"role": "user", "content": "Who chairs the American Soybean Association?"},
        {"role": "assistant", "content": f"**Josh Gackle**: {GACKLE} [1]"},
        {"role": "user", "content": "How much did farm exports to China fall?"},
        {"role": "assistant", "content": "**53%**: American farm exports to China fell 53% from a year earlier [1]."},
    ]
    a = seed_engine.answer("What is he hopeful that dialogue will produce?", history)
    assert a.standalone_question.startswith("What is Josh Gackle hopeful"), a.standalone_question
    assert not a.abstained and "deal" in a.text
    assert a.citations[0].article_id == "003_688cffc4895f96d0"


def test_a_new_short_question_is_not_glued_to_the_previous_one(seed_engine):
    history = [
        {"role": "user", "content": "How much did farm exports to China fall?"},
        {"role": "assistant", "content": "**53%**: American farm exports to China fell 53% from a year earlier [1]."},
    ]
    a = seed_engine.answer("Who is Scott Bessent?", history)
    assert a.standalone_question == ""  # unchanged: nothing to resolve


def test_windows_cover_a_long_passage_with_overlap():
    tokenizer = load_tokenizer(READER_DIR / "tokenizer.json")
    text = " ".join(f"Sentence number {i} says something about tariffs." for i in range(80))
    windows = encode_windows(tokenizer, reader_question("What about tariffs?"), text, 128, 32)
    assert len(windows) > 3 and all(len(w.ids) <= 128 for w in windows)
    covered = sorted({o for w in windows for o in w.offsets if o is not None})
    assert covered[0][0] == 0 and covered[-1][1] == len(text)


def test_answering_with_the_reader_does_not_import_torch():
    code = (
        "import sys; from qa.reader import Reader; r = Reader(); "
        f"s = r.read('Who chairs the American Soybean Association?', [{GACKLE!r}])[0]; "
        "assert 'Gackle' in s.text, s; assert 'torch' not in sys.modules, 'torch imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


# ------------------------------------------------------------------------------------ the training command


def test_training_command_runs_end_to_end_on_a_tiny_slice_and_resumes(tmp_path):
    from qa.reader_train import TrainConfig, run
    from qa.training import TrainingPlaces

    sources = tiny_sources(tmp_path)
    config = TrainConfig(dense_negatives=False, max_steps=3, batch_size=16, checkpoint_every=2, max_length=128)
    out = tmp_path / "out"
    logged: list[str] = []
    figures = run(config, TrainingPlaces(tmp_path / "data", out, sources), log=logged.append)
    assert {"model.onnx", "tokenizer.json", "config.json", "fp32_spans.json"} <= {p.name for p in out.iterdir()}
    assert figures["training"]["steps"] == 3 and figures["examples"]["train"] > 50
    by_kind = figures["examples"]["by_kind"]
    assert by_kind.get("answer") and by_kind.get("other-paragraph") and by_kind.get("sentence-removed")
    assert hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest() == figures["sha256"]
    span = Reader(out).read("Who chairs the Avonlea council?", ["The Avonlea council chair is Ana Ruiz."])[0]
    assert span is not None  # an untrained head still reads: the export runs on onnxruntime
    # CoQA's reserved source never becomes an example; the second run resumes from the last checkpoint.
    logged.clear()
    resumed = run(config, TrainingPlaces(tmp_path / "data", out, sources), log=logged.append)
    assert any("resuming from step 3 of 3" in line for line in logged), logged
    assert resumed["sha256"] == figures["sha256"]  # a resumed run exports the very model it resumed
    # From scratch again (a new data folder, no checkpoint, no cached examples): the same seed gives the same bytes.
    again = run(config, TrainingPlaces(tmp_path / "data-again", tmp_path / "again", sources), log=logged.append)
    assert again["sha256"] == figures["sha256"]


def test_reserved_sets_are_never_read_for_training(tmp_path):
    from qa.reader_data import RESERVED, SOURCES, coqa_examples

    assert not set(SOURCES.values()) & set(RESERVED)
    assert all("squaddev" not in m and "nyt" not in m for m in SOURCES.values())
    sources = tiny_sources(tmp_path)
    examples = coqa_examples(sources["coqa"])
    assert examples and not any(e.id.startswith("s1-") for e in examples)  # s1 is the cnn story
    assert {e.kind for e in examples} == {"answer", "unknown"}
    follow_up = next(e for e in examples if e.id == "s0-2")
    assert follow_up.question == reader_question("Where did he fly it?", "What did Tom have? a red kite")


def test_a_summary_question_gets_opening_sentences_of_the_relevant_article(seed_engine):
    a = seed_engine.answer("Summarize the article about the China-U.S. trade talks in Madrid.")
    assert not a.abstained, a.text
    assert a.citations[0].article_id == "000_2586af1d1969f1c3"
    assert 1 <= len(a.citations) <= 3


def test_an_off_corpus_summary_is_refused(seed_engine):
    a = seed_engine.answer("Summarize the article about the World Cup final.")
    assert a.abstained, a.text


def test_the_development_set_is_the_paragraphs_training_holds_out(tmp_path):
    """qa bench squad --dataset heldout: design choices are measured on paragraphs the reader never trained on."""
    from qa.bench.squad_data import heldout_dataset
    from qa.reader_data import is_heldout

    contexts = [f"Paragraph {i}: the harbour of town {i} opened in {1800 + i}." for i in range(300)]
    data = {
        "data": [
            {
                "title": "Towns",
                "paragraphs": [
                    {"context": c, "qas": [{"id": f"q{i}", "question": f"When did the harbour of town {i} open?",
                                            "answers": [{"text": str(1800 + i), "answer_start": c.index(str(1800 + i))}]}]}
                    for i, c in enumerate(contexts)
                ],
            }
        ]
    }  # fmt: skip
    sources = {}
    for name in ("new_wiki", "reddit", "coqa"):
        sources[name] = tmp_path / f"{name}.json"
        sources[name].write_text(json.dumps(data), encoding="utf-8")
    held = [c for c in contexts if is_heldout(c)]
    assert 0 < len(held) < 40  # about 5 % of 300
    paragraphs, questions, files = heldout_dataset(tmp_path, sources)
    assert sorted(p.context for p in paragraphs) == sorted(held * 2)  # from each SQuADShifts source, never CoQA
    assert len(questions) == len(paragraphs)
    assert {q.paragraph_id for q in questions} == {p.id for p in paragraphs}
    assert files == [sources["new_wiki"], sources["reddit"]]
