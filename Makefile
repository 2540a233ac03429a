# Two commands set everything up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve build check test test-browser lint calibrate bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/site-builder serve

build: $(STAMP)
	$(BIN)/site-builder build

check: $(STAMP)
	$(BIN)/site-builder check

test: $(STAMP)
	$(BIN)/site-builder check
	$(BIN)/ruff check site_builder tests scripts
	$(BIN)/pytest --ignore=tests/browser

# Real Chromium (Debian's package; Playwright's own download does not work here), axe-core and vnu-jar from npm.
test-browser: $(STAMP) node_modules/.installed
	@command -v chromium >/dev/null || { echo "test-browser needs chromium: sudo apt-get install -y chromium"; exit 1; }
	$(BIN)/pytest tests/browser

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check site_builder tests scripts
	$(BIN)/ruff format --check site_builder tests scripts

calibrate: $(STAMP)
	$(BIN)/site-builder calibrate

clean:
	rm -rf public .pytest_cache
