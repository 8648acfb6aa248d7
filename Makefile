# The two commands: `make dev` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help dev stack stop test lint fmt-check check-template fmt install schemathesis package

help:
	@echo "make dev    - local stack with demo data, prints a token and example calls"
	@echo "make stack  - local stack without data (returns once the API answers)"
	@echo "make stop   - stop everything make stack started"
	@echo "make test   - template check, lints, every test, the cargo lambda watch check, the explorer's browser check and schemathesis (on private local services)"
	@echo "make package - every function built for arm64 with cargo-lambda into target/lambda/<function>/bootstrap.zip"
	@echo "make schemathesis - only the schemathesis run of docs/openapi.yaml against a private local stack"

install:
	infra/local/stack.sh install

# Only what the running stack needs (the linters, poppler and the browser
# are make test's).
stack:
	infra/local/stack.sh install dynamodb s3 moto explorer
	infra/local/stack.sh start
	infra/local/app.sh start

dev: stack
	infra/local/app.sh demo
	infra/local/app.sh hello

stop:
	infra/local/stack.sh stop

check-template: install
	infra/timed.sh "template check" infra/check-template.sh

fmt-check:
	infra/timed.sh "fmt" cargo fmt --all -- --check

lint: fmt-check
	infra/timed.sh "clippy" cargo clippy --workspace --all-targets -q -- -D warnings

fmt:
	cargo fmt --all

# make test lints while it builds: clippy-driver compiles the workspace's own
# crates (as `cargo clippy` does, with every lint of [workspace.lints] and
# warnings denied) and rustc the dependencies, so there is no second,
# check-only build of every crate (`make lint` finds the same). Every cargo
# command below shares that one build (docs/performance.md, "make test").
test: export RUSTC_WORKSPACE_WRAPPER := $(shell rustup which clippy-driver 2>/dev/null || command -v clippy-driver)
test: export CLIPPY_ARGS := -D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__

test: check-template fmt-check
	@[[ -n "$$RUSTC_WORKSPACE_WRAPPER" ]] || { echo "make test needs clippy: rustup component add clippy" >&2; exit 1; }
	infra/timed.sh "python unit tests" python3 -m unittest discover -s infra/tests
	infra/timed.sh "cargo build, linted (clippy)" cargo test --workspace --all-targets --no-run --quiet
	RUST_BACKTRACE=0 infra/timed.sh "cargo test (run)" infra/local/with-test-services.sh infra/cargo-test.sh
	infra/timed.sh "binaries" cargo build --workspace --bins --quiet
	infra/timed.sh "permissions check" python3 infra/check_permissions.py --template template.yaml "$${CARGO_TARGET_DIR:-target}/debug"
	infra/timed.sh "cargo lambda watch check" infra/local/with-test-services.sh infra/local/lambda-watch-check.sh
	infra/timed.sh "explorer in Chromium" infra/local/with-test-services.sh infra/local/explorer-check.sh
	infra/timed.sh "schemathesis" infra/local/with-test-services.sh infra/local/schemathesis.sh

# The API against docs/openapi.yaml (infra/local/schemathesis.sh), on its own
# private DynamoDB Local and S3.
schemathesis: install
	infra/local/with-test-services.sh infra/local/schemathesis.sh

# Release zips for arm64 (infra/package.sh): target/lambda/<function>/bootstrap.zip.
package:
	infra/package.sh
