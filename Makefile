# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv when missing. `make demo` installs the library alone (its runtime
# dependencies are attrs and numpy); `make test` adds the development tools (the `dev`
# extra). Both show pip's progress.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
BASE   := $(VENV)/.installed-base
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint docs bench fuzz screenshots clean

$(PY):
	@echo "==> creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)

$(BASE): pyproject.toml | $(PY)
	@echo "==> installing salesfunnel with its runtime dependencies only (attrs, numpy)"
	$(PIP) install --progress-bar on -e .
	touch $(BASE)

$(STAMP): pyproject.toml | $(PY)
	@echo "==> installing salesfunnel with the development tools (the 'dev' extra)"
	$(PIP) install --progress-bar on --upgrade pip
	$(PIP) install --progress-bar on -e '.[dev]'
	touch $(STAMP) $(BASE)

demo: $(BASE)
	@echo "==> simulating a year of B2B deals and writing report.html"
	$(VENV)/bin/salesfunnel demo --out report.html

lint: $(STAMP)
	$(VENV)/bin/ruff check conftest.py src tests benchmarks examples tools
	$(VENV)/bin/mypy

test: lint docs
	$(PY) -m pytest -q

# The fuzz tests of tests/fuzz/ with many examples each (FUZZ_EXAMPLES, default 5000);
# `make test` runs the same tests with a few examples.
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q tests/fuzz

docs: $(STAMP)
	$(VENV)/bin/sphinx-build -q -W --keep-going -b html docs docs/_build/html

# Screenshots of the demo report (English and Chinese) and of documentation pages in
# headless Chromium, written to screenshots/ for a person to look at. Needs Debian's
# `chromium` and `fonts-noto-cjk` packages (apt-get install chromium fonts-noto-cjk).
screenshots: docs
	$(PY) tools/screenshots.py screenshots docs/_build/html

bench: $(STAMP)
	$(PIP) install --progress-bar on -e '.[dev,bench]'
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache docs/_build docs/_generated screenshots
