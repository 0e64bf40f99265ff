# Hotel booking engine — every developer and CI entry point. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
EMU := .venv-emu
SAMV := .venv-sam
PY := $(VENV)/bin/python
PIP_FLAGS := --quiet --disable-pip-version-check

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/dev.txt layers/common/requirements.txt functions/notifier/requirements.txt functions/docs/requirements-assets.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -r requirements/dev.txt
	$(VENV)/bin/pip install $(PIP_FLAGS) --no-deps -r functions/docs/requirements-assets.txt
	touch $@

$(EMU)/.installed: requirements/emulators.txt
	$(PYTHON) -m venv $(EMU)
	$(EMU)/bin/pip install $(PIP_FLAGS) -r requirements/emulators.txt
	touch $@

$(SAMV)/.installed: requirements/sam.txt
	$(PYTHON) -m venv $(SAMV)
	$(SAMV)/bin/pip install $(PIP_FLAGS) -r requirements/sam.txt
	touch $@

# The web client's browser code (npm, pinned by package-lock.json; axe-core for the tests), copied
# into web/vendor as plain ES modules (local/web_vendor.py). Debian's npm if the machine has none.
node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || (apt-get update -q && apt-get install -y -q npm)
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

node_modules/.vendored: node_modules/.installed local/web_vendor.py
	$(PYTHON) local/web_vendor.py
	touch $@

install: $(VENV)/.installed $(EMU)/.installed node_modules/.vendored ## Create the virtualenvs (app + tests, emulators) and web/vendor

run: install ## Start the whole API locally with demo data (PORT=3000)
	$(PY) -m local.run

test: install ## Run every test (unit, integration, concurrency, end-to-end), one worker per core
	$(PY) -m pytest -n auto --dist loadfile --durations=15

unit: $(VENV)/.installed ## Unit tests: services on in-memory fakes, domain rules; no emulator, no network (~10 s)
	$(PY) -m pytest tests/unit -p no:xdist --disable-socket

integration: install ## Handlers through API Gateway events against moto
	$(PY) -m pytest tests/integration

e2e: install ## The local stack over HTTP, and the thread races against ministack
	$(PY) -m pytest tests/e2e tests/concurrency

web-screenshots: install ## Refresh docs/screenshots (guest site and console, desktop and phone sizes, from the journey tests)
	UPDATE_WEB_SCREENSHOTS=1 $(PY) -m pytest -q tests/e2e/test_web_journey.py tests/e2e/test_web_console.py \
		-k 'searches_signs_up or runs_a_hotel'

web-upload: $(VENV)/.installed node_modules/.vendored ## Upload web/ to a deployed stack's bucket and invalidate its CloudFront cache (STACK=)
	$(PY) -m local.web_upload --stack "$(STACK)"

events: $(VENV)/.installed ## Regenerate events/ (samples for sam local invoke) from local/events.py and template.yaml
	$(PY) -m local.events --write

events-check: install ## Every events/ sample through its handler, as sam local invoke would, against moto + localstripe
	$(PY) -m pytest -q tests/unit/test_events.py tests/integration/test_events.py

run-emulated: install ## template.yaml deployed into ministack (CloudFormation + SAM, API Gateway, Lambda, EventBridge)
	$(PY) -m local.emulated

e2e-emulated: install ## The end-to-end suite through the run-emulated deployment instead of make run (~3 min)
	E2E_TARGET=emulated $(PY) -m pytest tests/e2e

audit: $(VENV)/.installed ## Check the books: inventory, payments vs status, Stripe if keyed (TABLE=, ENDPOINT=)
	$(PY) -m local.audit --table "$${TABLE:-hotel-booking}" $${ENDPOINT:+--endpoint $$ENDPOINT}

contract: install ## The API contract: schemathesis (all checks) + a generated client (CONTRACT_EXAMPLES=500 for a long run)
	# Tokens that outlive a long run (the stack's default is 15 minutes).
	ACCESS_TOKEN_SECONDS=$${ACCESS_TOKEN_SECONDS:-86400} $(PY) -m pytest -n 2 --dist loadfile \
		tests/e2e/test_contract.py tests/e2e/test_contract_admin.py tests/e2e/test_generated_client.py

walkthrough: ## docs/walkthrough.sh against a running make run (same PORT, or B=<base URL>/api)
	B="$(or $(B),http://127.0.0.1:$(or $(PORT),3000)/api)" sh docs/walkthrough.sh

