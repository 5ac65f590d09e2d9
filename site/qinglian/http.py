"""Request helpers shared by the apps."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import translate_url
from django.utils import translation

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(s.strip(), strict=False) for s in spec if s.strip())


def _parse(raw: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:10.0.0.1 is 10.0.0.1
    return mapped or address


def client_ip(request: Any) -> str | None:
    """The client's IP address in normal form (IPv6 compressed, IPv4-mapped IPv6 as IPv4,
    as PostgreSQL's ``inet`` gives it back), or ``None``.

    ``REMOTE_ADDR`` is the client unless it is one of ``QINGLIAN_TRUSTED_PROXIES`` (the
    reverse proxies in front of gunicorn, as addresses or networks): then the right-most
    address in ``X-Forwarded-For`` that is not a trusted proxy is the client. Addresses a
    client wrote itself further left are never believed, so a forged header cannot dodge a
    rate limit or put another address in the audit log."""
    if request is None:
        return None
    meta = getattr(request, "META", None) or {}
    remote = _parse(meta.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    trusted = _networks(tuple(getattr(settings, "QINGLIAN_TRUSTED_PROXIES", ()) or ()))
    if not trusted or not any(remote in net for net in trusted):
        return str(remote)
    forwarded = [p for p in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if p.strip()]
    for part in reversed(forwarded):
        address = _parse(part)
        if address is None:
            break
        if not any(address in net for net in trusted):
            return str(address)
    return str(remote)


def url_in_language(url: str, language: str) -> str:
    """``url`` (a path on this site, as ``/en/me/`` or ``/me/?x=1``) in ``language``:
    ``/me/`` becomes ``/en/me/`` for English and back. A URL that resolves to no view is
    returned unchanged.

    Django's ``translate_url`` resolves in the *active* language; with the default
    language unprefixed, ``/en/me/`` would then resolve as a Wagtail page ``en/me/``.
    So the path is resolved in the language its own prefix names."""
    path = urlsplit(url).path
    with translation.override(translation.get_language_from_path(path) or settings.LANGUAGE_CODE):
        return translate_url(url, language)
