# make demo  — install what is missing, build, run the pipeline on SampleMedia/ in ./demo-workspace
# make test  — install what is missing, run every test
# make bench — release build; figures and ratios against the ffmpeg command line
# make api-fuzz — schemathesis against the running API (needs PyPI)
# make fuzz — release build; 2000 damaged clips through `mediaorch process` (FUZZ_ARGS to change)
# make crash-test — drop 20 clips while the service is SIGKILLed 30 times; check nothing lost, doubled or half-written
SWIFT ?= swift
.PHONY: bootstrap build release demo test bench api-fuzz crash-test fuzz clean

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

demo: build
	@scripts/demo.sh .build/debug/mediaorch

test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

api-fuzz: build
	@scripts/api-fuzz.sh .build/debug/mediaorch

crash-test: build
	@python3 scripts/crash-test.py .build/debug/mediaorch

bench: release
	@python3 scripts/bench.py .build/release/mediaorch

clean:
	rm -rf .build demo-workspace bench-output test-output

FUZZ_ARGS ?= --cases 2000 --jobs 2
fuzz: release
	@python3 scripts/fuzz.py --binary .build/release/mediaorch $(FUZZ_ARGS)
