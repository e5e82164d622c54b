# Silian: `make demo` runs the demo city, `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Swagger UI and ECharts: pinned npm tarballs, checked against their sha512 and unpacked here.
ASSETS := src/silian/web/static/vendor/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install system-deps lint check-migrations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(ASSETS): scripts/fetch_web_assets.py
	$(PYTHON) scripts/fetch_web_assets.py
	touch $(ASSETS)

install: $(STAMP) $(ASSETS)

demo: $(STAMP) $(ASSETS)
	$(BIN)/silian db upgrade
	$(BIN)/silian demo load
	$(BIN)/silian index rebuild
	$(BIN)/silian serve --host $(HOST) --port $(PORT)

system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

test: $(STAMP) $(ASSETS) system-deps lint
	$(BIN)/pytest -n 2 --dist loadfile

check-migrations: $(STAMP)
	bash scripts/check-migrations.sh

clean:
	rm -rf $(VENV) var artifacts .pytest_cache .mypy_cache .ruff_cache .import_linter_cache src/silian/web/static/vendor
