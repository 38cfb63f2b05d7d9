"""The evaluation runner: metrics on hand-made cases, eval-set validation, --compare, and one slow run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from qa.bench.squad_metrics import answer_in_text, exact_match, max_f1, squad_normalize
from qa.evaluation.compare import ReportError, compare, compare_files
from qa.evaluation.metrics import (
    METRICS,
    alias_in,
    answer_matches,
    best_f1,
    citation_precision,
    citation_recall,
    faithfulness,
    first_rank,
    normalize,
    score_item,
    summarize,
    summarize_all,
    token_f1,
)
from qa.evaluation.report import format_table
from qa.evaluation.schema import CATEGORIES, EvalSetError, load_eval_set, parse_item
from qa.figures import percentile

ROOT = Path(__file__).resolve().parent.parent
SEED_SET = ROOT / "eval" / "seed.jsonl"
A1, A2, A3 = "000_a", "001_b", "002_c"


def item(**fields):
    data = {"id": "x", "question": "Q?", "answers": ["170 million"], "article_ids": [A1], "category": "factoid"}
    data.update(fields)
    return parse_item(data)


def answer(text: str, cited: list[str] = (), abstained: bool = False, dropped: int = 0, timings=None) -> dict:
    """An ``Answer.to_dict()`` as the pipeline makes it."""
    return {
        "question": "Q?",
        "text": text,
        "citations": [
            {"n": i + 1, "article_id": a, "title": "", "quote": "", "start": 0, "end": 1} for i, a in enumerate(cited)
        ],
        "abstained": abstained,
        "timings": timings or {"retrieve": 0.1, "rerank": 0.2, "generate": 0.3, "total": 0.6},
        "standalone_question": "",
        "dropped": [{"text": "x", "reason": "y"} for _ in range(dropped)],
    }


def record(it, ans, error="", ranked=None) -> dict:
    return {"id": it.id, "category": it.category, "question": it.question, "answer": ans, "error": error,
            "retrieval": {"article_rank": None}, "scores": score_item(it, ans, error, ranked)}  # fmt: skip


# ------------------------------------------------------------------------------------------ normalization


def test_normalize_lowercases_strips_punctuation_markers_and_spaces():
    assert normalize("  TikTok has  more than 170 Million [1][2]. ") == "tiktok has more than 170 million"
    assert normalize("Li Chenggang’s “win-win”") == "li chenggang s win win"
    assert normalize("U.S. 53%") == "u s 53"


def test_alias_matches_on_word_boundaries_only():
    assert alias_in("170 million", "TikTok has more than 170 million American users [1].")
    assert alias_in("U.S.", "the U.S. side")
    assert alias_in("Li Chenggang", "Li Chenggang's remarks")
    assert not alias_in("1", "170 users")
    assert not alias_in("", "anything")


def test_answer_matches_any_alias_and_every_all_of_group():
    assert answer_matches("Wang Jingtao said so [1].", ["Wang Jingtao", "Jingtao"])
    assert not answer_matches("Li said so [1].", ["Wang Jingtao", "Jingtao"])
    groups = [["user data", "entrusted operation"], ["content security"], ["algorithm", "licensing"]]
    full = "He noted progress on U.S. user data, content security, and licensing of the algorithm [1]."
    assert answer_matches(full, [], groups)
    assert not answer_matches("He noted progress on user data and content security [1].", [], groups)
    assert not answer_matches("anything", [], [])


def test_token_f1_and_best_alias():
    assert token_f1("170 million", "170 million") == 1.0
    assert token_f1("more than 170 million users", "170 million") == pytest.approx(2 * 0.4 * 1 / 1.4)
    assert token_f1("nothing shared", "170 million") == 0.0
    assert best_f1("Jingtao", ["Wang Jingtao", "Jingtao"]) == 1.0
    # all_of: scored against one alias per group joined
    assert best_f1("content security and algorithm", [], [["content security"], ["algorithm", "licensing"]]) == (
        pytest.approx(2 * 0.75 * 1 / 1.75)
    )


def test_citation_precision_and_recall():
    assert citation_precision([A1, A2], [A1]) == 0.5
    assert citation_precision([], [A1]) is None
    assert citation_recall([A1, A1], [A1, A2]) == 0.5
    assert citation_recall([A1], []) is None


def test_faithfulness_counts_kept_and_dropped_sentences():
    assert faithfulness(answer("One [1]. Two [1][2].", dropped=2)) == 0.5
    assert faithfulness(answer("One [1].")) == 1.0
    assert faithfulness(answer("The articles don't say.", abstained=True)) is None
    assert faithfulness(answer("The articles don't say.", abstained=True, dropped=3)) == 0.0


def test_first_rank_and_percentile():
    assert first_rank(["a", "b", "c"], lambda x: x == "b") == 2
    assert first_rank(["a"], lambda x: x == "z") is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)
    assert percentile([], 50) is None


# ------------------------------------------------------------------------------------------ item scores


def test_correct_answer_with_a_wrong_extra_citation():
    it = item(quote="more than 170 million American users")
    ranked = [{"article_id": A2, "text": "other"}, {"article_id": A1, "text": "TikTok, with more than 170 million "
              "American users, has become a flashpoint"}]  # fmt: skip
    s = score_item(it, answer("TikTok has more than 170 million American users [1][2].", [A1, A2]), "", ranked)
    assert s["answer_correct"] == 1.0 and s["accuracy"] == 1.0
    assert s["citation_precision"] == 0.5 and s["citation_recall"] == 1.0
    assert s["article_hit@1"] == 0.0 and s["article_hit@5"] == 1.0 and s["article_mrr"] == 0.5
    assert s["passage_hit@1"] == 0.0 and s["passage_mrr"] == 0.5
    assert s["false_abstention_rate"] == 0.0 and s["abstention_accuracy"] is None


def test_abstention_on_unanswerable_is_right_and_on_answerable_is_wrong():
    unanswerable = item(category="unanswerable", answers=[], article_ids=[])
    s = score_item(unanswerable, answer("The articles don't say.", abstained=True))
    assert s["abstention_accuracy"] == 1.0 and s["accuracy"] == 1.0
    assert s["answer_correct"] is None and s["citation_recall"] is None and s["article_mrr"] is None
    s = score_item(unanswerable, answer("Steel tariffs rose to 25% [1].", [A1]))
    assert s["abstention_accuracy"] == 0.0 and s["accuracy"] == 0.0
    s = score_item(item(), answer("The articles don't say.", abstained=True))
    assert s["answer_correct"] == 0.0 and s["false_abstention_rate"] == 1.0 and s["answer_f1"] == 0.0
    assert s["citation_precision"] is None and s["citation_recall"] == 0.0


def test_list_answer_needs_every_group():
    it = item(answers=[], all_of=[["close communication"], ["outcome documents"]], article_ids=[A1])
    assert score_item(it, answer("They agreed to maintain close communication [1].", [A1]))["answer_correct"] == 0.0
    both = answer("They agreed to maintain close communication and draft outcome documents [1].", [A1])
    assert score_item(it, both)["answer_correct"] == 1.0


def test_failed_item_counts_as_wrong_everywhere():
    s = score_item(item(quote="170 million"), None, "RuntimeError: boom", None)
    assert s["answer_correct"] == 0.0 and s["citation_precision"] == 0.0 and s["citation_recall"] == 0.0
    assert s["faithfulness"] == 0.0 and s["false_abstention_rate"] == 1.0
    assert s["article_hit@10"] == 0.0 and s["passage_mrr"] == 0.0
    s = score_item(item(category="unanswerable", answers=[], article_ids=[]), None, "RuntimeError: boom")
    assert s["abstention_accuracy"] == 0.0


def test_summary_has_no_nan_and_n_a_for_ineligible_metrics():
    it = item()
    records = [record(it, answer("more than 170 million [1].", [A1])), record(it, None, "RuntimeError: boom")]
    summary = summarize(records)
    assert summary["items"] == 2 and summary["failed"] == 1
    assert summary["metrics"]["answer_correct"] == {"value": 0.5, "n": 2}
    assert summary["metrics"]["abstention_accuracy"] == {"value": None, "n": 0}
    assert summary["metrics"]["passage_mrr"] == {"value": None, "n": 0}
    assert summary["latency"]["total"]["n"] == 1  # the failed item has no timings
    for metric in summary["metrics"].values():
        assert metric["value"] is None or not math.isnan(metric["value"])
    table = format_table(summarize_all(records))
    assert "n/a (0)" in table and "nan" not in table.lower()
    assert len(table.splitlines()) > len(METRICS)


# ------------------------------------------------------------------------------------------ eval set format


def test_the_seed_set_loads():
    items = load_eval_set(SEED_SET)
    assert len(items) == 187
    assert {i.category for i in items} == set(CATEGORIES)


GOOD = {"id": "q1", "question": "Q?", "answers": ["a"], "article_ids": [A1], "category": "factoid"}


@pytest.mark.parametrize(
    "line, problem",
    [
        ('{"id": "q2", "question": ', "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "answers"} | {"id": "q2"}), "missing key 'answers'"),
        (json.dumps(GOOD | {"id": "q2", "answers": "a"}), "'answers' must be a list of strings"),
        (json.dumps(GOOD | {"id": "q2", "question": 3}), "'question' must be a string"),
        (json.dumps(GOOD | {"id": "q2", "category": "trivia"}), "unknown category 'trivia'"),
        (json.dumps(GOOD | {"id": "q2", "category": "unanswerable", "article_ids": []}), "must not have 'answers'"),
        (json.dumps(GOOD | {"id": "q2", "answers": []}), "needs at least one alias"),
        (json.dumps(GOOD | {"id": "q2", "article_ids": []}), "needs at least one gold article"),
        (json.dumps(GOOD | {"id": "q2", "category": "follow-up"}), "needs a non-empty 'history'"),
        (json.dumps(GOOD | {"id": "q2", "history": [{"role": "bot", "content": "x"}]}), "'history' turn 1"),
        (json.dumps(GOOD | {"id": "q2", "all_of": [[]]}), "empty group"),
        (json.dumps(GOOD | {"id": "q2", "answer": ["a"]}), "unknown key 'answer'"),
        (json.dumps(GOOD), "duplicate id 'q1' (first on line 1)"),
    ],
)
def test_a_bad_line_names_file_line_and_problem(tmp_path, line, problem):
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + line + "\n")
    with pytest.raises(EvalSetError) as caught:
        load_eval_set(path)
    message = str(caught.value)
    assert str(path) in message and "line 3" in message and problem in message


def test_missing_or_empty_eval_set(tmp_path):
    with pytest.raises(EvalSetError, match="no such eval set file"):
        load_eval_set(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(EvalSetError, match="holds no items"):
        load_eval_set(tmp_path / "empty.jsonl")


# ------------------------------------------------------------------------------------------ compare


def _report(records: list[dict]) -> dict:
    return {"meta": {}, "summary": summarize_all(records), "failed": [], "items": records}


def test_compare_lists_flips_and_deltas(tmp_path):
    q1 = parse_item(GOOD | {"answers": ["170 million"]})
    q2 = parse_item(GOOD | {"id": "q2", "answers": ["Bessent"]})
    q3 = parse_item({"id": "q3", "question": "Super Bowl?", "answers": [], "article_ids": [],
                     "category": "unanswerable"})  # fmt: skip
    abstain = answer("The articles don't say.", abstained=True)
    old = _report([
        record(q1, answer("TikTok has 170 million users [1].", [A1])),
        record(q2, abstain),
        record(q3, answer("The Chiefs won [1].", [A3])),
    ])  # fmt: skip
    new = _report([
        record(q1, answer("TikTok is popular [1].", [A1])),
        record(q2, answer("Scott Bessent spoke [1].", [A1])),
        record(q3, abstain),
    ])  # fmt: skip
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    text = compare_files(tmp_path / "old.json", tmp_path / "new.json")
    assert "2 now right, 1 now wrong" in text
    assert "q1 [factoid]" in text.split("now wrong:")[1]
    assert "q2 [factoid] now answers (better)" in text
    assert "q3 [unanswerable] now abstains (better)" in text
    accuracy = next(line for line in text.splitlines() if line.startswith("accuracy (all items)"))
    assert "0.333" in accuracy and "0.667" in accuracy and "+0.333 better" in accuracy
    false_abstention = next(line for line in text.splitlines() if line.startswith("false abstention rate"))
    assert "-0.500 better" in false_abstention
    assert compare(old, old).startswith("compared 3 items") and "0 now right, 0 now wrong" in compare(old, old)


def test_compare_rejects_a_file_that_is_not_a_report(tmp_path):
    (tmp_path / "x.json").write_text('{"rows": []}')
    with pytest.raises(ReportError, match="not a qa eval report"):
        compare_files(tmp_path / "x.json", tmp_path / "x.json")
    with pytest.raises(ReportError, match="no such report file"):
        compare_files(tmp_path / "missing.json", tmp_path / "x.json")


# ------------------------------------------------------------------------------------------ SQuAD metrics


def test_squad_official_normalization_and_scores():
    assert squad_normalize("The  Denver Broncos!") == "denver broncos"
    assert exact_match("the Denver Broncos.", ("Denver Broncos",)) == 1.0
    sentence = "The Denver Broncos defeated the Carolina Panthers."  # markers are stripped before scoring
    assert exact_match(sentence, ("Denver Broncos",)) == 0.0
    assert max_f1(sentence, ("Denver Broncos", "Broncos")) == pytest.approx(2 * 0.4 * 1 / 1.4)
    assert answer_in_text(sentence, ("Denver Broncos",)) == 1.0
    assert answer_in_text(sentence, ("Seattle",)) == 0.0


# ------------------------------------------------------------------------------------------ the real runner


@pytest.mark.slow
def test_runner_on_five_seed_items_writes_reports(seed_engine, tmp_path):
    from qa.evaluation.report import write_reports
    from qa.evaluation.runner import RunInfo, build_report, run

    items = load_eval_set(SEED_SET)
    # the first item of five of the original categories (the same five items as before the new categories)
    kept = ("factoid", "list", "multi-article", "follow-up", "unanswerable")
    picked = [next(i for i in items if i.category == c) for c in kept]
    assert len(picked) == 5
    records = run(seed_engine, picked)
    report = build_report(records, RunInfo("seed.jsonl", "extractive", "tmp", "newsdesk", seconds=1.0))
    paths = write_reports(report, tmp_path, stem="five")
    assert all(p.exists() and p.stat().st_size > 0 for p in paths.values())
    saved = json.loads(paths["json"].read_text())
    assert [r["id"] for r in saved["items"]] == [i.id for i in picked]
    assert not saved["failed"]
    overall = saved["summary"]["overall"]
    for key, _, _ in METRICS:
        value = overall["metrics"][key]["value"]
        assert isinstance(value, float) and 0.0 <= value <= 1.0, key
    for stage in ("retrieve", "rerank", "generate", "total"):
        assert isinstance(overall["latency"][stage]["p50"], float)
    # The report keeps each answer as the engine gave it, and scores it from that: the unanswerable item (last,
    # in CATEGORIES order) is refused, which is what its abstention score counts; the factoid one is answered.
    assert [i.category for i in picked][::4] == ["factoid", "unanswerable"]
    refused, answered = saved["items"][-1], saved["items"][0]
    assert refused["answer"]["abstained"] is True and refused["answer"]["citations"] == []
    assert refused["scores"]["abstention_accuracy"] == 1.0
    assert answered["answer"]["abstained"] is False and answered["scores"]["false_abstention_rate"] == 0.0
    assert "## Per category" in paths["md"].read_text()


def test_squad_data_path_on_a_tiny_archive(tmp_path):
    """read_squad / write_corpus / extract_member / ask on a hand-made SQuAD file and a fake engine."""
    import io
    import tarfile
    from types import SimpleNamespace

    from index.types import Passage
    from qa.bench.archive import extract_member
    from qa.bench.squad import ask
    from qa.bench.squad_data import MEMBER, read_squad, sample_questions, write_corpus
    from qa.bench.squad_metrics import summarize
    from qa.retrieve import Retrieval
    from qa.types import Answer, Citation, ScoredPassage

    squad = {"version": "1.1", "data": [{"title": "Super_Bowl_50", "paragraphs": [
        {"context": "The Denver Broncos defeated the Carolina Panthers 24-10.", "qas": [
            {"id": "q1", "question": "Who won Super Bowl 50?", "answers": [
                {"answer_start": 4, "text": "Denver Broncos"}, {"answer_start": 4, "text": "Denver Broncos"}]}]},
        {"context": "The game was played in Santa Clara.", "qas": [
            {"id": "q2", "question": "Where was it played?", "answers": [
                {"answer_start": 23, "text": "Santa Clara"}]}]}]}]}  # fmt: skip
    payload = json.dumps(squad).encode()
    sdist = tmp_path / "bigbench-1.0.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for name, data in (("bigbench-1.0.0/setup.py", b"pass"), (MEMBER, payload)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    target = extract_member(sdist, MEMBER, tmp_path / "squad.json")
    assert target.read_bytes() == payload
    paragraphs, questions = read_squad(target)
    assert [p.id for p in paragraphs] == ["00_000", "00_001"] and paragraphs[0].title == "Super Bowl 50"
    assert questions[0].answers == ("Denver Broncos",) and questions[1].paragraph_id == "00_001"
    assert sample_questions(questions, 5) == sample_questions(questions, 5) and len(sample_questions(questions, 1)) == 1
    corpus = tmp_path / "corpus"
    assert write_corpus(paragraphs, corpus) == 2 and write_corpus(paragraphs, corpus) == 0
    assert (corpus / "00_000.txt").read_text().startswith("Super Bowl 50\n\nThe Denver Broncos")

    class Engine:
        settings = SimpleNamespace(candidates=20)

        class retriever:  # noqa: N801
            @staticmethod
            def retrieve(query, n):
                return Retrieval(
                    [ScoredPassage(Passage(pid, "t", 0, 1, 0), "T", 1.0) for pid in ("00_001", "00_000")], {}
                )

        @staticmethod
        def answer(question, history, generator=None):
            if "Where" in question:
                raise RuntimeError("boom")
            citation = Citation(1, "00_000", "Super Bowl 50", "The Denver Broncos defeated", 0, 10)
            return Answer(question, "The Denver Broncos defeated the Carolina Panthers [1].", [citation], False,
                          {"retrieve": 0.1, "rerank": 0.2, "generate": 0.3, "total": 0.6})  # fmt: skip

    won, failed = ask(Engine, questions[0], None), ask(Engine, questions[1], None)
    assert won["rank"] == 2 and won["in_text"] == 1.0 and won["em"] == 0.0 and won["cites_gold"] == 1.0
    assert failed["error"] == "RuntimeError: boom" and failed["f1"] == 0.0 and failed["answer"] is None
    summary = summarize([won, failed])
    # retrieval is measured by its own call, so the failed answer's ranked list still counts (rank 1 here)
    assert summary["failed"] == 1 and summary["metrics"]["hit@1"]["value"] == 0.5
    assert summary["metrics"]["hit@5"]["value"] == 1.0 and summary["metrics"]["mrr"]["value"] == 0.75
    assert summary["metrics"]["in_text"]["value"] == 0.5 and summary["metrics"]["em"]["value"] == 0.0
    assert summary["latency"]["total"] == {"p50": 0.6, "p95": 0.6, "n": 1}
