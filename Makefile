# The README's first two commands: `make run` (the desk on the embedded SQLite, demo data on first
# run) and `make test` (the whole suite, on SQLite and on a throwaway PostgreSQL it starts itself).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint ui clean

$(BIN)/cras-desk: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/cras-desk
	$(BIN)/cras-desk

test: $(BIN)/cras-desk
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -p no:cacheprovider
	$(BIN)/mypy --strict cras_desk/domain cras_desk/services cras_desk/db
	$(BIN)/ruff check .

lint: $(BIN)/cras-desk
	$(BIN)/ruff check .
	$(BIN)/ruff format --check cras_desk

# Recompile Qt Designer files into cras_desk/gui/generated (the generated code is committed).
# The one compile path: scripts/compile_ui.py (also what tests/app/test_generated_ui.py checks).
ui: $(BIN)/cras-desk
	$(BIN)/python scripts/compile_ui.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
