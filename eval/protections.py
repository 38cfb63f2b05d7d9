"""The protections ``make mutants`` breaks, one exact edit each, and the tests that must notice.

A mutant's ``original`` must occur exactly once in its file. ``tests`` are pytest arguments run in the mutated
copy: test files (with ``-k``/``-m`` where a file also holds slow tests that cannot notice the edit).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    protection: str
    name: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]


VERIFY = ("tests/test_verify.py", "-m", "not slow")
INSTRUCTIONS = ("tests/test_verify.py", "tests/test_decisions.py", "-m", "not slow")
CITATIONS = ("tests/test_settings_citations.py", "tests/test_fuzz.py")
DECISIONS = ("tests/test_decisions.py",)
UPLOADS = ("tests/test_ui_api.py", "-m", "not slow")
INGEST = ("tests/test_ingest_rules.py",)
SETTINGS = ("tests/test_settings_citations.py", "tests/test_fuzz.py")
CI_SKIPS = ("tests/test_ci_skips.py",)
# issue 20: one index shared by processes, bounded inputs, nothing replaced by surprise, exposure, honest errors
BODY = ("tests/test_body_limits.py",)
QUEUE = ("tests/test_ingest_queue.py",)
HONEST = ("tests/test_honest_errors.py",)
LIMITS = ("tests/test_limits.py",)
SURPRISE = ("tests/test_uploads.py",)
EXPOSURE = ("tests/test_exposure.py",)
SHARED = ("tests/test_shared_index.py",)
OFFLINE = ("tests/test_offline.py", "-k", "qa_ask")


def _m(protection: str, name: str, file: str, original: str, replacement: str, tests: tuple[str, ...]) -> Mutant:
    return Mutant(protection, name, file, original, replacement, tests)


V, IN, C = "qa/verify.py", "index/instructions.py", "qa/citations.py"
X, P, U = "qa/generators/extractive.py", "qa/pipeline.py", "ui/corpus.py"
E, D = "qa/evidence.py", "qa/drafting.py"
G, S, IS = "index/ingest.py", "qa/settings.py", "index/settings.py"

MUTANTS = [
    # --- the verifier, one check at a time -------------------------------------------------------------------
    _m("verifier: numbers", "number check removed", V,
       "if _normal_number(token) not in evidence_numbers:", "if False:", VERIFY),
    _m("verifier: names", "name check removed", V,
       "if not all(word.lower() in lowered for word in name.split()):", "if False:", VERIFY),
    _m("verifier: names", "one word of a name is enough", V,
       "if not all(word.lower() in lowered", "if not any(word.lower() in lowered", VERIFY),
    _m("verifier: word overlap", "overlap check removed", V,
       "if overlap < MIN_OVERLAP:", "if False:", VERIFY),
    _m("verifier: word overlap", "bar lowered to 0.3", V, "MIN_OVERLAP = 0.6", "MIN_OVERLAP = 0.3", VERIFY),
    _m("verifier: word overlap", "bar raised to 0.9", V, "MIN_OVERLAP = 0.6", "MIN_OVERLAP = 0.9", VERIFY),
    _m("verifier: cross-encoder support", "support check removed", V,
       "if support < support_threshold:", "if False:", VERIFY),
    _m("verifier: cross-encoder support", "threshold lowered to -8", V,
       "SUPPORT_THRESHOLD = -4.0", "SUPPORT_THRESHOLD = -8.0", VERIFY),
    _m("verifier: negation", "negation check removed", V,
       "flipped = (_negated(claim) ^ _negated(sentence)) & shared", "flipped = set()", VERIFY),
    _m("verifier: contradiction", "opposite-word check removed", V,
       "if opposite and word not in sentence_words:", "if False:", VERIFY),
    _m("verifier: negation", "polarity never compared", V,
       "problem = polarity_problem(claim, _best_sentence(claim, texts))", 'problem = ""', VERIFY),
    _m("verifier: instructions", "the cited passage read whole (nothing blanked)", V,
       "texts = [stated(passages[n - 1].passage.text, claim) for n in cited]",
       "texts = [passages[n - 1].passage.text for n in cited]", INSTRUCTIONS),
    _m("verifier: reported demands", "a demand supports any claim", V,
       "if not (kind == DEMAND and about_demand)", "if kind != DEMAND", VERIFY),
    _m("verifier: reported demands", "a demand supports no claim, not even its report", V,
       "if not (kind == DEMAND and about_demand)", "if kind", VERIFY),
    _m("verifier: marker repair", "a sentence without a marker is never repaired", V,
       "for n in range(1, len(passages) + 1):", "for n in range(1, 1):", VERIFY),
    # --- flagging what states nothing as fact ---------------------------------------------------------------
    _m("flags: planted instructions", "imperatives not flagged", IN,
       "if _IMPERATIVE.search(sentence) or _AIMED_AT_A_MODEL.search(sentence):",
       "if _AIMED_AT_A_MODEL.search(sentence):", INSTRUCTIONS),
    _m("flags: planted instructions", "wording aimed at a model not flagged", IN,
       "if _IMPERATIVE.search(sentence) or _AIMED_AT_A_MODEL.search(sentence):",
       "if _IMPERATIVE.search(sentence):", INSTRUCTIONS),
    _m("flags: questions", "questions not flagged", IN,
       "if _QUESTION_END.search(sentence.rstrip()):", "if False:", VERIFY),
    _m("flags: reported demands", "demands not flagged", IN, "if _DEMAND_VERBS.search(sentence):", "if False:", VERIFY),
    _m("flags: planted instructions", "not quoted in the article viewer", "ui/article_view.py",
       "if begin <= s and e <= stop:", "if False:", UPLOADS),
    # --- citation parsing -----------------------------------------------------------------------------------
    _m("citations: parsing", "out-of-range markers kept", C,
       "if 1 <= n <= n_sources and n not in found:", "if n not in found:", CITATIONS),
    _m("citations: parsing", "marker [0] accepted", C,
       "if 1 <= n <= n_sources and n not in found:", "if 0 <= n <= n_sources and n not in found:", CITATIONS),
    _m("citations: parsing", "repeated markers counted twice", C,
       "if 1 <= n <= n_sources and n not in found:", "if 1 <= n <= n_sources:", CITATIONS),
    _m("citations: parsing", "[1, 2] not read as two markers", C,
       r'MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")', r'MARKER = re.compile(r"\[(\d+)\]")', CITATIONS),
    _m("citations: stripping", "nested markers stripped once only", C,
       "while previous != sentence:", "if previous != sentence:", CITATIONS),
    _m("citations: stripping", "markers after the full stop not moved", C,
       'return _MARKERS_AFTER_STOP.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", text)', "return text",
       CITATIONS),
    # --- the reader's threshold and the answer check ----------------------------------------------------------
    _m("reader threshold: with_short_answer", "a margin equal to the threshold does not count", X,
       "s is not None and s.margin >= threshold and s.text.strip()",
       "s is not None and s.margin > threshold and s.text.strip()", DECISIONS),
    _m("reader threshold: with_short_answer", "threshold ignored", X,
       "s is not None and s.margin >= threshold and s.text.strip()", "s is not None and s.text.strip()", DECISIONS),
    _m("reader threshold: with_short_answer", "the worst span taken", X,
       "k, span = max(found, key=lambda item: item[1].margin)", "k, span = min(found, key=lambda item: item[1].margin)",
       DECISIONS),
    _m("reader threshold: with_short_answer", "offsets left inside the sentence", X,
       "moved = Span(c.source, c.start + span.start, c.start + span.end,", "moved = Span(c.source, span.start, span.end,",
       DECISIONS),
    _m("planted instructions: never an answer sentence", "instructions kept as candidates", X,
       "and not any(ps < e and s < pe for ps, pe in planted) for s, e in sentences", "for s, e in sentences",
       ("tests/test_robustness.py", "-k", "instruction_inside_an_article and extractive")),
    _m("reader refusal: reader_refuses", "authors' questions refused too", E,
       "if setting <= -100 or AUTHOR_QUESTION.search(asked) or SUMMARY_REQUEST.search(asked):",
       "if setting <= -100 or SUMMARY_REQUEST.search(asked):", DECISIONS),
    _m("reader refusal: reader_refuses", "summary requests refused too", E,
       "if setting <= -100 or AUTHOR_QUESTION.search(asked) or SUMMARY_REQUEST.search(asked):",
       "if setting <= -100 or AUTHOR_QUESTION.search(asked):", DECISIONS),
    _m("reader refusal: reader_refuses", "no span at all is not refused", E,
       "return margin is None or margin < setting", "return margin is not None and margin < setting", DECISIONS),
    _m("reader refusal: reader_refuses", "a margin equal to the setting refused", E,
       "return margin is None or margin < setting", "return margin is None or margin <= setting", DECISIONS),
    _m("reader refusal: reader_refuses", "-100 does not turn it off", E,
       "if setting <= -100 or AUTHOR", "if AUTHOR", DECISIONS),
    _m("answer_check", "any span counts as an answer", E,
       "return span is not None and span.margin >= reader.threshold", "return span is not None", DECISIONS),
    _m("answer_check", "the answer check never applied", D,
       "if isinstance(result, VerifiedSentence) and answers is not None and not answers(result.claim):",
       "if False:", DECISIONS),
    _m("Engine: a model that says the articles don't say", "replaced without saying so", P,
       "if any(d.reason == MODEL_ABSTAINED for d in draft.dropped):", "if False:", DECISIONS),
    # --- uploads --------------------------------------------------------------------------------------------
    _m("uploads: safe names", "folders kept in the name", U,
       r'base = unicodedata.normalize("NFC", re.split(r"[/\\]", str(name))[-1].strip())',
       'base = unicodedata.normalize("NFC", str(name).strip())', UPLOADS),
    _m("uploads: safe names", "unsafe characters kept", U, 'stem = _UNSAFE.sub("_", stem)', "stem = stem", UPLOADS),
    _m("uploads: safe names", "'..' kept", U, r'stem = re.sub(r"\.{2,}", ".", stem)', "stem = stem", UPLOADS),
    _m("uploads: safe names", "leading dots and dashes kept", U,
       'stem = stem.lstrip("._-").rstrip("._-")[:_MAX_STEM].rstrip("._-")', "stem = stem[:_MAX_STEM]", UPLOADS),
    _m("uploads: safe names", "any suffix accepted", U, "if suffix not in UPLOAD_SUFFIXES:", "if False:", UPLOADS),
    _m("uploads: safe names", "a symbolic link in the corpus folder replaced", U,
       "if any(p.is_symlink() for p in same_name) or target.is_symlink():", "if False:", UPLOADS),
    # --- ingestion ------------------------------------------------------------------------------------------
    _m("ingestion: hash skip", "every article embedded again", G,
       "if record and record.complete and record.content_hash == digest:", "if False:", INGEST),
    _m("ingestion: hash skip", "a changed article skipped", G,
       "if record and record.complete and record.content_hash == digest:", "if record and record.complete:",
       INGEST),
    _m("ingestion: hash skip", "an article cut short skipped", G,
       "if record and record.complete and record.content_hash == digest:",
       "if record and record.content_hash == digest:", INGEST),
    _m("ingestion: hash skip", "the title left out of the hash", G,
       "        article.title,\n        article.published,", "        article.published,", INGEST),
    _m("ingestion: delete", "removed articles kept", G,
       "store.delete_ids([i for (article_id, _), ids in versions.items() if article_id not in wanted for i in ids])",
       "store.delete_ids([])", INGEST),
    _m("ingestion: delete", "superseded versions kept", G, "store.delete_ids(stale)", "store.delete_ids([])", INGEST),
    _m("ingestion: --rebuild", "rebuild ignored", G,
       "        if rebuild:\n            _drop_collection(settings, settings.collection)\n"
       "            _drop_collection(settings, multilingual_collection(settings))", "        pass", INGEST),
    # --- settings validation --------------------------------------------------------------------------------
    _m("settings validation", "QA_TOP_K=0 accepted", S,
       "if not 1 <= self.top_k <= 50:", "if not 0 <= self.top_k <= 50:", SETTINGS),
    _m("settings validation", "QA_TOP_K up to 500", S,
       "if not 1 <= self.top_k <= 50:", "if not 1 <= self.top_k <= 500:", SETTINGS),
    _m("settings validation", "QA_CANDIDATES under QA_TOP_K accepted", S,
       "if self.candidates < self.top_k:", "if False:", SETTINGS),
    _m("settings validation", "unknown QA_ names ignored", IS,
       "if name not in known:", "if False:", SETTINGS),
    _m("settings validation", "a NaN timeout accepted", S,
       "if not 0 < self.openai_timeout <= 86_400:", "if self.openai_timeout <= 0:", SETTINGS),
    _m("settings validation", "a NaN abstain threshold accepted", S,
       "if not -100 <= self.abstain_threshold <= 100:", "if abs(self.abstain_threshold) > 100:", SETTINGS),
    _m("settings validation", "a Chroma URL without a scheme accepted", IS,
       'if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):', "if False:", SETTINGS),
    _m("settings validation", "openai without an endpoint accepted", S,
       'if self.generator == "openai" and not (self.openai_base_url and self.openai_model):', "if False:",
       SETTINGS),
    _m("settings validation", "'~nosuchuser' a traceback", IS,
       "except RuntimeError:", "except ZeroDivisionError:", SETTINGS),
    # --- issue 20: bounds on what a client sends ----------------------------------------------------------------
    _m("bounds: bytes per upload batch", "a declared Content-Length not checked", "ui/bodylimit.py",
       "            if size > self.limits.max_bytes:", "            if False:", BODY),
    _m("bounds: bytes per upload batch", "a streamed body not counted", "ui/bodylimit.py",
       'if state["received"] > self.limits.max_bytes:', "if False:", BODY),
    _m("bounds: files per upload", "multipart parts not counted", "ui/bodylimit.py",
       "elif counter is not None and counter.feed(chunk) > self.limits.max_files:", "elif False:", BODY),
    _m("bounds: bytes and files per upload", "the middleware not mounted", "ui/app.py",
       "                Middleware(BodyLimit, limits=BODY_LIMITS),\n", "", BODY),
    _m("bounds: bytes per file", "gradio's max_file_size unset", "ui/app.py",
       '"max_file_size": corpus.MAX_UPLOAD_BYTES,', '"max_file_size": None,', BODY),
    _m("bounds: files and bytes per batch (handler)", "too many files accepted", U,
       "if count > MAX_UPLOAD_FILES:", "if False:", LIMITS),
    _m("bounds: files and bytes per batch (handler)", "too many bytes accepted", U,
       "if total_bytes > MAX_BATCH_BYTES:", "if False:", LIMITS),
    _m("bounds: passages per article", "a long upload accepted", U, "        if too_long:", "        if False:",
       LIMITS),
    _m("bounds: passages per article", "a long article ingested", G, "            if refusal:",
       "            if False:", LIMITS),
    _m("bounds: history", "any number of turns", "qa/limits.py", "if len(history) > limits.turns:", "if False:",
       LIMITS),
    _m("bounds: history", "turns of any length", "qa/limits.py", "if len(content) > limit:", "if False:", LIMITS),
    _m("bounds: history", "any total length", "qa/limits.py", "if total > limits.total_chars:", "if False:",
       LIMITS),
    _m("bounds: history", "a system role accepted", "qa/limits.py", "if role not in ROLES:", "if False:", LIMITS),
    _m("bounds: history file", "a folder read as a file", "qa/limits.py", "if path.is_dir():", "if False:",
       LIMITS),
    _m("bounds: session state", "the chat keeps every turn", "ui/answers.py",
       "turns = list(turns or [])[1 - MAX_SESSION_TURNS :]", "turns = list(turns or [])", LIMITS),
    _m("bounds: session history", "every kept turn sent as history", "ui/answers.py",
       "    history = history[-(LIMITS.turns - LIMITS.turns % 2) :]\n", "", LIMITS),
    _m("ingestion queue: one at a time", "three workers", "ui/ingest_queue.py", "max_workers=1,", "max_workers=3,",
       QUEUE),
    _m("ingestion queue: in the background", "the change run inline", "ui/ingest_queue.py",
       "        return job, self._executor.submit(run)",
       "        done: Future = Future()\n        done.set_result(run())\n        return job, done", QUEUE),
    # --- issue 20: nothing replaced by surprise -------------------------------------------------------------
    _m("uploads: no surprise replacement", "a same-name article replaced", U, "if same_name and not replace:",
       "if False:", SURPRISE),
    _m("uploads: no surprise replacement", "a same-text article replaced", U,
       "if twin and twin.casefold() != new_id.casefold() and not replace:", "if False:", SURPRISE),
    _m("uploads: no surprise replacement", "names of one batch collide", U, "while candidate.casefold() in taken:",
       "while False:", SURPRISE),
    _m("deletes: explicit confirmation", "no confirmation needed", "ui/corpus_tab.py",
       "if confirmation != delete_phrase(ids):", "if False:", SURPRISE),
    _m("rendering: Markdown", "titles in the corpus status not neutralised", "ui/text.py",
       "    return str(text).translate(_MARKDOWN_ENTITIES)", "    return str(text)", SURPRISE),
    # --- issue 20: exposure, shared index, offline ------------------------------------------------------------
    _m("exposure: loopback without auth", "any host served without a password", "ui/exposure.py",
       "if is_loopback(settings.host) or settings.auth:", "if True:", EXPOSURE),
    _m("exposure: Host header", "any Host accepted", "ui/exposure.py",
       "if host not in self.exposure.allowed_hosts:", "if False:", EXPOSURE),
    _m("exposure: sign-in throttle", "unlimited sign-in attempts", "ui/exposure.py",
       "if not self._allow_login(client):", "if False:", EXPOSURE),
    _m("shared index: generation", "another process's ingestion not noticed", P,
       "if self._retriever is None or read_generation(self.settings.index_dir) == self._generation:",
       "if self._retriever is None or self._generation is not None:", SHARED),
    _m("offline: onnxruntime telemetry", "ORT_DISABLE_TELEMETRY not set", "index/offline.py",
       '    "ORT_DISABLE_TELEMETRY": "1",\n', "", OFFLINE),
    # --- issue 20: honest errors ----------------------------------------------------------------------------
    _m("honest errors: read-only index", "no copy to answer from", "index/chroma.py",
       "        return COPIES.readable_copy(path)", '        raise OSError("no copy")', HONEST),
    _m("honest errors: read-only index", "a delete goes ahead", "ui/corpus_changes.py",
       "            check_writable(self.settings)  # a read-only index: nothing is deleted", "            pass", HONEST),
    _m("honest errors: failed upload", "its files left behind", "ui/corpus_changes.py",
       "                        if not stored.replaced:", "                        if False:", HONEST),
    _m("honest errors: redaction", "a generator's error shown whole in the notice", P,
       "({redact(str(exc))})", "({exc})", HONEST),
    _m("honest errors: redaction", "a generator's error shown whole in the chat", "ui/errors.py",
       'return f"The answer generator failed: {redact(str(exc))}.', 'return f"The answer generator failed: {exc}.',
       HONEST),
    _m("honest errors: generator fix", "no fix in the notice", P, "                + generator_fix(name)",
       '                + ""', HONEST),
    # --- CI ---------------------------------------------------------------------------------------------------
    _m("CI: a missing component fails", "skips allowed in CI", "tests/conftest.py",
       'CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")', "CI = False", CI_SKIPS),
]  # fmt: skip
