"""Create the application's tables exactly as template.yaml declares them."""

from __future__ import annotations

import os
from typing import Any

from local import cfn

_CREATE_KEYS = (
    'AttributeDefinitions',
    'KeySchema',
    'GlobalSecondaryIndexes',
    'LocalSecondaryIndexes',
    'BillingMode',
    'StreamSpecification',
)


def table_names(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Logical id -> physical name, from the same env vars the functions read."""
    environ = environ if environ is not None else dict(os.environ)
    return {logical: environ[var] for var, logical in cfn.table_env_vars().items() if var in environ}


def create_tables(client: Any, names: dict[str, str]) -> list[str]:
    """Create each table that does not exist yet (and its TTL); returns the names created."""
    existing = set(client.list_tables().get('TableNames', []))
    created = []
    for logical, properties in cfn.tables().items():
        name = names[logical]
        if name in existing:
            continue
        spec = {key: properties[key] for key in _CREATE_KEYS if key in properties}
        if 'StreamSpecification' in spec:  # CloudFormation omits StreamEnabled; the API needs it
            spec['StreamSpecification'] = {'StreamEnabled': True, **spec['StreamSpecification']}
        client.create_table(TableName=name, **spec)
        ttl = properties.get('TimeToLiveSpecification')
        if ttl and ttl.get('Enabled'):
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={'AttributeName': ttl['AttributeName'], 'Enabled': True}
            )
        created.append(name)
    return created


def warm_clients() -> int:
    """Create the botocore client behind every PynamoDB model now, one after the other.

    PynamoDB creates a model's client on first use and keeps it; when hundreds of requests arrive
    at once in the gateway's one process (a Lambda serves one), every one of them finds it missing
    and builds its own (botocore loads its service models each time): seconds of CPU before the
    first answer. Lambda pays this once per execution environment, at its cold start."""
    from common import tables

    clients = {id(model._get_connection().connection.client) for model in tables.MODELS}
    return len(clients)
