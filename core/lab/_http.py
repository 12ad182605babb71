"""The lab's HTTP/1.1: requests read from a connection, answers written as the real servers write theirs.

The lab imitates servers byte for byte where clients notice (reason phrases, ``Connection`` headers, HTTP.sys's
error pages), so it writes its own answers rather than using a framework that would tidy them up.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from email.utils import formatdate

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
HTTPAPI = "Microsoft-HTTPAPI/2.0"
_METHOD = re.compile(rb"[A-Z]{1,16} ")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    close: bool = False  # say "Connection: close" and close after sending
    delay: float = 0.0  # seconds to wait before answering (PAM's delay after a failed logon)

    def head(self, length: int | None = None) -> bytes:
        size = len(self.body) if length is None else length
        lines = [f"HTTP/1.1 {self.status} {self.reason}", *(f"{k}: {v}" for k, v in self.headers)]
        lines.append(f"Date: {formatdate(usegmt=True)}")  # as every HTTP.sys answer: the server's clock
        lines.append(f"Content-Length: {size}")
        if self.close and not any(k.lower() == "connection" for k, _ in self.headers):
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def html_page(status: int, reason: str, server: str | None, text: str, close: bool = False) -> Response:
    headers = [("Server", server)] if server else []
    headers.append(("Content-Type", "text/html; charset=us-ascii"))
    body = f"<!DOCTYPE html><html><head><title>{reason}</title></head><body><h2>{text}</h2></body></html>"
    return Response(status, reason, headers, body.encode(), close)


class Refuse(Exception):
    """The request cannot be served; answer ``response`` and close."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.reason)
        self.response = response


def _looks_like_http(start: bytes) -> bool:
    """An HTTP method and a space, or so far only the capital letters of one."""
    return bool(_METHOD.match(start)) or (len(start) <= 16 and start.isalpha() and start.isupper())


class RequestReader:
    """Reads HTTP/1.1 requests (Content-Length bodies only) from a connection, keep-alive included."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._buf = bytearray()

    async def _fill(self) -> bool:
        chunk = await self._reader.read(65536)
        self._buf += chunk
        return bool(chunk)

    async def request(self) -> Request | None:
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            # Decide early: a TLS ClientHello or a banner never contains a blank line, so waiting for one
            # would hang. HTTP.sys answers such bytes with 400 Bad Request, and so do we.
            if self._buf and not _looks_like_http(bytes(self._buf[:17])):
                raise Refuse(html_page(400, "Bad Request", HTTPAPI, "Bad Request - Invalid Verb", close=True))
            if len(self._buf) > MAX_HEAD:
                raise Refuse(html_page(431, "Request Header Fields Too Large", HTTPAPI, "Header too large", True))
            if not await self._fill():
                return None
        head = bytes(self._buf[:end]).decode("latin-1")
        del self._buf[: end + 4]
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise Refuse(html_page(400, "Bad Request", HTTPAPI, "Bad Request", close=True))
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise Refuse(html_page(400, "Bad Request", HTTPAPI, "Bad Request - Invalid Header", close=True))
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        request = Request(parts[0], parts[1], headers)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise Refuse(html_page(411, "Length Required", HTTPAPI, "Length Required", close=True))
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise Refuse(html_page(400, "Bad Request", HTTPAPI, "Bad Content-Length", close=True)) from None
        if length > MAX_BODY or length < 0:
            # Not read: a 1 MiB cap protects the lab; closing is what HTTP.sys does with a refused body.
            raise Refuse(html_page(413, "Request Entity Too Large", HTTPAPI, "Request Entity Too Large", True))
        while len(self._buf) < length:
            if not await self._fill():
                return None
        request.body = bytes(self._buf[:length])
        del self._buf[:length]
        return request
