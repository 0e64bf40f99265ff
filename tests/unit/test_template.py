"""template.yaml is the source of truth: tables match the models, routes match the handlers."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from common.tables import MODELS, BookingItem, _Item
from local import cfn

ROOT = Path(__file__).resolve().parents[2]


def _key_schema(schema: list[dict]) -> dict[str, str]:
    return {k['KeyType']: k['AttributeName'] for k in schema}


def test_the_main_table_keys_and_indexes_match_the_models():
    table = cfn.tables()['MainTable']
    assert _key_schema(table['KeySchema']) == {'HASH': _Item.pk.attr_name, 'RANGE': _Item.sk.attr_name}
    indexes = {i['IndexName']: i for i in table['GlobalSecondaryIndexes']}
    model_indexes = {type(i): i for model in MODELS for i in model._indexes.values()}
    assert set(indexes) == {index.Meta.index_name for index in model_indexes}
    key_attributes = {'pk', 'sk'}
    for index in model_indexes:
        declared = indexes[index.Meta.index_name]
        hash_attr = next(a for a in index.Meta.attributes.values() if a.is_hash_key)
        range_attr = next(a for a in index.Meta.attributes.values() if a.is_range_key)
        assert _key_schema(declared['KeySchema']) == {'HASH': hash_attr.attr_name, 'RANGE': range_attr.attr_name}
        assert declared['Projection'] == {'ProjectionType': index.Meta.projection.projection_type}
        key_attributes |= {hash_attr.attr_name, range_attr.attr_name}
    types = {d['AttributeName']: d['AttributeType'] for d in table['AttributeDefinitions']}
    assert types == dict.fromkeys(key_attributes, 'S')
    assert table['TimeToLiveSpecification'] == {'AttributeName': 'ttl', 'Enabled': True}
    assert table['PointInTimeRecoverySpecification'] == {'PointInTimeRecoveryEnabled': True}


def test_the_pending_index_is_sparse():
    # Only PENDING bookings carry the index's hash key; everything else drops out of it.
    assert BookingItem.pending_shard.null is True


def _served(module: str) -> set[tuple[str, str]]:
    app = importlib.import_module(module).app
    schema = app.get_openapi_schema()
    return {
        (method.upper(), path) for path, item in schema.paths.items() for method in item.model_dump(exclude_none=True)
    }


@pytest.mark.parametrize('function', sorted(cfn.functions()))
def test_every_template_route_is_served_by_its_function_and_nothing_else(function: str):
    properties = cfn.functions()[function]['Properties']
    module, attribute = cfn.handler_location(properties)
    declared = {(r.method, r.path) for r in cfn.routes() if r.function == function}
    assert (ROOT / properties['CodeUri'] / 'Makefile').exists(), 'sam build needs the function Makefile'
    if not declared:  # a scheduled function (the sweeper): no routes, no resolver
        assert not hasattr(importlib.import_module(module), 'app')
        assert callable(getattr(importlib.import_module(module), attribute))
        return
    served = _served(module)
    assert declared == served
    assert callable(getattr(importlib.import_module(module), attribute))
    assert (ROOT / properties['CodeUri'] / 'Makefile').exists(), 'sam build needs the function Makefile'


def test_routes_are_unique_across_functions():
    pairs = [(r.method, r.path) for r in cfn.routes()]
    assert len(pairs) == len(set(pairs))


def test_every_path_answers_an_undeclared_method_with_405_and_its_methods():
    # API Gateway takes the ANY method (a MOCK) only for the methods a path does not declare.
    declared = cfn.declared_any_methods()
    expected = {path: cfn.method_not_allowed(allow) for path, allow in cfn.allowed_methods().items()}
    missing = sorted(set(expected) - set(declared))
    assert not missing, f'template.yaml: add an ANY method to HotelApi DefinitionBody paths for {missing}'
    assert sorted(set(declared) - set(expected)) == [], 'an ANY method for a path no route has'
    for path, method in declared.items():
        assert method == expected[path], f'{path}: the ANY method must be cfn.method_not_allowed({expected[path]})'
