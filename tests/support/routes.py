"""Every route of template.yaml with what its handler declares (OpenAPI), and request bodies
built from those declarations, so tests can walk all routes, including ones added later.

A body is built from the route's JSON schema: its first ``examples`` entry when it has one,
otherwise the required fields with the smallest values their constraints allow.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from common import http
from local import cfn

BODY_METHODS = frozenset({'POST', 'PUT', 'PATCH'})
_STRING_CANDIDATES = (
    'x',
    'abc',
    'deluxe-king',
    'a1',
    'EUR',
    'eur',
    'UTC',
    'Europe/Lisbon',
    'x@example.com',
    '+441234567890',
    'percent',
    '1',
    'ABC',
    'https://example.com/x.jpg',
)


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    function: str
    operation: dict[str, Any]
    components: dict[str, Any]

    @property
    def id(self) -> str:
        return f'{self.method} {self.path}'

    @property
    def access(self) -> http.Access:
        """Who may call it, as the HTTP edge enforces it (``common.http.access``)."""
        return http.access(self.method, self.path)

    @property
    def is_admin(self) -> bool:
        return self.access is http.Access.ADMIN

    @property
    def needs_auth(self) -> bool:
        return self.access is not http.Access.PUBLIC

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r'\{(\w+)\}', self.path)

    @property
    def body_schema(self) -> dict[str, Any] | None:
        """The JSON body's schema (resolved), or None when the route takes no JSON body."""
        content = (self.operation.get('requestBody') or {}).get('content') or {}
        schema = (content.get('application/json') or {}).get('schema')
        return resolve(schema, self.components) if schema else None

    def url(self, **values: str) -> str:
        path = self.path
        for name in self.path_parameters:
            path = path.replace(f'{{{name}}}', values.get(name, 'x'))
        return path

    def bodies(self) -> list[Any]:
        """Candidate valid bodies, best first (empty when the route takes none)."""
        schema = self.body_schema
        if schema is None:
            return []
        found = [example for example in schema.get('examples') or [] if isinstance(example, dict)]
        built = minimal(schema, self.components)
        if built not in found:
            found.append(built)
        return found


@cache
def _openapi(module: str) -> dict[str, Any]:
    return json.loads(importlib.import_module(module).app.get_openapi_json_schema())


def api_routes() -> list[ApiRoute]:
    found = []
    for route in cfn.routes():
        schema = _openapi(route.module)
        operation = schema.get('paths', {}).get(route.path, {}).get(route.method.lower(), {})
        components = schema.get('components', {}).get('schemas', {})
        found.append(ApiRoute(route.method, route.path, route.function, operation, components))
    return sorted(found, key=lambda r: (r.path, r.method))


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while '$ref' in schema:
        schema = components[schema['$ref'].rsplit('/', 1)[-1]]
    return schema


def minimal(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value the schema accepts, as far as a JSON schema can tell."""
    schema = resolve(schema, components)
    for key in ('anyOf', 'oneOf'):
        if key in schema:
            options = [resolve(s, components) for s in schema[key]]
            non_null = [s for s in options if s.get('type') != 'null']
            return minimal((non_null or options)[0], components)
    if 'allOf' in schema:
        merged: dict[str, Any] = {}
        for part in schema['allOf']:
            merged.update(resolve(part, components))
        return minimal(merged, components)
    if 'const' in schema:
        return schema['const']
    if schema.get('enum'):
        return schema['enum'][0]
    kind = schema.get('type')
    if kind == 'object' or 'properties' in schema:
        properties = schema.get('properties', {})
        return {name: minimal(properties.get(name, {}), components) for name in schema.get('required', [])}
    if kind == 'array':
        return [minimal(schema.get('items', {}), components) for _ in range(int(schema.get('minItems', 0)))]
    if kind in ('integer', 'number'):
        return _number(schema, integer=kind == 'integer')
    if kind == 'boolean':
        return False
    if kind == 'null':
        return None
    if kind == 'string':
        return _string(schema)
    return 'x'


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    if 'minimum' in schema:
        value = schema['minimum']
    elif 'exclusiveMinimum' in schema:
        value = schema['exclusiveMinimum'] + 1
    else:
        value = 1
    if 'maximum' in schema and value > schema['maximum']:
        value = schema['maximum']
    return int(value) if integer else value


def _string(schema: dict[str, Any]) -> str:
    future = datetime.now(UTC) + timedelta(days=30)
    fmt = schema.get('format')
    if fmt == 'date':
        return future.date().isoformat()
    if fmt == 'date-time':
        return future.isoformat()
    if fmt == 'email':
        return 'x@example.com'
    low, high = int(schema.get('minLength', 1)), int(schema.get('maxLength', 10_000))
    pattern = schema.get('pattern')
    for candidate in _STRING_CANDIDATES:
        if low <= len(candidate) <= high and (pattern is None or re.search(pattern, candidate)):
            return candidate
    if pattern is None:
        return 'x' * max(low, 1)
    from hypothesis import find, strategies

    return find(strategies.from_regex(pattern, fullmatch=True), lambda s: low <= len(s) <= high)
