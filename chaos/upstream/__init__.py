"""The fake external API: a real HTTP server whose answers the suite switches at run time.

Run it with `python -m chaos.upstream`, drive it with `UpstreamControl`.
"""

from chaos.upstream.behaviour import Behaviour, InvalidBehaviour
from chaos.upstream.control import UpstreamControl
from chaos.upstream.request_log import LoggedRequest
from chaos.upstream.server import UpstreamServer, serve

__all__ = ["Behaviour", "InvalidBehaviour", "LoggedRequest", "UpstreamControl", "UpstreamServer", "serve"]
