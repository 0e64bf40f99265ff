"""An in-process HTTP client: requests go through the local gateway, which builds the real
API Gateway proxy event from template.yaml's routes and calls the real handler.

Every answer is also checked against the OpenAPI document, so each integration test is a contract
test too: the status is one the operation documents, and a problem's ``code`` one the document
lists for that status (5xx: the ``default`` response's)."""

from __future__ import annotations

import json as jsonlib
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from local.gateway import Gateway

_BUILDING = threading.Lock()


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    from functions.docs.app import _document

    with _BUILDING:  # powertools' schema generation is not thread-safe
        document = _document()
    found = []
    for path, item in document['paths'].items():
        pattern = re.compile('^' + re.sub(r'\{\w+\}', '[^/]+', path) + '/?$')
        found += [(pattern, method.upper(), operation) for method, operation in item.items()]
    return found


def undocumented(method: str, target: str, reply: Reply) -> str | None:
    """Why this answer breaks the document (None when it keeps it, or no operation matches)."""
    path = unquote(urlsplit(target).path)
    operation = next((op for pattern, m, op in _operations() if m == method and pattern.match(path)), None)
    if operation is None:
        return None  # an unknown path or method: the gateway's 404/405, not an operation's answer
    responses = operation['responses']
    documented = responses.get(str(reply.status)) or (responses['default'] if reply.status >= 500 else None)
    if documented is None:
        return f'{method} {path} answered {reply.status}, which it does not document ({sorted(responses)})'
    codes = documented.get('x-problem-codes')
    if codes is not None and reply.code not in codes:
        return f'{method} {path} answered {reply.status} {reply.code!r}; the document lists {codes}'
    return None


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
    # Check every answer against the OpenAPI document (off for tests that break it on purpose).
    check_contract: bool = True

    def __post_init__(self) -> None:
        if self.check_contract:
            # Build the document now, before any test thread sends a request: generating it touches
            # the routes of the very resolvers that serve the requests.
            _operations()

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
        reply = Reply(status, out_headers, payload)
        if self.check_contract:
            broken = undocumented(method, target, reply)
            assert broken is None, f'{broken}: {payload[:300]!r}'
        return reply

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
