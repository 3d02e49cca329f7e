# snowsync — see README.md. Two commands for a newcomer: `make demo` and `make test`.
GO ?= go

# The handler and the tests need no cgo; the Snowflake driver skips its cloud-metadata probes.
export CGO_ENABLED ?= 0
export SNOWFLAKE_DISABLE_PLATFORM_DETECTION := true
export SF_DISABLE_MINICORE := true

AZURITE := tools/azurite/node_modules/.bin/azurite-table

.PHONY: build lint test test-race tools demo bench bench-e2e soak

build:
	$(GO) build ./...

# Azurite (pinned in tools/azurite/package-lock.json) for the audit-store tests, the demo and benchmarks.
tools: $(AZURITE)
$(AZURITE): tools/azurite/package.json tools/azurite/package-lock.json
	npm ci --prefix tools/azurite --no-audit --no-fund --loglevel=error
	@touch $@

# staticcheck is pinned and run from the Go module proxy, so that go.mod gains no dependency for it.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# duplicates (a local tool that lists repeated code) checks only what the uncommitted change adds; it
# is skipped, saying so, on a machine without it.
DUPLICATES ?= duplicates

# lint fails on a vet or staticcheck finding, on a file gofmt would change, and on code the
# uncommitted change repeats.
lint:
	$(GO) vet ./...
	@unformatted="$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...
	@if command -v $(DUPLICATES) >/dev/null 2>&1; then \
		out="$$($(DUPLICATES) --change)"; echo "$$out"; \
		case "$$out" in "no duplicates"*) ;; *) echo "duplicates --change: the change repeats code (see above)"; exit 1;; esac; \
	else echo "lint: $(DUPLICATES) not found: skipping the check for repeated code"; fi

test: tools lint
	$(GO) test -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory test-race

# The race detector needs cgo; it runs on the packages with real concurrency. -short shrinks the two
# scale tests (5,000 tables) that the plain run above runs in full: the same code paths, at a size that
# the race detector's slowdown does not turn into minutes.
test-race:
	CGO_ENABLED=1 $(GO) test -short -count=1 -race -timeout 10m ./internal/testing/emulator/... ./internal/engine/... ./internal/snowflake/... ./internal/task/... ./internal/guard/... ./internal/reconcile/... ./functions/...

demo: tools
	$(GO) run ./cmd/demo

bench: tools
	$(GO) test -run '^$$' -bench . -benchmem ./internal/engine/... ./internal/policy/...

# The end-to-end benchmark of issue 9 against a naive per-object peer, with the latency model
# (cmd/bench-e2e -latency). Quick look: make bench-e2e BENCH_FLAGS="-latency ''".
BENCH_FLAGS ?= -large
bench-e2e: tools
	$(GO) run ./cmd/bench-e2e $(BENCH_FLAGS)

# The soak of issue 11 (not part of `make test`, which runs a short one: cmd/soak TestShortSoak): 5,000
# events, 8 % malformed, Snowflake faults and two Azurite outages; exits 1 on any loss. See cmd/soak.
SOAK_FLAGS ?=
soak: tools
	$(GO) run ./cmd/soak $(SOAK_FLAGS)

include make/deploy.mk
