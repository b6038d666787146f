# The two set-up commands of the README: `make experiments` (the main job) and `make test` (the suite's tests).
# Both install what they need first (scripts/bootstrap.sh); extra pytest arguments go in ARGS.
# Only `make test` installs chromium (its report test opens the HTML report in a headless browser).
.PHONY: experiments test lint bootstrap bootstrap-browser

bootstrap:
	@scripts/bootstrap.sh

bootstrap-browser:
	@scripts/bootstrap.sh --browser

experiments: bootstrap
	.venv/bin/pytest experiments/ $(ARGS)

test: bootstrap-browser
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/pytest tests/ -n 2 $(ARGS)

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/mypy
