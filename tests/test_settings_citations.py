"""Settings from QA_* variables, and [n] citation parsing (pure logic, no models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.citations import move_markers_before_stop, parse_markers, strip_markers
from qa.condense import Condensed, condense
from qa.conflicts import Claim, find_conflict
from qa.settings import Settings, SettingsError


def test_settings_from_env():
    s = Settings.from_env({"QA_TOP_K": "6", "QA_GENERATOR": "extractive", "QA_INDEX_DIR": "/tmp/x", "PATH": "/bin"})
    assert s.top_k == 6 and s.index_dir == Path("/tmp/x") and s.chroma_url == ""


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"QA_TOP_K": "many"}, "QA_TOP_K"),
        ({"QA_GENERATOR": "gpt"}, "QA_GENERATOR"),
        ({"QA_TOPK": "3"}, "not a setting"),
        ({"QA_CHROMA_URL": "localhost:8000"}, "http://"),
        ({"QA_GENERATOR": "openai"}, "QA_OPENAI_BASE_URL"),
    ],
)
def test_bad_settings_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


OUT_OF_RANGE = {  # the variables, as an environment file sets them: what the message must say
    "QA_TOP_K=0": "between 1 and 50",
    "QA_TOP_K=51 QA_CANDIDATES=60": "between 1 and 50",
    "QA_TOP_K=8 QA_CANDIDATES=5": "QA_CANDIDATES must be at least QA_TOP_K",
    "QA_OPENAI_TIMEOUT=nan": "QA_OPENAI_TIMEOUT",
    "QA_OPENAI_TIMEOUT=0": "QA_OPENAI_TIMEOUT",
    "QA_ABSTAIN_THRESHOLD=nan": "QA_ABSTAIN_THRESHOLD",
    "QA_ABSTAIN_THRESHOLD=101": "QA_ABSTAIN_THRESHOLD",
    "QA_THREADS=0": "QA_THREADS",
    "QA_PORT=65536": "QA_PORT",
}


@pytest.mark.parametrize("variables", OUT_OF_RANGE)
def test_settings_out_of_range_name_the_variable(variables):
    """NaN among them: it would turn a check off (no number compares to it)."""
    env = dict(pair.split("=") for pair in variables.split())
    with pytest.raises(SettingsError, match=OUT_OF_RANGE[variables]):
        Settings.from_env(env)


@pytest.mark.parametrize(
    "env",
    [
        {"QA_TOP_K": "50", "QA_CANDIDATES": "50"},
        {"QA_TOP_K": "1", "QA_CANDIDATES": "1"},
        {"QA_ABSTAIN_THRESHOLD": "-100", "QA_OPENAI_TIMEOUT": "86400", "QA_THREADS": "256", "QA_PORT": "0"},
        {"QA_CHROMA_URL": "https://chroma.example:8000"},
        {"QA_GENERATOR": "openai", "QA_OPENAI_BASE_URL": "http://127.0.0.1:8080/v1", "QA_OPENAI_MODEL": "m"},
    ],
)
def test_settings_at_the_edges_of_their_ranges_are_accepted(env):
    Settings.from_env(env)


def test_api_key_is_read_by_name_and_not_in_repr(monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-secret-123")
    s = Settings(openai_api_key_env="MY_KEY")
    assert s.api_key() == "sk-secret-123"
    assert "sk-secret-123" not in repr(s)


def test_parse_markers_one_based_and_out_of_range_dropped():
    assert parse_markers("A [1] and B [3][2] and [1, 2] and [9] and [0].", 3) == [1, 3, 2]
    assert strip_markers("TikTok has 170 million users [1].") == "TikTok has 170 million users."
    assert move_markers_before_stop("One. [1] Two. [2]") == "One [1]. Two [2]."
    assert parse_markers("Both articles say so [2, 3].", 3) == [2, 3]  # one marker, two sources
    assert strip_markers("Both articles say so [2, 3].") == "Both articles say so."
    assert move_markers_before_stop("One. [1, 2] Two.") == "One [1, 2]. Two."


def test_conflict_same_figure_different_periods():
    claims = [
        Claim(1, "a", "From January through July, American farm exports to China fell 53% from a year earlier."),
        Claim(
            2,
            "b",
            "American agricultural exports have plummeted, recording a 53% decline in the first half of 2025.",
        ),
    ]
    note = find_conflict(claims)
    assert "53%" in note and "[1]" in note and "[2]" in note and "first half of 2025" in note
    assert find_conflict(claims[:1]) == ""
    assert find_conflict([claims[0], Claim(2, "a", claims[1].quote)]) == ""  # same article: no conflict


def test_conflict_different_figures_for_the_same_thing():
    note = find_conflict(
        [
            Claim(1, "a", "TikTok has more than 170 million American users, officials said on Monday."),
            Claim(2, "b", "TikTok has about 150 million American users, officials said on Tuesday."),
        ]
    )
    assert "different figures" in note and "170 million" in note and "150 million" in note
    assert "newer" not in note  # neither article is dated


def test_a_conflict_note_says_which_dated_article_is_newer():
    monday = "TikTok has more than 170 million American users, officials said on Monday."
    tuesday = "TikTok has about 150 million American users, officials said on Tuesday."
    note = find_conflict([Claim(1, "a", monday, "2025-10-14"), Claim(2, "b", tuesday, "2024-05-02")])
    assert note.endswith(" [1] is the newer article (2025-10-14; [2]: 2024-05-02).")
    note = find_conflict([Claim(1, "a", monday, "2024-05-02"), Claim(2, "b", tuesday, "2025-10-14")])
    assert note.endswith(" [2] is the newer article (2025-10-14; [1]: 2024-05-02).")
    for dates in ((None, "2025-10-14"), ("2025-10-14", "2025-10-14")):  # unknown or equal: nothing to say
        assert "newer" not in find_conflict([Claim(1, "a", monday, dates[0]), Claim(2, "b", tuesday, dates[1])])


def test_condense_resolves_pronouns_and_ellipsis():
    history = [
        {"role": "user", "content": "What did Li Chenggang say about TikTok?"},
        {"role": "assistant", "content": "Li made clear that China rejects politicizing technology."},
    ]
    assert condense("And what did he say about sanctions?", history) == Condensed(
        "What did Li Chenggang say about sanctions?"
    )
    assert condense("What about soybeans?", history) == Condensed("What did Li Chenggang say about soybeans?")
    assert condense("Where was it held?", history).context == "What did Li Chenggang say about TikTok?"
    assert condense("Who chairs the American Soybean Association?", []) == Condensed(
        "Who chairs the American Soybean Association?"
    )


def test_condense_resolves_a_pronoun_two_turns_back_past_a_turn_that_names_no_one():
    history = [
        {"role": "user", "content": "Who chairs the American Soybean Association?"},
        {
            "role": "assistant",
            "content": "**Josh Gackle**: Josh Gackle, chair of the American Soybean Association, said ... [1].",
        },
        {"role": "user", "content": "Where were the talks held?"},
        {"role": "assistant", "content": "**Kuala Lumpur**: The talks were held in Kuala Lumpur [1]."},
    ]
    assert condense("What did he say about a deal?", history) == Condensed("What did Josh Gackle say about a deal?")
    # The answer to a "Who ...?" question is the referent, not a name the question itself holds.
    who = [
        {"role": "user", "content": "Who led the U.S. side, and who met He Lifeng?"},
        {"role": "assistant", "content": "**Scott Bessent**: Treasury Secretary Scott Bessent led it [1]."},
    ]
    assert condense("What did he announce?", who) == Condensed("What did Scott Bessent announce?")


def test_condense_leaves_a_question_that_needs_nothing_alone():
    history = [
        {"role": "user", "content": "How much did farm exports to China fall?"},
        {"role": "assistant", "content": "**53%**: American farm exports to China fell 53% [1]."},
    ]
    for question in ("Who is Scott Bessent?", "Where is Kuala Lumpur?", "What did Xi say about soybeans?"):
        assert condense(question, history) == Condensed(question)
    why = condense("Why?", history)
    assert why == Condensed("Why?", "How much did farm exports to China fall?")
    assert why.text == "Why? (context: How much did farm exports to China fall?)"  # what retrieval searches with


def test_a_condensed_question_is_searched_with_its_context_and_shown_without_an_empty_one():
    assert Condensed("Where was it held?", "What did Li say?").text == "Where was it held? (context: What did Li say?)"
    assert Condensed("Where was it held?").text == "Where was it held?"


def test_a_home_folder_of_no_such_user_is_a_settings_error():
    with pytest.raises(SettingsError, match=r"QA_INDEX_DIR='~nosuchuser-qa/x': cannot expand '~' \(no such user\)"):
        Settings.from_env({"QA_INDEX_DIR": "~nosuchuser-qa/x"})


def test_condense_keeps_the_borrowed_question_apart_from_the_question():
    history = [
        {"role": "user", "content": "What did Li Chenggang say about TikTok?"},
        {"role": "assistant", "content": "Li made clear that China rejects politicizing technology."},
    ]
    assert condense("Where was it held?", history) == Condensed(
        "Where was it held?", "What did Li Chenggang say about TikTok?"
    )
    assert condense("Who chairs the American Soybean Association?", history) == Condensed(
        "Who chairs the American Soybean Association?"
    )
    # A borrowed question holding brackets stays whole, and "(context: ...)" typed by the user is not taken off.
    talks = [{"role": "user", "content": "What about (the) talks?"}, {"role": "assistant", "content": "..."}]
    assert condense("Where were they?", talks) == Condensed("Where were they?", "What about (the) talks?")
    assert condense("Who said (context: x)?", []) == Condensed("Who said (context: x)?")
