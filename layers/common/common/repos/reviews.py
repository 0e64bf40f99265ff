"""Reviews of stays (with the room type's counters) and guests' wishlists."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from common import errors
from common.domain import BookingStatus, Review, WishlistEntry
from common.ports import Page
from common.repos._dynamo import Table, decode_cursor, encode_cursor, failed_guards, with_retries
from common.tables import BookingItem, ReviewItem, RoomTypeItem, WishItem
from common.timeutil import iso, parse_date, parse_instant


def _review(item: ReviewItem) -> Review:
    return Review(
        id=item.review_id,
        booking_id=item.booking_id,
        room_type_id=item.room_type_id,
        hotel_id=item.hotel_id,
        user_id=item.user_id,
        author=item.author,
        rating=int(item.rating),
        comment=item.comment or '',
        stayed_check_in=parse_date(item.stayed_check_in),
        created_at=parse_instant(item.created_at),
    )


class ReviewRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def create(self, review: Review) -> None:
        """The review and the room type's counters in ONE transaction, guarded by: the booking is
        still the reviewer's and CONFIRMED, it has no review yet, the room type exists. So
        ``review_count``/``rating_sum`` always match the reviews, however many land at once."""
        review_item = ReviewItem(
            *ReviewItem.key(review.booking_id),
            gsi1pk=ReviewItem.room_type_partition(review.room_type_id),
            gsi1sk=ReviewItem.room_type_sort_key(iso(review.created_at), review.booking_id),
            review_id=review.id,
            booking_id=review.booking_id,
            room_type_id=review.room_type_id,
            hotel_id=review.hotel_id,
            user_id=review.user_id,
            author=review.author,
            rating=review.rating,
            comment=review.comment,
            stayed_check_in=review.stayed_check_in.isoformat(),
            created_at=iso(review.created_at),
        )
        booking_pk, booking_sk = BookingItem.key(review.booking_id)
        room_type = RoomTypeItem(*RoomTypeItem.key(review.room_type_id))
        still_owned_and_confirmed = (BookingItem.status == BookingStatus.CONFIRMED.value) & (
            BookingItem.user_id == review.user_id
        )

        def write(tx: TransactWrite) -> None:
            tx.condition_check(BookingItem, booking_pk, booking_sk, condition=still_owned_and_confirmed)  # 0
            tx.save(review_item, condition=ReviewItem.pk.does_not_exist())  # 1
            tx.update(
                room_type,
                actions=[RoomTypeItem.rating_sum.add(review.rating), RoomTypeItem.review_count.add(1)],
                condition=RoomTypeItem.pk.exists(),
            )  # 2

        try:
            # The review id is the ClientRequestToken: a retry whose first answer was lost succeeds
            # as the first call did instead of tripping over its own review.
            self._table.transact(write, token=review.id)
        except TransactWriteError as exc:
            failed = failed_guards(exc)
            if 1 in failed:
                raise errors.AlreadyReviewed() from None
            if 0 in failed:
                raise errors.InvalidState('Only a CONFIRMED stay can be reviewed') from None
            if 2 in failed:
                raise errors.NotFound('Room type not found') from None
            raise

    def list_for_room_type(self, room_type_id: str, limit: int, cursor: str | None) -> Page[Review]:
        """Reviews of a room type, newest first: one Query on ``gsi1`` per page."""
        partition = ReviewItem.room_type_partition(room_type_id)
        start = decode_cursor(cursor, 'gsi1pk', partition)
        result = ReviewItem.gsi1.query(partition, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = [_review(i) for i in self._table.read(result)]
        return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def _wish(item: WishItem) -> WishlistEntry:
    return WishlistEntry(room_type_id=item.room_type_id, added_at=parse_instant(item.added_at))


class WishlistRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def add(self, user_id: str, room_type_id: str, now: datetime) -> tuple[WishlistEntry, bool]:
        """Put a room type on the wishlist; (entry, False) if it already was there (idempotent)."""
        key = WishItem.key(user_id, room_type_id)
        item = WishItem(*key, user_id=user_id, room_type_id=room_type_id, added_at=iso(now))
        for _ in range(2):  # a concurrent remove between our two calls: try once more
            if self._table.save_if(item, WishItem.pk.does_not_exist()):
                return _wish(item), True
            try:
                return _wish(self._table.get(WishItem, key, 'Wishlist item', consistent=True)), False
            except errors.NotFound:
                continue
        raise errors.Conflict('The wishlist changed; retry')

    def list(self, user_id: str) -> list[WishlistEntry]:
        """A user's wishlist: one Query (bounded by the catalogue: one item per room type)."""
        query = WishItem.query(WishItem.partition(user_id), WishItem.sk.startswith(WishItem.SK_PREFIX))
        return [_wish(i) for i in self._table.read(query)]

    def remove(self, user_id: str, room_type_id: str) -> None:
        """Idempotent: removing what is not there is not an error."""
        with_retries(lambda: WishItem(*WishItem.key(user_id, room_type_id)).delete())
