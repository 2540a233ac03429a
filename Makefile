# Two commands set everything up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Reproducible builds: the date a build shows is the last commit's, not the clock's.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)

.PHONY: serve build check test test-browser lint calibrate bench golden new-model new-device clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

PORT ?= 8000
serve: $(STAMP)
	$(BIN)/site-builder serve --port $(PORT)

BASE_URL ?= http://127.0.0.1:8000/
build: $(STAMP)
	$(BIN)/site-builder build --base-url $(BASE_URL)

check: $(STAMP)
	$(BIN)/site-builder check

test: $(STAMP)
	$(BIN)/site-builder check
	$(BIN)/ruff check site_builder tests scripts bench
	$(BIN)/pytest --ignore=tests/browser

# Real Chromium (Debian's package; Playwright's own download does not work here), axe-core and vnu-jar from npm.
test-browser: $(STAMP) node_modules/.installed
	@command -v chromium >/dev/null || { echo "test-browser needs chromium: sudo apt-get install -y chromium"; exit 1; }
	$(BIN)/pytest tests/browser

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check site_builder tests scripts bench
	$(BIN)/ruff format --check site_builder tests scripts bench

# Accept the fixture site's new output as tests/golden/site (stale golden files are deleted); review the diff.
golden: $(STAMP)
	$(BIN)/python scripts/golden.py

calibrate: $(STAMP)
	$(BIN)/site-builder calibrate

# make new-model SLUG=my-model CONFIG=path/to/config.json
new-model: $(STAMP)
	@test -n "$(SLUG)" || { echo "usage: make new-model SLUG=my-model-7b [CONFIG=path/to/config.json]"; exit 2; }
	$(BIN)/site-builder new model $(SLUG) $(if $(CONFIG),--from-config $(CONFIG))

new-device: $(STAMP)
	@test -n "$(SLUG)" || { echo "usage: make new-device SLUG=my-gpu"; exit 2; }
	$(BIN)/site-builder new device $(SLUG)

# Timings of the shipped catalogue against a write floor, sizes, make serve rebuilds and a 200-rebuild soak;
# writes bench/RESULTS.md (about 15 minutes).
bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf public .pytest_cache
