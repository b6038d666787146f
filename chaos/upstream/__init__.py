"""The fake external API: a real HTTP server whose answers the suite switches at run time.

Run it with `python -m chaos.upstream`, drive it with `UpstreamControl`.
"""

from chaos.upstream.behaviour import Behaviour, InvalidBehaviour
from chaos.upstream.control import UpstreamControl
from chaos.upstream.request_log import LoggedRequest
from chaos.upstream.server import UpstreamServer, serve
from chaos.upstream.stubs import InvalidStub, Stub

__all__ = ["Behaviour", "InvalidBehaviour", "InvalidStub", "LoggedRequest", "Stub", "UpstreamControl",
           "UpstreamServer", "serve"]