lock: ## Re-pin requirements/dev.txt from dev.in in a throwaway venv
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install $(PIP_FLAGS) -r requirements/dev.in
	(echo "# Full lock of the dev/test environment; top-level choices are in dev.in (regenerate with make lock)."; \
		.venv-lock/bin/pip freeze) > requirements/dev.txt && rm -rf .venv-lock

lint: $(VENV)/.installed ## ruff check, ruff format --check, cfn-lint, import-linter (layers), mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml
	PYTHONPATH=layers/common:. $(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(VENV)/.installed ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

validate: $(SAMV)/.installed ## sam validate --lint on template.yaml
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=none AWS_SECRET_ACCESS_KEY=none \
		$(SAMV)/bin/sam validate --lint --template template.yaml

# A Python 3.12 (the Lambda runtime's) to compile the layer's bytecode: pyenv's if there is one.
PY_COMPILE ?= $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.12.*/bin/python3.12)),python3.12)

build: $(SAMV)/.installed ## sam build (no Docker needed: wheels fetched for python3.12/arm64, bytecode by a local python3.12)
	SAM_CLI_TELEMETRY=0 PY_COMPILE="$(PY_COMPILE)" PATH="$(abspath $(SAMV))/bin:$$PATH" sam build --template template.yaml

# A deployed stack (STACK=), a table in AWS (TABLE=), or a local run's table (ENDPOINT= TABLE=, printed by make run).
TARGET = $(if $(STACK),--stack "$(STACK)",--table "$${TABLE:-hotel-booking}") $(if $(ENDPOINT),--endpoint "$(ENDPOINT)")

create-admin: $(VENV)/.installed ## Create an admin in a deployed stack: make create-admin STACK=hotel-booking-dev EMAIL=you@example.com
	$(PY) -m local.create_admin --stack "$(STACK)" --email "$(EMAIL)"

migrate: $(VENV)/.installed ## Run the data migrations in order, after every deploy (STACK=, or ENDPOINT= TABLE=; DRY_RUN=1 to see first)
	$(PY) -m local.migrate $(TARGET) $(if $(DRY_RUN),--dry-run)

housekeeping: $(VENV)/.installed ## Roll every room type's sale window forward once (STACK=, or ENDPOINT= TABLE=; AGAIN=1 for a new pass)
	$(PY) -m local.housekeeping $(TARGET) $(if $(AGAIN),--again)

load: install ## Flash sales on a local stack (mixed, abandoned checkouts), then the auditor (LOAD_SCENARIO= LOAD_CLIENTS=200 LOAD_SECONDS=60)
	$(PY) -m bench.load

bench: install ## Benchmarks (prints figures; not a test)
	$(PY) -m bench.run

bench-housekeeping: install ## DynamoDB calls and time of housekeeping runs for HK_ROOM_TYPES (200) room types (not a test)
	$(PY) -m bench.housekeeping

bench-arrivals: install ## Arrivals index reads (a month of ARRIVALS_BOOKINGS=10000 over ARRIVALS_HOTELS=50) and a warm hold's calls, before/after; writes its section of bench/README.md (not a test)
	$(PY) -m bench.arrivals

seed-scale: $(VENV)/.installed ## A city of N room types (10 a hotel), a year of inventory and its search view, on make run's table (ENDPOINT= [TABLE=] N=500 [CITY=Scaleton])
	$(PY) -m local.seed_scale $(TARGET) --room-types $(or $(N),500) $(if $(CITY),--city "$(CITY)")

rebuild-view: $(VENV)/.installed ## Write the search view from the inventory: backfill, or repair after its DLQ alarm (STACK=, or ENDPOINT= TABLE=; CITY= for one)
	$(PY) -m local.rebuild_view $(TARGET) $(if $(CITY),--city "$(CITY)")

bench-search: install ## Search before/after the availability view for 5/50/500 room types and 1/7/30 nights, and the view's lag under load (not a test)
	$(PY) -m bench.search

clean: ## Remove build outputs and local run logs
	rm -rf .aws-sam .local-run .pytest_cache .ruff_cache .hypothesis

.PHONY: help install web-screenshots web-upload run test unit integration e2e events events-check run-emulated e2e-emulated audit contract walkthrough load lock lint format validate build create-admin migrate housekeeping bench bench-housekeeping seed-scale rebuild-view bench-search bench-arrivals clean
