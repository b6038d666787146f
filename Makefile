# The two set-up commands of the README: `make experiments` (the main job) and `make test` (the suite's tests).
# Both install what they need first (scripts/bootstrap.sh); extra pytest arguments go in ARGS.
.PHONY: experiments test lint bootstrap

bootstrap:
	@scripts/bootstrap.sh

experiments: bootstrap
	.venv/bin/pytest experiments/ $(ARGS)

test: bootstrap
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/pytest tests/ -n 2 $(ARGS)

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/mypy
