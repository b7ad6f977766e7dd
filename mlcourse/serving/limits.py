"""Limits on what a client can make the server hold: header size, body size, and time.

Two layers, because some limits apply before a request reaches the application:

- :func:`protocol_class` subclasses uvicorn's httptools protocol (the parser itself has no
  limits): a request line and headers longer than ``max_header_bytes`` get **431** and the
  connection is closed; a request head not received within ``header_timeout`` seconds of
  the connection (or of its first byte) gets **408** (or, if nothing was sent at all, the
  connection is just closed); a body still incomplete ``body_timeout`` + 1 s after its head
  closes the connection (half-open connections never stay forever). uvicorn's own
  ``timeout_keep_alive`` closes idle keep-alive connections.
- :class:`BodyLimitMiddleware`, in the application: a body over ``max_body_bytes`` (64 KiB
  outside ``/predict``) gets **413**, and a body not received within ``body_timeout`` seconds
  gets **408**, both with a JSON ``detail`` and ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlcourse.serving.metrics import Metrics
from mlcourse.serving.settings import Settings

__all__ = ["SMALL_BODY_BYTES", "BodyLimitMiddleware", "protocol_class"]

SMALL_BODY_BYTES = 64 * 1024  # every route but /predict takes a few bytes at most
CLOSE = {"Connection": "close"}


class BodyLimitMiddleware:
    """Refuse bodies that are too large (413) or too slow (408), while they are read."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, body_timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes if scope["path"] == "/predict" else SMALL_BODY_BYTES
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value)  # the HTTP parser already checked it is a number
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        received = 0

        def too_large() -> HTTPException:
            size = f"{declared} bytes" if declared is not None and declared > limit else "too large"
            return HTTPException(
                413,
                f"body is {size}; the limit is {limit} bytes. Split the instances over several "
                "requests.",
                headers=CLOSE,
            )

        async def receive_() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise too_large()
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise asyncio.TimeoutError
                message = await asyncio.wait_for(receive(), remaining)
            except asyncio.TimeoutError:
                raise HTTPException(
                    408,
                    f"the body did not arrive within {self.body_timeout:g} s (body_timeout)",
                    headers=CLOSE,
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large()
            return message

        await self.app(scope, receive_, send)


def _raw_response(status: int, phrase: str, detail: str) -> bytes:
    body = json.dumps({"detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class _Refused(Exception):
    pass


def protocol_class(settings: Settings, metrics: Metrics | None = None) -> type:
    """uvicorn's httptools protocol with a header size limit and header/body timeouts."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    max_head = settings.max_header_bytes
    head_timeout = settings.header_timeout
    body_timeout = settings.body_timeout + 1.0  # the app's 408 answers first when it reads

    def count(reason: str) -> None:
        if metrics is not None:
            metrics.refused.labels(reason).inc()

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._head_bytes = 0
            self._in_head = False
            self._timer: asyncio.TimerHandle | None = None
            self._refused = False

        # timers
        def _arm(self, delay: float, reason: str) -> None:
            self._disarm()
            self._timer = self.loop.call_later(delay, self._expired, reason)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _expired(self, reason: str) -> None:
            self._timer = None
            if self.transport.is_closing():
                return
            count(reason)
            if reason == "header_timeout" and self._in_head:
                self._refuse(
                    408,
                    "Request Timeout",
                    f"the request head did not arrive within {head_timeout:g} s",
                )
            else:  # an idle new connection, or a body that stopped arriving
                self._refused = True
                self.transport.close()

        def _refuse(self, status: int, phrase: str, detail: str) -> None:
            self._refused = True
            self._disarm()
            self.transport.write(_raw_response(status, phrase, detail))
            self.transport.close()

        # connection events
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm(head_timeout, "header_timeout")

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if not self._refused:
                super().data_received(data)

        def send_400_response(self, msg: str) -> None:
            if not self._refused:
                super().send_400_response(msg)

        # parser callbacks
        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_bytes, self._in_head = 0, True
            self._arm(head_timeout, "header_timeout")

        def _count(self, n: int) -> None:
            self._head_bytes += n
            if self._head_bytes > max_head:
                count("header_too_large")
                self._refuse(
                    431,
                    "Request Header Fields Too Large",
                    f"the request line and headers exceed {max_head} bytes",
                )
                raise _Refused  # stops the parser; uvicorn's handler then does nothing

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._arm(body_timeout, "body_timeout")
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

    return GuardedHttpToolsProtocol
