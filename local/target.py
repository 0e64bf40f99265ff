"""Which table an operator command works on: a deployed stack's (``--stack``, read from its
outputs), a named table in AWS (``--table``), or a local one (``--endpoint`` of ministack).

Shared by ``make create-admin``, ``make housekeeping`` and ``make migrate``: the environment is set
before the layer's settings are first read, so the commands run the same domain code as the API.
"""

from __future__ import annotations

import argparse
import os


def table_from_stack(stack: str, region: str | None) -> str:
    import boto3

    outputs = boto3.client('cloudformation', region_name=region).describe_stacks(StackName=stack)['Stacks'][0][
        'Outputs'
    ]
    return next(o['OutputValue'] for o in outputs if o['OutputKey'] == 'MainTableName')


def add_arguments(parser: argparse.ArgumentParser, *, default_table: str | None = None) -> None:
    parser.add_argument('--stack', help='CloudFormation stack name (reads MainTableName)')
    parser.add_argument('--table', default=default_table, help='table name, instead of --stack')
    parser.add_argument('--endpoint', help='DynamoDB endpoint (the local run: ministack URL it prints)')
    parser.add_argument('--region', default=os.environ.get('AWS_REGION'))


def apply(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """Point the process at the chosen table (environment read by common.config); returns its name."""
    if not (args.stack or args.table):
        parser.error('give --stack or --table')
    if args.endpoint:
        os.environ['DYNAMODB_ENDPOINT_URL'] = args.endpoint
        os.environ.setdefault('AWS_ACCESS_KEY_ID', 'local')
        os.environ.setdefault('AWS_SECRET_ACCESS_KEY', 'local')
    if args.region:
        os.environ['AWS_REGION'] = args.region
    os.environ.setdefault('AWS_DEFAULT_REGION', os.environ.get('AWS_REGION', 'us-east-1'))
    table = args.table if not args.stack else table_from_stack(args.stack, args.region)
    os.environ['TABLE_NAME'] = table
    return table
