"""The attach backend: a deployment that runs already, driven through its Toxiproxy and its commands.

    environment.py   AttachBackend, AttachEnvironment: check, heal, restore; nothing started
    service.py       AttachSut: the service's URL, its commands, an exit watcher over pid/exit_code
    dependencies.py  the dependency handles: proxy, admin access (DSN, URL, control API), commands
    commands.py      CommandRunner: each declared command bounded, recorded and masked
    watchdog.py      a command fault's repair, armed before it and run should the runner die
"""

from chaos.env.attach.environment import AttachBackend as AttachBackend
from chaos.env.attach.environment import AttachEnvironment as AttachEnvironment
from chaos.env.attach.environment import AttachError as AttachError
from chaos.env.attach.service import AttachSut as AttachSut

__all__ = ["AttachBackend", "AttachEnvironment", "AttachError", "AttachSut"]
