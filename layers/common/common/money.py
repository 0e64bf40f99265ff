"""Which totals a card payment can take: Stripe's per-currency rules, in ONE table.

Stripe refuses a PaymentIntent whose amount is below the currency's minimum (0.50 in USD and EUR,
0.30 in GBP...), above 99,999,999 minor units (an eight-digit amount), or, in a three-decimal
currency (BHD, JOD, KWD, OMR, TND), not a multiple of 10. A hold whose total Stripe would refuse
could never be paid: it would keep its rooms off sale until it expired and its checkout would
fail every time. So the total is checked where it is decided (``services/bookings.hold``, and
the admin pricing preview shows the same refusal), and again at checkout for holds made before.

A total of 0 (a free stay: base price 0, a ``fixed`` 0 rule, -100 %) is refused the same way
(``total_below_minimum``): the engine takes every booking through a card payment, and a stay
confirmed without one would have no payment to refund, dispute or reconcile.

Currencies Stripe lists with a minimum are in ``MINIMUMS`` (in minor units). For any other
currency Stripe's minimum is the equivalent of 0.50 USD at the day's exchange rate, which no
table can hold: such a total is only required to be positive here, and if Stripe still refuses
it, checkout answers the same 422 (``gateways/stripe.py`` maps Stripe's ``amount_too_small``).
Source: https://docs.stripe.com/currencies (minimum and maximum charge amounts, zero-decimal and
three-decimal currencies).
"""

from __future__ import annotations

from dataclasses import dataclass

from common import errors

# Stripe's largest amount, in minor units, whatever the currency (eight digits).
MAXIMUM = 99_999_999

ZERO_DECIMAL = frozenset(
    {'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'}
)
# Three decimals, but the last digit must be 0 (Stripe charges them to the hundredth).
THREE_DECIMAL = frozenset({'BHD', 'JOD', 'KWD', 'OMR', 'TND'})

# Stripe's minimum charge per currency, in minor units.
MINIMUMS: dict[str, int] = {
    'USD': 50,
    'AED': 200,
    'AUD': 50,
    'BGN': 100,
    'BRL': 50,
    'CAD': 50,
    'CHF': 50,
    'CZK': 1500,
    'DKK': 250,
    'EUR': 50,
    'GBP': 30,
    'HKD': 400,
    'HUF': 17500,
    'INR': 50,
    'JPY': 50,
    'MXN': 1000,
    'MYR': 200,
    'NOK': 300,
    'NZD': 50,
    'PLN': 200,
    'RON': 200,
    'SEK': 300,
    'SGD': 50,
    'THB': 1000,
}


@dataclass(frozen=True)
class ChargeRules:
    """What Stripe accepts as an amount in one currency (all in minor units)."""

    currency: str
    minimum: int
    maximum: int
    step: int  # the amount must be a multiple of this
    decimals: int

    def display(self, amount: int) -> str:
        """``1234`` EUR -> ``12.34 EUR`` (for messages; amounts stay integers everywhere else)."""
        if self.decimals == 0:
            return f'{amount} {self.currency}'
        whole, part = divmod(amount, 10**self.decimals)
        return f'{whole}.{part:0{self.decimals}d} {self.currency}'


def rules_for(currency: str) -> ChargeRules:
    code = currency.upper()
    decimals = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return ChargeRules(
        currency=code,
        minimum=MINIMUMS.get(code, 10 if code in THREE_DECIMAL else 1),
        maximum=MAXIMUM,
        step=10 if code in THREE_DECIMAL else 1,
        decimals=decimals,
    )


def payable_problem(total: int, currency: str) -> errors.TotalNotPayable | None:
    """Why a card payment cannot take ``total`` (minor units), or None if it can."""
    rules = rules_for(currency)
    if total < rules.minimum:
        return errors.TotalBelowMinimum(
            f'The total {rules.display(total)} is below the smallest card payment, {rules.display(rules.minimum)}',
            total=total,
            currency=rules.currency,
            minimum=rules.minimum,
        )
    if total > rules.maximum:
        return errors.TotalAboveMaximum(
            f'The total {rules.display(total)} is above the largest card payment, {rules.display(rules.maximum)}: '
            'book fewer rooms or nights at a time',
            total=total,
            currency=rules.currency,
            maximum=rules.maximum,
        )
    if total % rules.step:
        return errors.TotalNotPayable(
            f'A total in {rules.currency} must be a multiple of {rules.step} minor units',
            total=total,
            currency=rules.currency,
            step=rules.step,
        )
    return None


def check_payable(total: int, currency: str) -> None:
    """Refuse (422) a total a card payment cannot take."""
    problem = payable_problem(total, currency)
    if problem is not None:
        raise problem
