# HybridOps platform collection: the two commands that matter are `make lab` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
SCENARIOS ?=

# When make started (for make test's deadline: building the images of a cold machine counts against CI's limit too)
MAKE_STARTED := $(shell date +%s)

.PHONY: help deps images lab lab-check lab-destroy lab-bench pg-soak pkg-cache test lint sanity galaxy unit molecule changelog ee ee-test

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: ## Install podman, debootstrap and the pinned Python venv (idempotent)
	@bash scripts/lab-deps.sh

images: deps ## Build the Debian 12/13 systemd test images (cached by recipe)
	@bash scripts/build-images.sh

lab: images ## The whole site on local containers (inventories/lab): site.yml, then lab-check; prints stage times
	@bash scripts/lab.sh up

lab-check: ## Check the running lab from a user's seat: VPN, database, LLM key, UniFi, backups, monitoring
	@bash scripts/lab.sh check

lab-destroy: ## Remove everything the lab made: containers, networks, simulators, lab CA (package caches stay)
	@bash scripts/lab.sh down

lab-bench: images ## Measure the lab: fresh first converge, no-op re-run (ratio), check mode, tasks per host
	@bash scripts/lab-bench.sh

pg-soak: deps ## 20 min soak of the lab's PostgreSQL cluster under load: false failovers (SOAK_ARGS="--minutes 5")
	@.venv/bin/python tests/chaos/pg_soak.py --lab --report tests/output/pg-soak.json $(SOAK_ARGS)

pkg-cache: deps ## Start the host's Debian package cache for the lab and the tests (scripts/pkg-cache.sh)
	@bash scripts/pkg-cache.sh start

test: images ## The whole suite: yamllint, ansible-lint, sanity, Galaxy's importer, unit tests, every Molecule scenario
	@HYBRIDOPS_TEST_STARTED=$(MAKE_STARTED) bash scripts/test.sh all

lint: deps ## yamllint + ansible-lint only
	@bash scripts/test.sh lint

sanity: deps ## ansible-test sanity for the plugins
	@bash scripts/test.sh sanity

galaxy: deps ## Galaxy's importer on the built tarball (ansible-doc, ansible-lint production): no ERROR or WARNING
	@bash scripts/test.sh galaxy

unit: deps ## pytest unit tests
	@bash scripts/test.sh unit

molecule: images ## Every Molecule scenario (or SCENARIOS="common patroni")
	@SCENARIOS="$(SCENARIOS)" bash scripts/test.sh molecule

ee: images ## Build the execution environment localhost/hybridops-ee:latest (ansible-builder, no registry)
	@bash scripts/build-ee.sh

ee-test: images ## Build the EE, run base + postgres twice through ansible-runner inside it (not part of `make test`)
	@bash scripts/awx-ee-test.sh
