# Entry points for people and CI. Timed commands use release builds: debug Swift is far slower.
SHELL := /bin/bash
# Swift lives in /opt/swift on the project's machines and is not always on PATH.
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: deps build demo test

deps:
	./scripts/install-deps.sh

build: deps
	swift build -c release

demo: build
	swift run -c release attnlab env

test: deps
	swift build --build-tests
	swift test
