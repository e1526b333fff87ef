# The verbs a person uses. Every target sets up what it needs: `make run` and `make test` work on a
# fresh clone with nothing but Python >= 3.11 (and Go + npm for the end-to-end suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: help install run test lint format e2e e2e-kind e2e-repeat e2e-deps cluster-up cluster-down cluster-status \
	sandbox bench image lock clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

install: $(STAMP) ## create .venv and install the locked dependencies and the package

$(STAMP): pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kube-ai-proxy needs Python >= 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

run: ## the server on stdio: your kubeconfig's cluster, else the local one (started on first use)
	@# stdout is the MCP stream: what make and the install print goes to stderr.
	@$(MAKE) --no-print-directory install >&2
	@$(PY) -m e2e.harness.serve $(VENV)/bin/kube-ai-proxy

test: install ## fast tests: no cluster, no network
	$(PY) -m pytest tests -q

lint: install ## ruff check, ruff format --check, mypy --strict
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

e2e-deps: ## install the MCP Inspector CLI used by the end-to-end suite (npm)
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ (Debian: apt-get install nodejs npm)"; exit 1; }
	cd e2e && npm ci --no-audit --no-fund --loglevel=error

e2e: install e2e-deps ## end-to-end tests against a real control plane and the Docker image (both built on first run)
	@# Built here rather than inside pytest, whose capture would hide the progress lines of a
	@# first build that takes minutes. --full: istioctl and argocd too (their e2e tests). The
	@# image after the binaries: its build reuses the Go modules they downloaded.
	$(PY) -m e2e.harness binaries --full
	$(PY) -m e2e.harness image
	$(PY) -m pytest e2e -q -p no:cacheprovider

e2e-kind: install e2e-deps ## the tests that need real containers, on a kind cluster whose node image is built here
	@# Docker as for `image`; kind, containerd, runc and the kubelet from their Go modules (cached).
	$(PY) -m e2e.harness binaries --full
	$(PY) -m e2e.harness e2e-kind

N ?= 3
e2e-repeat: install e2e-deps ## the end-to-end suite N times (default 3) on one cluster, each in a new shuffled order
	$(PY) -m e2e.harness binaries --full
	$(PY) -m e2e.harness image
	$(PY) -m e2e.repeat $(N)

cluster-up: install ## start the local control plane (kwokctl, binary runtime) and print its kubeconfig
	$(PY) -m e2e.harness up

cluster-down: install ## stop the local control plane
	$(PY) -m e2e.harness down

cluster-status: install ## is the local control plane running, and where are its kubeconfigs
	$(PY) -m e2e.harness status

sandbox: ## the server on stdio against the local control plane (started when it is not running)
	@# stdout is the MCP stream: what make and the cluster's start print goes to stderr.
	@$(MAKE) --no-print-directory cluster-up >&2
	@PATH="$$($(PY) -m e2e.harness bin-dir):$$PATH" KUBECONFIG="$$($(PY) -m e2e.harness kubeconfig)" \
		exec $(VENV)/bin/kube-ai-proxy

bench: install ## benchmark on the local control plane vs. the floor, kubectl and two peer servers; writes docs/benchmarks.md
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ (Debian: apt-get install nodejs npm)"; exit 1; }
	$(PY) -m pip install --quiet --require-hashes -r requirements-bench.lock
	@# `npm install` from the lock, not `npm ci`: kubernetes-mcp-server 0.0.67 lists an optional
	@# binary package per platform and the lock holds linux-amd64's only (the one it was made
	@# with), which `npm ci` refuses as out of sync; install keeps to the lock for what it holds.
	cd e2e/bench && npm install --no-audit --no-fund --loglevel=error
	@# Built here rather than inside the run, as for e2e: a first build takes minutes.
	$(PY) -m e2e.harness binaries
	@# Starts the cluster when none runs, and stops it at the end only then.
	$(PY) -m e2e.bench

image: install ## build the Docker image kube-ai-proxy:dev (starts a Docker engine for the build when none runs)
	$(PY) -m e2e.harness image

lock: install ## re-resolve requirements*.lock from pyproject.toml (needs uv: pip install uv)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --no-strip-extras --generate-hashes --python-version 3.11 -q -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --no-strip-extras --extra dev --generate-hashes --python-version 3.11 -q -o requirements-dev.lock
	$(VENV)/bin/uv pip compile pyproject.toml --no-strip-extras --extra dev --extra bench -c requirements-dev.lock --generate-hashes --python-version 3.11 -q -o requirements-bench.lock

clean: ## remove the virtualenv and caches (the e2e binary cache in ~/.cache/kube-ai-proxy stays)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
