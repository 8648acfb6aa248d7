# The two commands: `make dev` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help dev stack stop test lint check-template fmt install

help:
	@echo "make dev    - local stack with demo data, prints a token and example calls"
	@echo "make stack  - local stack without data (returns once the API answers)"
	@echo "make stop   - stop everything make stack started"
	@echo "make test   - template check, lints and every test (on private local services)"

install:
	infra/local/stack.sh install

stack: install
	infra/local/stack.sh start
	infra/local/app.sh start

dev: stack
	infra/local/app.sh demo
	infra/local/app.sh hello

stop:
	infra/local/stack.sh stop

check-template: install
	infra/check-template.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -q -- -D warnings

fmt:
	cargo fmt --all

test: check-template lint
	RUST_BACKTRACE=0 infra/local/with-test-services.sh cargo test --workspace --no-fail-fast
