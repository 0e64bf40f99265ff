"""`make housekeeping`: one run of HousekeepingFunction's handler (as template.yaml names it) with a
real EventBridge scheduled event, against a local or deployed table. `make run` runs it at start.

    make housekeeping ENDPOINT=http://127.0.0.1:4566 TABLE=hotel-booking   # the local run's table
    make housekeeping STACK=hotel-booking-dev                              # a deployed stack's table
    python -m local.housekeeping --table NAME [--endpoint URL] [--again]

It opens the nights that came into every room type's sale window and prints the run's summary.
Safe to repeat: a second run the same day finds the pass finished (``--again`` starts a new pass,
which opens nothing that exists). In AWS the function runs daily on its schedule by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from local import sweeper, target

FUNCTION = 'HousekeepingFunction'
RULE = 'hotel-booking-local-housekeeping'


def invoke(now: datetime | None = None, *, again: bool = False) -> dict[str, Any]:
    """One scheduled run, as Lambda would run it."""
    extra = {'again': True} if again else {}
    return sweeper.invoke_scheduled(FUNCTION, RULE, now or datetime.now(UTC), **extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target.add_arguments(parser, default_table='hotel-booking')
    parser.add_argument('--again', action='store_true', help="a new pass even if today's has finished")
    args = parser.parse_args(argv)
    table = target.apply(parser, args)
    # A person reads this run's summary: no EMF metrics or JSON log lines on the terminal.
    for name, value in (('POWERTOOLS_SERVICE_NAME', 'housekeeping'), ('POWERTOOLS_METRICS_DISABLED', 'true')):
        os.environ.setdefault(name, value)
    os.environ.setdefault('POWERTOOLS_TRACE_DISABLED', 'true')
    os.environ.setdefault('POWERTOOLS_LOG_LEVEL', 'WARNING')
    summary = invoke(again=args.again)
    print(json.dumps(summary, indent=2))
    state = 'complete' if summary['complete'] else 'stopped by its budget: run it again to continue'
    print(f'{table}: {summary["nights_opened"]} nights opened for {summary["room_types"]} room types ({state})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
