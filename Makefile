# The two entry points of the README. Each sets up .venv/ by itself.
PY := .venv/bin/python

.PHONY: demo test lint setup

setup:
	@bash tools/setup_env.sh

demo: setup
	$(PY) tools/run_demo.py

test: setup lint
	$(PY) -m pytest tests

lint: setup
	$(PY) -m ruff check natmae_mm tools tests configs setup.py
