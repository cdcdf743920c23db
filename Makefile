# kgitops: `make demo` runs the main job on the local real stack, `make test` the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test test-under-load unit stack-up stack-down lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

test: $(STAMP)
	$(BIN)/pytest -q

# The suite beside two busy-loop processes (one per core): what a busy CI machine sees.
test-under-load: $(STAMP)
	bash scripts/under-load.sh $(BIN)/pytest -q

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

stack-up: $(STAMP)
	$(BIN)/kgitops dev up

stack-down: $(STAMP)
	$(BIN)/kgitops dev down
	$(BIN)/kgitops dev down --kafka-version 3.9

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
