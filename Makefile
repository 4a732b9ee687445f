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

# package.json pins only the CDK CLI (29 MB, what `make synth` needs); the test-only
# packages (onnxruntime-node 210 MB, playwright-core 14 MB) are in testtools/ and
# installed by `make test` (test-setup).
NPM_STAMP := node_modules/.package-lock.json
TEST_NPM_STAMP := testtools/node_modules/.package-lock.json
CDK := npx --no-install cdk

# The AWS Lambda runtime interface emulator, pinned, built into bin/ (tests run the Go
# Lambda binaries under it).
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE := bin/aws-lambda-rie
RIE_STAMP := bin/.aws-lambda-rie-$(RIE_VERSION)

# The browser test drives Debian's Chromium (never a downloaded browser).
CHROMIUM ?= /usr/bin/chromium

.PHONY: help setup test-setup tools browser synth test vet unit-test fuzz lint-templates bench bashoutter-local clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# npm ci runs only when package.json or the lock file changed since the last install.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: $(NPM_STAMP) ## install the pinned CDK CLI and download Go modules
	go mod download

$(TEST_NPM_STAMP): testtools/package.json testtools/package-lock.json
	npm ci --prefix testtools --no-audit --no-fund --loglevel=error

test-setup: setup $(TEST_NPM_STAMP) ## setup, plus the test-only npm packages (ONNX Runtime, playwright-core, tokenizers, aws-icons, the S3 SDK)

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

# The first synth compiles the CDK's Go bindings (awscdk) and every stack: several
# minutes on 2 cores with nothing printed, so say so first. The note goes when the
# build cache already holds a compiled awscdk (`go list` tells without compiling).
synth: setup ## synthesize every stack into cdk.out (no AWS account needed)
	@if [ "$$(go list -f '{{.Stale}}' github.com/aws/aws-cdk-go/awscdk/v2 2>/dev/null)" != false ]; then \
	  echo "make synth: first run: compiling the CDK's Go bindings, the app and its Lambdas (about 160 CPU-seconds, 1 GB of memory, 0.8 GB of build cache): up to 5 minutes on 2 cores with nothing printed; later runs reuse the cache"; \
	fi
	$(CDK) synth --quiet --no-lookups
	@ls cdk.out/*.template.json

vet:
	go vet ./...

unit-test: test-setup tools browser
	go test ./...

# A short minimization keeps the workers fuzzing: with the default (60 s per new
# interesting input) they spend almost all of a short budget minimizing (20 k executions
# instead of about 500 k).
# FuzzLoad feeds the CDK app's input reader arbitrary context keys, values and value
# types (issue 13: no input reaches a stack unvalidated, no synth ends in a panic).
# The budget is a count of executions (about 10 s each here), not a duration: with
# -fuzztime=15s the run ends on a deadline, and a worker still minimizing a new input
# then fails it with "context deadline exceeded" (seen twice here, with no bug behind it).
fuzz: ## fuzz the Bashoutter POST body parser and the app's -c/cdk.json inputs for a bounded time (seed corpora in testdata/)
	go test -run '^$$' -fuzz '^FuzzParsePost$$' -fuzztime=1000000x -fuzzminimizetime=200ms ./handson/bashoutter/haiku
	go test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime=500000x -fuzzminimizetime=200ms ./config

# The app skips CDK's built-in CloudFormation validation unless CDK_VALIDATION=true
# (main.go): here the synth runs it, and its findings fail the synth.
lint-templates: export CDK_VALIDATION := true
lint-templates: synth ## cfn-lint every synthesized template: no errors, no warnings
	cfn-lint cdk.out/*.template.json

test: vet unit-test fuzz lint-templates ## everything CI runs: vet, Go tests, fuzzing, synth, cfn-lint

bench: test-setup ## benchmarks, each reported against its baseline (QA worker: ratio to onnxruntime-node, peak memory; runtask wait loop: ratio to the course's)
	go test -run '^$$' -bench . -benchmem ./...

bashoutter-local: setup ## hands-on #6 on localhost: the page and the API against a local DynamoDB (moto)
	@echo "make bashoutter-local: compiling bin/bashoutter (the first time up to a minute on 2 cores, silent), then starting it; Ctrl-C stops it"
	go build -o bin/bashoutter ./cmd/bashoutter
	bin/bashoutter local

clean: ## remove build output (not node_modules)
	rm -rf cdk.out

# The clients as binaries: `go run` reports every failure as exit status 1 (and adds an
# "exit status N" line); bin/<client> keeps the exit codes the README documents.
CLIENTS := preflight runtask sweep serverless bashoutter cost leftovers

.PHONY: clients
clients: ## build the seven clients into bin/ (they keep their exit codes; go run does not)
	@echo "compiling $(CLIENTS) into bin/ (the first time 1-5 minutes on 2 cores and up to 3 GB of memory, later builds seconds)"
	go build -o bin/ $(addprefix ./cmd/,$(CLIENTS))

# The clients under injected faults (internal/testenv/fault.go, scenarios.go): runs the
# fault tests and prints the scenario × client table of faults injected (make test runs
# the same tests without the table).
.PHONY: faults
faults: setup tools ## the clients under injected AWS faults; prints the scenario × client table
	@go test -count=1 -v -p 1 -run 'Fault|TestAskWaitsForATaskECSDoesNotKnowYet|TestAskGivesUp' ./internal/testenv ./cmd/runtask ./cmd/sweep ./cmd/serverless ./cmd/bashoutter ./cmd/preflight ./cmd/cost > .faults.log 2>&1; \
	status=$$?; grep -E '^(--- FAIL|FAIL|ok)' .faults.log; grep -h 'FAULTS client=' .faults.log | sed 's/^.*FAULTS //'; rm -f .faults.log; exit $$status

# --- synthesis speed (issue 15) ---
.PHONY: bench-synth

# The baseline of bench-synth: a one-bucket CDK app in plain JavaScript with its own
# pinned aws-cdk-lib (the version the Go awscdk module embeds).
BASELINE_STAMP := bench/synth-baseline/node_modules/.package-lock.json
$(BASELINE_STAMP): bench/synth-baseline/package.json bench/synth-baseline/package-lock.json
	cd bench/synth-baseline && npm ci --no-audit --no-fund --loglevel=error

# N rounds, alternating: the whole app and the baseline, both by the pinned CDK CLI.
N ?= 5
bench-synth: setup $(BASELINE_STAMP) ## time `cdk synth` of the app against a one-bucket JavaScript app (median of N=5, ratio) and profile one synthesis
	go run ./bench/synthbench -n $(N)

# --- the QA worker's cold start (issue 15) ---
.PHONY: bench-coldstart
COLDSTART_RUNS ?= 5
bench-coldstart: setup ## QA worker cold start at 0.25 vCPU (cgroup CPU quota, needs root): start → model loaded → first answer, medians of COLDSTART_RUNS=5
	COLDSTART_RUNS=$(COLDSTART_RUNS) go test -run '^$$' -bench '^BenchmarkColdStart$$' -benchtime=1x ./handson/qabot/worker

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

diagrams: test-setup graphviz ## redraw docs/diagrams (one figure per hands-on) from the synthesized app
	go run ./internal/diagrams/gen -out docs/diagrams
