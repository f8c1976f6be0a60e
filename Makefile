# One command builds and runs the main job (`make run`); one runs the tests (`make test`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DOCKER_CONFIG ?= $(HOME)/.docker
PLUGIN_DIR := $(DOCKER_CONFIG)/cli-plugins
ZIPAPP := dist/docker-runtimecheck

.PHONY: all venv dist install uninstall run test test-fast lint bench mutate coverage clean

all: dist

# A new venv whenever the dependencies change: pip never mixes old and new sets in it.
$(VENV)/.installed: pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

# The tools of `make mutate` and `make coverage` (requirements/dev.txt), on top of the venv.
$(VENV)/.dev-installed: $(VENV)/.installed requirements/dev.txt
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@

dist: $(VENV)/.installed
	$(PY) scripts/build-zipapp

# The plugin installs itself: written beside the old file, proven, then renamed into place.
install: dist
	DOCKER_CONFIG=$(DOCKER_CONFIG) $(ZIPAPP) install

# The plugin's own uninstall: it also takes back what `install --alias-build/--hooks` set in
# config.json (removing only the file would leave `docker build` pointing at nothing).
uninstall:
	@if [ -e $(PLUGIN_DIR)/docker-runtimecheck ]; then \
	  DOCKER_CONFIG=$(DOCKER_CONFIG) $(PLUGIN_DIR)/docker-runtimecheck uninstall; \
	elif [ -e $(ZIPAPP) ]; then \
	  DOCKER_CONFIG=$(DOCKER_CONFIG) $(ZIPAPP) uninstall; \
	else \
	  echo "no plugin at $(PLUGIN_DIR)/docker-runtimecheck and no $(ZIPAPP) to uninstall with" >&2; \
	  echo "see README.md, 'If docker build stops working'" >&2; exit 1; \
	fi

# Build the zipapp, install it as a docker CLI plugin, and check the current builder.
run: install
	@if command -v docker >/dev/null; then docker runtimecheck; else $(ZIPAPP); fi; \
	  echo "exit status $$? (0 pass, 1 blocked, 3 could not inspect)" >&2

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check plugin tests bench scripts/build-zipapp scripts/mutate scripts/zipapp_main.py scripts/check-pages scripts/derive-metadata
	$(VENV)/bin/ruff format --check plugin tests bench scripts/build-zipapp scripts/mutate scripts/zipapp_main.py scripts/check-pages scripts/derive-metadata
	$(VENV)/bin/mypy

# Everything, including the tests on the real engine (CI starts dockerd and builds the images).
test: $(VENV)/.installed
	$(VENV)/bin/pytest

test-fast: $(VENV)/.installed
	$(VENV)/bin/pytest -m "not engine and not slow"

# Mutation testing of the modules that decide, against their fast unit tests (scripts/mutate
# lists them); fails under 90% killed or on a survivor not in tests/mutation-equivalents.txt.
mutate: $(VENV)/.dev-installed
	$(PY) scripts/mutate

# Branch coverage of the whole suite, also of the plugin processes the tests start (through
# the docker CLI, the zipapp and the console script). The data and the report go to
# .measure/coverage/, not build/: the zipapp build the tests run empties build/.
COVERAGE_DATA := $(CURDIR)/.measure/coverage
coverage: $(VENV)/.dev-installed
	rm -rf $(COVERAGE_DATA) && mkdir -p $(COVERAGE_DATA)
	COVERAGE_FILE=$(COVERAGE_DATA)/.coverage COVERAGE_PROCESS_START=$(CURDIR)/pyproject.toml \
	  $(VENV)/bin/coverage run -m pytest -p no:cacheprovider; status=$$?; \
	  COVERAGE_FILE=$(COVERAGE_DATA)/.coverage $(VENV)/bin/coverage combine --quiet && \
	  COVERAGE_FILE=$(COVERAGE_DATA)/.coverage $(VENV)/bin/coverage report && \
	  COVERAGE_FILE=$(COVERAGE_DATA)/.coverage $(VENV)/bin/coverage html --quiet -d $(COVERAGE_DATA)/html; \
	  exit $$status

# Start-up and preflight figures, as ratios against bare python3 (preflight needs dockerd).
bench: dist
	$(PY) bench/startup.py --python $(shell python3 -c 'import sys; print(sys.executable)')
	$(PY) bench/preflight.py --python $(shell python3 -c 'import sys; print(sys.executable)')
	$(PY) bench/zipapp.py --python $(shell python3 -c 'import sys; print(sys.executable)')

clean:
	rm -rf dist build *.egg-info plugin/*.egg-info
