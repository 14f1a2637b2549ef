"""The sandbox processor's rules, table-driven: card numbers (Luhn, brand, outcome) and webhook
signatures the way Stripe makes them (tolerance, tampering, malformed headers)."""

import json
import time

import pytest

from webapp.services.processors import FAILED, PAID, InvalidWebhook, signing
from webapp.services.processors.sandbox import SIGNATURE_HEADER, SandboxProcessor, brand, luhn_ok
from webapp.settings import Settings

SECRET = "whsec_test"


@pytest.mark.parametrize(
    "number, valid, card_brand",
    [
        ("4242424242424242", True, "Visa"),
        ("5555555555554444", True, "Mastercard"),
        ("2223003122003222", True, "Mastercard"),
        ("4000000000000002", True, "Visa"),
        ("4242424242424241", False, "Visa"),
        ("42424242", False, "Visa"),
        ("4242-4242-4242-4242", False, "Visa"),
        ("", False, "Card"),
    ],
)
def test_card_numbers(number, valid, card_brand):
    assert luhn_ok(number) is valid
    assert brand(number) == card_brand


@pytest.mark.parametrize(
    "header, now_offset, ok",
    [
        ("good", 0, True),
        ("good", 299, True),
        ("good", 301, False),  # too old: a replayed capture
        ("good", -301, False),  # from the future
        ("other-secret", 0, False),
        ("tampered", 0, False),
        ("t=abc,v1=00", 0, False),
        ("v1=deadbeef", 0, False),
        ("", 0, False),
    ],
)
def test_webhook_signatures(header, now_offset, ok):
    body, t = b'{"id": "evt_1"}', int(time.time())
    headers = {
        "good": signing.sign(body, SECRET, t),
        "other-secret": signing.sign(body, "whsec_other", t),
        "tampered": signing.sign(body + b" ", SECRET, t),
    }
    value = headers.get(header, header)
    if ok:
        signing.verify(body, value, SECRET, now=t + now_offset)
    else:
        with pytest.raises(InvalidWebhook):
            signing.verify(body, value, SECRET, now=t + now_offset)


@pytest.mark.parametrize(
    "number, outcome, charge_again",
    [
        ("4242424242424242", PAID, PAID),
        ("4000000000000002", FAILED, None),
        ("4000000000000341", PAID, FAILED),  # approved at checkout, declined for automatic top-ups
    ],
)
def test_sandbox_outcomes(number, outcome, charge_again):
    sandbox = SandboxProcessor(Settings(sandbox_webhook_secret=SECRET))
    body = sandbox.pay({"ref": "SMSABC", "save": True}, number)
    event = sandbox.parse_webhook(body, {SIGNATURE_HEADER: sandbox.signature(body)})
    assert (event.outcome, event.payment_reference, event.save_card) == (outcome, "SMSABC", True)
    assert event.card.label.endswith(number[-4:]) and event.card.fingerprint == sandbox.card(number).fingerprint
    if charge_again:
        from webapp.models import Payment, SavedCard

        card = SavedCard(
            token=event.card.token, fingerprint=event.card.fingerprint, label=event.card.label, customer_ref=""
        )
        assert sandbox.charge_saved_card(Payment(reference="SMSDEF"), card).outcome == charge_again


def test_events_of_other_kinds_are_ignored_and_malformed_ones_refused():
    sandbox = SandboxProcessor(Settings(sandbox_webhook_secret=SECRET))
    other = json.dumps({"type": "customer.created", "data": {}}).encode()
    assert sandbox.parse_webhook(other, {SIGNATURE_HEADER: sandbox.signature(other)}) is None
    broken = b'{"type": "payment.succeeded", "data": {}}'
    with pytest.raises(InvalidWebhook):
        sandbox.parse_webhook(broken, {SIGNATURE_HEADER: sandbox.signature(broken)})
