"""A breadth-first crawl of the explorer from its landing page, in process (`_asgi`), shared by the crawl test and
`benchmarks/bench_web_crawl.py`: every internal link found is fetched once (links are deduplicated by URL, their
`#anchor` apart), must answer 200 (a redirect is followed once), and every `#anchor` of a link, and every in-page
`#anchor`, must be an element id of its page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape

from _asgi import get

_HREF = re.compile(r'href="([^"]*)"')
_ID = re.compile(r'\bid="([^"]+)"')
_REDIRECTS = (301, 302, 303, 307, 308)


def kind(link: str) -> str:
    """A link's route: its first path segment, how many segments, and whether it has a query."""
    path, _, query = link.partition("#")[0].partition("?")
    parts = path.strip("/").split("/")
    return f"{parts[0]}/{len(parts)}{'?' if query else ''}"


def internal(href: str) -> bool:
    """A link to one of the explorer's own pages (not a static file, not another site, not an in-page anchor)."""
    return href.startswith("/") and not href.startswith(("/static/", "//"))


@dataclass
class Crawl:
    """What a crawl found: each fetched URL's HTML ('' for a download), the internal links seen (all of them, fetched
    or not), the failures (link, status or what is missing), and the seconds spent per route (`kind`)."""

    pages: dict[str, str] = field(default_factory=dict)
    links: set[str] = field(default_factory=set)
    bad: list[tuple[str, object]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    fetched: dict[str, int] = field(default_factory=dict)


def crawl(app, follow: Callable[[str], bool] = lambda link: True, start: str = "/") -> Crawl:
    """Crawl `app` from `start`, fetching every internal link for which `follow(link)` is true (all by default)."""
    out = Crawl()
    ids: dict[str, set[str]] = {}
    queue = [start]
    out.links.add(start)
    while queue:
        link = queue.pop(0)
        path, _, anchor = link.partition("#")
        path = path or "/"
        if path not in out.pages:
            t0 = time.perf_counter()
            r = get(app, path)
            if r.status_code in _REDIRECTS:
                r = get(app, r.headers["location"])
            k = kind(path)
            out.seconds[k] = out.seconds.get(k, 0.0) + time.perf_counter() - t0
            out.fetched[k] = out.fetched.get(k, 0) + 1
            html = r.text if r.status_code == 200 and r.headers.get("content-type", "").startswith("text/html") else ""
            out.pages[path] = html
            if r.status_code != 200:
                out.bad.append((link, r.status_code))
                continue
            ids[path] = set(_ID.findall(html))
            for href in map(unescape, _HREF.findall(html)):
                if href.startswith("#") and href[1:] and href[1:] not in ids[path]:
                    out.bad.append((f"{path}{href}", "in-page anchor missing"))
                if internal(href) and href not in out.links:
                    out.links.add(href)
                    if follow(href):
                        queue.append(href)
        if anchor and path in ids and anchor not in ids[path]:
            out.bad.append((link, "anchor missing"))
    return out
