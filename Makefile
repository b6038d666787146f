# The two set-up commands of the README: `make experiments` (the main job) and `make test` (the suite's tests).
# Both install what they need first (scripts/bootstrap.sh); extra pytest arguments go in ARGS.
# Only `make test` installs chromium (its report test opens the HTML report in a headless browser) and
# the reference services of other stacks (fixtures/*/setup.sh).
.PHONY: experiments test lint bootstrap bootstrap-tests

bootstrap:
	@scripts/bootstrap.sh

bootstrap-tests:
	@scripts/bootstrap.sh --tests

experiments: bootstrap
	.venv/bin/pytest experiments/ $(ARGS)

test: bootstrap-tests
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/pytest tests/ -n 2 $(ARGS)

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/mypy
