# FiLot KYC. `make run` and `make test` work on a fresh Debian machine: they create
# .venv, install the pinned Python packages and, where missing, the Debian packages
# (Tesseract with Indonesian data, fonts for the card generator, shellcheck for the deploy scripts,
# gettext's msgfmt to check the back office's translations).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PORT ?= 8000
FILOT_DATA_DIR ?= $(CURDIR)/.data
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
# pytest-xdist workers; each has its own test database and Redis database (tests/environment.py).
TEST_WORKERS ?= 2
PYTEST_ARGS ?=

PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/dev.txt | cksum | cut -d' ' -f1)
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf shellcheck gettext

export FILOT_DATA_DIR

# Install Debian packages as root, or say exactly what to run and stop.
define apt_install
	if [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian packages: $(1)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1) >/dev/null; \
	else \
		echo "Missing Debian packages. Run: sudo apt-get install -y $(1)"; exit 1; \
	fi
endef

.PHONY: help run test lint bench bench-api system-packages browser load-generator

help:
	@echo "make run    serve FiLot on 127.0.0.1:$(PORT) (embedded: SQLite, local media, in-process worker)"
	@echo "make test   the full test suite against PostgreSQL and Redis on 127.0.0.1"
	@echo "make lint   ruff check, format check and mypy (django-stubs)"
	@echo "make bench  OCR benchmark on freshly generated sample cards"
	@echo "make bench-api  API benchmark (gunicorn + wrk; needs DATABASE_URL, PostgreSQL)"

$(STAMP): requirements/base.txt requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
		|| { echo "FiLot needs Python 3.11; found '$(PYTHON)'. Set PYTHON=/path/to/python3.11."; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { $(call apt_install,python3-venv); }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

system-packages:
	@missing=""; \
	command -v tesseract >/dev/null || missing="tesseract-ocr"; \
	for lang in ind eng; do \
		[ -n "$$missing" ] || tesseract --list-langs 2>/dev/null | grep -qx $$lang || missing="$$missing tesseract-ocr-$$lang"; \
	done; \
	for font in dejavu/DejaVuSans.ttf liberation2/LiberationSans-Regular.ttf freefont/FreeSans.ttf; do \
		[ -f /usr/share/fonts/truetype/$$font ] || missing="$$missing $$font"; \
	done; \
	command -v shellcheck >/dev/null || missing="$$missing shellcheck"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then $(call apt_install,$(SYSTEM_PACKAGES)); fi

# The admin's browser tests drive Debian's chromium through Playwright (never a
# downloaded browser build).
browser:
	@command -v chromium >/dev/null || { $(call apt_install,chromium); }

# The API benchmark's load generator and its private Redis, from Debian.
load-generator:
	@command -v wrk >/dev/null && command -v redis-server >/dev/null || { $(call apt_install,wrk redis-server); }

run: $(STAMP) system-packages
	@mkdir -p "$(FILOT_DATA_DIR)"
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py create_demo_reviewer
	@$(PY) manage.py serve --port $(PORT)

test: $(STAMP) system-packages browser load-generator
	@DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" \
		$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

# Two yardsticks: cards in the tuning styles and in the styles reserved for evaluation.
bench: $(STAMP) system-packages
	@$(PY) manage.py make_sample_cards --out "$(FILOT_DATA_DIR)/bench-tuning" --count 100 --seed 20261122 --yardstick tuning
	@$(PY) manage.py make_sample_cards --out "$(FILOT_DATA_DIR)/bench-evaluation" --count 100 --seed 20261201 --yardstick evaluation
	@OMP_THREAD_LIMIT=1 $(PY) manage.py ocr_benchmark --cards "$(FILOT_DATA_DIR)/bench-tuning" "$(FILOT_DATA_DIR)/bench-evaluation"

bench-api: $(STAMP) system-packages load-generator
	@$(PY) manage.py api_benchmark
