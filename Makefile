# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make serve   install into .venv, load the seed case into data/graph.db (first run), and
#                serve the GraphQL API on http://127.0.0.1:8000/graphql (HOST, PORT to change)
#   make test    install into .venv, run lint, type checks and the whole test suite
# Both first make sure Tesseract OCR with French and English is installed (`make ocr`: apt-get,
# as root or through passwordless sudo; a warning otherwise, and OCR is then unavailable).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STORE  ?= data/graph.db
PRINCIPALS ?= seed/principals.yaml
HOST ?= 127.0.0.1
PORT ?= 8000
INSTALLED := $(VENV)/.installed
SEEDED    := $(STORE).seeded

.PHONY: serve test lint typecheck pytest seed bench clean ocr

$(INSTALLED): pyproject.toml | ocr
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# OCR (scanned PDF pages and images read by `graphsvc ingest`) runs the tesseract executable with
# the fra and eng language packs. Nothing to do when `tesseract --list-langs` lists both;
# otherwise apt-get installs them (with fonts-dejavu-core, the font the OCR tests draw in), as
# root or with `sudo -n`, running `apt-get update` when the first attempt fails. Without apt-get
# or the rights to use it: a warning, and documents that need OCR fail with OCR_UNAVAILABLE.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng fonts-dejavu-core
OCR_READY = langs="$$(tesseract --list-langs 2>/dev/null)"; \
	printf '%s\n' "$$langs" | grep -qx fra && printf '%s\n' "$$langs" | grep -qx eng
ocr:
	@if $(OCR_READY); then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: Tesseract with fra and eng is missing and there is no apt-get: OCR will be unavailable (install tesseract with its fra and eng language packs)" >&2; exit 0; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else \
		echo "warning: Tesseract with fra and eng is missing, and installing it needs root: OCR will be unavailable (run: sudo apt-get install $(OCR_PACKAGES))" >&2; exit 0; \
	fi; \
	echo "installing $(OCR_PACKAGES)"; \
	install="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(OCR_PACKAGES)"; \
	$$install >/dev/null 2>&1 || { $$sudo apt-get update && $$install; } || true; \
	if ! { $(OCR_READY); }; then \
		echo "warning: apt-get did not install $(OCR_PACKAGES): OCR will be unavailable" >&2; \
	fi

# The seed is loaded once: the structured sources, then the reports, e-mails and scans that text
# extraction reads (seed/reports). The marker is written only when ingestion succeeded completely.
$(SEEDED): $(INSTALLED)
	mkdir -p $(dir $(STORE))
	$(BIN)/graphsvc --store $(STORE) ingest seed/manifest.yaml seed/reports/manifest.yaml
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
