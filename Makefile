# Two commands do everything on a fresh machine (see README.md):
#   make demo   the main job: synthetic world -> RAMEN and baseline -> metrics table
#   make test   unit tests, every chapter in the smoke profile, and the book build (-W)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# A CPU build of torch; an unpinned torch would pull several GB of CUDA packages.
TORCH_PIN ?= torch==2.13.0

.PHONY: demo test unit notebooks book benchmark clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_PIN)"
	$(PY) -m pip install -q -e ".[book,test]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/ramen-edu demo

test: $(VENV)/.installed
	$(PY) -m pytest -q -ra
	$(MAKE) book

unit: $(VENV)/.installed
	$(PY) -m pytest -q -ra -m "not notebook"

notebooks: $(VENV)/.installed
	$(PY) -m pytest -q -ra -m notebook

book: $(VENV)/.installed
	rm -rf _build
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	test -f _build/html/index.html

benchmark: $(VENV)/.installed
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf _build .pytest_cache
