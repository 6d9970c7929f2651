# Caresight: `make run` to try it, `make test` to test it. Needs Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test e2e schemathesis faults load audit lint assets clean-db

$(BIN)/.installed: pyproject.toml scripts/install-system-packages
	bash scripts/install-system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## run: install, migrate, load the demo area and serve on http://127.0.0.1:8000 (Ctrl+C stops)
run: $(BIN)/.installed
	$(BIN)/caresight migrate --no-input -v0
	$(BIN)/caresight demo
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/caresight db_worker --no-reload >/dev/null 2>&1 & \
	$(BIN)/caresight scheduler >/dev/null 2>&1 & \
	$(BIN)/caresight runserver 127.0.0.1:8000

## test: the whole suite (SQLite, or the database in DATABASE_URL), then ruff, mypy and bandit
test: $(BIN)/.installed-test
	$(BIN)/pytest -n auto $(PYTEST_ARGS)
	$(BIN)/ruff check .
	$(BIN)/mypy caresight config
	$(BIN)/bandit -q -r caresight config -x '*/tests/*,*/migrations/*' --severity-level medium

# Advisories accepted for now, each with its reason: --ignore-vuln ID (reason in a comment).
PIP_AUDIT_IGNORES :=

## audit: known vulnerabilities in the installed packages (pip-audit; needs PyPI) and bandit
audit: $(BIN)/.installed-test
	$(BIN)/bandit -q -r caresight config -x '*/tests/*,*/migrations/*' --severity-level medium
	$(BIN)/pip-audit --skip-editable --progress-spinner off $(PIP_AUDIT_IGNORES)

## e2e: browser and accessibility tests in Debian's Chromium (needs chromium and npm)
e2e: $(BIN)/.installed-test node_modules/axe-core/axe.min.js
	@test -x /usr/bin/chromium || { echo "Install Chromium first: apt-get install chromium"; exit 1; }
	$(BIN)/pytest -m e2e tests/e2e $(PYTEST_ARGS)

## schemathesis: the API against its OpenAPI schema on a live test server (a few minutes)
schemathesis: $(BIN)/.installed-test
	$(BIN)/pytest -m schemathesis tests/api $(PYTEST_ARGS)

## faults: PostgreSQL restarted and workers killed mid-import, two imports at once (a private
## server on a free port in 5440-5459; needs initdb, and runuser as root; about 6 minutes)
faults: $(BIN)/.installed-test
	$(BIN)/pytest -m faults tests/faults $(PYTEST_ARGS)

## load: 50 officers for 5 minutes against gunicorn and PostgreSQL on 127.0.0.1 (locust; ~10 min)
load: $(BIN)/.installed-test
	$(BIN)/python bench/load.py $(LOAD_ARGS)

node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## assets: rebuild the GOV.UK Frontend stylesheet and scripts (needs npm)
assets:
	bash scripts/build_assets.sh

clean-db:
	rm -f caresight.sqlite3 caresight.sqlite3-wal caresight.sqlite3-shm
