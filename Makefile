# Two commands do everything on a fresh machine (see README.md):
#   make demo   the main job: synthetic world -> RAMEN and baseline -> metrics table
#   make test   unit tests, every chapter in the smoke profile, the book build (-W), and the
#               built book opened page by page in headless Chromium, network off (browser-test)
#   make check  the quick loop while editing: unit tests without those marked slow, notebook or
#               browser (minutes less); `make test` (CI) still runs every test
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

.PHONY: demo test check unit notebooks book browser-test browser-deps benchmark student-copies clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PIN)
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/ramen-edu demo

test: $(VENV)/.installed
	$(PY) -m pytest -q -ra -m "not browser"
	$(MAKE) book
	$(MAKE) browser-test

check: $(VENV)/.installed
	$(PY) -m pytest -q -ra -m "not slow and not notebook and not browser"

unit: $(VENV)/.installed
	$(PY) -m pytest -q -ra -m "not notebook and not browser"

notebooks: $(VENV)/.installed
	$(PY) -m pytest -q -ra -m notebook

book: $(VENV)/.installed
	rm -rf _build
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	test -f _build/html/index.html

# the chapters without solutions or outputs, for a classroom (ramen-edu student-copy; README.md inside).
# Under _build/ (git-ignored): `make book` removes it, so copy the folder out before building the book.
STUDENT_DIR ?= _build/student-copies
student-copies: $(VENV)/.installed
	$(VENV)/bin/ramen-edu student-copy $(STUDENT_DIR)

# The book just built by `make book`, served on 127.0.0.1 and opened page by page in headless
# Chromium with the network off (tests/test_browser.py); screenshots in _build/screenshots/.
# Needs Debian's chromium and chromium-driver (make browser-deps); never downloads a browser.
browser-test: $(VENV)/.installed
	test -f _build/html/index.html || $(MAKE) book
	RAMEN_EDU_BOOK_HTML=_build/html $(PY) -m pytest -q -ra -m browser tests/test_browser.py

# The system browser for browser-test (Debian packages; root, as in CI). No-op when present.
browser-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
		chromium --version; \
	else \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
	fi

benchmark: $(VENV)/.installed
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf _build .pytest_cache
