PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= demo_output

.PHONY: demo test test-fast lint clean venv

$(BIN)/python:
	@echo "[make] creating $(VENV) with $(PY)"
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "[make] installing chemorad and its dependencies into $(VENV) (first time: several minutes)"
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "[make] installing chemorad with its test tools into $(VENV) (first time: several minutes)"
	$(BIN)/pip install -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	@echo "[make] running chemorad demo: 8 stages, each reports its progress and time"
	$(BIN)/chemorad demo --out $(OUT) --force

test: $(VENV)/.installed-test
	@echo "[make] 1/4 ruff check"
	$(BIN)/ruff check src tests benchmarks docs
	@echo "[make] 2/4 ruff format --check"
	$(BIN)/ruff format --check src tests benchmarks docs
	@echo "[make] 3/4 lint-imports (the layering contracts)"
	$(BIN)/lint-imports
	@echo "[make] 4/4 pytest"
	$(BIN)/pytest --durations=25

# Local work: the same checks, without the slow, JAX and browser tests (see CONTRIBUTING.md); `make test` runs all.
test-fast: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/ruff format --check src tests benchmarks docs
	$(BIN)/lint-imports
	$(BIN)/pytest -m "not slow and not jax and not browser"

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
