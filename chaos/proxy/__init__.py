"""The embedded Toxiproxy-compatible proxy (server, toxics) and a typed client for any Toxiproxy.

Layout: `server` (ProxyServer, EmbeddedProxy, serve) runs `api` (the HTTP routes) over a
`collection` of `proxy` objects; each accepted `connection` has two `link`s that run a chain of
`stub`s, each running one toxic from `toxics/`. `client` talks to any Toxiproxy 2.x server.
"""

from chaos.proxy.client import ProxyInfo, ToxicInfo, ToxiproxyClient
from chaos.proxy.server import EmbeddedProxy, ProxyServer, serve

__all__ = ["EmbeddedProxy", "ProxyInfo", "ProxyServer", "ToxicInfo", "ToxiproxyClient", "serve"]
