"""Create (or promote) an admin user in a deployed stack's table.

    STACK=hotel-booking-dev make create-admin EMAIL=ops@example.com

Reads the table name from the stack's outputs (or --table), asks for the password on the
terminal (or ADMIN_PASSWORD), and writes through the same domain code the API uses.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime

from local import target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--email', required=True)
    parser.add_argument('--name', default='Hotel Admin')
    target.add_arguments(parser)
    args = parser.parse_args()
    table = target.apply(parser, args)
    password = os.environ.get('ADMIN_PASSWORD') or getpass.getpass('Admin password (10+ characters): ')

    from common import errors, wiring
    from common.domain import Role
    from common.services import accounts

    try:
        user = accounts.register(
            wiring.build_deps(), args.email, password, args.name, datetime.now(UTC), role=Role.ADMIN
        )
    except errors.EmailTaken:
        print(f'{args.email} already exists in {table}; nothing changed', file=sys.stderr)
        return 1
    except errors.DomainError as exc:
        print(f'refused: {exc.detail}', file=sys.stderr)
        return 2
    print(f'admin {user.email} created in {table} (id {user.id})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
