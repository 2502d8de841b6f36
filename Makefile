# Every target sets up .venv on first use: a fresh clone needs nothing but `make report`.
VENV    := .venv
PY      := $(VENV)/bin/python
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CONFIG  ?= examples/demo/scorecard.toml
PERIOD  ?=
PERIOD_OPT := $(if $(PERIOD),--period $(PERIOD))

.PHONY: report test lint templates demo validate score bench clean watch

$(STAMP): pyproject.toml
	test -d $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/scorecard report --config $(CONFIG) $(PERIOD_OPT)

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(BIN)/ruff format --check pipeline tests
	$(BIN)/ruff check pipeline tests
	$(BIN)/lint-imports

templates: $(STAMP)
	$(BIN)/scorecard templates --config $(CONFIG) $(PERIOD_OPT) $(if $(PREFILL),--prefill)

demo: $(STAMP)
	$(BIN)/scorecard demo --config examples/demo/scorecard.toml

validate: $(STAMP)
	$(BIN)/scorecard validate --config $(CONFIG) $(PERIOD_OPT)

# Check each workbook within seconds of it landing in the inbox; Ctrl-C stops (INTERVAL=10).
INTERVAL ?=
watch: $(STAMP)
	$(BIN)/scorecard watch --config $(CONFIG) $(PERIOD_OPT) $(if $(INTERVAL),--interval $(INTERVAL))

score: $(STAMP)
	$(BIN)/scorecard score --config $(CONFIG) $(PERIOD_OPT)

# Timings and memory on generated organisations (build/bench/org-N), written to
# reports/bench/bench.json:  make bench SIZES=10,50 REPEAT=1
SIZES  ?= 10,50,200
REPEAT ?= 3
bench: $(STAMP)
	$(PY) -m pipeline.bench --sizes $(SIZES) --repeat $(REPEAT)

clean:
	rm -rf $(VENV) examples/demo/reports examples/demo/archive

# Mutation fuzzing of the reader on the demo workbooks: N damaged copies, each read in a
# worker process; exit 1 on any crash, hang or killed worker (kept in build/fuzz).
N    ?= 200
SEED ?= 1

.PHONY: fuzz
fuzz: $(STAMP)
	$(PY) -m pipeline.fuzz --config $(CONFIG) -n $(N) --seed $(SEED) --keep build/fuzz

# Start a new organisation: a commented scorecard.toml and its folders (README "Start your
# own organisation"). DIR is required; FORCE=1 replaces an existing scorecard.toml.
#   make init DIR=$HOME/acme NAME="Acme Ltd"
.PHONY: init
init: $(STAMP)
	$(if $(DIR),,$(error DIR is required: make init DIR=path/to/folder NAME="Acme Ltd"))
	$(BIN)/scorecard init "$$DIR" $(if $(NAME),--name "$$NAME") $(if $(FORCE),--force)
