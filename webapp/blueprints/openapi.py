"""The OpenAPI 3.1 document of the HTTP API v1 (served at /api/v1/openapi.json): the paths are
written here, every body's schema is generated from the pydantic models in api_schemas."""

from __future__ import annotations

from functools import lru_cache

from pydantic.json_schema import models_json_schema

from webapp.blueprints import api_schemas as s
from webapp.services.reports import API_STATUSES

REF = "#/components/schemas/{model}"


def _ref(model) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _answer(description: str, model, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}, **extra}


def _errors(*codes: str) -> dict:
    described = {
        "400": "The body is not a JSON object (error code invalid_json)",
        "401": "Missing or wrong API key (unauthorized)",
        "404": "No such message in this account (not_found)",
        "422": "Invalid request: the error says which field and why (invalid_request, text_too_long, "
        "sender_not_allowed, idempotency_key_reused); 'allowed' lists the accepted values where there are few",
    }
    answers = {code: _answer(described[code], s.Error) for code in codes}
    answers["429"] = _answer(
        "Over the key's requests per minute (rate_limited): wait Retry-After seconds",
        s.Error,
        headers={"Retry-After": {"schema": {"type": "integer"}}},
    )
    return answers


def _body(model) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


@lru_cache(maxsize=1)
def document() -> dict:
    _, definitions = models_json_schema(
        [(m, "validation" if m.__name__.endswith("Request") else "serialization") for m in s.COMPONENTS],
        ref_template=REF,
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SMS Portal API",
            "version": "1.0.0",
            "description": "Send SMS, read their status and costs. Amounts are EUR with 4 decimals, as strings. "
            "Each key may make a number of requests per minute (429 with Retry-After beyond).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API key from Account → API keys"}
            },
            "schemas": definitions["$defs"],
        },
    }


def _paths() -> dict:
    """The API's operations by path, each written in its own function below."""
    return {
        "/messages": {"post": _send_messages(), "get": _list_messages()},
        "/messages/{id}": {"get": _get_message()},
        "/inbound": {"get": _list_inbound()},
        "/balance": {"get": _get_balance()},
        "/prices/preview": {"post": _preview_prices()},
    }


def _send_messages() -> dict:
    return {
        "summary": "Send to one or many numbers",
        "operationId": "sendMessages",
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 120},
                "description": "A retried request with the same key and body sends nothing again "
                "and returns the first answer.",
            }
        ],
        "requestBody": _body(s.SendRequest),
        "responses": {
            "201": _answer("Accepted; refused numbers carry a reason", s.SendAnswer),
            "200": _answer(
                "A retry with the same Idempotency-Key: the first answer again (header Idempotent-Replayed)",
                s.SendAnswer,
            ),
            **_errors("400", "401", "422"),
        },
    }


def _list_messages() -> dict:
    return {
        "summary": "List messages, newest first",
        "operationId": "listMessages",
        "parameters": [
            {
                "name": "status",
                "in": "query",
                "schema": {"type": "string", "enum": list(API_STATUSES)},
                "description": "Only messages in this status (any case); any other value is a 422 "
                "(invalid_request, field 'status') listing the allowed ones in 'allowed'.",
            },
            {
                "name": "to",
                "in": "query",
                "schema": {"type": "string"},
                "description": "One recipient, written as when sending: E.164 (+40722123456), 0040..., or "
                "national with the account's default country (0722 123 456). A number that cannot be read "
                "matches a refused message stored exactly as it was typed.",
            },
            {
                "name": "since",
                "in": "query",
                "schema": {"type": "string"},
                "description": (
                    "Created at or after: ISO 8601, a date or a date and time; without an offset, UTC. Empty: no bound."
                ),
            },
            {
                "name": "until",
                "in": "query",
                "schema": {"type": "string"},
                "description": "Created before; as since",
            },
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer"},
                "description": "How many, newest first: 1 to 1000 (default 100); outside, the nearest",
            },
            {
                "name": "before_id",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
            },
        ],
        "responses": {"200": _answer("Messages", s.MessageList), **_errors("401", "422")},
    }


def _list_inbound() -> dict:
    return {
        "summary": "List replies (messages phones sent to your numbers), newest first",
        "operationId": "listInbound",
        "parameters": [
            {
                "name": "from",
                "in": "query",
                "schema": {"type": "string"},
                "description": "One phone, written as when sending (E.164, 0040..., or national)",
            },
            {
                "name": "since",
                "in": "query",
                "schema": {"type": "string"},
                "description": "Received at or after (ISO 8601)",
            },
            {"name": "until", "in": "query", "schema": {"type": "string"}, "description": "Received before; as since"},
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer"},
                "description": "How many, newest first: 1 to 1000 (default 100); outside, the nearest",
            },
            {"name": "before_id", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
        ],
        "responses": {"200": _answer("Replies", s.InboundList), **_errors("401", "422")},
    }


def _get_message() -> dict:
    return {
        "summary": "One message and its status",
        "operationId": "getMessage",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}],
        "responses": {"200": _answer("The message", s.Message), **_errors("401", "404")},
    }


def _get_balance() -> dict:
    return {
        "summary": "The account's balance",
        "operationId": "getBalance",
        "responses": {"200": _answer("Balance", s.Balance), **_errors("401")},
    }


def _preview_prices() -> dict:
    return {
        "summary": "What sending would cost; sends nothing",
        "operationId": "previewPrices",
        "requestBody": _body(s.PricePreviewRequest),
        "responses": {"200": _answer("One result per number", s.PricePreview), **_errors("400", "401", "422")},
    }
