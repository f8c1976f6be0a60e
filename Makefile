# One command builds and runs the main job (`make run`); one runs the tests (`make test`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DOCKER_CONFIG ?= $(HOME)/.docker
PLUGIN_DIR := $(DOCKER_CONFIG)/cli-plugins
ZIPAPP := dist/docker-runtimecheck

.PHONY: all venv dist install uninstall run test test-fast lint bench clean

all: dist

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

dist: $(VENV)/.installed
	$(PY) scripts/build-zipapp

install: dist
	mkdir -p $(PLUGIN_DIR)
	install -m 0755 $(ZIPAPP) $(PLUGIN_DIR)/docker-runtimecheck
	@echo "installed $(PLUGIN_DIR)/docker-runtimecheck"

uninstall:
	rm -f $(PLUGIN_DIR)/docker-runtimecheck

# Build the zipapp, install it as a docker CLI plugin, and check the current builder.
run: install
	@if command -v docker >/dev/null; then docker runtimecheck; else $(ZIPAPP); fi; \
	  echo "exit status $$? (0 pass, 1 blocked, 3 could not inspect)" >&2

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check plugin tests bench scripts/build-zipapp
	$(VENV)/bin/ruff format --check plugin tests bench scripts/build-zipapp
	$(VENV)/bin/mypy

# Everything, including the tests on the real engine (CI starts dockerd and builds the images).
test: $(VENV)/.installed
	$(VENV)/bin/pytest

test-fast: $(VENV)/.installed
	$(VENV)/bin/pytest -m "not engine and not slow"

# Start-up and preflight figures, as ratios against bare python3 (preflight needs dockerd).
bench: dist
	$(PY) bench/startup.py --python $(shell python3 -c 'import sys; print(sys.executable)')
	$(PY) bench/preflight.py --python $(shell python3 -c 'import sys; print(sys.executable)')

clean:
	rm -rf dist build *.egg-info plugin/*.egg-info
