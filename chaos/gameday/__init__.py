"""Game days: the catalog's experiments run one at a time, paused at each checkpoint for an operator.

`GameDay` (controller.py) implements the experiment's checkpoints over a `Console` (console.py, a
plain terminal: commands are a letter and Enter) and shows the live view (view.py) computed from
the experiment's timeline. Run it with `pytest experiments/ --gameday` or `chaos gameday`.
"""

from chaos.gameday.console import Console
from chaos.gameday.controller import GameDay
from chaos.gameday.view import LiveStats

__all__ = ["Console", "GameDay", "LiveStats"]
