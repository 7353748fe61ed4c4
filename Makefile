# Two commands do everything on a fresh machine (see README.md):
#   make demo   the main job: synthetic world -> RAMEN and baseline -> metrics table
#   make test   unit tests, every chapter in the smoke profile, and the book build (-W)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch 2.13.0: on this project's machines a CPU wheel lies on disk and pip takes it; on an
# ordinary machine the same line resolves the CUDA build (~17 nvidia-* packages, several GB).
# For a CPU-only torch there: make TORCH_PIN="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH_PIN ?= torch==2.13.0
# exactly one faiss extra: cpu (faiss-cpu) or gpu (faiss-gpu-cu12); both at once break `import faiss`
EXTRAS ?= cpu,book,test

.PHONY: demo test unit notebooks book benchmark clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PIN)
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
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
