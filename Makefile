# Two commands for a newcomer: `make run` (the whole CRM on this machine) and `make test`.
# Both build the virtual environment first, so a fresh machine needs nothing else.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast fuzz bench lint clean

$(STAMP): pyproject.toml infra/scripts/bootstrap.sh infra/scripts/python.sh
	bash infra/scripts/bootstrap.sh $(VENV)
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/crm local run

# One pytest worker per core (pytest-xdist); each worker that runs end-to-end tests starts its own stack.
test: $(STAMP)
	bash infra/scripts/install_browser.sh
	bash infra/scripts/install_checkov.sh
	$(PY) -m pytest -n auto --durations=15

# The inner loop: everything but the end-to-end tests over a started stack.
test-fast: $(STAMP)
	bash infra/scripts/install_checkov.sh
	$(PY) -m pytest -n auto -m "not e2e"

# The entry-point properties (marker `fuzz`) with the deep hypothesis profile, 10,000 examples each; rewrites
# the fuzzing table of RELIABILITY.md. One property runs for minutes, so the per-test timeout is raised.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=deep $(PY) -m pytest -m fuzz --timeout=3600 --hypothesis-show-statistics

bench: $(STAMP)
	$(PY) bench/run.py

lint: $(STAMP)
	bash infra/scripts/install_checkov.sh
	$(VENV)/bin/cfn-lint template.yaml
	.venv-checkov/bin/checkov -f template.yaml --framework cloudformation --skip-download --quiet

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis bench/results.json
