# make/deploy.mk: packaging, publishing and infra linting for snowsync.
# Included by the top-level Makefile; every variable is overridable (make package GO=go1.26 ...).
#
#   make package              stage host.json, the function folders and a linux/amd64 `handler` in $(APP_DIR)
#   make publish APP=<name>   package, then `func azure functionapp publish` from $(APP_DIR)
#   make lint-infra           `bicep build` + `bicep lint` of infra/main.bicep when a Bicep CLI exists

GO       ?= go
FUNC     ?= func
BICEP    ?= bicep
AZ       ?= az
DIST     ?= dist
APP_DIR  ?= $(DIST)/app
INFRA    ?= infra/main.bicep

# Function folders are the directories under functions/ that hold a function.json.
FUNCTION_DIRS := $(patsubst %/function.json,%,$(wildcard functions/*/function.json))

.PHONY: package publish lint-infra

# The handler is built for the Functions host's platform (Linux x64), statically (CGO_ENABLED=0),
# whatever machine runs make. A local.settings.json at the repo root (never committed) is copied so that
# `func start` works from $(APP_DIR); publish never uploads it.
package:
	rm -rf $(APP_DIR)
	mkdir -p $(APP_DIR)
	cp host.json $(APP_DIR)/
	for d in $(FUNCTION_DIRS); do \
		mkdir -p $(APP_DIR)/$$(basename $$d) && cp $$d/function.json $(APP_DIR)/$$(basename $$d)/ || exit 1; \
	done
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='-s -w' -o $(APP_DIR)/handler ./handler
	if [ -f local.settings.json ]; then cp local.settings.json $(APP_DIR)/; fi
	@echo "packaged $(APP_DIR): host.json, $(notdir $(FUNCTION_DIRS)), handler"

# --custom tells Core Tools the worker runtime (it has no local.settings.json to read it from).
publish:
	@if [ -z "$(APP)" ]; then echo "publish: set APP to the function app name, e.g. make publish APP=func-snowsync-abc123 (deployment output functionAppName)" >&2; exit 2; fi
	@command -v $(FUNC) >/dev/null 2>&1 || { echo "publish: Azure Functions Core Tools ('$(FUNC)') is not installed; see https://learn.microsoft.com/azure/azure-functions/functions-run-local" >&2; exit 127; }
	$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) package
	cd $(APP_DIR) && $(FUNC) azure functionapp publish $(APP) --custom

# Uses the standalone Bicep CLI, else the one inside the Azure CLI; with neither it says so and succeeds,
# because no Bicep compiler is installed on our CI machines (the Go test in internal/deploy still runs).
lint-infra:
	@if command -v $(BICEP) >/dev/null 2>&1; then \
		set -e; \
		echo "$(BICEP) build $(INFRA)"; $(BICEP) build $(INFRA) --stdout >/dev/null; \
		echo "$(BICEP) lint $(INFRA)"; $(BICEP) lint $(INFRA); \
		echo "$(BICEP) build-params infra/main.bicepparam"; $(BICEP) build-params infra/main.bicepparam --stdout >/dev/null; \
	elif command -v $(AZ) >/dev/null 2>&1 && $(AZ) bicep version >/dev/null 2>&1; then \
		set -e; \
		echo "$(AZ) bicep build $(INFRA)"; $(AZ) bicep build --file $(INFRA) --stdout >/dev/null; \
		echo "$(AZ) bicep lint $(INFRA)"; $(AZ) bicep lint --file $(INFRA); \
	else \
		echo "lint-infra: SKIPPED - no Bicep CLI installed (neither '$(BICEP)' nor '$(AZ) bicep'); infra/ was not compiled."; \
		echo "lint-infra: install one with 'az bicep install' or from https://aka.ms/bicep-install to check it."; \
	fi
