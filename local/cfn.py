"""Read template.yaml, the single source of truth for routes, functions and tables.

CloudFormation's short-form tags (``!Ref``, ``!Sub``...) are kept as ``Tagged`` values: the
local run only needs the literal parts (paths, methods, handlers, key schemas).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / 'template.yaml'


@dataclass(frozen=True)
class Tagged:
    tag: str
    value: Any


class _Loader(yaml.SafeLoader):
    pass


def _tagged(loader: yaml.Loader, suffix: str, node: yaml.Node) -> Tagged:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tagged(suffix, value)


_Loader.add_multi_constructor('!', _tagged)


@lru_cache(maxsize=4)
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    module: str
    handler: str

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)', self.path)
        return re.compile(f'^{regex}$')

    @property
    def literal_length(self) -> int:
        """API Gateway prefers static segments to path parameters."""
        return len(re.sub(r'\{\w+\}', '', self.path))

    def load_handler(self) -> Any:
        return getattr(importlib.import_module(self.module), self.handler)


def functions(template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    resources = (template or load())['Resources']
    return {name: r for name, r in resources.items() if r['Type'] == 'AWS::Serverless::Function'}


def handler_location(properties: dict[str, Any]) -> tuple[str, str]:
    """'functions/search/' + 'app.lambda_handler' -> ('functions.search.app', 'lambda_handler')."""
    package = properties['CodeUri'].strip('/').replace('/', '.')
    module, _, attribute = properties['Handler'].rpartition('.')
    return f'{package}.{module}', attribute


def routes(template: dict[str, Any] | None = None) -> list[Route]:
    found = []
    for name, resource in functions(template).items():
        properties = resource['Properties']
        module, attribute = handler_location(properties)
        for event in (properties.get('Events') or {}).values():
            if event['Type'] != 'Api':
                continue
            found.append(
                Route(
                    method=event['Properties']['Method'].upper(),
                    path=event['Properties']['Path'],
                    function=name,
                    module=module,
                    handler=attribute,
                )
            )
    return sorted(found, key=lambda r: (-r.literal_length, r.path, r.method))


# ---------------------------------------------------------------- 405 for undeclared methods

ANY_METHOD = 'x-amazon-apigateway-any-method'
METHOD_NOT_ALLOWED_BODY = (
    '{"type": "urn:hotel-booking:problem:method_not_allowed", "title": "Method not allowed", "status": 405, '
    '"code": "method_not_allowed", "detail": "This path does not take this method; Allow lists those it takes"}'
)


def allowed_methods(template: dict[str, Any] | None = None) -> dict[str, list[str]]:
    """Path -> the methods its routes take, as an ``Allow`` header lists them."""
    by_path: dict[str, set[str]] = {}
    for route in routes(template):
        by_path.setdefault(route.path, set()).add(route.method)
    return {path: sorted(methods) for path, methods in sorted(by_path.items())}


def method_not_allowed(allow: list[str]) -> dict[str, Any]:
    """The ``ANY`` method of one path in the API's OpenAPI body: API Gateway answers it itself (a
    MOCK integration, no function) with 405, ``Allow`` and a problem; the path's own methods win."""
    return {
        'responses': {
            '405': {
                'description': 'Method not allowed',
                'headers': {name: {'schema': {'type': 'string'}} for name in ('Allow', 'Content-Type')},
            }
        },
        'x-amazon-apigateway-integration': {
            'type': 'mock',
            'passthroughBehavior': 'when_no_templates',
            'responses': {
                'default': {
                    'statusCode': '405',
                    'responseParameters': {
                        'method.response.header.Allow': f"'{', '.join(allow)}'",
                        'method.response.header.Content-Type': "'application/problem+json'",
                    },
                    'responseTemplates': {'application/json': METHOD_NOT_ALLOWED_BODY},
                }
            },
        },
    }


def declared_any_methods(template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Path -> the ``ANY`` method template.yaml's API declares for it (its DefinitionBody)."""
    resources = (template or load())['Resources']
    body = resources['HotelApi']['Properties'].get('DefinitionBody') or {}
    return {path: item[ANY_METHOD] for path, item in (body.get('paths') or {}).items() if ANY_METHOD in item}


def tables(template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    resources = (template or load())['Resources']
    return {name: r['Properties'] for name, r in resources.items() if r['Type'] == 'AWS::DynamoDB::Table'}


def table_env_vars(template: dict[str, Any] | None = None) -> dict[str, str]:
    """Env var -> table logical id, from the Globals (``TABLE_NAME: !Ref MainTable``)."""
    variables = (template or load())['Globals']['Function']['Environment']['Variables']
    table_ids = set(tables(template))
    return {
        var: value.value
        for var, value in variables.items()
        if isinstance(value, Tagged) and value.tag == 'Ref' and value.value in table_ids
    }
