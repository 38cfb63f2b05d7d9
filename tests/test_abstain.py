"""Answer-type checks behind refusals (pure logic)."""

from __future__ import annotations

from qa.abstain import missing_answer_type

BESSENT = "Talks followed weeks of discussions between US Treasury Secretary Scott Bessent and Trade Representative Jamieson Greer."


def test_age_duration_money_rate_and_dates_must_be_present():
    assert "an age" in missing_answer_type("How old is Li Chenggang?", ["Li Chenggang is China's trade negotiator."])
    assert missing_answer_type("How old is Li?", ["Li, 58, is China's trade negotiator."]) == ""
    assert "a duration" in missing_answer_type("How long did the call last?", ["The call was productive."])
    assert missing_answer_type("How long did the call last?", ["The call lasted two hours."]) == ""
    assert "money" in missing_answer_type("What was the dollar value of the deal?", ["The deal was signed in 2020."])
    assert "percentage" in missing_answer_type("What tariff rate applies to steel?", ["Steel tariffs were imposed."])
    assert missing_answer_type("What tariff rate applies to steel?", ["A 25% tariff applies to steel."]) == ""
    assert "date" in missing_answer_type("When will the deal close?", ["The deal is complex."])


def test_a_number_must_stand_in_a_sentence_about_the_question():
    unrelated = ["Farm exports to China fell 53%."]
    assert missing_answer_type("What is the average tariff rate on imports?", unrelated)
    assert missing_answer_type("How many farm exports were lost?", unrelated) == ""


def test_named_roles_must_appear():
    assert "CEO" in missing_answer_type("Who is the CEO of TikTok?", [BESSENT])
    assert missing_answer_type("Who is the U.S. Treasury Secretary?", [BESSENT]) == ""
    assert missing_answer_type("Who is the U.S. Trade Representative?", [BESSENT]) == ""
