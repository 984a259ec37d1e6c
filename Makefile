# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make serve   install into .venv, load the seed case into data/graph.db (first run), and
#                serve the GraphQL API on http://127.0.0.1:8000/graphql (HOST, PORT to change)
#   make test    install into .venv, run lint, type checks and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STORE  ?= data/graph.db
PRINCIPALS ?= seed/principals.yaml
HOST ?= 127.0.0.1
PORT ?= 8000
INSTALLED := $(VENV)/.installed
SEEDED    := $(STORE).seeded

.PHONY: serve test lint typecheck pytest seed bench clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The seed is loaded once; the marker is written only when ingestion succeeded completely.
$(SEEDED): $(INSTALLED)
	mkdir -p $(dir $(STORE))
	$(BIN)/graphsvc --store $(STORE) ingest seed/manifest.yaml
	touch $@

seed: $(SEEDED)

serve: $(SEEDED)
	$(BIN)/graphsvc --store $(STORE) --principals $(PRINCIPALS) serve --host $(HOST) --port $(PORT)

test: $(INSTALLED) lint typecheck pytest

lint: $(INSTALLED)
	$(BIN)/ruff check graphsvc tests bench
	$(BIN)/ruff format --check graphsvc tests bench

typecheck: $(INSTALLED)
	$(BIN)/mypy

pytest: $(INSTALLED)
	$(BIN)/pytest -q

bench: $(INSTALLED)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_analytics.py
	$(BIN)/python bench/bench_export.py
	$(BIN)/python bench/bench_neo4j.py

clean:
	rm -rf $(VENV) data
