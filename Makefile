# Qinglian — the two commands a fresh machine needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

# Debian packages: WeasyPrint's Pango and HarfBuzz subsetter, CJK fonts (Noto; AR PL UMing and DejaVu Serif for certificates), gettext for
# translations. Tests also need Chromium (Playwright drives Debian's, never its own).
DEMO_PKGS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-arphic-uming fonts-dejavu-core gettext
TEST_PKGS := $(DEMO_PKGS) chromium

.PHONY: help demo serve test test-fast lint bench install sysdeps sysdeps-test messages clean
help:
	@echo "make demo   install, migrate, build demo content, serve on http://$(HOST):$(PORT)/"
	@echo "make test   run the whole test suite (includes browser tests in Chromium)"
	@echo "make lint   ruff, mypy, makemigrations --check, check --deploy"
	@echo "make bench  benchmarks against same-run baselines (bench/results.json)"

define ensure_pkgs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing"; \
	    echo "Run:  sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

sysdeps:
	$(call ensure_pkgs,$(DEMO_PKGS))

sysdeps-test:
	$(call ensure_pkgs,$(TEST_PKGS))

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(VENV)/bin/pip install -q uv
	$(UV) pip install -q --python $(PY) -r requirements.lock
	touch $@

install: $(VENV)/.installed

messages: install
	$(MANAGE) compilemessages --ignore=.venv -v0

demo: sysdeps install messages
	$(MANAGE) migrate --no-input -v0
	$(MANAGE) build_demo
	@echo "Serving on http://$(HOST):$(PORT)/  (English: http://$(HOST):$(PORT)/en/; admin: /admin/). Ctrl-C stops."
	$(MANAGE) runserver $(HOST):$(PORT)

serve: install
	$(MANAGE) runserver $(HOST):$(PORT)

# The suite runs in parallel (pytest-xdist, one process per logical CPU; each has its own test
# database, cache key prefix and Celery queue). PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= logical
XDIST := -n $(PYTEST_WORKERS) --dist load

test: sysdeps-test install messages
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

test-fast: install messages
	$(PY) -m pytest -m "not browser" $(XDIST) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy site people cases courses quizzes notifications events talks audit certificates dashboard
	$(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=qinglian.settings.production \
	  DJANGO_SECRET_KEY=lint-$$(head -c 48 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9') \
	  DJANGO_ALLOWED_HOSTS=qinglian.example DATABASE_URL=sqlite:///:memory: \
	  $(MANAGE) check --deploy --fail-level WARNING

bench: sysdeps install messages
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
