# Entry points for people and CI. Timed commands use release builds: debug Swift is far slower.
SHELL := /bin/bash
# Swift lives in /opt/swift on the project's machines and is not always on PATH.
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: deps build demo test

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
