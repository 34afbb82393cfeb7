# k8saudit: out_k8saudit.so, a Fluent Bit output plugin for Kubernetes audit logs.
#
#   make build   the plugin into build/out/out_k8saudit.so (and the proxy harness)
#   make test    vet, race tests of every package, CGO_ENABLED=0 tests of every package but
#                plugin/, and the built .so driven end to end through the harness and inside a
#                real Fluent Bit (see test/fbhost); each pass prints every failure in full,
#                every skip with its reason, and "N passed, N failed, N skipped"
#                (build/testsummary)
#   make bench   throughput of the flush path against fastjson parse-only and gzip-only;
#                the kafka intake (kfake, in process) against the ndjson intake;
#                fails when a ratio cannot be computed
#   make fuzz    a short smoke of every fuzz target
#   make soak    100,000 events through the .so into a flaky intake, with figures
#   make bench-host  the plugin's cost inside a real Fluent Bit against the host's null
#                output and its native out_http (a few minutes; not in CI)
#   make run     the plugin inside Fluent Bit on conf/sample/audit.log, printing ECS events
#                (K8SAUDIT_URL, K8SAUDIT_INTAKE, K8SAUDIT_API_KEY, ...: see build/run.sh)

GO        ?= go
OUT       := build/out
SO        := $(OUT)/out_k8saudit.so
HARNESS   := $(OUT)/harness
FUZZTIME  ?= 10s

# The architecture to build the plugin for (amd64, arm64): this machine's by default. The
# plugin is cgo, so another architecture takes its C compiler, CROSS_CC_<arch> (Debian:
# apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross). make so ARCH=arm64 OUT=...
HOST_ARCH     := $(shell $(GO) env GOARCH)
ARCH          ?= $(HOST_ARCH)
CROSS_CC_arm64 ?= aarch64-linux-gnu-gcc
CROSS_CC_amd64 ?= x86_64-linux-gnu-gcc
CROSS = $(if $(filter-out $(HOST_ARCH),$(ARCH)),GOARCH=$(ARCH) CC=$(CROSS_CC_$(ARCH)) )

# The one build command of the plugin; the Dockerfile uses exactly this line.
BUILD_SO   = CGO_ENABLED=1 $(CROSS)$(GO) build -trimpath -buildmode=c-shared -ldflags="-s -w" -o $(SO) ./plugin
BUILD_HARNESS = $(CC) -O2 -Wall -Wextra -o $(HARNESS) test/harness/harness.c -ldl

NOCGO_PKGS = $(shell $(GO) list ./... | grep -v '/plugin$$')

# go test -json through build/testsummary: failures in full, skips with their reason, one
# closing count line; it exits non-zero when go test does or any test fails.
TESTSUMMARY = $(GO) run ./build/testsummary

# A bench report through a filter: the test's own exit status, not grep's, decides.
BENCH_FILTER = grep -v '^=== RUN\|^--- PASS\|^PASS\|^ok'

.PHONY: build test vet bench bench-host fuzz run clean so docker soak check-apiserver check-apiserver-manifest

build:
	@mkdir -p $(OUT)
	$(BUILD_SO)
	$(BUILD_HARNESS)

# staticcheck at a pinned version, fetched through the module proxy on first use (not a
# dependency of the module: go run pkg@version keeps it out of go.mod).
STATICCHECK = $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

vet:
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

# The real-host tests run the plugin inside the Fluent Bit test/fbhost finds (FLUENT_BIT,
# fluent-bit on PATH, ../shared/tools/fluent-bit/ensure); this line names it, or says why
# they skip (under CI=true a missing Fluent Bit fails here).
test: vet build
	@command -v $(CROSS_CC_arm64) >/dev/null || echo "make test: no $(CROSS_CC_arm64): the arm64 plugin is not built or checked (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"
	@fb=$$($(GO) run ./test/fbhost/which) || exit 1; \
	K8SAUDIT_SO=$(CURDIR)/$(SO) FLUENT_BIT=$${fb:-$$FLUENT_BIT} $(TESTSUMMARY) $(GO) test -json -race -count=1 ./...
	CGO_ENABLED=0 $(TESTSUMMARY) $(GO) test -json -count=1 -skip='^Test(RealHost|InsideFluentBit)' $(NOCGO_PKGS)

