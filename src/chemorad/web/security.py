"""Who may talk to the server: a `Host` allow-list (DNS rebinding) and an origin check on state-changing requests
(cross-site request forgery), as one pure ASGI middleware.

- Every HTTP request must name an allowed host in its ``Host`` header (the port is ignored): the loopback names
  (``localhost``, ``127.0.0.1``, ``::1``) by default, plus the address the server binds and each
  ``chemorad serve --allow-host NAME``. Any other host is refused with 400 before a route runs: a web page whose domain
  was re-pointed at 127.0.0.1 (DNS rebinding) sends its own domain as ``Host``.
- A POST, PUT, PATCH or DELETE that carries an ``Origin`` header (every browser sends one on a cross-origin request)
  must come from an allowed host; without ``Origin``, a ``Referer``, when present, must. ``Origin: null`` (sandboxed
  frames, file: pages) is refused. A request with neither header does not come from a web page (curl, scripts) and is
  admitted: cross-site forgery needs a browser, and a browser names the origin.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

LOOPBACK = ("localhost", "127.0.0.1", "::1")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def host_name(value: str) -> str:
    """The host of a ``Host`` header or of a URL's authority, lower case, without port or IPv6 brackets."""
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:8000
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def allowed_hosts(extra: Iterable[str] = (), bind: str | None = None) -> frozenset[str]:
    """The loopback names, the bound address (unless it is a wildcard) and `extra`, normalised."""
    names = {*LOOPBACK, *(host_name(h) for h in extra if h.strip())}
    if bind and bind not in ("0.0.0.0", "::"):
        names.add(host_name(bind))
    return frozenset(names)


def _origin_host(value: str) -> str | None:
    """The host of an Origin or Referer value; None for ``null`` or anything without a host."""
    if value.strip().lower() == "null":
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return host_name(parts.hostname)


def refusal(headers: dict[str, str], method: str, hosts: frozenset[str]) -> str | None:
    """Why the request is refused (one line), or None when it is admitted."""
    host = host_name(headers.get("host", ""))
    if host not in hosts:
        return f"host {host or '(none)'!r} is not served here (allowed: {', '.join(sorted(hosts))}; see --allow-host)"
    if method in STATE_CHANGING:
        for name in ("origin", "referer"):
            if name in headers:
                seen = _origin_host(headers[name])
                if seen not in hosts:
                    return f"cross-site request refused: {name} {headers[name][:100]!r} is not an allowed host"
                break
    return None


class HostOriginGuard:
    """ASGI middleware applying `refusal` to every HTTP request (400, plain text, before any route runs)."""

    def __init__(self, app, hosts: frozenset[str]) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            why = refusal(headers, scope.get("method", "GET").upper(), self.hosts)
            if why is not None:
                body = (why + "\n").encode()
                headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"%d" % len(body))]
                await send({"type": "http.response.start", "status": 400, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
