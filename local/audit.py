"""`make audit`: check the books of a table (local or deployed) and print every violation.

    make audit                                  # the local stack's ministack (MINISTACK_PORT)
    python -m local.audit --table NAME [--endpoint URL] [--from 2027-01-01 --to 2027-02-01]

Exit status 0 when everything balances, 1 when something does not.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--table', default=os.environ.get('TABLE_NAME', 'hotel-booking'))
    parser.add_argument('--endpoint', default=os.environ.get('DYNAMODB_ENDPOINT_URL'))
    parser.add_argument('--from', dest='start', type=date.fromisoformat)
    parser.add_argument('--to', dest='end', type=date.fromisoformat)
    args = parser.parse_args()
    os.environ['TABLE_NAME'] = args.table
    if args.endpoint:
        os.environ['DYNAMODB_ENDPOINT_URL'] = args.endpoint
        os.environ.setdefault('AWS_ACCESS_KEY_ID', 'local')
        os.environ.setdefault('AWS_SECRET_ACCESS_KEY', 'local')
    os.environ.setdefault('AWS_DEFAULT_REGION', 'us-east-1')

    from common import audit

    violations = audit.all_violations(args.start, args.end)
    for violation in violations:
        print(violation)
    print(f'{len(violations)} violation(s) in {args.table}')
    return 1 if violations else 0


if __name__ == '__main__':
    sys.exit(main())
