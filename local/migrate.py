"""`make migrate`: run the numbered data migrations (layers/common/common/migrations) in order,
against a deployed stack's table or a local one. Each is idempotent and resumable, and safe while
the API serves (docs/data-model.md, "Migrations"). Run it after every deploy (README, Deploy).

    make migrate STACK=hotel-booking-dev                 # the stack's table (its MainTableName output)
    make migrate STACK=hotel-booking-dev DRY_RUN=1       # what would change, nothing written
    make migrate ENDPOINT=http://127.0.0.1:4566 TABLE=hotel-booking   # the local run's table
    python -m local.migrate --table NAME [--endpoint URL] [--dry-run] [--list] [--max-items N]

Every item changed (or, with --dry-run, that would change) is one JSON line in the audit file
(``--audit-log``, by default migration-audit/<table>-<UTC time>.jsonl): the migration, the key,
what was set and the values it replaced. Exit status: 0 all done (or a dry run), 3 stopped before
the end (--max-items; run it again to continue), 4 another run holds a migration.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from local import target

SHOWN = 20  # dry run: lines printed per migration (all of them are in the audit file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target.add_arguments(parser)
    parser.add_argument('--dry-run', action='store_true', help='report what would change; write nothing')
    parser.add_argument('--list', action='store_true', help='list the migrations and their state, run nothing')
    parser.add_argument('--max-items', type=int, help='stop after examining this many items (the next run continues)')
    parser.add_argument('--page-size', type=int, default=100)
    parser.add_argument('--audit-log', type=Path, help='JSON lines of every item changed')
    args = parser.parse_args(argv)
    table = target.apply(parser, args)

    from common import wiring
    from common.migration import MigrationBusy
    from common.migrations import MIGRATIONS
    from common.services import migrations

    deps = wiring.build_deps()
    store = deps.migrations
    if args.list:
        for migration in MIGRATIONS:
            state = store.state(migration.id)
            status = 'pending' if state is None else f'{state.status} ({state.changed} changed of {state.examined})'
            print(f'{migration.id:40} {status}\n    {migration.description}')
        return 0

    stamp = datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')
    path = args.audit_log or Path('migration-audit') / f'{table}-{stamp}{"-dry-run" if args.dry_run else ""}.jsonl'
    path.parent.mkdir(parents=True, exist_ok=True)
    shown: dict[str, int] = {}
    with path.open('a') as log:

        def audit(line: dict[str, Any]) -> None:
            record = json.dumps({'at': datetime.now(UTC).isoformat(), **line}, default=str, sort_keys=True)
            log.write(record + '\n')
            log.flush()
            if args.dry_run and shown.setdefault(line['migration'], 0) < SHOWN:
                shown[line['migration']] += 1
                print(record)

        try:
            report = migrations.run(
                deps,
                MIGRATIONS,
                owner=f'{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}',
                audit=audit,
                dry_run=args.dry_run,
                page_size=args.page_size,
                max_items=args.max_items,
            )
        except MigrationBusy as exc:
            print(f'refused: {exc.detail}', file=sys.stderr)
            return 4
    _summary(report, table, path, sys.stdout)
    return 0 if report.complete else 3


def _summary(report: Any, table: str, path: Path, out: TextIO) -> None:
    verb = 'would change' if report.dry_run else 'changed'
    for m in report.migrations:
        counts = '' if m.status == 'already done' else f': {m.changed} {verb}, {m.examined} examined'
        print(f'{m.migration_id:40} {m.status}{counts}', file=out)
    state = (
        'dry run, nothing written' if report.dry_run else ('all done' if report.complete else 'stopped: run it again')
    )
    print(f'{table}: {state}; audit lines in {path}', file=out)


if __name__ == '__main__':
    sys.exit(main())
