"""The public verification pages (no login: this is what the QR code on a certificate
opens).

``/verify/`` asks for the code; ``/verify/<code>/`` shows a masked summary and the state.
Every miss — an unknown code, a malformed one, anything — gets the same page, the same
status (404) and the same bytes: the page never repeats what was typed, so nothing tells a
well-formed code from a wrong one. Lookups are rate-limited per client address (fixed
windows in the cache, ``CERTIFICATES_VERIFY_RATE_*``); over the limit the answer is 429
with ``Retry-After`` and nothing is looked up. Nothing here is cached by the browser or a
proxy, the pages ask robots not to index them, and the detail page sends no referrer (its
URL holds the code).
"""

from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from people.access import public
from qinglian.http import client_ip
from qinglian.pdf import organisation_name

from .selectors.manage import certificate_for_code
from .services.lifecycle import (
    FAILED,
    PENDING,
    certificate_state,
    name_mask,
    verification_code_clean,
    verification_code_normalise,
)

CACHE_PREFIX = "certificates:verify"


def _rate_key(request: HttpRequest) -> str:
    """The client's address, IPv6 by its /64 (one host usually holds the whole block)."""
    ip = client_ip(request) or "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return ip


def _rate_limited(request: HttpRequest) -> int | None:
    """Count one lookup for this client; the seconds to wait if it is over the limit,
    ``None`` if it may go ahead."""
    limit = int(settings.CERTIFICATES_VERIFY_RATE_LIMIT)
    window = max(int(settings.CERTIFICATES_VERIFY_RATE_WINDOW), 1)
    now = int(time.time())
    bucket = now // window
    key = f"{CACHE_PREFIX}:{_rate_key(request)}:{bucket}"
    cache.add(key, 0, timeout=window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 60)
        count = 1
    if count > limit:
        return max((bucket + 1) * window - now, 1)
    return None


def _private(response: HttpResponse, *, no_referrer: bool = False) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    if no_referrer:
        response["Referrer-Policy"] = "no-referrer"
    return response


@public
@never_cache
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """The form; ``?code=`` (what a person typed) goes to the detail URL."""
    typed = request.GET.get("code")
    if typed is not None:
        cleaned = verification_code_clean(typed)
        if cleaned:
            return redirect("verify:detail", code=cleaned)
        return _private(
            render(request, "certificates/verify_lookup.html", {"empty": True}, status=400)
        )
    return _private(render(request, "certificates/verify_lookup.html", {}))


@public
@never_cache
def verify_detail(request: HttpRequest, code: str) -> HttpResponse:
    wait = _rate_limited(request)
    if wait is not None:
        response = render(
            request,
            "certificates/verify_limited.html",
            {"minutes": (wait + 59) // 60},
            status=429,
        )
        response["Retry-After"] = str(wait)
        return _private(response, no_referrer=True)
    normalised = verification_code_normalise(code)
    certificate = certificate_for_code(code=normalised) if normalised else None
    if certificate is None:
        return _private(
            render(request, "certificates/verify_lookup.html", {"miss": True}, status=404),
            no_referrer=True,
        )
    state = certificate_state(certificate, today=timezone.localdate())
    if state == FAILED:  # the platform's problem, not the certificate's: it is issued
        state = PENDING
    context = {
        "certificate": certificate,
        "state": state,
        "masked_name": name_mask(certificate.holder_name),
        "issuer": certificate.issuer or organisation_name(),
    }
    return _private(render(request, "certificates/verify_detail.html", context), no_referrer=True)
