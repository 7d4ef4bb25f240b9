# Thin wrappers that the README and .ci/run both call.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

MODEL ?= Tests/Fixtures/models/tiny-w7
IMAGE ?= Tests/Fixtures/reference/images/scene-200x150.png
REF_VENV ?= ../maskscope-ref-venv

.PHONY: run test build deps bench fixtures

deps:
	@bash Tools/install-deps.sh

build: deps
	swift build -c release

# Install what is missing, build, and open the explorer on a sample image.
run: build
	.build/release/maskscope explore $(IMAGE) --model $(MODEL) --threshold 0.3 --mask-threshold 0.3 --stuff-labels sky,grass

# Install what is missing, build, and run every test.
test: deps
	swift build --build-tests
	swift test --skip-build

# Regenerate the committed fixtures with the pinned reference (needs the reference venv).
fixtures:
	MASKSCOPE_REF_VENV=$(REF_VENV) bash Tools/reference/setup-venv.sh
	$(REF_VENV)/bin/python Tools/reference/make_fixtures.py
	$(REF_VENV)/bin/python Tools/reference/make_postprocess_fixtures.py
	$(REF_VENV)/bin/python Tools/reference/make_eval_fixtures.py
