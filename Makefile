# sync-core — the two commands: `make demo` and `make test`. Both set the machine up first.
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local
# Build configuration for `make install` (debug for a quick local install).
CONFIG ?= release

.PHONY: all setup build test demo install sdk-check bench format clean

all: build

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build

test: setup
	@scripts/test.sh

demo: setup
	@scripts/demo.sh

install: setup
	$(SWIFT) build -c $(CONFIG)
	scripts/install.sh "$(PREFIX)" "$$($(SWIFT) build -c $(CONFIG) --show-bin-path)"

sdk-check: setup
	@scripts/sdk-check.sh

bench: setup
	@scripts/bench.sh

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Plugins Tests Emulators

clean:
	rm -rf .build .build-*
