# Thin wrappers that the README and .ci/run both call.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

# `make run ARGS="explore photos/ --model org/name"` passes arguments on; none opens the default
# model (Models/shapes-swin) on the sample scenes (SampleImages/shapes).
ARGS ?=
REF_VENV ?= ../maskscope-ref-venv

.PHONY: run test test-slurm build deps bench fixtures

deps:
	@bash Tools/install-deps.sh

build: deps
	swift build -c release

# Install what is missing, build, and open the explorer on the default model and the sample scenes.
run: build
	.build/release/maskscope $(ARGS)

# Install what is missing, build, and run every test; then the CLI tests again against the release
# binary, which is what users run (a bug in how the optimiser treats unsafe pointers exists only there).
test: deps
	swift build --build-tests
	swift test --skip-build
	swift build -c release --product maskscope
	MASKSCOPE_EXECUTABLE=$(CURDIR)/.build/release/maskscope swift test --skip-build --filter MaskscopeCLITests

# The Slurm recipe run for real: a single-node Slurm (Debian's slurm-wlm, munge) started here, an array
# of 3 tasks, merge, eval, figures equal to an unsharded run's. Needs root; CI runs it after `test`.
test-slurm:
	swift build -c release --product maskscope
	bash Docs/cluster/test-slurm-local.sh

# Regenerate the committed fixtures with the pinned reference (needs the reference venv).
fixtures:
	MASKSCOPE_REF_VENV=$(REF_VENV) bash Tools/reference/setup-venv.sh
	$(REF_VENV)/bin/python Tools/reference/make_fixtures.py
	$(REF_VENV)/bin/python Tools/reference/make_postprocess_fixtures.py
	$(REF_VENV)/bin/python Tools/reference/make_eval_fixtures.py
