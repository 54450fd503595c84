# Kubernetes Scalability Lab: the two commands a reader needs are
#   make book   build the website (offline, warnings as errors) and serve it on 127.0.0.1
#   make test   run the test suite (package, notebooks, exercises, the built site)
# Everything is overridable, e.g. `make book PORT=8001` or `make setup PY=python3.12`.
# Publishing (README, "Publishing the site"): `make book SERVE=0 REPO_URL=https://github.com/ORG/REPO`
# adds Binder, JupyterHub (HUB_URL) and Colab buttons; with REPO_URL empty there are none.

PY      ?= python3
VENV    ?= .venv
NPM     ?= npm
HOST    ?= 127.0.0.1
PORT    ?= 8000
PYTEST_ARGS ?=
LAB_ARGS    ?=
JB_ARGS     ?= -W -n --keep-going
# SERVE=0: `make book` builds without serving (the GitHub workflow).
SERVE       ?= 1
# Launch buttons, read by scripts/site_launch.py. REPO_URL empty: no launch buttons.
REPO_URL    ?=
BRANCH      ?= main
HUB_URL     ?=
BINDER_URL  ?= https://mybinder.org
COLAB_URL   ?= https://colab.research.google.com

BUILD := _build
VPY  := $(VENV)/bin/python
JB   := $(VENV)/bin/jupyter-book
# Stamp files: `make setup` only reinstalls when the pinned inputs change.
PY_STAMP     := $(VENV)/.kscale-lab-installed
NODE_STAMP   := node_modules/.kscale-lab-installed
ASSETS_STAMP := site_assets/require.js
# JupyterLab refuses to start as root without --allow-root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help setup build book test lab clean

help:
	@echo "make book   build the book into $(BUILD)/html and serve it on http://$(HOST):$(PORT)/"
	@echo "            (SERVE=0: build only; REPO_URL=https://github.com/ORG/REPO: launch buttons)"
	@echo "make test   run pytest (unit tests, notebooks, exercises, site checks)"
	@echo "make build  build the book only"
	@echo "make lab    open the lab notebooks in JupyterLab"
	@echo "make setup  create $(VENV), install pinned packages and the site assets"
	@echo "make clean  remove $(BUILD)/ and site_assets/ (your notebooks are not touched)"

setup: $(PY_STAMP) $(ASSETS_STAMP)

$(VPY):
	$(PY) -m venv $(VENV)

$(PY_STAMP): constraints.txt pyproject.toml | $(VPY)
	$(VPY) -m pip install -c constraints.txt -e ".[dev]"
	@touch $@

# --ignore-scripts: the packages are plain files; nothing needs to run (or download) at install.
$(NODE_STAMP): package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	@touch $@

$(ASSETS_STAMP): $(NODE_STAMP) scripts/site_assets.py
	$(PY) scripts/site_assets.py

build: setup
	rm -rf $(BUILD)/.jupyter_cache
	KSCALE_REPO_URL='$(REPO_URL)' KSCALE_BRANCH='$(BRANCH)' KSCALE_HUB_URL='$(HUB_URL)' \
	  KSCALE_BINDER_URL='$(BINDER_URL)' KSCALE_COLAB_URL='$(COLAB_URL)' \
	  $(JB) build . $(JB_ARGS)
	@echo
	@echo "The site is in $(BUILD)/html/index.html"

book: build
ifneq ($(SERVE),0)
	@echo
	@echo "Serving the book at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(VPY) -m http.server $(PORT) --bind $(HOST) --directory $(BUILD)/html
endif

test: setup
	$(VPY) -m pytest $(PYTEST_ARGS)

# Serves the whole course (notebooks/ and exercises/) and opens on notebooks/.
lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.ip=$(HOST) --ServerApp.root_dir=. \
	  --LabApp.default_url=/lab/tree/notebooks $(ALLOW_ROOT) $(LAB_ARGS)

clean:
	rm -rf $(BUILD) site_assets
