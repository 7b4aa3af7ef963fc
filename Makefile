# jemput: the two commands that matter are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo .local/uv/bin/uv)
STACK := deploy/local/stack.sh
PYTEST := .venv/bin/pytest
# Checkers the test tier runs, built or installed once into .local/ (git-ignored).
COMPOSE_CHECK := .local/bin/compose-check
ASYNCAPI_PARSER := .local/asyncapi/node_modules/@asyncapi/parser/package.json

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --quiet --disable-pip-version-check --target .local/uv "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

setup: .venv/.synced tools ## install Python deps; download/build Kafka, FerretDB and the checkers: compose-check, the AsyncAPI parser, helm, promtool (cached)
	$(STACK) setup

tools: $(COMPOSE_CHECK) $(ASYNCAPI_PARSER) ## the checkers the tests run: Compose's loader, the AsyncAPI parser, helm, promtool
	deploy/tools/build.sh all

jaeger: ## a local trace viewer for `make run`: Jaeger all-in-one built from the Go module proxy (once; cached)
	deploy/tools/build.sh jaeger

$(COMPOSE_CHECK): deploy/compose-check/main.go deploy/compose-check/go.mod deploy/compose-check/go.sum
	@command -v go >/dev/null || { echo "go is not installed (needed to build compose-check)" >&2; exit 1; }
	cd deploy/compose-check && GOTOOLCHAIN=local nice -n 19 go build -o $(CURDIR)/$@ .

$(ASYNCAPI_PARSER): deploy/docs/asyncapi-check/package.json deploy/docs/asyncapi-check/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node 20) is not installed (needed for @asyncapi/parser)" >&2; exit 1; }
	mkdir -p .local/asyncapi
	cp deploy/docs/asyncapi-check/package.json deploy/docs/asyncapi-check/package-lock.json .local/asyncapi/
	cd .local/asyncapi && nice -n 19 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

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

format: .venv/.synced ## apply ruff's formatting and safe fixes
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

docs: .venv/.synced ## write each service's OpenAPI and AsyncAPI documents to docs/api/
	.venv/bin/python deploy/docs/generate.py

bench: up ## event store append rate vs raw insert_one into the same server
	.venv/bin/python deploy/bench/append_rate.py

bench-store-ops: up ## server CPU per document of each store command jemput sends, vs a raw insert
	.venv/bin/python deploy/bench/store_ops.py $(ARGS)

bench-audit: up ## verify, digest, rebuild, history reads at 100,000 events vs raw reads
	.venv/bin/python deploy/bench/audit_scan.py --events 100000

bench-audit-1m: up ## the same at 1,000,000 events (about an hour; FerretDB sorts in memory: ~14 GB)
	.venv/bin/python deploy/bench/audit_scan.py --events 1000000

bench-pipeline: up ## open-loop load end to end, HTTP in to email out, step by step (ARGS="--rates 5,10")
	.venv/bin/python -m deploy.bench.pipeline $(ARGS)

drill: setup ## faults under steady load (own Kafka and FerretDB), checked; results in docs/drills/ (ARGS="--rate 20")
	.venv/bin/python -m deploy.drill $(ARGS)

clean: down ## stop the stack and delete its data (downloads stay cached)
	rm -rf .local/kafka/data .local/ferretdb/data .local/log .local/run

.PHONY: tools jaeger browser demo-data drill bench-store-ops bench-audit bench-audit-1m bench-pipeline help setup up down status run docs test test-unit test-integration test-e2e lint format bench clean
