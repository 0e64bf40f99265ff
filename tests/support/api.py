"""An in-process HTTP client: requests go through the local gateway, which builds the real
API Gateway proxy event from template.yaml's routes and calls the real handler."""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from local.gateway import Gateway


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return jsonlib.loads(self.body)

    @property
    def code(self) -> str | None:
        """The problem's stable ``code`` (None for a success)."""
        return self.json.get('code') if self.status >= 400 else None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Api:
    gateway: Gateway = field(default_factory=Gateway)

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        raw: bytes | None = None,
        source_ip: str = '203.0.113.9',
    ) -> Reply:
        sent = {'Host': 'localhost', 'User-Agent': 'tests'}
        body = b''
        if json is not None:
            body = jsonlib.dumps(json).encode()
            sent['Content-Type'] = 'application/json'
        if raw is not None:
            body = raw
        if token:
            sent['Authorization'] = f'Bearer {token}'
        sent.update(headers or {})
        target = f'{path}?{urlencode(query, doseq=True)}' if query else path
        status, out_headers, payload = self.gateway.handle(method, target, sent, body, source_ip)
        return Reply(status, out_headers, payload)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request('GET', path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Reply:
        return self.request('POST', path, json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Reply:
        return self.request('PATCH', path, json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.request('DELETE', path, **kwargs)

    def hold(self, room_type_id: str, check_in: str, check_out: str, *, token: str, guests: int = 1) -> Reply:
        """POST /api/bookings for one room: the hold most tests start from."""
        body = {'room_type_id': room_type_id, 'check_in': check_in, 'check_out': check_out, 'guests': guests}
        return self.post('/api/bookings', body, token=token)
