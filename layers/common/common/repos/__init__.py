"""Storage: the only package that talks to DynamoDB (through PynamoDB).

One repository per aggregate, each a class built with the ``Table`` by the composition root
(``common.wiring``) and implementing a port of ``common.ports``:

- ``CatalogRepository``: hotels, room types, price rules, rate plans, taxes (a hotel's pricing terms);
- ``PromoRepository``: a hotel's promo codes (their uses move in the booking transactions);
- ``InventoryRepository``: per-night inventory (admin changes, opening nights, the auditor's scan);
- ``BookingRepository``: bookings and the rooms they hold, payments and refunds recorded on them;
- ``PaymentRecords``: Stripe events already processed, the outbox of refunds owed;
- ``AccountRepository`` and ``LimitCounters``: users, sessions, abuse limits;
- ``ReviewRepository`` and ``WishlistRepository``;
- ``HousekeepingRecords``: the progress of the daily sale-window pass;
- ``NotificationRecords``: each email claimed once per event and recipient;
- ``MigrationStore``: raw items, guarded changes and records of the data migrations;
- ``AvailabilityViewRepository``: the search view (issue 17), raw items named by room type.

Items are converted to domain values here; key shapes live in ``common.tables`` only; retries,
error translation, transactions and cursors in the private ``_dynamo``. Every write that moves
inventory is ONE TransactWriteItems with a guard on each item.
"""

from common.repos._dynamo import Table
from common.repos.accounts import AccountRepository, LimitCounters
from common.repos.bookings import BookingRepository
from common.repos.catalog import CatalogRepository
from common.repos.housekeeping import HousekeepingRecords
from common.repos.inventory import InventoryRepository
from common.repos.migrations import MigrationStore
from common.repos.notifications import NotificationRecords
from common.repos.payments import PaymentRecords
from common.repos.promos import PromoRepository
from common.repos.reviews import ReviewRepository, WishlistRepository
from common.repos.view import AvailabilityViewRepository

__all__ = [
    'AccountRepository',
    'AvailabilityViewRepository',
    'BookingRepository',
    'CatalogRepository',
    'HousekeepingRecords',
    'InventoryRepository',
    'LimitCounters',
    'MigrationStore',
    'NotificationRecords',
    'PaymentRecords',
    'PromoRepository',
    'ReviewRepository',
    'Table',
    'WishlistRepository',
]
