"""`make rebuild-view`: write the search view of one city (or of every city) from the inventory.

    make rebuild-view ENDPOINT=http://127.0.0.1:4566 TABLE=hotel-booking [CITY=Lisbon]
    make rebuild-view STACK=hotel-booking-dev [CITY=Lisbon]

The backfill after the first deploy of the view (nights written before it produce no stream
records), and the repair after the view's dead-letter alarm (a batch the consumer gave up on).
Idempotent: cells get the inventory's values, as the stream consumer would write them; running it
while bookings happen is safe (a cell it writes a moment late is corrected by the next stream record
of that night, and search never decides a sale). Reads each room type's nights (one Query each).
"""

from __future__ import annotations

import argparse
import os
import sys

from local import target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target.add_arguments(parser, default_table='hotel-booking')
    parser.add_argument('--city', help='one city (any case); all cities without it')
    args = parser.parse_args(argv)
    table = target.apply(parser, args)
    for name, value in (('POWERTOOLS_METRICS_DISABLED', 'true'), ('POWERTOOLS_TRACE_DISABLED', 'true')):
        os.environ.setdefault(name, value)
    os.environ.setdefault('POWERTOOLS_LOG_LEVEL', 'WARNING')
    from common import wiring
    from common.services import search_view

    deps = wiring.build_deps()
    cities = [args.city] if args.city else sorted({h.city.casefold() for h in deps.catalog.list_hotels()})
    for city in cities:
        print(f'{table}: {city}: {search_view.rebuild(deps, city)} view items written', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
