"""Template helpers for case pages: amounts in 元 / 万元."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def _trim(value: Decimal) -> str:
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text.rstrip("0")


@register.filter
def yuan(value: Decimal | int | float | None) -> str:
    """125000 → "12.5万元" (zh) / "12.5 × 10,000 yuan" (en); 3800 → "3,800元"."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    if abs(amount) >= 10000:
        wan = (amount / Decimal(10000)).quantize(Decimal("0.01"))
        return _("%(wan)s × 10,000 yuan") % {"wan": _trim(wan).replace(",", "")}
    return _("%(amount)s yuan") % {"amount": _trim(amount)}
