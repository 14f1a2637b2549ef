"""The built-in sandbox processor: a hosted card page of its own (webapp/blueprints/sandbox_pay.py)
that approves or declines like a real processor, and webhooks signed like Stripe's.

Test cards (any future expiry, any CVC):
  4242 4242 4242 4242 and 5555 5555 5555 4444  approved
  4000 0000 0000 0002                          declined at checkout
  4000 0000 0000 0341                          approved at checkout, declined when charged again
                                               (automatic top-ups)
Any other number that passes the Luhn check is approved."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer

from webapp.services.processors import (
    FAILED,
    PAID,
    CardInfo,
    Checkout,
    InvalidWebhook,
    PaymentEvent,
    ProcessorError,
    signing,
)

if TYPE_CHECKING:
    from webapp.models import Payment, SavedCard
    from webapp.settings import Settings

DECLINED_CARD = "4000000000000002"
FAILS_LATER_CARD = "4000000000000341"
CHECKOUT_SALT = "sandbox-checkout"
SIGNATURE_HEADER = "Sandbox-Signature"
DECLINE_MESSAGE = "Your card was declined."


class SandboxCheckout(TypedDict):
    """What the hosted page's token carries."""

    ref: str  # the Payment's reference
    ok: str  # success_url
    cancel: str  # cancel_url
    save: bool  # keep the card for automatic top-ups


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "Mastercard"
    return "Card"


class SandboxProcessor:
    name = "sandbox"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- checkout: the customer goes to our own hosted page -------------------------------
    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.settings.secret_key, salt=CHECKOUT_SALT)

    def start_checkout(self, payment: Payment, *, success_url: str, cancel_url: str, save_card: bool) -> Checkout:
        checkout: SandboxCheckout = {
            "ref": payment.reference,
            "ok": success_url,
            "cancel": cancel_url,
            "save": bool(save_card),
        }
        token = self._serializer().dumps(checkout)
        return Checkout(url=f"/sandbox-processor/pay/{quote(token)}")

    def open_checkout(self, token: str, max_age: int = 3600) -> SandboxCheckout:
        try:
            checkout: SandboxCheckout = self._serializer().loads(token, max_age=max_age)  # as start_checkout made it
            return checkout
        except BadSignature:
            raise LookupError("unknown or expired checkout") from None

    def card(self, number: str) -> CardInfo:
        fingerprint = hashlib.sha256(f"{self.settings.secret_key}:{number}".encode()).hexdigest()[:16]
        return CardInfo(
            token=f"pm_sbx_{number[-4:]}_{fingerprint}",
            fingerprint=fingerprint,
            label=f"{brand(number)} •••• {number[-4:]}",
        )

    def pay(self, checkout: SandboxCheckout, number: str) -> bytes:
        """The hosted page's Pay button: the event body the processor then delivers."""
        declined = number == DECLINED_CARD
        return self.event_body(
            checkout["ref"],
            outcome=FAILED if declined else PAID,
            card=self.card(number),
            save_card=checkout.get("save", False),
            failure=DECLINE_MESSAGE if declined else "",
        )

    def event_body(
        self, reference: str, *, outcome: str, card: CardInfo | None, save_card: bool = False, failure: str = ""
    ) -> bytes:
        return json.dumps(
            {
                "id": f"evt_sbx_{secrets.token_hex(8)}",
                "type": "payment.succeeded" if outcome == PAID else "payment.failed",
                "data": {
                    "reference": reference,
                    "charge": f"ch_sbx_{secrets.token_hex(10)}",
                    "save_card": save_card,
                    "failure": failure,
                    "card": None
                    if card is None
                    else {"token": card.token, "fingerprint": card.fingerprint, "label": card.label},
                },
            }
        ).encode()

    def signature(self, body: bytes) -> str:
        return signing.sign(body, self.settings.sandbox_webhook_secret)

    # -- webhooks ---------------------------------------------------------------------------
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent | None:
        signing.verify(body, headers.get(SIGNATURE_HEADER), self.settings.sandbox_webhook_secret)
        try:
            event = json.loads(body)
            data = event["data"]
            outcome = {"payment.succeeded": PAID, "payment.failed": FAILED}.get(event["type"])
            if outcome is None:
                return None
            card = data.get("card")
            return PaymentEvent(
                outcome=outcome,
                payment_reference=data["reference"],
                processor_ref=data["charge"],
                card=CardInfo(card["token"], card["fingerprint"], card["label"]) if card else None,
                save_card=bool(data.get("save_card")),
                failure=data.get("failure", ""),
            )
        except (ValueError, KeyError, TypeError):
            raise InvalidWebhook("malformed event") from None

    # -- automatic top-ups ------------------------------------------------------------------
    def charge_saved_card(self, payment: Payment, card: SavedCard) -> PaymentEvent:
        info = CardInfo(card.token, card.fingerprint, card.label, card.customer_ref)
        fails = card.token.startswith(f"pm_sbx_{FAILS_LATER_CARD[-4:]}_")
        return PaymentEvent(
            outcome=FAILED if fails else PAID,
            payment_reference=payment.reference,
            processor_ref=f"ch_sbx_{secrets.token_hex(10)}",
            card=info,
            failure=DECLINE_MESSAGE if fails else "",
        )

    def refund(self, payment: Payment) -> str:
        if not payment.processor_ref:
            raise ProcessorError("Nothing was charged for this payment.")
        return "re_sbx_" + hashlib.sha256(payment.processor_ref.encode()).hexdigest()[:16]
