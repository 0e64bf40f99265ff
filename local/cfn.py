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
