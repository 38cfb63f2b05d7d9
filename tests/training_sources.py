"""Training-source files in the shapes the bigbench archive has, small enough for CI (qa train reader/reranker)."""

import json


def tiny_sources(folder):
    """SQuAD-format and CoQA-format files in the shapes the bigbench archive has, small enough for CI."""
    cities = ["Avonlea", "Brindle", "Carver", "Dunmore", "Elston", "Fairview", "Glenrock", "Harlow"]
    people = ["Ana Ruiz", "Ben Okafor", "Chen Wei", "Dara Kim", "Eli Stone", "Fay Moss", "Gus Hale", "Ida Park"]
    articles = []
    for a in range(6):
        paragraphs = []
        for p in range(6):
            k = (a * 6 + p) % 8
            context = (
                f"The {cities[k]} council met on Monday to discuss the budget. Its chair, {people[k]}, said the "
                f"city would spend {10 + a + p} million dollars on roads. Residents asked about parks and schools."
            )
            qas = [
                {"id": f"{a}-{p}-who", "question": f"Who chairs the {cities[k]} council?",
                 "answers": [{"text": people[k], "answer_start": context.index(people[k])}]},
                {"id": f"{a}-{p}-much", "question": f"How much will {cities[k]} spend on roads?",
                 "answers": [{"text": f"{10 + a + p} million dollars", "answer_start": context.index(f"{10 + a + p} million")}]},
            ]  # fmt: skip
            paragraphs.append({"context": context, "qas": qas})
        articles.append({"title": f"Town {a}", "paragraphs": paragraphs})
    paths = {}
    for name in ("new_wiki", "reddit"):
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps({"data": articles}), encoding="utf-8")
    story = "Tom had a red kite. He flew it on the hill with his sister May. The kite got stuck in a tree."
    coqa = {
        "data": [
            {"source": source, "id": f"s{i}", "story": story,
             "questions": [{"input_text": "What did Tom have?", "turn_id": 1},
                           {"input_text": "Where did he fly it?", "turn_id": 2},
                           {"input_text": "What colour was the tree?", "turn_id": 3}],
             "answers": [{"input_text": "a red kite", "span_start": 0, "span_end": 20, "turn_id": 1},
                         {"input_text": "on the hill", "span_start": 21, "span_end": 70, "turn_id": 2},
                         {"input_text": "unknown", "span_start": -1, "span_end": -1, "turn_id": 3}]}
            for i, source in enumerate(["race", "cnn", "mctest"])
        ]
    }  # fmt: skip
    paths["coqa"] = folder / "coqa.json"
    paths["coqa"].write_text(json.dumps(coqa), encoding="utf-8")
    return paths
