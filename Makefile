# Kubernetes Scalability Lab: the two commands a reader needs are
#   make book   build the website (offline, warnings as errors) and serve it on 127.0.0.1
#   make test   run the test suite (package, notebooks, exercises, the built site)
# Also: make test-fast (no book build, no browser), make notebooks (the .ipynb from their .md).
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
# JupyterLab setting that opens MyST Markdown as notebooks (jupytext), in the venv only.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/kscale-lab.json
# JupyterLab refuses to start as root without --allow-root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help setup build book test test-fast notebooks toc lab clean

help:
	@echo "make book   build the book into $(BUILD)/html and serve it on http://$(HOST):$(PORT)/"
	@echo "            (SERVE=0: build only; REPO_URL=https://github.com/ORG/REPO: launch buttons)"
	@echo "make test   run pytest (unit tests, notebooks, exercises, site checks)"
	@echo "make test-fast  the tests without the book build and the browser (a few minutes less)"
	@echo "make notebooks  regenerate every .ipynb in notebooks/ and exercises/ from its .md"
	@echo "make build  build the book only"
	@echo "make lab    open the lab notebooks in JupyterLab"
	@echo "make setup  create $(VENV), install pinned packages and the site assets"
	@echo "make clean  remove $(BUILD)/ and site_assets/ (your notebooks are not touched)"

setup: $(PY_STAMP) $(LAB_OVERRIDES) $(ASSETS_STAMP)

# scripts/check_python.py: a plain message when a Python is older than requires-python.
$(VPY):
	@$(PY) scripts/check_python.py
	$(PY) -m venv $(VENV)

$(PY_STAMP): constraints.txt pyproject.toml | $(VPY)
	@$(VPY) scripts/check_python.py
	$(VPY) -m pip install -c constraints.txt -e ".[dev]"
	@touch $@

$(LAB_OVERRIDES): scripts/lab_settings.py $(PY_STAMP)
	$(VPY) scripts/lab_settings.py

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

# Everything except the tests that need the built book or a browser (markers set in
# tests/conftest.py); labs and solutions then run under nbval instead of in the book build.
test-fast: $(PY_STAMP) $(LAB_OVERRIDES)
	$(VPY) -m pytest -m "not book and not browser" $(PYTEST_ARGS)

# Edit the .md, then regenerate; commit both (tests/test_notebooks.py fails on a stale .ipynb).
notebooks: $(PY_STAMP)
	$(VPY) scripts/notebooks.py

# After adding a chapter to kscale_lab/chapters.py: the table of contents follows the registry.
toc: $(PY_STAMP)
	$(VPY) scripts/toc.py

# Serves the whole course (notebooks/ and exercises/) and opens on notebooks/.
lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.ip=$(HOST) --ServerApp.root_dir=. \
	  --LabApp.default_url=/lab/tree/notebooks $(ALLOW_ROOT) $(LAB_ARGS)

clean:
	rm -rf $(BUILD) site_assets

# --- Teaching: who the site is for, and the teacher's tools ------------------------------------
# AUDIENCE=teacher (default): the whole book, with worked solutions and the "For teachers" part.
# AUDIENCE=student: no answer keys (scripts/audience.py reads KSCALE_AUDIENCE), e.g.
#   make book AUDIENCE=student SERVE=0
AUDIENCE ?= teacher
export KSCALE_AUDIENCE := $(AUDIENCE)
# The teacher extra (otter-grader, for scripts/autograder.py) is part of the `test` extra,
# which `make setup` installs (`.[dev]`): the tests grade a round trip with it.
