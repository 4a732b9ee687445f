# intro-aws-go: the two quick-start commands are `make synth` and `make test`.
# Everything they need is installed by the targets below; nothing is reinstalled when
# it is already up to date.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Node.js 20 still runs the CDK but jsii prints a 12-line end-of-life banner on every
# start; the README asks for Node 22+, and here we keep the output readable.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

# onnxruntime-node (the QA worker's ONNX Runtime library in tests, and the baseline of
# its benchmark) ships its CPU libraries in the package; its install script would
# otherwise download CUDA libraries (hundreds of MB) on linux/x64. Nothing uses them.
export ONNXRUNTIME_NODE_INSTALL ?= skip

NPM_STAMP := node_modules/.package-lock.json
CDK := npx --no-install cdk

# The AWS Lambda runtime interface emulator, pinned, built into bin/ (tests run the Go
# Lambda binaries under it).
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE := bin/aws-lambda-rie
RIE_STAMP := bin/.aws-lambda-rie-$(RIE_VERSION)

# The browser test drives Debian's Chromium (never a downloaded browser).
CHROMIUM ?= /usr/bin/chromium

.PHONY: help setup tools browser synth test vet unit-test fuzz lint-templates bench bashoutter-local clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# npm ci runs only when package.json or the lock file changed since the last install.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: $(NPM_STAMP) ## install the pinned CDK CLI and download Go modules
	go mod download

$(RIE_STAMP):
	GOBIN=$(CURDIR)/bin go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)
	touch $@

tools: $(RIE_STAMP) ## build the pinned Lambda runtime interface emulator into bin/

bench: tools # the Lambda benchmarks run the emulator

# Installs Debian's chromium when it is missing and this is a Debian machine on which we
# are root (CI); elsewhere the browser test says what to install (or set CHROMIUM_PATH).
browser:
	@if [ -x "$(CHROMIUM)" ] || [ -n "$${CHROMIUM_PATH:-}" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: $(CHROMIUM) not found; the browser test needs Chromium (apt-get install chromium) or CHROMIUM_PATH"; fi

synth: setup ## synthesize every stack into cdk.out (no AWS account needed)
	$(CDK) synth --quiet --no-lookups
	@ls cdk.out/*.template.json

vet:
	go vet ./...

unit-test: setup tools browser
	go test ./...

# A short minimization keeps the workers fuzzing: with the default (60 s per new
# interesting input) they spend almost all of a 15 s budget minimizing (20 k executions
# instead of about 500 k).
fuzz: ## fuzz the Bashoutter POST body parser for a bounded time (seed corpus in testdata/)
	go test -run '^$$' -fuzz '^FuzzParsePost$$' -fuzztime=15s -fuzzminimizetime=200ms ./handson/bashoutter/haiku

lint-templates: synth ## cfn-lint every synthesized template: no errors, no warnings
	cfn-lint cdk.out/*.template.json

test: vet unit-test fuzz lint-templates ## everything CI runs: vet, Go tests, fuzzing, synth, cfn-lint

bench: setup ## benchmarks, each reported against its baseline (QA worker: ratio to onnxruntime-node, peak memory; runtask wait loop: ratio to the course's)
	go test -run '^$$' -bench . -benchmem ./...

bashoutter-local: setup ## hands-on #6 on localhost: the page and the API against a local DynamoDB (moto)
	go run ./cmd/bashoutter local

clean: ## remove build output (not node_modules)
	rm -rf cdk.out

# Architecture diagrams (docs/diagrams): one figure per hands-on, drawn from the
# synthesized app by internal/diagrams with Graphviz's dot and the AWS Architecture
# Icons of the aws-icons npm package. A Go test fails when a committed figure no
# longer matches the app: then run `make diagrams` and commit docs/diagrams.
.PHONY: diagrams graphviz

# Installs Debian's graphviz when dot is missing and this is a Debian machine on which
# we are root; elsewhere it says what to install.
graphviz:
	@if command -v dot >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's graphviz for make diagrams"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else echo "error: make diagrams needs Graphviz's dot (apt-get install graphviz, brew install graphviz)" >&2; exit 1; fi

diagrams: $(NPM_STAMP) graphviz ## redraw docs/diagrams (one figure per hands-on) from the synthesized app
	go run ./internal/diagrams/gen -out docs/diagrams
