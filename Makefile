# atomicbox: the two commands that matter are `make run` and `make test`.
# Both install what is missing through scripts/setup-debian.sh first.

SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
export GOFLAGS := -buildvcs=false

# Demo: HEADLESS=1 runs the UI under Xvfb (no display needed).
HEADLESS ?=

.PHONY: all build run test bench bench-all sim fuzz vet clean setup-run setup-test

all: build

setup-run:
	@scripts/setup-debian.sh run

setup-test:
	@scripts/setup-debian.sh test

# The daemon and the publisher are static pure-Go binaries; the UI is the one
# process that loads libmpv (through purego, so no C toolchain is needed).
build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./appliance/cmd/...
	CGO_ENABLED=0 $(GO) build -trimpath -tags nocgo -o $(BIN)/ ./ui/cmd/...

run: setup-run build
	HEADLESS=$(HEADLESS) BIN=$(BIN) scripts/demo.sh

# The build tags of everything make test builds: nocgo (go-mpv through
# purego) and the tags gok builds the image's programs with (netgo,
# osusergo; its third, gokrazy, selects no file here). With CGO_ENABLED=0
# they change nothing in a program, but net and os/user compile from other
# files under them, and so does everything above net: with the same tags,
# gok's image builds find the dependency graph in the build cache vet and
# go test filled (a fresh cache, after vet: atomicboxd as gok builds it for
# amd64 in 7 s, against 46 s without them). testbin builds with them too.
TAGS := nocgo,netgo,osusergo
export ATOMICBOX_GO_TAGS := $(TAGS)

# Vet the build configuration that ships (make build, the image): no cgo,
# go-mpv through purego. Vetting the cgo configuration as well compiled the
# whole dependency graph a second time (net and everything above it build
# differently with cgo) for a configuration nothing builds; no file here
# depends on cgo.
vet:
	CGO_ENABLED=0 $(GO) vet -tags $(TAGS) ./...
	GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags $(TAGS) ./...

# Every test, fuzz seed corpora included (-p 2 matches the 2-core CI
# machine), then the amd64 image boot test in QEMU (image/image.mk) and the
# Pi kernel + initramfs boot in qemu-system-aarch64 and the Wi-Fi join test
# (mac80211_hwsim in QEMU) (image/kernel.mk).
# ARTIFACTS=DIR keeps what tests save with t.ArtifactDir (TestDemoWalk's
# screenshots) under DIR/_artifacts; without it they go with the test's
# temporary files.
test: setup-test vet
	$(if $(ARTIFACTS),mkdir -p $(ARTIFACTS))
	CGO_ENABLED=0 $(GO) test -tags $(TAGS) -p 2 -timeout 15m $(if $(ARTIFACTS),-artifacts -outputdir $(abspath $(ARTIFACTS))) ./...
	$(MAKE) image-test
	$(MAKE) image-test-arm64
	$(MAKE) image-test-wifi

# The seeding memory benchmark, then the flash-crowd benchmark (30 boxes;
# BOXES=60 for more) with its HTTP-only baseline and the seek benchmark, so
# that the last line is the crowd's scenario=... key=value line. Run it on
# a quiet machine: a crowd phase with under 15% CPU idle reports valid=0.
bench: setup-test build
	scripts/rss-bench.sh
	scripts/bench.sh

# Every premiere-night scenario (about 35 minutes), each run's output as it
# goes, then one scenario=... line per scenario, the default crowd30 last.
bench-all: setup-test build
	scripts/bench-all.sh

# The premiere simulator (appliance/lab/sim): the real crowd30 calibration
# (SIM_CALIBRATE=bin/bench-crowd30.txt compares with a bench output of today;
# default the checked-in runs), then 100 to 100,000 boxes under two household
# mixes, swarm and HTTP-only. Prints a table and a last key=value line and
# writes bin/sim.png. Pure computation, one core, niced. CPU time on this
# machine (2026-12-07): under 30 s per mix up to 10,000 boxes, 2 to 2.5 min
# per mix at 100,000 (4.3 to 5.5 min in all). SIM_FLAGS="-sizes 100,1000,10000" skips
# them; SIM_FLAGS=-diagnose says where the stall time comes from.
SIM_CALIBRATE ?=
SIM_FLAGS ?=
sim:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/atomicsim ./appliance/lab/cmd/atomicsim
	nice -n 19 $(BIN)/atomicsim -plot $(BIN)/sim.png $(if $(SIM_CALIBRATE),-calibrate $(SIM_CALIBRATE)) $(SIM_FLAGS)

# Short coverage-guided fuzzing of every parser (seed corpora live in testdata/fuzz).
FUZZTIME ?= 20s
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf $(BIN) image/build

# The gokrazy images (image, image-amd64, image-test, flash, update, runtime,
# gok) and the Pi kernel (kernel-rpi, image-test-arm64).
include image/image.mk
include image/kernel.mk
