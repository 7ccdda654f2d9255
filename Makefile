# make demo  — install what is missing, build, run the pipeline on SampleMedia/ in ./demo-workspace
# make test  — install what is missing, run every test
# make bench — release build; figures and ratios against the ffmpeg command line (and the shared store's, bench-store)
# make api-fuzz — schemathesis against the running API (needs PyPI)
# make fuzz — release build; 2000 damaged clips through `mediaorch process` (FUZZ_ARGS to change)
# make fuzz-cut — release build; 1000 damaged clips through an editors' cut between two times (smart cut)
# make test-asan — the Transcode tests (every owning wrapper's error paths) under AddressSanitizer
# make fuzz-parsers — libFuzzer (with ASan) on the caption parsers and the ticket decoder, FUZZ_SECONDS each
# make attack — a hostile client against a running `mediaorch watch`: every route and role, overflows, tampering, races (in make test)
# make fuzz-http — 20000 random and mutated tus, PUT and ticket requests against a running service (FUZZ_HTTP_ARGS to change)
# make crash-test — drop 20 clips while the service is SIGKILLed 30 times; check nothing lost, doubled or half-written
# make multinode-test — three nodes on one PostgreSQL through kills, a pause and a database restart
SWIFT ?= swift
.PHONY: check browser-test bootstrap build release demo test attack fuzz-http test-asan bench bench-proxy bench-field bench-store bench-sources bench-replies bench-cut bench-chains bench-upload bench-x264 api-fuzz crash-test multinode-test fuzz fuzz-streamed fuzz-cut fuzz-parsers clean

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

demo: build
	@scripts/demo.sh .build/debug/mediaorch

# Three runs: the end-to-end tests block their threads while they wait on the programs they drive
# (mediaorch, chromium, ffmpeg), and the Transcode tests while they render; in runs of their own
# they cannot starve the two cooperative threads the in-process HTTP servers of the others answer on.
# The store's tests run on SQLite and on PostgreSQL: scripts/with-postgres.sh starts a throw-away
# cluster for the three runs and removes it after.
test: bootstrap
	python3 scripts/check-blocking-calls.py
	$(SWIFT) build --build-tests
	scripts/with-postgres.sh sh -c "$(SWIFT) test --skip-build --skip 'EndToEndTests|TranscodeTests' \
	  && $(SWIFT) test --skip-build --filter TranscodeTests \
	  && $(SWIFT) test --skip-build --filter EndToEndTests \
	  && python3 scripts/attack.py .build/debug/mediaorch" \
	  && PYTHONPATH=.build-python python3 scripts/browser/run.py .build/debug/mediaorch

# The field page and the board in headless Chromium (Playwright), with axe-core; screenshots in
# test-output/browser/screens/. Also the last step of make test. SUITE=field or SUITE=board for one.
browser-test: build
	@PYTHONPATH=.build-python python3 scripts/browser/run.py .build/debug/mediaorch $(SUITE)

# The fast loop while working: the build and the unit tests (the store's on SQLite and
# PostgreSQL, captions, transcode units), no end-to-end renders, browsers or attack suite.
check: bootstrap
	python3 scripts/check-blocking-calls.py
	$(SWIFT) build --build-tests
	scripts/with-postgres.sh sh -c "$(SWIFT) test --skip-build --skip 'EndToEndTests'"

# The attack suite alone (also the last step of make test): PostgreSQL for its store-wait test.
attack: build
	@scripts/with-postgres.sh python3 scripts/attack.py .build/debug/mediaorch

# The HTTP side's protocol fuzzer: release build, a running service, 0 deaths, 0 lost uploads, 0 hangs.
FUZZ_HTTP_ARGS ?= --requests 20000 --jobs 2
fuzz-http: release
	@python3 scripts/fuzz-http.py .build/release/mediaorch $(FUZZ_HTTP_ARGS)

# A build folder of its own: every Swift module instrumented. libav is not, but ASan's malloc and
# free see its memory, so a double free of a libav object is caught too.
test-asan: bootstrap
	$(SWIFT) build --build-tests --scratch-path .build-asan -Xswiftc -sanitize=address
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 $(SWIFT) test --skip-build --scratch-path .build-asan --filter TranscodeTests

api-fuzz: build
	@scripts/api-fuzz.sh .build/debug/mediaorch

crash-test: build
	@python3 scripts/crash-test.py .build/debug/mediaorch

# Three nodes on one (throw-away) PostgreSQL and one workspace, through kills, a pause and a
# database restart; MULTINODE_ARGS for more clips or kills, or a seed.
MULTINODE_ARGS ?= --clips 40 --kills 15
multinode-test: build
	@scripts/with-postgres.sh python3 scripts/multinode-chaos.py .build/debug/mediaorch $(MULTINODE_ARGS)

