# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv when missing and install the project with what they need.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint docs bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/salesfunnel demo --out report.html

lint: $(STAMP)
	$(VENV)/bin/ruff check conftest.py src tests benchmarks examples
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

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
