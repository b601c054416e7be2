# sixfold — the two commands a newcomer needs are `make run` and `make test`.
# Everything this Makefile writes stays in .data/ and bin/.

SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(CURDIR)/.data/tools
MODULES := proto migrations db s3api storagenode gateway e2e
PKGS := $(addprefix ./,$(addsuffix /...,$(MODULES)))

SQLC_VERSION := v1.31.1
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.0

.PHONY: run test build vet unit generate check-generated tools postgres-binaries chromium protoc fmt fuzz compose-check certs bench

## run: start a dev cluster (private PostgreSQL, six nodes, gateway on 127.0.0.1:8080)
run: postgres-binaries build
	$(BIN)/sixfold-dev run -dir .data

## test: vet, unit, integration (real PostgreSQL) and end-to-end tests
test: postgres-binaries chromium build vet compose-check
	SIXFOLD_BIN_DIR=$(BIN) $(BIN)/sixfold-dev with-postgres -- $(GO) test -count=1 -timeout 40m $(PKGS)

## bench: start a private cluster and measure it against this machine's disk, loopback and CPU: table on stdout, JSON in .data/bench/bench.json (BENCH_FLAGS="-quick" for a 1–2 minute smoke run, "-cases put1g,small-4k" to rerun some cases; see bin/sixfold-bench -h)
BENCH_FLAGS ?=
bench: postgres-binaries build
	$(GO) build -o $(BIN)/ ./e2e/cmd/sixfold-bench
	SIXFOLD_BIN_DIR=$(BIN) $(BIN)/sixfold-bench -dir .data/bench $(BENCH_FLAGS)

## certs: write a dev CA and certificates (gateway client + HTTPS, one per node) to .data/certs; CERTS_FLAGS="-nodes a,b" for other nodes
CERTS_FLAGS ?=
certs:
	$(GO) run ./e2e/cmd/sixfold-certs -dir .data/certs $(CERTS_FLAGS)

## compose-check: validate docker-compose.yml against the binaries' config loaders, without Docker
compose-check:
	SIXFOLD_ROOT_PASSWORD=compose-check-only SIXFOLD_DB_PASSWORD=compose-check-only $(GO) run ./e2e/cmd/composecheck -f docker-compose.yml

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./gateway/cmd/gateway ./storagenode/cmd/storagenode ./e2e/cmd/sixfold-dev

vet:
	@unformatted=$$(gofmt -l $(MODULES)); if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $(MODULES)

## fuzz: run every fuzz target of the parsers of untrusted input for FUZZTIME (default 60s) each
FUZZTIME ?= 60s
fuzz:
	@set -e; grep -rl --include='*_test.go' '^func Fuzz' $(MODULES) | while read -r file; do \
		dir=$$(dirname "$$file"); \
		for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$file"); do \
			echo "== $$dir $$name ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) "./$$dir"; \
		done; \
	done

## generate: regenerate sqlc and protobuf code (committed; CI checks it has not drifted)
generate: tools protoc
	$(TOOLS)/sqlc generate
	PATH=$(TOOLS):$$PATH protoc -I proto \
		--go_out=proto/storagepb --go_opt=paths=source_relative \
		--go-grpc_out=proto/storagepb --go-grpc_opt=paths=source_relative \
		proto/storage.proto

check-generated: generate
	@git diff --exit-code -- db/internal/dbq proto/storagepb || { echo "generated code has drifted: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- db/internal/dbq proto/storagepb)" || { echo "untracked generated files: run 'make generate' and commit"; exit 1; }

tools:
	@mkdir -p $(TOOLS)
	@test -x $(TOOLS)/sqlc || GOBIN=$(TOOLS) $(GO) install github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)
	@test -x $(TOOLS)/protoc-gen-go || GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	@test -x $(TOOLS)/protoc-gen-go-grpc || GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

# Debian's protobuf-compiler (protoc 3.21.12 on bookworm) is what the
# committed code was generated with.
protoc:
	@command -v protoc >/dev/null || $(call apt_install,protobuf-compiler)

# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the private
# clusters of `make run` and `make test`.
postgres-binaries:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || $(call apt_install,postgresql)

# Debian's chromium, which the console's browser tests drive headless.
chromium:
	@command -v chromium >/dev/null || $(call apt_install,chromium)

define apt_install
{ echo "installing $(1) with apt-get"; \
  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); \
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); fi; }
endef
