"""Turn what a user types into an endpoint: ``host``, ``host:port``, ``[v6]:port`` or ``http(s)://host[:port][/prefix]``.

Every rejection names the field it is about, so the GUI and the CLI can say *which* input is wrong.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 5985, "https": 5986}
DEFAULT_PREFIX = "wsman"
_MAX_HOST_LENGTH = 253
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


class TargetError(ValueError):
    """Bad input. ``field`` is what the user has to fix: "host", "port", "transport" or "url_prefix"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Endpoint(NamedTuple):
    """Where a test connection goes. ``host`` is what to resolve (IDN names in their ASCII form)."""

    host: str
    port: int
    transport: str
    url_prefix: str = DEFAULT_PREFIX
    display_host: str = ""

    @property
    def is_ip(self) -> bool:
        return _ip_literal(self.host) is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}://{host}:{self.port}/{self.url_prefix}"

    @property
    def host_header(self) -> str:
        """The HTTP ``Host`` header: the port only where it is not 80, IPv6 literals in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 80 else f"{host}:{self.port}"

    @property
    def label(self) -> str:
        """``host:port`` as the user would recognise it (the design's ``target`` field)."""
        host = self.display_host or self.host
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"


def parse_target(
    text: str,
    transport: str | None = None,
    port: int | None = None,
    url_prefix: str | None = None,
) -> Endpoint:
    """Parse a TARGET. What the text says wins over the ``transport``/``port`` defaults given alongside."""
    raw = text.strip()
    if not raw:
        raise TargetError("host", "enter a host name or address")
    if transport is not None and transport not in DEFAULT_PORTS:
        raise TargetError("transport", f"must be http or https, not {transport!r}")

    prefix = url_prefix
    if "://" in raw:
        scheme, host, text_port, path = _split_url(raw)
        transport = scheme
        if path:
            prefix = path
    else:
        if "/" in raw or "?" in raw or "#" in raw:
            raise TargetError("host", "a path belongs in a URL such as http://host:5985/wsman")
        host, text_port = _split_host_port(raw)
    if text_port is not None:
        port = text_port

    transport = transport or "http"
    if port is None:
        port = DEFAULT_PORTS[transport]
    _check_port(port)
    prefix = (prefix if prefix is not None else DEFAULT_PREFIX).strip("/")
    if not prefix or any(c in prefix for c in " ?#\\") or not prefix.isprintable():
        raise TargetError("url_prefix", f"{prefix!r} is not a usable URL path")
    display, resolved = _normalise_host(host)
    return Endpoint(host=resolved, port=port, transport=transport, url_prefix=prefix, display_host=display)


def _split_url(raw: str) -> tuple[str, str, int | None, str]:
    try:
        parts = urlsplit(raw)
        parsed_port = parts.port
    except ValueError as exc:
        raise TargetError("port" if "port" in str(exc).lower() else "host", f"not a usable URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise TargetError("transport", f"the URL scheme must be http or https, not {parts.scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise TargetError("host", "do not put a user name or password in the address; use the credential field")
    if parts.query or parts.fragment:
        raise TargetError("host", "a WinRM address has no ?query or #fragment")
    host = parts.hostname or ""
    if "%" in parts.netloc and host and ":" in host:
        # urlsplit drops nothing, but lower-cases; keep an IPv6 zone id as typed.
        host = parts.netloc.rsplit("]", 1)[0].lstrip("[")
    if not host:
        raise TargetError("host", "the URL has no host name")
    if parts.netloc.rpartition("@")[2].startswith("["):
        _check_bracketed(host)
    if parsed_port is None and re.search(r":\d*$", parts.netloc.rsplit("]", 1)[-1]):
        raise TargetError("port", "the URL ends in ':' with no port number")
    return scheme, host, parsed_port, parts.path.strip("/")


def _split_host_port(raw: str) -> tuple[str, int | None]:
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise TargetError("host", "an IPv6 address opened with '[' needs a closing ']'")
        host, rest = raw[1:end], raw[end + 1 :]
        _check_bracketed(host)
        if not rest:
            return host, None
        if not rest.startswith(":"):
            raise TargetError("host", f"unexpected {rest!r} after the IPv6 address")
        return host, _port_from_text(rest[1:])
    if raw.count(":") > 1:  # a bare IPv6 address: no port can be attached without brackets
        return raw, None
    if ":" in raw:
        host, text_port = raw.rsplit(":", 1)
        return host, _port_from_text(text_port)
    return raw, None


def _check_bracketed(host: str) -> None:
    # Brackets are for IPv6 only; urlsplit would otherwise take "[v1.x]" (an RFC 3986 IPvFuture) as a name.
    address = _ip_literal(host)
    if address is None or address.version != 6:
        raise TargetError("host", f"only an IPv6 address goes in [brackets], not {host!r}")


def _port_from_text(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 5:  # isdigit alone accepts '²', which int() refuses
        raise TargetError("port", f"must be a number from 1 to 65535, not {text!r}")
    value = int(text)
    _check_port(value)
    return value


def is_port(value: object) -> bool:
    """A TCP port number: an int (a bool is not one) from 1 to 65535."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _check_port(port: int) -> None:
    if not is_port(port):
        raise TargetError("port", f"must be a number from 1 to 65535, not {port!r}")


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _normalise_host(host: str) -> tuple[str, str]:
    """Return (as displayed, as resolved). IDN names resolve in their punycode form."""
    if not host or host.isspace():
        raise TargetError("host", "enter a host name or address")
    if any(c.isspace() for c in host):
        raise TargetError("host", f"{host!r} contains a space")
    ip = _ip_literal(host)
    if ip is not None:
        return host, str(ip) if ip.version == 4 else host
    if ":" in host:
        raise TargetError("host", f"{host!r} is not a valid IPv6 address")
    name = host.rstrip(".")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise TargetError("host", f"{host!r} is not a valid host name") from None
    if len(ascii_name) > _MAX_HOST_LENGTH or not all(_LABEL.match(label) for label in ascii_name.split(".")):
        raise TargetError("host", f"{host!r} is not a valid host name")
    return host, ascii_name.lower()
