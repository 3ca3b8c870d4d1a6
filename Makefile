# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
FLASK := $(BIN)/flask --app wsgi
# Links in texts and emails must point where this server is reached: follow PORT and HOST unless set.
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run seed: export PUBLIC_BASE_URL := $(PUBLIC_BASE_URL)

.PHONY: run test install lock migrate seed lint bench bench-dispatch simulate clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "). Set PYTHON=python3.11 or newer.")'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the requirements change. requirements-dev.txt holds every package (the service's and the
# test tools', pip itself included) pinned with its hashes, so a download that isn't the locked file is refused.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Re-compile the locked files from requirements.in and requirements-dev.in, keeping every version already pinned.
# Upgrade one package: make lock LOCK_ARGS="--upgrade-package flask"; everything: make lock LOCK_ARGS=--upgrade
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --strip-extras \
	--allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: install
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

# The web server and the scheduler together; Ctrl-C stops both.
run: seed
	@echo "Serving http://$(HOST):$(PORT) with the scheduler running (Ctrl-C stops both); links use $(PUBLIC_BASE_URL)"
	@$(FLASK) scheduler run & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check coordinator tests config.py wsgi.py migrations bench

# Seed a large dataset, then load the task pages and claiming with wrk (see bench/README.md).
# Bigger, or on PostgreSQL: make bench BENCH_CIRCLES=1000 BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench
BENCH_CIRCLES ?= 200
BENCH_TASKS ?= 300
BENCH_SUPPORTERS ?= 30
BENCH_DATABASE_URL ?=
BENCH_DB_ARG = $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
bench: install
	$(BIN)/python -m bench.seed --reset --circles $(BENCH_CIRCLES) --tasks-per-circle $(BENCH_TASKS) --supporters $(BENCH_SUPPORTERS) $(BENCH_DB_ARG) && $(BIN)/python -m bench.pages $(BENCH_DB_ARG) $(BENCH_ARGS)

bench-dispatch: install
	$(BIN)/python -m bench.dispatch $(BENCH_DB_ARG)

simulate: install  # the whole grid (bench/README.md); SIM_ARGS="--quick" or "--ablation" for less or more
	$(BIN)/python -m bench.simulate $(SIM_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
