# The two commands that matter: `make demo` and `make test`. Both set up a fresh machine.
PY := .venv/bin/python
PORT ?= 8000
export PORT
# The demo force's data ends in February 2025: its hot spot runs look back from then.
demo: export HOTSPOTS_WINDOW_END ?= 2025-03-01
# The demo runs on local settings (DEBUG off, a secret of its own); served without naming
# its settings, the application would start as production.
demo: export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: setup setup-test demo test lint typecheck pytest clock bench load clean

setup:
	bash scripts/setup.sh

demo: setup
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Hot spots demo: http://127.0.0.1:$(PORT)/   (API docs: /api/docs/, admin: /admin/)"
	@echo "Ctrl-C stops the web server, the Celery worker and beat together."
	.venv/bin/honcho start -f Procfile

test: setup-test lint typecheck pytest clock

# The tests that depend on today's date, once more with the clock moved to half an hour
# before London's next clock change (scripts/moved_clock.sh; the dates tried are in the
# README's "Tests on another day").
CLOCK_TESTS := tests/test_calendar.py tests/tasking tests/evaluation/test_trials.py \
	tests/patrols/test_visits_dosage.py tests/patrols/test_ingest.py tests/reports
clock:
	bash scripts/moved_clock.sh next-clock-change -q -n 2 --dist loadfile $(CLOCK_TESTS)

setup-test:
	bash scripts/setup.sh --test

lint:
	.venv/bin/ruff check .
	.venv/bin/lint-imports --no-cache

typecheck:
	.venv/bin/mypy .

# Two workers (pytest-xdist), each with a test database and a Redis database of its own;
# a file's tests stay on one worker so its module fixtures are made once.
pytest:
	$(PY) -m pytest -n 2 --dist loadfile

bench:
	bash scripts/setup.sh --bench
	$(PY) benchmarks/run.py

# The 10-minute load scenario of issue 7 (LOAD_SECONDS shortens it).
load:
	bash scripts/setup.sh --bench
	$(PY) benchmarks/run.py load

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache staticfiles .test-media .bench
