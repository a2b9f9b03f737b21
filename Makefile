# The README's commands. Each target installs what it needs first.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
FLASK = $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 4

.PHONY: run test lint format bench serve migrate clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

run: migrate
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/legacy_migrate.py
	$(BIN)/python bench/import_excel.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/load.py
	@if [ -f ../shared/fixtures/legacy/bgl-2025-12-17.sqlite ]; then \
		$(BIN)/python bench/matching.py --legacy ../shared/fixtures/legacy/bgl-2025-12-17.sqlite; fi

serve: migrate
	APP_ENV=production $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - app:app

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
