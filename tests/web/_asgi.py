"""A minimal in-process HTTP client for the ASGI app (no httpx in the environment): one request, one response."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        import json

        return json.loads(self.body)

    @property
    def status_code(self) -> int:  # the names Starlette's TestClient uses
        return self.status

    @property
    def content(self) -> bytes:
        return self.body


def multipart(fields: dict[str, str] | None = None, files: dict[str, tuple[str, bytes]] | None = None):
    """(content-type, body) of a multipart/form-data form."""
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in (fields or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for k, (name, data) in (files or {}).items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


async def _call(app, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
    raw_path, _, query = path.partition("?")
    from urllib.parse import unquote

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 12345),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    out = {"status": 0, "headers": {}, "body": b""}

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    try:
        await app(scope, receive, send)
    except Exception:  # noqa: BLE001 - Starlette re-raises after sending its 500: the status is what a client sees
        out["status"] = out["status"] or 500
    return Response(out["status"], out["headers"], out["body"])


def request(app, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"", **form) -> Response:
    """`method path` with Host: localhost unless `headers` name another; `form` (fields/files) sent as multipart."""
    hdrs = {"host": "localhost:8000", **(headers or {})}
    if form:
        ctype, body = multipart(form.get("fields"), form.get("files"))
        hdrs["content-type"] = ctype
    if body:
        hdrs["content-length"] = str(len(body))
    return asyncio.run(_call(app, method, path, hdrs, body))


def get(app, url: str) -> Response:
    """GET `url` (path and query) from `app` as a local browser would; redirects are not followed."""
    return request(app, "GET", url)
