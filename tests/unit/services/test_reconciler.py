"""The reconciler (services/reconciler.py) on fakes: the auditor's money checks over the bookings
by arrival, bounded per run, resumed by the next, reporting each case once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from common.domain import Attention, IntentStatus, Work
from common.services import cancellation, checkout, holds, reconciler
from tests.unit.services.world import GUEST, World, world


def _paid_after_expiry_with_its_webhook_lost(w: World):
    """Point 1's state: the hold expired while Stripe was down, then the guest paid."""
    held = w.hold(12)
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    w.f.stripe.down = True
    holds.expire(w.deps, w.deps.bookings.get(held.id), held.hold_expires_at)
    w.f.stripe.down = False
    w.f.stripe.set_status(intent, IntentStatus.SUCCEEDED)
    return held


def test_books_that_balance_report_nothing_at_risk_and_every_booking_is_read():
    w = world()
    w.paid(10)
    cancelled = w.paid(14)
    cancellation.cancel(w.deps, GUEST, cancelled.id, w.now)
    w.hold(20)
    report = reconciler.reconcile(w.deps, w.now)
    assert (report.examined, report.at_risk, report.amounts, report.complete) == (3, 0, {}, True)


def test_each_seeded_violation_is_reported_with_its_booking_and_reason_and_counted_once():
    w = world()
    w.paid(10)
    kept = _paid_after_expiry_with_its_webhook_lost(w)
    outside = w.paid(16)
    w.f.stripe.create_refund(
        payment_intent_id=outside.payment.payment_intent_id, amount=500, metadata={}, idempotency_key='dash'
    )  # a Dashboard refund whose webhook never came
    stuck = w.owing_refund(20)
    w.f.store.bookings[stuck.id] = replace(
        w.deps.bookings.get(stuck.id), followup=None, attention=Attention(Work.REFUND, 'charge_disputed', w.now)
    )
    report = reconciler.reconcile(w.deps, w.now)
    reasons = dict(report.cases)
    assert set(reasons) == {kept.id, outside.id, stuck.id}
    assert 'not refunded' in reasons[kept.id]
    assert 'Stripe refunded 500' in reasons[outside.id]
    assert 'charge_disputed' in reasons[stuck.id]
    assert report.at_risk == 3
    assert report.amounts == {'EUR': kept.total_amount + outside.total_amount + stuck.total_amount}


def test_a_pass_is_bounded_per_run_resumed_by_the_next_and_a_later_run_that_day_reads_nothing():
    w = world(reconcile_page_size=1, reconcile_max_bookings=2)
    kept = _paid_after_expiry_with_its_webhook_lost(w)
    for start in (10, 14, 16, 20):
        w.paid(start)
    runs = []
    while not (runs and runs[-1].complete):
        runs.append(reconciler.reconcile(w.deps, w.now))
        w.f.clock.advance(hours=1)
    assert [r.examined for r in runs] == [2, 2, 1]
    assert [r.at_risk for r in runs] == [1, 1, 1]  # the pass's figure so far: the case counted once
    assert next(case for r in runs for case in r.cases)[0] == kept.id
    again = reconciler.reconcile(w.deps, w.now)
    assert (again.already_done, again.examined, again.at_risk) == (True, 0, 1)
    # On demand: a new pass now; the next day: a new pass
    assert reconciler.reconcile(w.deps, w.now, again=True).examined == 2
    w.f.clock.advance(days=1)
    assert reconciler.reconcile(w.deps, w.now).examined == 2


def test_a_run_out_of_time_within_a_page_leaves_it_to_the_next_run_without_counting_it_twice():
    w = world(reconcile_page_size=10)
    _paid_after_expiry_with_its_webhook_lost(w)
    w.paid(10)
    times = iter([100.0, 100.0, 1.0])  # enough for the first booking of the page, not the second
    cut = reconciler.reconcile(w.deps, w.now, lambda: next(times, 1.0))
    assert (cut.complete, cut.examined, cut.at_risk) == (False, 0, 0)
    done = reconciler.reconcile(w.deps, w.now)
    assert (done.complete, done.examined, done.at_risk) == (True, 2, 1)


def test_stripe_down_stops_the_run_and_the_next_one_continues():
    w = world()
    w.paid(10)
    w.f.stripe.down = True
    stopped = reconciler.reconcile(w.deps, w.now)
    assert (stopped.complete, stopped.examined) == (False, 0)
    w.f.stripe.down = False
    assert reconciler.reconcile(w.deps, w.now).complete


def test_bookings_outside_the_window_are_not_read():
    w = world(reconcile_lookback_days=30)
    old = w.paid(10)
    w.f.clock.advance(days=45)  # its check-in is now 35 days ago
    assert reconciler.reconcile(w.deps, w.now).examined == 0
    assert old.check_in < (w.now - timedelta(days=30)).date()
