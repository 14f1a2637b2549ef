"""A small local Stripe: the part of the REST API the Stripe processor uses, spoken the way Stripe
speaks it (form-encoded requests with `a[b][0]=c` keys, JSON objects and errors shaped like
Stripe's, Bearer API key, Idempotency-Key replays), run in a thread by a pytest fixture.

  POST /v1/checkout/sessions            a Checkout Session (open, unpaid, with its hosted page url)
  GET  /v1/checkout/sessions/{id}
  GET  /v1/payment_intents/{id}         ?expand[]=payment_method
  POST /v1/payment_intents              off-session confirm of a saved card; declines with 402
  POST /v1/customers

What the customer does on Stripe's page is simulated (`pay`, `expire`), and the webhook events
that follow are made and signed as Stripe signs them (`event`: body and Stripe-Signature header).
Every request is recorded (`requests`) so tests can assert what was sent.

Test cards, as Stripe's: 4242 4242 4242 4242 (Visa) and 5555 5555 5555 4444 (Mastercard) pay;
4000 0000 0000 0341 pays at checkout and declines when charged again off-session;
4000 0000 0000 0002 declines off-session too. Payment method tokens pm_card_visa,
pm_card_mastercard, pm_card_chargeCustomerFail and pm_card_visa_chargeDeclined stand for them."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from webapp.services.processors import signing

DECLINES_LATER = {"4000000000000341", "4000000000000002"}
TOKENS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_visa_chargeDeclined": "4000000000000002",
}


@dataclass
class Recorded:
    method: str
    path: str  # without the query string
    params: dict  # the form body or the query, decoded into nested dicts and lists
    headers: dict  # lower-case names
    status: int = 0


def decode_form(pairs: list[tuple[str, str]]) -> dict:
    """`line_items[0][price_data][currency]=eur` → {"line_items": [{"price_data": {"currency": "eur"}}]}."""
    root: dict = {}
    for key, value in pairs:
        head, *rest = re.findall(r"[^\[\]]+|\[\]", key)  # "a[b][0]" → a, b, 0
        parts = [head, *rest]
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "[]":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"}:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


class StripeError(Exception):
    def __init__(self, status: int, kind: str, message: str, **extra):
        self.status, self.body = status, {"error": {"type": kind, "message": message, **extra}}


class StripeServer:
    def __init__(self, api_key: str = "sk_test_x", webhook_secret: str = "whsec_x"):
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.requests: list[Recorded] = []
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.methods: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self._replies: dict[str, tuple[str, dict, int, dict]] = {}  # idempotency key → request, answer
        self._failures: list[int] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- running -----------------------------------------------------------------------------
    def start(self) -> StripeServer:
        handler = type("Handler", (_Handler,), {"stripe": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reset(self) -> None:
        """Forget every object, request and pending failure (between tests)."""
        with self._lock:
            for store in (
                self.requests,
                self.sessions,
                self.intents,
                self.methods,
                self.customers,
                self._replies,
                self._failures,
            ):
                store.clear()

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """The next `times` API requests answer `status` (an api_error), as a Stripe outage would."""
        self._failures.extend([status] * times)

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # -- the API -----------------------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict, dict]:
        record = Recorded(method, path, params, headers)
        with self._lock:
            self.requests.append(record)
            status, body, extra = self._answer(method, path, params, headers)
            record.status = status
        return status, body, extra

    def _answer(self, method, path, params, headers):
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return (
                401,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": "Invalid API Key provided: " + headers.get("authorization", "")[7:],
                    }
                },
                {},
            )
        if self._failures:
            return self._failures.pop(0), {"error": {"type": "api_error", "message": "Something went wrong."}}, {}
        key = headers.get("idempotency-key") if method == "POST" else None
        fingerprint = json.dumps([method, path, params], sort_keys=True)
        if key and key in self._replies:
            seen, body, status, _ = self._replies[key]
            if seen != fingerprint:
                return (
                    400,
                    {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests "
                            "can only be used with the same parameters they were first used with.",
                        }
                    },
                    {},
                )
            return status, body, {"Idempotent-Replayed": "true"}
        try:
            status, body = 200, self._route(method, path, params)
        except StripeError as exc:
            status, body = exc.status, exc.body
        if key and status < 500:
            self._replies[key] = (fingerprint, body, status, {})
        return status, body, {}

    def _route(self, method, path, params) -> dict:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            return self._create_session(params)
        if (method, path) == ("POST", "/v1/payment_intents"):
            return self._create_intent(params)
        if (method, path) == ("POST", "/v1/customers"):
            return self._customer(params.get("email"))
        if (method, path) == ("POST", "/v1/refunds"):
            intent = self.intents.get(params.get("payment_intent") or "")
            if intent is None or intent.get("status") != "succeeded":
                raise StripeError(
                    400, "invalid_request_error", "This PaymentIntent cannot be refunded.", param="payment_intent"
                )
            refund = {
                "id": "re_" + secrets.token_hex(12),
                "object": "refund",
                "payment_intent": intent["id"],
                "amount": intent["amount"],
                "currency": intent["currency"],
                "status": "succeeded",
                "metadata": params.get("metadata") or {},
            }
            self.refunds.append(refund)
            return refund
        found = re.fullmatch(r"/v1/(checkout/sessions|payment_intents)/([\w-]+)", path)
        if method == "GET" and found:
            store = self.sessions if found[1] == "checkout/sessions" else self.intents
            obj = store.get(found[2])
            if obj is None:
                raise StripeError(
                    404, "invalid_request_error", f"No such object: '{found[2]}'", code="resource_missing", param="id"
                )
            return self._expanded(obj, params.get("expand") or [])
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _expanded(self, obj: dict, expand: list[str]) -> dict:
        obj = json.loads(json.dumps(obj))
        for name in expand:
            if name == "payment_method" and obj.get("payment_method") in self.methods:
                obj["payment_method"] = self.methods[obj["payment_method"]]
        return obj

    def _create_session(self, params: dict) -> dict:
        for required in ("mode", "line_items", "success_url"):
            if not params.get(required):
                raise StripeError(400, "invalid_request_error", f"Missing required param: {required}.", param=required)
        item = params["line_items"][0]
        price = item.get("price_data") or {}
        if not str(price.get("unit_amount", "")).isdigit():
            raise StripeError(
                400,
                "invalid_request_error",
                "Invalid integer: " + str(price.get("unit_amount")),
                param="line_items[0][price_data][unit_amount]",
            )
        session_id = "cs_test_" + secrets.token_hex(12)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params["mode"],
            "status": "open",
            "payment_status": "unpaid",
            "url": f"{self.url}/c/pay/{session_id}",
            "amount_total": int(price["unit_amount"]) * int(item.get("quantity", 1)),
            "currency": price.get("currency"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {},
            "customer": None,
            "customer_creation": params.get("customer_creation", "if_required"),
            "payment_intent": None,
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "created": int(time.time()),
            "livemode": False,
            "_payment_intent_data": params.get("payment_intent_data") or {},
        }
        self.sessions[session_id] = session
        return self._public(session)

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _customer(self, email=None) -> dict:
        customer = {"id": "cus_" + secrets.token_hex(7), "object": "customer", "email": email}
        self.customers[customer["id"]] = customer
        return customer

    def _method(self, number: str, customer: str | None) -> dict:
        method = {
            "id": "pm_" + secrets.token_hex(12),
            "object": "payment_method",
            "type": "card",
            "customer": customer,
            "_number": number,
            "card": {
                "brand": brand_of(number),
                "last4": number[-4:],
                "exp_month": 12,
                "exp_year": 2034,
                "fingerprint": hashlib.sha256(f"fp:{number}".encode()).hexdigest()[:16],
                "funding": "credit",
                "country": "US",
            },
        }
        self.methods[method["id"]] = method
        return method

    def _intent(
        self,
        amount: int,
        currency: str,
        *,
        customer,
        method_id,
        metadata,
        status,
        error: dict | None = None,
        setup_future_usage=None,
    ) -> dict:
        intent = {
            "id": "pi_" + secrets.token_hex(12),
            "object": "payment_intent",
            "amount": amount,
            "currency": currency,
            "status": status,
            "customer": customer,
            "payment_method": method_id,
            "metadata": metadata or {},
            "last_payment_error": error,
            "setup_future_usage": setup_future_usage,
            "latest_charge": "ch_" + secrets.token_hex(12),
            "livemode": False,
            "created": int(time.time()),
        }
        self.intents[intent["id"]] = intent
        return intent

    def _create_intent(self, params: dict) -> dict:
        amount = params.get("amount", "")
        if not amount.isdigit() or int(amount) < 50:
            raise StripeError(400, "invalid_request_error", "Invalid amount.", param="amount")
        token = params.get("payment_method", "")
        if token in TOKENS:
            method = self._method(TOKENS[token], params.get("customer"))
        elif token in self.methods:
            method = self.methods[token]
        else:
            raise StripeError(
                400,
                "invalid_request_error",
                f"No such PaymentMethod: '{token}'",
                code="resource_missing",
                param="payment_method",
            )
        if method["customer"] and method["customer"] != params.get("customer"):
            raise StripeError(
                400,
                "invalid_request_error",
                "The provided PaymentMethod belongs to another customer.",
                param="payment_method",
            )
        if params.get("confirm") != "true":
            raise StripeError(400, "invalid_request_error", "This test server confirms at once only.")
        declined = method["_number"] in DECLINES_LATER and params.get("off_session") == "true"
        error = (
            {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            }
            if declined
            else None
        )
        intent = self._intent(
            int(amount),
            params.get("currency", ""),
            customer=params.get("customer"),
            method_id=method["id"],
            metadata=params.get("metadata"),
            status="requires_payment_method" if declined else "succeeded",
            error=error,
        )
        if declined:
            raise StripeError(
                402,
                "card_error",
                error["message"],
                code="card_declined",
                decline_code="generic_decline",
                payment_intent=intent,
                payment_method=self._public(method),
            )
        return intent

    # -- the customer on Stripe's page, and the webhook events that follow ---------------------
    def pay(self, session_id: str, card: str = "4242424242424242", *, asynchronous: bool = False) -> dict:
        """The customer pays on the hosted page: a PaymentIntent (succeeded, or processing for an
        asynchronous method), a payment method, and a customer when the session asked for one."""
        with self._lock:
            session = self.sessions[session_id]
            data = session["_payment_intent_data"]
            keep = data.get("setup_future_usage") == "off_session"
            customer = self._customer()["id"] if session["customer_creation"] == "always" or keep else None
            method = self._method(card, customer if keep else None)
            intent = self._intent(
                session["amount_total"],
                session["currency"],
                customer=customer,
                method_id=method["id"],
                metadata=data.get("metadata"),
                status="processing" if asynchronous else "succeeded",
                setup_future_usage=data.get("setup_future_usage"),
            )
            session.update(
                status="complete",
                payment_status="unpaid" if asynchronous else "paid",
                customer=customer,
                payment_intent=intent["id"],
            )
            return self._public(session)

    def settle(self, session_id: str, succeeded: bool = True) -> dict:
        """An asynchronous payment's outcome arrives."""
        with self._lock:
            session = self.sessions[session_id]
            self.intents[session["payment_intent"]]["status"] = "succeeded" if succeeded else "requires_payment_method"
            session["payment_status"] = "paid" if succeeded else "unpaid"
            return self._public(session)

    def expire(self, session_id: str) -> dict:
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="expired", url=None)
            return self._public(session)

    def event(
        self, kind: str, obj: dict, *, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, dict]:
        """A webhook delivery: the event's JSON body and its Stripe-Signature header."""
        body = json.dumps(
            {
                "id": "evt_" + secrets.token_hex(12),
                "object": "event",
                "api_version": "2026-10-28.endive",
                "created": int(time.time()),
                "type": kind,
                "data": {"object": obj},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
            },
            indent=2,
        ).encode()
        header = signing.sign(body, self.webhook_secret if secret is None else secret, timestamp)
        return body, {"Stripe-Signature": header}


class _Handler(BaseHTTPRequestHandler):
    stripe: StripeServer
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _serve(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        query = raw if self.command == "POST" else url.query
        params = decode_form(parse_qsl(query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body, extra = self.stripe.handle(self.command, url.path, params, headers)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_" + secrets.token_hex(7))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass
