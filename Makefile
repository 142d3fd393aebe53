# Entry points for people and CI. Timed commands use release builds: debug Swift is far slower.
SHELL := /bin/bash
# Swift lives in /opt/swift on the project's machines and is not always on PATH.
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: deps build demo test bench bench-quick

deps:
	./scripts/install-deps.sh

build: deps
	swift build -c release

# The main job: the quickstart ablation (MHA, GQA, MQA, MLA, GTA, GLA) on the fortunes corpus, a few
# minutes on 2 cores. It replaces earlier quickstart results and ends with the table's path.
demo: build
	.build/release/attnlab run quickstart --overwrite

test: deps
	swift build --build-tests
	swift test

# AttnLab against its PyTorch twin (bench/side_by_side.py, bench/README.md): training on the shape
# grid and the ablation configs, eager and torch.compile, and cached decoding, interleaved; writes
# bench/side-by-side.json and .md. Needs torch (pip install torch); 34 minutes of timing on the 2-core
# development VM (2026-11-30), plus the build.
# Interrupted (Ctrl-C, a session ending), it keeps its rows in bench/side-by-side.partial.json and
# `make bench` again resumes from them.
bench: build
	python3 bench/side_by_side.py --no-build

# The same at one tiny config and small decode contexts, plus the twin check: about 20 s after the build.
bench-quick: build
	python3 bench/side_by_side.py --no-build --quick
