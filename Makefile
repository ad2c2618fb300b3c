# curatedrl: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The CPU wheel of torch lies on this machine's disk; a bare `torch` would pull a CUDA build.
TORCH ?= torch==2.13.0

.PHONY: install test test-slow lint demo datasets policies bench reproduce leaderboard reliability-doc clean-venv
SIZE ?= full
# make reproduce SUITE=paper|baselines|all SEEDS=5 SCHEDULE=paper|cpu [ALGO=name] [WORKERS=N]
#   [ARGS="--skip-exported --dry-run ..."]  (any other `curatedrl sweep` option)
SUITE ?= all
SEEDS ?= 5
SCHEDULE ?= paper
WORKERS ?= 1
BACKEND ?= local
ALGO ?=
ARGS ?=

$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install curatedrl with its dev tools

test: $(STAMP)  ## the default test suite (slow learning tests excluded)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)  ## only the slow, opt-in learning tests
	$(BIN)/python -m pytest -q -m slow

reliability-doc: $(STAMP)  ## rewrite the bad-input table of docs/reliability.md from its tests
	CURATEDRL_WRITE_DOCS=1 $(BIN)/python -m pytest -q tests/test_bad_inputs.py

lint: $(STAMP)
	$(BIN)/python -m flake8 .

demo: $(STAMP)  ## the main job on the embedded default dataset (no download)
	$(BIN)/curatedrl demo

bench: $(STAMP)  ## speed figures, one line each
	$(BIN)/curatedrl bench

datasets: $(STAMP)  ## the suite's datasets, checked against datasets/manifest.json (SIZE=small|tiny)
	$(BIN)/curatedrl datasets generate --size $(SIZE) --strict

policies: $(STAMP)  ## train (or resume) the behaviour policies; needs the `policies` extra
	$(BIN)/pip install --quiet -c constraints.txt -e ".[policies]"
	$(BIN)/curatedrl policies train

reproduce: $(STAMP)  ## run a suite's cells (skips finished ones) and export them to results/
	$(BIN)/curatedrl sweep --suite $(SUITE) --seeds $(SEEDS) --schedule $(SCHEDULE) \
		--workers $(WORKERS) --backend $(BACKEND) $(if $(ALGO),--algo $(ALGO)) $(ARGS)

leaderboard: $(STAMP)  ## rebuild LEADERBOARD.md and docs/leaderboard/*.png from results/ only
	$(BIN)/curatedrl leaderboard

clean-venv:
	rm -rf $(VENV)
