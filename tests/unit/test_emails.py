"""The email templates: every kind has its subject, text and HTML; nothing renders an undefined
name silently; money and dates are the locale's; the notifier's libraries stay out of the API
functions (their cold start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from common.notifications import compose
from common.notifications.rendering import TEMPLATES, Formats, Renderer
from local import cfn, emails

NOTIFIER_LIBRARIES = ('jinja2', 'babel', 'icalendar', 'markupsafe')


def test_every_kind_has_a_subject_a_text_and_an_html_template_and_nothing_else_is_there():
    expected = {f'{kind.value}.{part}' for kind in compose.Kind for part in ('subject.txt', 'txt', 'html')}
    found = {p.name for p in TEMPLATES.iterdir() if not p.name.startswith('_')}
    assert found == expected


@pytest.mark.parametrize('name', sorted(p.name for p in TEMPLATES.iterdir() if not p.name.startswith('_')))
def test_a_template_missing_a_name_fails_instead_of_rendering_an_empty_string(name: str):
    renderer = Renderer()
    with pytest.raises(UndefinedError):
        renderer.env.get_template(name).render({})


def test_every_email_the_samples_make_renders_with_text_html_and_a_one_line_subject():
    found = emails.examples()
    assert {e.message.kind for e in found} == set(compose.Kind)
    for example in found:
        email = example.email
        assert email.subject and '\n' not in email.subject
        assert email.text.strip() and email.html.lstrip().startswith('<!DOCTYPE html>')
        assert example.message.booking_id in email.text


def test_html_is_escaped_and_text_is_not():
    facts = emails.sample_facts()
    named = compose.Facts(facts.booking, facts.hotel, facts.room_type, facts.guest.__class__(
        **{**facts.guest.__dict__, 'name': 'Tom & <i>Jerry</i>'}
    ))  # fmt: skip
    [guest, _] = compose.compose('BookingConfirmed', emails.detail(named, 'BookingConfirmed'), named, emails.SETTINGS)
    email = Renderer().render(guest)
    assert 'Hello Tom &amp; &lt;i&gt;Jerry&lt;/i&gt;,' in email.html
    assert 'Hello Tom & <i>Jerry</i>,' in email.text


@pytest.mark.parametrize(
    ('amount', 'currency', 'locale', 'written'),
    [
        (61200, 'EUR', 'en_GB', '€612.00'),
        (61200, 'EUR', 'pt_PT', '612,00\xa0€'),
        (1500, 'JPY', 'en_GB', 'JP¥1,500'),  # no minor unit: 1500 is ¥1,500
        (9950, 'GBP', 'en_GB', '£99.50'),
    ],
)
def test_money_is_minor_units_written_the_locales_way(amount, currency, locale, written):
    assert Formats(locale).money(amount, currency) == written


def test_an_instant_is_written_in_the_zone_it_carries_with_the_place_named():
    lisbon = datetime(2027, 3, 29, 10, tzinfo=UTC).astimezone(ZoneInfo('Europe/Lisbon'))  # summer time: UTC+1
    assert Formats('en_GB').moment(lisbon) == 'Monday, 29 March 2027 at 11:00 (Lisbon time)'
    assert Formats('en_GB').short_day(date(2027, 3, 26)) == 'Fri 26 Mar 2027'


def test_the_api_functions_never_import_the_notifiers_libraries():
    # Jinja2, Babel and icalendar are NotifierFunction's own (functions/notifier/requirements.txt):
    # an API function that imported them would fail in Lambda, and its cold start would grow. The
    # docs function imports every function's module (the notifier's too) to build the document.
    modules = [cfn.handler_location(f['Properties'])[0] for n, f in cfn.functions().items() if n != 'NotifierFunction']
    code = (
        f'import sys, json; [__import__(m) for m in {modules!r}]; '
        'import functions.docs.app as docs; docs._document(); '
        f'print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & {set(NOTIFIER_LIBRARIES)!r})))'
    )
    env = {**os.environ, 'PYTHONPATH': f'{cfn.ROOT}:{cfn.ROOT / "layers" / "common"}'}
    done = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, check=True, cwd=cfn.ROOT, env=env
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_documented_examples_are_what_the_templates_render():
    # docs/notifications.md shows each email's text; regenerate with `python -m local.emails --markdown`.
    document = (cfn.ROOT / 'docs' / 'notifications.md').read_text()
    section = document.split('## Examples (text part)\n', 1)[1]
    examples = section[section.index('### ') :]
    assert examples == emails.markdown(emails.examples())


def test_an_internationalised_domain_is_sent_in_punycode():
    from common.notifications.mime import ascii_address

    assert ascii_address('anna@müller.de') == 'anna@xn--mller-kva.de'
    assert ascii_address(' ada@example.com ') == 'ada@example.com'
