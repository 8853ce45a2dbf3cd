# Two commands for a newcomer: `make run` (the whole CRM on this machine) and `make test`.
# Both build the virtual environment first, so a fresh machine needs nothing else.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast bench lint clean

$(STAMP): pyproject.toml infra/scripts/bootstrap.sh
	bash infra/scripts/bootstrap.sh $(VENV)
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/crm local run

test: $(STAMP)
	bash infra/scripts/install_browser.sh
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not e2e"

bench: $(STAMP)
	$(PY) bench/run.py

lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis bench/results.json
