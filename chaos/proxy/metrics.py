"""Byte counters in Prometheus text, served on /metrics only when the server runs with metrics on.

Same metric names and labels as Toxiproxy's `-proxy-metrics` (toxiproxy_proxy_received_bytes_total
and toxiproxy_proxy_sent_bytes_total, labels direction, proxy, listener, upstream).

Deliberate difference: Toxiproxy adds a link's bytes only when its copy loop ends, i.e. when the
connection closes (link.go), so long-lived pooled connections stay invisible (issue #266). We count
every chunk as it is read and written, so a scrape shows live traffic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaos.proxy.link import Link

__all__ = ["CONTENT_TYPE", "LIVE_HEADER", "LIVE_VALUE", "Traffic"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Marks our counters as live, so a client can tell them from Toxiproxy's count-at-close ones.
LIVE_HEADER = "X-Chaos-Counters"
LIVE_VALUE = "per-chunk"

Labels = tuple[str, str, str, str]  # direction, proxy, listener, upstream
_LABEL_NAMES = ("direction", "proxy", "listener", "upstream")
_METRICS = (
    ("toxiproxy_proxy_received_bytes_total", "Bytes read from the source of a link, counted per chunk."),
    ("toxiproxy_proxy_sent_bytes_total", "Bytes written to the destination of a link, counted per chunk."),
)


class Traffic:
    """Totals of closed links; live links are added at render time."""

    def __init__(self) -> None:
        self._closed: dict[Labels, list[int]] = {}

    def fold(self, link: Link) -> None:
        """Keep a finished link's counts."""
        totals = self._closed.setdefault(link.labels, [0, 0])
        totals[0] += link.received
        totals[1] += link.sent

    def snapshot(self, live: Iterable[Link]) -> dict[Labels, tuple[int, int]]:
        """(received, sent) per label set, closed plus live links."""
        totals = {labels: list(counts) for labels, counts in self._closed.items()}
        for link in live:
            counts = totals.setdefault(link.labels, [0, 0])
            counts[0] += link.received
            counts[1] += link.sent
        return {labels: (c[0], c[1]) for labels, c in totals.items()}

    def render(self, live: Iterable[Link]) -> str:
        """The Prometheus text exposition (format 0.0.4); labels sorted by name, as Go prints them."""
        snap = sorted(self.snapshot(live).items())
        lines: list[str] = []
        for index, (name, help_text) in enumerate(_METRICS):
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} counter")
            for labels, counts in snap:
                pairs = sorted(zip(_LABEL_NAMES, labels, strict=True))
                rendered = ",".join(f'{key}="{_escape(value)}"' for key, value in pairs)
                lines.append(f"{name}{{{rendered}}} {counts[index]}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
