"""Property tests with hypothesis on the pure parts of the data path (no models, a few seconds in all):
splitting, sentence spans, ``[n]`` citation markers and ``QA_*`` settings parsing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index.sentences import sentence_spans
from index.split import MAX_CHARS, split_article
from index.types import Article
from qa.citations import MARKER, parse_markers, strip_markers
from qa.settings import Settings, SettingsError

# No example database: nothing is written into the work tree; a failure prints its (shrunk) example.
FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like news prose, and then some: words, abbreviations, numbers, punctuation, quotes,
# brackets, markers, every kind of white space, and characters from other scripts.
_TOKENS = st.sampled_from(
    [
        "The", "talks", "in", "Madrid", "ended", "U.S.", "Mr.", "Dr.", "W.", "Inc.", "No.", "53%", "1,200",
        "3.5", "said", "“Yes,”", "‘no’", "(AP)", "[1]", "[2, 3]", "...", ".", "!", "?", "?!", ",", ";", ":",
        "—", "–", "-", '"', "'", "”", "’", ")", "(", "¿Qué?", "¡Sí!", "谁", "。", "Ελλάδα.", "مرحبا",
        "e\u0301", "🙂", "\u00a0", "\t", "\r", "\x0b", "\x0c", "\u2028", "\u3000", "\n", "\n\n", " ", "  ",
    ]
)  # fmt: skip
news_text = st.one_of(
    st.lists(_TOKENS, max_size=300).map(" ".join),
    st.lists(_TOKENS, max_size=300).map("".join),
    st.text(max_size=400),
)


def _non_space_outside(text: str, spans: list[tuple[int, int]]) -> list[int]:
    covered = bytearray(len(text))
    for s, e in spans:
        covered[s:e] = b"\x01" * (e - s)
    return [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]


# --- splitting -------------------------------------------------------------------------------------


@FUZZ
@given(text=news_text, max_chars=st.sampled_from([MAX_CHARS, 200, 40]), min_chars=st.sampled_from([150, 10, 0]))
@example(text="Headline\n" + "A sentence that goes on. " * 60, max_chars=MAX_CHARS, min_chars=150)
def test_split_article_passages_slice_back_in_order_and_cover_every_character(text, max_chars, min_chars):
    article = Article(id="a/b", title="t", text=text, source="a/b.txt")
    passages = split_article(article, max_chars=max_chars, min_chars=min_chars)
    for p in passages:
        assert article.text[p.start : p.end] == p.text
        assert p.article_id == "a/b" and p.text and p.text == p.text.strip()
    assert all(a.end <= b.start for a, b in zip(passages, passages[1:], strict=False))  # ordered, disjoint
    assert [p.paragraph for p in passages] == sorted(p.paragraph for p in passages)
    assert _non_space_outside(text, [(p.start, p.end) for p in passages]) == []
    assert len({p.id for p in passages}) == len(passages)  # passage ids (article#start-end) are unique


_WORDS = st.lists(st.sampled_from(["The", "harbour", "U.S.", "1,200", "said", "“Yes,”", "&", "<b>", "—", "Oct. 14, 2025", "谁", "🙂"]), min_size=3, max_size=40)  # fmt: skip


@FUZZ
@given(
    paragraphs=st.lists(_WORDS.map(" ".join), min_size=1, max_size=6), suffix=st.sampled_from([".txt", ".md", ".html"])
)
def test_every_format_loads_to_text_whose_passages_slice_back(tmp_path_factory, paragraphs, suffix):
    """Whatever a loader (trafilatura for pages) makes of a file, passages are exact slices of the article text."""
    import html

    from index.load import ArticleError, load_article

    folder = tmp_path_factory.mktemp("formats")
    if suffix == ".html":
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        content = f"<html><head><title>T</title></head><body><nav>Menu</nav><article>{body}</article></body></html>"
    else:
        content = "\n\n".join(paragraphs)
    (folder / f"a{suffix}").write_text(content, encoding="utf-8")
    try:
        article = load_article(folder / f"a{suffix}", folder)
    except ArticleError:
        return  # nothing left to index is a reason, not a crash
    assert article.text and "Menu" not in article.text
    for p in split_article(article):
        assert article.text[p.start : p.end] == p.text
    if suffix != ".html":
        return
    for paragraph in paragraphs:  # a page's paragraphs are kept whole, white space folded
        assert " ".join(paragraph.split()) in article.text


# --- sentence spans --------------------------------------------------------------------------------


@FUZZ
@given(text=news_text, data=st.data())
def test_sentence_spans_are_in_bounds_ordered_disjoint_and_cover_every_character(text, data):
    start = data.draw(st.integers(0, len(text)), label="start")
    end = data.draw(st.integers(start, len(text)), label="end")
    spans = sentence_spans(text, start, end)
    for s, e in spans:
        assert start <= s < e <= end
        assert not text[s].isspace() and not text[e - 1].isspace()
        assert "\n" not in text[s:e]  # a line break always ends a sentence
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    outside = [i for i in _non_space_outside(text, spans) if start <= i < end]
    assert outside == []


# --- citation markers ------------------------------------------------------------------------------

_MARKER_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["[", "]", ",", " ", ", ", "[1]", "[2]", "[0]", "[1, 2]", "[3,3]", ".", "word", "\n"]),
        st.integers(0, 12).map(str),
        st.integers(0, 10**30).map(lambda n: f"[{n}]"),
        st.sampled_from(["٣", "१", "𝟙", "²"]),  # other scripts' digits: re's \d matches some of them
    ),
    max_size=40,
).map("".join)


@FUZZ
@given(sentence=st.one_of(_MARKER_TEXT, st.text(max_size=80)), n_sources=st.integers(0, 12))
def test_parse_markers_returns_distinct_in_range_numbers_in_order_of_appearance(sentence, n_sources):
    found = parse_markers(sentence, n_sources)
    assert all(isinstance(n, int) and 1 <= n <= n_sources for n in found)
    assert len(found) == len(set(found))
    # every number it returns really is cited, and every in-range cited number is returned, first-seen order
    cited = [int(x) for m in MARKER.finditer(sentence) for x in m.group(1).split(",")]
    expected = list(dict.fromkeys(n for n in cited if 1 <= n <= n_sources))
    assert found == expected


# A marker nested in brackets must not leave a new one behind: strip_markers("[[1]1]") == "".
NESTED_MARKERS = ["[[1]1]", "x [2[3]] y.", "[1[1]]"]


def _unnested(text: str) -> bool:
    return MARKER.search(MARKER.sub("", text)) is None


@FUZZ
@given(sentence=st.one_of(_MARKER_TEXT, st.text(max_size=80)).filter(_unnested))
def test_strip_markers_removes_every_marker(sentence):
    stripped = strip_markers(sentence)
    assert MARKER.search(stripped) is None
    assert parse_markers(stripped, 10**6) == []
    assert stripped == stripped.strip()
    assert strip_markers(stripped) == stripped  # idempotent
    # nothing but markers, white space before punctuation and the ends is removed
    assert re.sub(r"\s+", "", stripped) == re.sub(r"\s+", "", MARKER.sub("", sentence))


@pytest.mark.parametrize("sentence", NESTED_MARKERS)
def test_strip_markers_removes_nested_markers(sentence):
    assert MARKER.search(strip_markers(sentence)) is None


# --- settings --------------------------------------------------------------------------------------

_FIELDS = [name.upper() for name in Settings.__dataclass_fields__]
_VALUES = st.one_of(
    st.sampled_from(
        [
            "", " ", "0", "1", "-1", "4", "50", "51", "20", "1e3", "nan", "inf", "-inf", "1_000", "0x10", "٣",
            "extractive", "local", "openai", "gpt", "http://127.0.0.1:8000", "https://x", "localhost:8000",
            "/tmp/qa", "relative/dir", "~", "~/x", "~nosuchuser/x", "a\x00b", "\u2028", "🙂",
        ]
    ),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=30),
)  # fmt: skip
# Names: the real ones (any case after the prefix), near misses, and other variables that must be ignored.
_NAMES = st.one_of(
    st.sampled_from(_FIELDS).map(lambda n: "QA_" + n),
    st.sampled_from(_FIELDS).map(lambda n: "QA_" + n.lower()),
    st.sampled_from(["QA_", "QA_TOPK", "QA_GENERATORS", "QA_API_KEY", "PATH", "OPENAI_API_KEY", "qa_top_k"]),
    st.text(min_size=1, max_size=12).map(lambda s: "QA_" + s),
)


@FUZZ
@given(env=st.dictionaries(_NAMES, _VALUES, max_size=8))
@example(env={"QA_TOP_K": "9" * 5000})  # int() refuses over 4,300 digits with a ValueError
@example(env={"QA_OPENAI_TIMEOUT": "nan", "QA_THREADS": "١٢"})
@example(env={"QA_CORPUS_DIR": "~nosuchuser/x"})  # pathlib raises RuntimeError: a SettingsError here
def test_settings_from_env_gives_valid_settings_or_a_settings_error(env):
    try:
        s = Settings.from_env(env)
    except SettingsError as exc:
        message = str(exc)
        assert message and "QA_" in message  # it names the variable to fix
        return
    s.validate()  # what from_env returned passes its own checks
    assert s.generator in ("extractive", "local", "openai")
    assert 1 <= s.top_k <= 50 and s.candidates >= s.top_k
    for field in ("corpus_dir", "index_dir", "data_dir"):
        assert isinstance(getattr(s, field), Path)
    for field in ("top_k", "candidates", "port", "threads"):
        assert isinstance(getattr(s, field), int)
    assert isinstance(s.openai_timeout, float) and (
        s.abstain_threshold is None or isinstance(s.abstain_threshold, float)
    )
    assert repr(s) == repr(Settings.from_env(env))  # deterministic (repr: nan != nan)
    hash(s)  # the engine cache keys on it


# Found by the fuzzing: "~user/..." for an unknown user made pathlib raise RuntimeError, and validate()
# accepted values no component can use (a NaN threshold never abstains; a NaN timeout crashed httpx).
@pytest.mark.parametrize(
    "env",
    [
        {"QA_INDEX_DIR": "~no_such_user_newsdesk/index"},
        {"QA_OPENAI_TIMEOUT": "nan"},
        {"QA_OPENAI_TIMEOUT": "-1"},
        {"QA_OPENAI_TIMEOUT": "inf"},
        {"QA_ABSTAIN_THRESHOLD": "nan"},
        {"QA_THREADS": "0"},
        {"QA_PORT": "70000"},
    ],
    ids=["unknown-user-home", "timeout-nan", "timeout-negative", "timeout-inf", "threshold-nan", "threads-0", "port"],
)
def test_settings_refuses_values_no_component_can_use(env):
    with pytest.raises(SettingsError):
        Settings.from_env(env)
