"""Reviews and a guest's profile and wishlist (services/reviews.py, users.py) on fakes."""

from __future__ import annotations

import pytest

from common import errors
from common.domain import Role, User
from common.services import reviews, users
from tests.unit.services.world import GUEST, OTHER, world


def _guest(w, name: str = 'Ada Lovelace') -> None:
    w.deps.accounts.create_user(User(GUEST.user_id, 'ada@example.com', name, Role.GUEST, 'x', w.now))


def test_a_stay_is_reviewed_once_after_check_out_and_the_room_types_average_follows():
    w = world()
    _guest(w)
    booking = w.paid(1, 2)
    after = w.now.replace(day=w.now.day + 4)
    review = reviews.post(w.deps, GUEST, booking.id, 4, 'Lovely', after)
    assert (review.author, review.rating) == ('Ada', 4)
    assert w.deps.catalog.get_room_type(w.room.id).average_rating == 4
    with pytest.raises(errors.AlreadyReviewed):
        reviews.post(w.deps, GUEST, booking.id, 5, 'Again', after)
    assert [r.id for r in reviews.for_room_type(w.deps, w.room.id, None, None).items] == [review.id]


@pytest.mark.parametrize(
    ('days', 'allowed'),
    [(-1, False), (0, False), (1, True)],
    ids=['the last night', 'the check-out date', 'the day after check-out'],
)
def test_a_review_waits_for_the_day_after_check_out_at_the_hotel(days: int, allowed: bool):
    w = world()
    booking = w.paid(1, 2)  # checks out on day 3
    when = w.now.replace(day=w.now.day + 3 + days)
    if allowed:
        assert reviews.post(w.deps, GUEST, booking.id, 5, '', when).rating == 5
        return
    with pytest.raises(errors.StayNotEnded) as refused:
        reviews.post(w.deps, GUEST, booking.id, 5, '', when)
    assert refused.value.extra == {'reviews_open_on': w.day(4).isoformat()}
    assert w.deps.catalog.get_room_type(w.room.id).review_count == 0


def test_only_the_guest_of_a_confirmed_stay_reviews_it():
    w = world()
    held = w.hold(1, 2)
    later = w.now.replace(day=w.now.day + 5)
    with pytest.raises(errors.InvalidState):
        reviews.post(w.deps, GUEST, held.id, 5, '', later)
    with pytest.raises(errors.NotFound):
        reviews.post(w.deps, OTHER, held.id, 5, '', later)
    with pytest.raises(errors.NotFound):
        reviews.for_room_type(w.deps, 'nope', None, None)


def test_a_profile_changes_only_what_may_change():
    w = world()
    _guest(w)
    user = users.update_profile(w.deps, GUEST, {'name': 'Ada King', 'phone': '+44 1234 567890'})
    assert (user.name, user.phone) == ('Ada King', '+44 1234 567890')
    assert users.update_profile(w.deps, GUEST, {'phone': None}).phone is None
    with pytest.raises(errors.Unprocessable):
        users.update_profile(w.deps, GUEST, {'email': 'x@example.com'})
    with pytest.raises(errors.Unprocessable):
        users.update_profile(w.deps, GUEST, {'name': None})


def test_the_wishlist_is_idempotent_newest_first_and_forgets_removed_room_types():
    w = world()
    _, created = users.add_to_wishlist(w.deps, GUEST, w.room.id, w.now)
    assert created and not users.add_to_wishlist(w.deps, GUEST, w.room.id, w.now)[1]
    with pytest.raises(errors.NotFound):
        users.add_to_wishlist(w.deps, GUEST, 'nope', w.now)
    assert [i.room_type.id for i in users.wishlist(w.deps, GUEST)] == [w.room.id]
    assert users.wishlist(w.deps, OTHER) == []
    del w.f.store.room_types[w.room.id]
    assert users.wishlist(w.deps, GUEST) == []
    users.remove_from_wishlist(w.deps, GUEST, w.room.id)
    users.remove_from_wishlist(w.deps, GUEST, w.room.id)


def test_the_average_counts_every_review():
    w = world()
    _guest(w)
    after = w.now.replace(day=w.now.day + 9)
    for start, rating in ((1, 5), (3, 4), (5, 2)):
        booking = w.paid(start, 1)
        reviews.post(w.deps, GUEST, booking.id, rating, '', after)
    room = w.deps.catalog.get_room_type(w.room.id)
    assert (room.review_count, room.average_rating) == (3, 3.67)
