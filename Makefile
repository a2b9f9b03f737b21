# The README's commands. Each target installs what it needs first.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
FLASK = $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 4

.PHONY: run test lint format bench serve migrate clean translations compile-translations

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# With MIGRATE_DATABASE_URL (production, PostgreSQL) the migrations run as the role that owns the tables, and the
# app's role (DATABASE_URL's) is then given exactly the grants the register needs (README: database roles).
migrate: $(VENV)/.installed
	$(FLASK) db upgrade
	if [ -n "$$MIGRATE_DATABASE_URL" ]; then $(FLASK) db-roles grant; fi

# The catalogues: the .po files are the source (committed); the .mo files are built from them.
BABEL_KEYWORDS = -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2

compile-translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d translations 2>&1 | grep -v '^compiling' || true

# Refresh the catalogues from the code: new messages appear untranslated in translations/*/LC_MESSAGES/messages.po.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --sort-output --no-wrap --project="Bank guarantee register" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete --no-fuzzy-matching
	$(MAKE) compile-translations

run: migrate compile-translations
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev compile-translations
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

# Long imports run as jobs: a worker starts beside gunicorn and stops when make does (README: the job worker).
serve: export JOBS ?= worker
serve: migrate compile-translations
	APP_ENV=production $(FLASK) jobs work --stop-with $$PPID &
	APP_ENV=production $(BIN)/gunicorn --config gunicorn.conf.py --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - app:app

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
