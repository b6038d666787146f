"""`python -m chaos.env.attach LOG`: the attach backend's watchdog process (chaos.env.attach.watchdog),
started by the runner, never by hand."""

import sys

from chaos.env.attach.watchdog import main

raise SystemExit(main(sys.argv[1:]))
