# Crowdify: `make up` runs the platform, `make test` runs every test. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := uv
ROLE ?= admin
# Each service's tests run in their own pytest process: every service names its test package
# `tests`, and one process cannot import two packages of one name.
TEST_ROOTS := libs tools gateway event-svc purchase-svc validation-svc pdf-svc notification-svc admin-svc
SERVICES := event-svc purchase-svc validation-svc pdf-svc notification-svc admin-svc

.PHONY: openapi contract-snapshots help bootstrap infra migrate seed up start stop test test-unit test-int test-e2e fuzz chaos lint lint-imports format token events-doc bench clean

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

bootstrap: ## Install uv, the Python workspace (uv.lock) and nginx from Debian's packages
	@tools/bin/bootstrap

infra: ## Start PostgreSQL, Redis and RabbitMQ if they are down
	@tools/bin/ensure-infra

migrate: bootstrap infra ## Create the database, roles and schemas, and migrate every service
	@$(UV) run --frozen python -m crowdify_tools.migrate

seed: migrate ## Load the demo event and its ticket types
	@$(UV) run --frozen python -m crowdify_tools.seed

up: seed ## Run the whole platform in the foreground (Ctrl-C stops it) and print its URLs
	@tools/bin/platform up

start: seed ## Run the whole platform in the background; returns once /ready is green
	@tools/bin/platform start

stop: ## Stop what `make start` started
	@tools/bin/platform stop

test: test-int ## Run every test: unit, integration, gateway, end-to-end and faults
	@$(MAKE) --no-print-directory test-e2e
	@$(MAKE) --no-print-directory chaos

test-unit: bootstrap ## Quick loop: the unit tests alone (no servers, seconds)
	@failed=""; for root in $(TEST_ROOTS); do \
		units=$$(find $$root/tests -type d -name unit -not -path '*/__pycache__/*'); [ -n "$$units" ] || continue; \
		echo "== $$root"; $(UV) run --frozen pytest $$units -q || failed="$$failed $$root"; \
	done; echo "== web"; npm --prefix web test --silent || failed="$$failed web"; \
	if [ -n "$$failed" ]; then echo "unit tests failed in:$$failed"; exit 1; fi

test-int: bootstrap infra ## Every service's own tests on the real servers (no platform, no journeys, no faults)
	@failed=""; for root in $(TEST_ROOTS); do \
		echo "== $$root"; $(UV) run --frozen pytest $$root -q || failed="$$failed $$root"; \
	done; echo "== web"; npm --prefix web test --silent || failed="$$failed web"; if [ -n "$$failed" ]; then echo "tests failed in:$$failed"; exit 1; fi

test-e2e: bootstrap infra ## End-to-end journeys through the gateway (starts the platform if needed)
	@tools/bin/e2e

fuzz: bootstrap infra ## schemathesis over the gateway's OpenAPI, 300 examples per operation (FUZZ_EXAMPLES=...)
	@tools/bin/fuzz

chaos: bootstrap infra ## Fault tests: a platform of their own, 200 orders through kill -9, a broker restart and outages
	@$(UV) run --frozen pytest tests-chaos -q -s

lint: bootstrap ## ruff (lint and format check), mypy and the import rules (import-linter)
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .
	@$(UV) run --frozen mypy libs/src event-svc/src purchase-svc/src validation-svc/src pdf-svc/src notification-svc/src admin-svc/src gateway/src tools/src bench/src
	@$(MAKE) --no-print-directory lint-imports

lint-imports: ## The import rules alone (pyproject.toml, and each service's for its tests)
	@$(UV) run --frozen lint-imports --no-cache
	@for service in $(SERVICES); do (cd $$service && $(UV) run --frozen lint-imports --no-cache) || exit 1; done

format: bootstrap ## Format the code with ruff
	@$(UV) run --frozen ruff format .
	@$(UV) run --frozen ruff check --fix .

token: ## Print a backend token for curl: make token ROLE=admin|coordinator|scanner|user
	@$(UV) run --frozen python -m crowdify_tools.token --role $(ROLE)

events-doc: ## Regenerate docs/events.md from the message contracts
	@$(UV) run --frozen python -m crowdify_tools.events_doc > docs/events.md

openapi: ## Regenerate each service's committed OpenAPI document
	@$(UV) run --frozen python -m crowdify_tools.openapi

contract-snapshots: ## Record the JSON Schema of new contracts (never rewrites an existing one)
	@$(UV) run --frozen python -c 'import crowdify.contracts; from crowdify.contracts.snapshots import write_snapshots; print(*write_snapshots(), sep="\n")'

bench: bootstrap infra ## Load benchmarks (starts the platform if needed): figures and ratios, never pass/fail on time
	@bench/bin/run $(BENCH_ARGS)

clean: stop ## Remove run state (logs, pid files, rendered nginx config)
	rm -rf .run
