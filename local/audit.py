"""`make audit`: check the books of a table (local or deployed) and print every violation.

    make audit                                  # TABLE=hotel-booking, ENDPOINT= (none: AWS)
    python -m local.audit --table NAME [--endpoint URL] [--from 2027-01-01 --to 2027-02-01]
                          [--stripe | --no-stripe]

Inventory: allotment = available + rooms held, every night (holds past their expiry not released
yet are counted and listed apart: their rooms are available). Hold slots: one per PENDING hold
that took one. Payments: every CONFIRMED booking
paid in full, every CANCELLED/EXPIRED booking that was paid refunded per the policy, no refund
larger than what was paid. With a Stripe key in the environment (STRIPE_SECRET_KEY, and
STRIPE_API_BASE for localstripe) each PaymentIntent and refund is also compared with Stripe's
own records; --no-stripe skips that.

Exit status 0 when everything balances, 1 when something does not.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--table', default=os.environ.get('TABLE_NAME', 'hotel-booking'))
    parser.add_argument('--endpoint', default=os.environ.get('DYNAMODB_ENDPOINT_URL'))
    parser.add_argument('--from', dest='start', type=date.fromisoformat)
    parser.add_argument('--to', dest='end', type=date.fromisoformat)
    parser.add_argument(
        '--stripe',
        action=argparse.BooleanOptionalAction,
        default=None,
        help='compare with Stripe (default: when STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_PARAM is set)',
    )
    args = parser.parse_args(argv)
    os.environ['TABLE_NAME'] = args.table
    if args.endpoint:
        os.environ['DYNAMODB_ENDPOINT_URL'] = args.endpoint
        os.environ.setdefault('AWS_ACCESS_KEY_ID', 'local')
        os.environ.setdefault('AWS_SECRET_ACCESS_KEY', 'local')
    os.environ.setdefault('AWS_DEFAULT_REGION', 'us-east-1')
    stripe = args.stripe
    if stripe is None:
        stripe = bool(os.environ.get('STRIPE_SECRET_KEY') or os.environ.get('STRIPE_SECRET_KEY_PARAM'))

    from common import wiring
    from common.services import audit

    deps = wiring.build_deps()
    violations = audit.all_violations(deps, args.start, args.end, stripe=stripe)
    for violation in violations:
        print(violation)
    due = audit.due_holds(deps.bookings.scan(), deps.clock())
    if due:
        rooms = sum(b.rooms * len(b.nightly) for b in due)
        print(
            f'{len(due)} hold(s) past their expiry, not released yet ({rooms} room-night(s)): '
            'available to the next hold that wants them, not revenue'
        )
    checked = 'inventory, hold slots, payments' + (' and Stripe' if stripe else '')
    print(f'{len(violations)} violation(s) in {args.table} ({checked})')
    return 1 if violations else 0


if __name__ == '__main__':
    sys.exit(main())