# PostgreSQL for sections 12-13 with its durable defaults (fsync on), as in production.
bench: release
	@WITH_POSTGRES_DURABLE=1 scripts/with-postgres.sh python3 scripts/bench.py .build/release/mediaorch
	@python3 scripts/bench-proxy.py .build/release/mediaorch
	@PYTHONPATH=.build-python python3 scripts/bench-field.py .build/release/mediaorch

# Section 19 alone: a phone's proxy, its reply rendered while it arrives at 4 Mb/s, and its picture
# against the reply from the original.
bench-proxy: release
	@python3 scripts/bench-proxy.py .build/release/mediaorch

# Section 20 alone: "Field to ready", a 60 s phone clip sent from the field page in headless Chromium
# over an emulated 2 Mb/s and 256 kb/s link, as a proxy made in the browser and as the original alone
# (at 256 kb/s estimated unless BENCH_FIELD_ARGS=--full-256; over an hour). About 25 minutes.
BENCH_FIELD_ARGS ?=
bench-field: release
	@PYTHONPATH=.build-python python3 scripts/bench-field.py .build/release/mediaorch $(BENCH_FIELD_ARGS)

# Sections 14-18: the reply on six kinds of source (untagged, BT.709, HLG HEVC, PQ HEVC, 4K60, SD BT.601),
# an editor's smart cut, the colour and HDR chains, an upload to its manifest, the reply's x264 settings.
bench-sources: release
	@python3 scripts/bench-sources.py .build/release/mediaorch

# Section 14 alone: the reply on the six kinds of source against the ffmpeg command line.
bench-replies: release
	@python3 scripts/bench-sources.py .build/release/mediaorch --sources-only

# Section 15 alone: an editor's 20 s cut from a 60 s clip, smart cut against full re-encodes.
bench-cut: release
	@python3 scripts/bench-sources.py .build/release/mediaorch --cut-only

# Section 16 alone: the colour and HDR picture chains against their alternatives, no encoder.
bench-chains: release
	@python3 scripts/bench-sources.py .build/release/mediaorch --chains-only

# Section 17 alone: an upload completing to its reply's manifest, production and fast templates.
bench-upload: release
	@python3 scripts/bench-sources.py .build/release/mediaorch --upload-only

# Section 18 alone: the reply's x264 settings against x264's own presets, CPU against size and quality.
bench-x264: release
	@python3 scripts/bench-sources.py .build/release/mediaorch --x264-only

# Sections 12-13 alone: claim throughput on 1-4 nodes, and upload on one node to job on another.
bench-store: release
	@WITH_POSTGRES_DURABLE=1 scripts/with-postgres.sh python3 scripts/bench-store.py .build/release/mediaorch .build/release/mediaorch-store-bench

clean:
	rm -rf .build .build-asan .build-fuzz demo-workspace bench-output test-output fuzz-output

FUZZ_ARGS ?= --cases 2000 --jobs 2
FUZZ_STREAMED_ARGS ?= --cases 500 --jobs 2
# Then the same damage delivered in pieces, rendered as it arrives (a proxy over a camp's link).
fuzz: release
	@python3 scripts/fuzz.py --binary .build/release/mediaorch $(FUZZ_ARGS)
	@python3 scripts/fuzz.py --binary .build/release/mediaorch --streamed $(FUZZ_STREAMED_ARGS)

fuzz-streamed: release
	@python3 scripts/fuzz.py --binary .build/release/mediaorch --streamed $(FUZZ_STREAMED_ARGS)

FUZZ_CUT_ARGS ?= --cases 1000 --jobs 2
fuzz-cut: release
	@python3 scripts/fuzz.py --binary .build/release/mediaorch --editors-cut $(FUZZ_CUT_ARGS)

# Fuzz/ is a package of its own (the product's build never compiles the harnesses); it finds this
# checkout through a link, whatever the checkout's folder is called. SwiftPM gives executables an
# entry point of their own, so the harnesses are instrumented for coverage (no -sanitize=fuzzer,
# which would bring a second main) and call libFuzzer's driver from the no-main runtime.
# libFuzzer grows the corpus in .build-fuzz/, seeded from Fuzz/corpus/.
FUZZ_SECONDS ?= 300
FUZZER_RUNTIME = $(firstword $(wildcard $(dir $(shell command -v swiftc))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a))
fuzz-parsers: bootstrap
	mkdir -p .build-fuzz && ln -sfn "$(CURDIR)" .build-fuzz/MediaOrchestrator
	cd Fuzz && $(SWIFT) build -c release --scratch-path ../.build-fuzz/scratch -Xswiftc -parse-as-library \
	  -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
	  -Xlinker $(FUZZER_RUNTIME) -Xlinker -lstdc++
	@for t in captions tickets; do \
	  mkdir -p .build-fuzz/corpus-$$t && cp -n Fuzz/corpus/$$t/* .build-fuzz/corpus-$$t/ ; \
	  echo "== fuzz-$$t for $(FUZZ_SECONDS) s"; \
	  .build-fuzz/scratch/release/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 \
	    -artifact_prefix=.build-fuzz/crash-$$t- .build-fuzz/corpus-$$t || exit 1; \
	done

