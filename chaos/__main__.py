"""`python -m chaos` is the `chaos` command, so subprocesses need no console script on PATH."""

from chaos.cli import main

raise SystemExit(main())
