# jemput: the two commands that matter are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo .local/uv/bin/uv)
STACK := deploy/local/stack.sh
PYTEST := .venv/bin/pytest

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --quiet --disable-pip-version-check --target .local/uv "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

setup: .venv/.synced tools ## install Python deps; download/build Kafka, FerretDB, helm, promtool (cached)
	$(STACK) setup

tools: ## build helm and promtool from the Go module proxy (cached in .local/bin; deploy/tools/build.sh)
	deploy/tools/build.sh all

up: setup ## start Kafka and FerretDB (no-op for what already runs)
	$(STACK) start

down: ## stop Kafka and FerretDB
	$(STACK) stop

status: ## what runs, where
	$(STACK) status

run: setup ## set everything up and run jemput locally: stack, relay, services, SMTP sink
	deploy/local/run.sh

browser: ## Chromium from the OS packages, for the dashboard's browser tests (no downloads by Playwright)
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; } \
	  || { echo "install Chromium with your package manager (e.g. sudo apt-get install chromium)" >&2; exit 1; }

demo-data: up ## a demo campaign in the dashboard: thousands of requests over 30 days (DB jemput_demo)
	.venv/bin/python deploy/demo/dashboard_demo.py $(ARGS)

test: setup browser ## set up, start the stack, run every tier, stop what it started
	deploy/local/with-stack.sh $(PYTEST) -m "unit or integration or e2e"

test-unit: .venv/.synced tools ## unit tier only (no stack needed; the chart and alert tests need helm, promtool)
	$(PYTEST) -m unit

test-integration: up ## integration tier against the running stack
	$(PYTEST) -m integration

test-e2e: up ## end-to-end tier against the running stack
	$(PYTEST) -m e2e

lint: .venv/.synced ## ruff and mypy (strict)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	MYPYPATH=deploy/bench:deploy .venv/bin/mypy -p drill
	.venv/bin/mypy deploy/capacity/plan.py

format: .venv/.synced ## apply ruff's formatting and safe fixes
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

docs: .venv/.synced ## write each service's OpenAPI and AsyncAPI documents to docs/api/
	.venv/bin/python deploy/docs/generate.py

bench: up ## event store append rate vs raw insert_one into the same server
	.venv/bin/python deploy/bench/append_rate.py

bench-audit: up ## verify, digest, rebuild, history reads at 100,000 events vs raw reads
	.venv/bin/python deploy/bench/audit_scan.py --events 100000

bench-audit-1m: up ## the same at 1,000,000 events (about an hour; FerretDB sorts in memory: ~14 GB)
	.venv/bin/python deploy/bench/audit_scan.py --events 1000000

bench-pipeline: up ## open-loop load end to end, HTTP in to email out, step by step (ARGS="--rates 5,10")
	.venv/bin/python deploy/bench/pipeline $(ARGS)

drill: setup ## faults under steady load (own Kafka and FerretDB), checked; results in docs/drills/ (ARGS="--rate 20")
	.venv/bin/python deploy/drill $(ARGS)

clean: down ## stop the stack and delete its data (downloads stay cached)
	rm -rf .local/kafka/data .local/ferretdb/data .local/log .local/run

.PHONY: tools browser demo-data drill bench-audit bench-audit-1m bench-pipeline help setup up down status run docs test test-unit test-integration test-e2e lint format bench clean
