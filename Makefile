# SecureP2P — run `make help` for the list of targets.
GO        ?= go
BIN       ?= bin
PREFIX    ?= $(shell $(GO) env GOPATH)
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
PKGS      := ./...

.PHONY: help build install test race unit fuzz bench demo lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

build: ## build p2p-relay, p2pd and p2pctl into ./bin
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./relay/cmd/p2p-relay ./daemon/cmd/p2pd ./ctl/cmd/p2pctl

install: ## install the three binaries into $(PREFIX)/bin (same as go install ./...)
	GOBIN=$(PREFIX)/bin $(GO) install ./...

test: ## run every unit and integration test (the CI command)
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 14m $(PKGS)

race: ## run the unit tests under the race detector
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

fuzz: ## run every fuzz target for FUZZTIME each (default 10s)
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

bench: ## run the Go benchmarks and the load runs (p2pd bench); results in $(BIN)/bench/
	@mkdir -p $(BIN)/bench
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count 5 $(PKGS) | tee $(BIN)/bench/go-bench.txt
	$(GO) build -o $(BIN)/ ./relay/cmd/p2p-relay ./daemon/cmd/p2pd
	$(BIN)/p2pd bench --pairs 1 --rounds 2000 | tee $(BIN)/bench/load-pairs1.json
	$(BIN)/p2pd bench --pairs 1 --rounds 4000 --senders 1 | tee $(BIN)/bench/load-pairs1-senders1.json
	GOMAXPROCS=1 $(BIN)/p2pd bench --pairs 1 --rounds 4000 --senders 1 | tee $(BIN)/bench/load-pairs1-senders1-procs1.json
	$(BIN)/p2pd bench --pairs 20 --rounds 200 | tee $(BIN)/bench/load-pairs20.json
	$(BIN)/p2pd bench --pairs 200 --rounds 50 --size 200 | tee $(BIN)/bench/load-pairs200.json
	$(BIN)/p2pd bench --pairs 200 --rounds 50 --size 200 --senders 1 | tee $(BIN)/bench/load-pairs200-senders1.json
	$(BIN)/p2pd bench --idle 1000 | tee $(BIN)/bench/load-idle1000.json
	$(BIN)/p2pd bench --connect 1000 | tee $(BIN)/bench/load-connect1000.json

demo: ## build everything and show a relay and two daemons exchanging messages
	@if [ -x integration/demo.sh ]; then integration/demo.sh; else \
	  echo "make demo: not built yet — the daemon (p2pd) and p2pctl do not exist in this tree yet."; exit 1; fi

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)

clean: ## remove build and benchmark outputs
	rm -rf $(BIN)
