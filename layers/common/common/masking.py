"""Personal data as it may appear in logs: masked, never in clear (docs/observability.md).

``mask_email('ada.lovelace@example.com')`` is ``'a***@e***.com'``: enough to tell two addresses
apart while reading a log, not enough to write to anyone. Hashes are no better than the clear
value for an address (anyone can hash a guess), so none are logged.
"""

from __future__ import annotations

from typing import Any

# Fields whose values are personal data wherever they appear in a dict that is logged.
_EMAIL_FIELDS = frozenset({'email', 'notification_email'})
_PHONE_FIELDS = frozenset({'phone'})


def mask_email(address: str | None) -> str | None:
    if not address:
        return address
    local, at, domain = address.rpartition('@')
    if not at:
        return '***'
    name, dot, tld = domain.rpartition('.')
    masked_domain = f'{name[:1]}***.{tld}' if dot else f'{domain[:1]}***'
    return f'{local[:1]}***@{masked_domain}'


def mask_phone(number: str | None) -> str | None:
    if not number:
        return number
    digits = [c for c in number if c.isdigit()]
    return '***' + ''.join(digits[-2:])


def masked_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``fields`` with e-mail addresses and phone numbers masked (for audit lines)."""
    masked = dict(fields)
    for name, value in fields.items():
        if name in _EMAIL_FIELDS and isinstance(value, str):
            masked[name] = mask_email(value)
        elif name in _PHONE_FIELDS and isinstance(value, str):
            masked[name] = mask_phone(value)
    return masked
