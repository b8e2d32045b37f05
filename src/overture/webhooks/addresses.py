"""Where a webhook may send: http(s) URLs whose host is a public address.

A receiver on loopback or a private network (the server's own admin ports, a cloud's metadata
address) is refused unless the operator allows it (`OVERTURE_WEBHOOKS_ALLOW_PRIVATE`). The
host is checked when the URL is saved and again at every send, on the addresses it resolves
to then; the send connects to the address that was checked (a name that changes its answer
in between is not followed).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from overture.i18n import gettext as _
from overture.kit.errors import Invalid

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def _public(ip: IP) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def allowed(address: str, allow_private: bool) -> bool:
    return allow_private or _public(ipaddress.ip_address(address))


def _literal(host: str) -> IP | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


# A name's labels (letters, digits, hyphens; underscores, which some DNS names hold), dotted.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")


def _ascii(host: str) -> str:
    """The name as DNS has it (an internationalised one in its xn-- form), or "" if none."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def check_url(url: str, allow_private: bool) -> str:
    """The URL as saved, or Invalid naming what is wrong with it."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed or unknown [host]
        raise Invalid("url", _("the URL is not well formed"), code="bad_url") from None
    if parts.scheme not in ("http", "https"):
        raise Invalid("url", _("the URL must start with http:// or https://"), code="bad_url")
    try:
        host, port = parts.hostname, parts.port
        if port == 0:  # urlsplit takes it; nothing listens there
            raise ValueError
    except ValueError:
        raise Invalid("url", _("the URL's port is not a number from 1 to 65535"),
                      code="bad_url") from None
    if not host:
        raise Invalid("url", _("the URL has no host name"), code="bad_url")
    if parts.username is not None or parts.password is not None:
        raise Invalid("url", _("put no user name or password in the URL: receivers check the "
                               "signature instead"), code="bad_url")
    literal = _literal(host)
    if literal is None and not _HOST_NAME.fullmatch(_ascii(host)):
        raise Invalid("url", _("the URL's host name is not valid"), code="bad_url")
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            infos = []  # not resolvable now: checked again at every send
        addresses = [info[4][0] for info in infos]
    for address in addresses:
        if not allowed(address, allow_private):
            raise Invalid("url", _("%(host)s is a loopback or private address; webhooks are "
                                   "sent to public addresses only") % {"host": host},
                          code="private_address")
    return url


class Unreachable(Exception):
    """The receiver's address could not be found, or may not be sent to."""


async def resolve(host: str, port: int, allow_private: bool) -> str:
    """An address of `host` that may be sent to: every address it resolves to is checked."""
    literal = _literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Unreachable(f"could not resolve {host}: {exc}") from None
        addresses = [info[4][0] for info in infos]
    if not addresses:
        raise Unreachable(f"{host} has no address")
    refused = [a for a in addresses if not allowed(a, allow_private)]
    if refused and literal is not None:
        raise Unreachable(f"{host} is a loopback or private address")
    if refused:
        raise Unreachable(f"{host} resolves to a loopback or private address ({refused[0]})")
    return addresses[0]
