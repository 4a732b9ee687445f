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

.PHONY: help setup synth test vet unit-test lint-templates bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# npm ci runs only when package.json or the lock file changed since the last install.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: $(NPM_STAMP) ## install the pinned CDK CLI and download Go modules
	go mod download

synth: setup ## synthesize every stack into cdk.out (no AWS account needed)
	$(CDK) synth --quiet --no-lookups
	@ls cdk.out/*.template.json

vet:
	go vet ./...

unit-test: setup
	go test ./...

lint-templates: synth ## cfn-lint every synthesized template: no errors, no warnings
	cfn-lint cdk.out/*.template.json

test: vet unit-test lint-templates ## everything CI runs: vet, Go tests, synth, cfn-lint

bench: setup ## benchmarks, each reported against its baseline (QA worker: ratio to onnxruntime-node, peak memory)
	go test -run '^$$' -bench . -benchmem ./...

clean: ## remove build output (not node_modules)
	rm -rf cdk.out