bench:
	@mkdir -p $(OUT)
	@K8SAUDIT_BENCH=1 $(GO) test -count=1 -run='^TestThroughputReport$$' -v ./plugin/instance > $(OUT)/bench.log 2>&1; \
	  st=$$?; $(BENCH_FILTER) $(OUT)/bench.log; \
	  if [ $$st -ne 0 ]; then echo "make bench: TestThroughputReport failed (exit $$st): no ratio"; exit 1; fi
	@K8SAUDIT_BENCH=1 $(GO) test -count=1 -run='^TestIntakeFlushReport$$' -v ./plugin/instance > $(OUT)/bench.log 2>&1; \
	  st=$$?; $(BENCH_FILTER) $(OUT)/bench.log; \
	  if [ $$st -ne 0 ]; then echo "make bench: TestIntakeFlushReport failed (exit $$st): no per-intake rows"; exit 1; fi
	@K8SAUDIT_BENCH=1 $(GO) test -count=1 -run='^TestNormalizeRatio$$' -v ./normalize > $(OUT)/bench.log 2>&1; \
	  st=$$?; $(BENCH_FILTER) $(OUT)/bench.log; \
	  if [ $$st -ne 0 ]; then echo "make bench: TestNormalizeRatio failed (exit $$st): no ratio"; exit 1; fi
	@K8SAUDIT_BENCH=1 $(GO) test -count=1 -run='^TestKafkaBenchReport$$' -v ./plugin/intake/kafka > $(OUT)/bench.log 2>&1; \
	  st=$$?; $(BENCH_FILTER) $(OUT)/bench.log; \
	  if [ $$st -ne 0 ]; then echo "make bench: TestKafkaBenchReport failed (exit $$st): no kafka rows"; exit 1; fi
	@K8SAUDIT_BENCH=1 $(GO) test -count=1 -run='^TestSyslogBenchReport$$' -v ./plugin/instance > $(OUT)/bench.log 2>&1; \
	  st=$$?; $(BENCH_FILTER) $(OUT)/bench.log; \
	  if [ $$st -ne 0 ]; then echo "make bench: TestSyslogBenchReport failed (exit $$st): no syslog rows"; exit 1; fi
	$(GO) test -count=1 -run='^$$' -bench=. -benchmem ./plugin/... ./normalize/...

fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list='^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    CGO_ENABLED=0 $(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# 100,000 events through the built .so into a flaky intake (5xx, resets, 413), with figures.
soak: build
	K8SAUDIT_SO=$(CURDIR)/$(SO) $(GO) test -count=1 -run='^TestSoakFlakyIntake$$' -v ./test | grep -E 'soak:|^(--- |ok|FAIL)'

# CPU seconds and peak RSS of Fluent Bit (FLUENT_BIT, fluent-bit on PATH, or
# ../shared/tools/fluent-bit/ensure) on 100,000 generated real-shaped audit lines: tail → null,
# tail → k8saudit (raw, ecs, defaults), tail + json → out_http json_lines gzip, and the ratios.
# BENCH_HOST_ARGS passes flags, e.g. "-profile", "-storage filesystem", "-env GOGC=50".
BENCH_HOST_ARGS ?=
bench-host: build
	$(GO) run ./test/benchhost $(BENCH_HOST_ARGS)

# The build's chatter goes to stderr: stdout carries the events only (make run | jq).
run:
	@$(MAKE) --no-print-directory build >&2
	@build/run.sh $(SO) $(HARNESS)

clean:
	rm -rf $(OUT)

# The plugin alone, with the one build command above: what the Dockerfile's build stage runs.
so:
	@mkdir -p $(OUT)
	$(BUILD_SO)

# The image: the official Fluent Bit image with the plugin and conf/ (see Dockerfile). Needs a
# docker engine and access to the registries of the base images. IMAGE is the whole
# reference, registry/name:tag: no image is published yet, so build and push your own,
#   make docker IMAGE=registry.example.com/k8saudit:0.1.0 && docker push registry.example.com/k8saudit:0.1.0
# and name it in the manifests (conf/kubernetes/kustomization.yaml, conf/helm/values.yaml).
IMAGE ?= ghcr.io/k8saudit/k8saudit:0.1.0
docker:
	docker build -t $(IMAGE) .

# The static-pod checker (conf/kubernetes/checkapiserver): a static binary to copy to a
# control-plane node (ARCH=arm64 for arm nodes; it is also in the image), and a run of it
# on MANIFEST with the node's files under ROOT.
CHECKER  = $(OUT)/k8saudit-check-apiserver
MANIFEST ?= /etc/kubernetes/manifests/kube-apiserver.yaml
ROOT     ?= /
check-apiserver:
	@mkdir -p $(OUT)
	CGO_ENABLED=0 GOARCH=$(ARCH) $(GO) build -trimpath -ldflags="-s -w" -o $(CHECKER) ./conf/kubernetes/checkapiserver

check-apiserver-manifest: check-apiserver
	$(CHECKER) -root $(ROOT) $(MANIFEST)
