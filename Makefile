# Overture — `make run` to try it, `make test` to check it. `make help` lists the rest.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# axe-core, the accessibility checker the browser tests inject into each page, from npm.
AXE_VERSION := 4.10.3
AXE_SHA256 := 880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb
AXE_DIR := .cache/axe
AXE_STAMP := $(AXE_DIR)/.axe-core-$(AXE_VERSION)

.DEFAULT_GOAL := help
.PHONY: help run serve test test-fast lint bench migrate demo clean chromium wrk messages axe

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(STAMP) ## set up, migrate, load demo data if empty, and serve on http://127.0.0.1:8000
	$(BIN)/overture migrate
	$(BIN)/overture demo --if-empty
	$(BIN)/overture serve

chromium: ## install Debian's Chromium for the browser tests, if missing
	@test -x /usr/bin/chromium || { \
	  echo "Installing Chromium from Debian packages…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    >/dev/null || { echo "could not install chromium (run as root?)"; exit 1; }; }

axe: $(AXE_STAMP) ## fetch axe-core (pinned) from npm into .cache/axe for the browser tests

$(AXE_STAMP):
	@command -v npm >/dev/null || { echo "npm is needed to fetch axe-core (apt-get install npm)"; exit 1; }
	rm -rf $(AXE_DIR) && mkdir -p $(AXE_DIR)
	cd $(AXE_DIR) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	tar -xzf $(AXE_DIR)/axe-core-$(AXE_VERSION).tgz -C $(AXE_DIR) --strip-components=1 \
	  package/axe.min.js package/LICENSE package/package.json
	rm $(AXE_DIR)/axe-core-$(AXE_VERSION).tgz
	echo "$(AXE_SHA256)  $(AXE_DIR)/axe.min.js" | sha256sum --check --quiet
	touch $@

wrk: ## install the HTTP load generator the benchmarks use, if missing
	@command -v wrk >/dev/null || { \
	  echo "Installing wrk from Debian packages…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) \
	    >/dev/null || { echo "could not install wrk (run as root?)"; exit 1; }; }

# Browser tests run in their own pytest process: Playwright's sync API keeps an event loop
# running in the main thread, which the asyncio tests of the other run must not share.
test: $(TEST_STAMP) chromium axe ## install what tests need and run the whole suite
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n $${OVERTURE_TEST_WORKERS:-auto} -m "not e2e" $(PYTEST_ARGS)
	$(BIN)/pytest -n $${OVERTURE_TEST_WORKERS:-auto} -m e2e $(PYTEST_ARGS)

test-fast: $(TEST_STAMP) ## the suite without real-browser tests
	$(BIN)/pytest -n auto -m "not e2e" $(PYTEST_ARGS)

lint: $(TEST_STAMP) ## ruff
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench || true

# Figures go to docs/performance.md by hand; every one is also in bench/results.json.
bench: $(TEST_STAMP) chromium wrk ## what visitors feel, each figure beside a baseline (< 10 min)
	$(BIN)/python -m bench $(BENCH_ARGS)

migrate: $(STAMP) ## apply migrations to OVERTURE_DATABASE_URL
	$(BIN)/overture migrate

demo: $(STAMP) ## create demo data
	$(BIN)/overture demo

messages: $(TEST_STAMP) ## re-extract translatable strings into the catalogues
	$(BIN)/pybabel extract -F babel.cfg -o src/overture/locale/messages.pot src
	$(BIN)/pybabel update -i src/overture/locale/messages.pot -d src/overture/locale

clean: ## remove the virtual environment and the local database
	rm -rf $(VENV) overture.db overture.db-wal overture.db-shm
