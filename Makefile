# curatedrl: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two stamps: the package alone (what `make demo` needs) and its `dev` extra (tests, lint,
# leaderboard plots, Ray: ~2 GB more) on top.
BASE_STAMP := $(VENV)/.installed-base-stamp
STAMP := $(VENV)/.installed-dev-stamp
# The CPU wheel of torch lies on this machine's disk; a bare `torch` would pull a CUDA build.
TORCH ?= torch==2.13.0

.PHONY: install test test-slow lint demo datasets policies bench reproduce leaderboard site-screenshots reliability-doc k-validation clean-venv gpu-wheels gpu-check gpu-decisive
SIZE ?= full
# make reproduce SUITE=paper|baselines|all SEEDS=5 SCHEDULE=paper|cpu [ALGO=name] [WORKERS=N]
#   [DATA=curatedrl|d4rl|minari] [D4RL_DIR=~/.d4rl/datasets] [MINARI_DIR=dir]
#   (no DATA: the source of ARGS' --dataset values, else curatedrl)
#   [ARGS="--skip-exported --allow-missing --dry-run ..."]  (any other `curatedrl sweep` option)
SUITE ?= all
SEEDS ?= 5
SCHEDULE ?= paper
WORKERS ?= 1
BACKEND ?= local
ALGO ?=
ARGS ?=
DATA ?=
D4RL_DIR ?= ~/.d4rl/datasets
MINARI_DIR ?=

$(BASE_STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $(BASE_STAMP)

$(STAMP): $(BASE_STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install curatedrl with its dev tools

test: $(STAMP)  ## the default test suite (slow learning tests excluded)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)  ## only the slow, opt-in learning tests
	$(BIN)/python -m pytest -q -m slow

reliability-doc: $(STAMP)  ## rewrite the bad-input table of docs/reliability.md from its tests
	CURATEDRL_WRITE_DOCS=1 $(BIN)/python -m pytest -q tests/test_bad_inputs_train.py

lint: $(STAMP)
	$(BIN)/python -m flake8 .

# make demo [THREADS=N]: torch threads (default: every core; THREADS=1 beside other jobs)
THREADS ?=
demo: $(BASE_STAMP)  ## the main job on the embedded default dataset (no download; no dev extra)
	$(BIN)/curatedrl demo $(if $(THREADS),--threads $(THREADS))

bench: $(STAMP)  ## speed figures, one line each
	$(BIN)/curatedrl bench

datasets: $(STAMP)  ## the suite's datasets, checked against datasets/manifest.json (SIZE=small|tiny)
	$(BIN)/curatedrl datasets generate --size $(SIZE) --strict

policies: $(STAMP)  ## train (or resume) the behaviour policies; needs the `policies` extra
	$(BIN)/pip install --quiet -c constraints.txt -e ".[policies]"
	$(BIN)/curatedrl policies train

k-validation: $(STAMP)  ## whole episodes vs k sampled steps, exact vs refreshed iw-BC weights, for paper-sampled (hours; docs/iw_bc.md)
	$(BIN)/python -m curatedrl.benchmarks.speed.k_validation run --out runs/k-validation --episodes 50
	$(BIN)/python -m curatedrl.benchmarks.speed.k_validation table --out runs/k-validation

reproduce: $(STAMP)  ## run a suite's cells (skips finished ones) and export them to results/
	$(BIN)/curatedrl sweep --suite $(SUITE) --seeds $(SEEDS) --schedule $(SCHEDULE) \
		--workers $(WORKERS) --backend $(BACKEND) $(if $(ALGO),--algo $(ALGO)) \
		$(if $(DATA),--data $(DATA)) \
		$(if $(filter d4rl,$(DATA)),--data-dir $(D4RL_DIR)) \
		$(if $(and $(filter minari,$(DATA)),$(MINARI_DIR)),--data-dir $(MINARI_DIR)) $(ARGS)

leaderboard: $(STAMP)  ## rebuild LEADERBOARD.md, docs/leaderboard/index.html and its plots from results/ only
	$(BIN)/curatedrl leaderboard

site-screenshots: $(STAMP)  ## rewrite docs/leaderboard/screenshot-*.png (needs chromium, chromium-driver)
	CURATEDRL_WRITE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_site.py

# make gpu-wheels [GPU_PYTHON=3.11]: where there is internet, download the wheels a bare CUDA
# machine (torch only, offline) lacks into .gpu-wheels/ (git-ignored; carry it with the tree).
GPU_PYTHON ?= $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
GPU_WHEELS ?= .gpu-wheels
gpu-wheels:  ## wheels of gymnasium, mujoco, minari, ... for `make gpu-check` offline
	$(PYTHON) -m pip download --quiet --dest $(GPU_WHEELS) --only-binary=:all: \
		--python-version $(GPU_PYTHON) --platform manylinux2014_x86_64 \
		--platform manylinux_2_28_x86_64 -r benchmarks/speed/gpu-requirements.txt
	cp benchmarks/speed/gpu-requirements.txt $(GPU_WHEELS)/requirements.txt
	du -sh $(GPU_WHEELS)

gpu-check:  ## on a lent CUDA machine: device tests, bench --device cuda, a sweep slice (<= 8 min)
	PYTHON=$(PYTHON) GPU_WHEELS=$(GPU_WHEELS) bash benchmarks/speed/gpu_check.sh

clean-venv:
	rm -rf $(VENV)

gpu-decisive:  ## on a lent CUDA machine: decisive-experiment cells for ~9 min, results archived (benchmarks/speed/gpu_decisive.sh)
	PYTHON=$(PYTHON) GPU_WHEELS=$(GPU_WHEELS) bash benchmarks/speed/gpu_decisive.sh
