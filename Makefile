# SPDX-License-Identifier: Apache-2.0
# The two README commands (make run, make test) and helpers. The real build is Meson + Ninja.
SHELL := /bin/bash
BUILD ?= build
ASAN ?= build-asan
VAR ?= var
LISTEN ?= 127.0.0.1:8080

.PHONY: all deps npm build build-asan run test test-unit test-asan bench fuzz format clean

all: build

# each long step prints its wall time ("time: …"), as scripts/run-tests.sh does for the suites
deps:
	@start=$$SECONDS; bash scripts/install-deps.sh; rc=$$?; \
	  echo "time: install $$((SECONDS - start)) s"; exit $$rc

npm: deps
	@if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund --loglevel=error; fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

$(ASAN)/build.ninja:
	CC=clang meson setup $(ASAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

build: deps $(BUILD)/build.ninja
	@start=$$SECONDS; ninja -C $(BUILD); rc=$$?; echo "time: build $$((SECONDS - start)) s"; exit $$rc

build-asan: deps $(ASAN)/build.ninja
	@start=$$SECONDS; ninja -C $(ASAN); rc=$$?; echo "time: build-asan $$((SECONDS - start)) s"; \
	  exit $$rc

run: build
	@mkdir -p $(VAR)
	$(BUILD)/tutela serve --db sqlite:$(VAR)/tutela.db --master-key $(VAR)/master.key \
	  --policy policy/default.yaml --web-root web --listen $(LISTEN) --demo

test: build build-asan npm
	@bash scripts/run-tests.sh $(BUILD) $(ASAN)

bench: build npm
	@bash scripts/run-bench.sh $(BUILD)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN)
