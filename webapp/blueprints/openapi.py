"""The OpenAPI 3.1 document of the HTTP API v1 (served at /api/v1/openapi.json)."""
from __future__ import annotations


def _error():
    return {"$ref": "#/components/schemas/Error"}


def document() -> dict:
    json_body = lambda schema: {"required": True, "content": {"application/json": {"schema": schema}}}  # noqa: E731
    answer = lambda desc, schema: {"description": desc, "content": {"application/json": {"schema": schema}}}  # noqa: E731
    errors = {"401": answer("Missing or wrong API key", _error()), "422": answer("Invalid request", _error()),
              "429": {**answer("Over the key's requests per minute (error code rate_limited); wait Retry-After "
                               "seconds", _error()),
                      "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}
    numbers = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 1000}],
               "description": "E.164 or national numbers (the account's default country applies)"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "SMS Portal API", "version": "1.0.0",
                 "description": "Send SMS, read their status and costs. Amounts are EUR with 4 decimals, as strings."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/messages": {
                "post": {
                    "summary": "Send to one or many numbers",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 120},
                                    "description": "A retried request with the same key and body sends nothing again and returns the first answer."}],
                    "requestBody": json_body({"type": "object", "required": ["to", "text"], "properties": {
                        "to": numbers, "text": {"type": "string"}, "sender": {"type": "string", "maxLength": 11, "description": (
                            "The shared sender (the default when left out) or one of the account's approved sender "
                            "IDs (Account → Sender IDs; a subuser may use its parent's too). Any other sender is "
                            "refused with 422 and error code sender_not_allowed, listing the allowed ones.")},
                        "send_at": {"type": "string", "format": "date-time"},
                        "validity": {"type": "integer", "description": "seconds, 300 to 604800; default 172800"}}}),
                    "responses": {"201": answer("Accepted; refused numbers carry a reason", {
                        "type": "object", "properties": {"messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                                                         "total_cost": {"type": "string"}}}), **errors},
                },
                "get": {
                    "summary": "List messages, newest first",
                    "parameters": [{"name": n, "in": "query", "schema": {"type": t}} for n, t in
                                   (("status", "string"), ("to", "string"), ("since", "string"), ("until", "string"),
                                    ("limit", "integer"), ("before_id", "integer"))],
                    "responses": {"200": answer("Messages", {"type": "object", "properties": {
                        "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                        "next_before_id": {"type": ["integer", "null"]}}}), **errors},
                },
            },
            "/messages/{id}": {"get": {
                "summary": "One message and its status",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": answer("The message", {"$ref": "#/components/schemas/Message"}),
                              "404": answer("No such message in this account", _error()), **errors}}},
            "/balance": {"get": {"summary": "The account's balance", "responses": {"200": answer("Balance", {
                "type": "object", "properties": {"balance": {"type": "string"}, "currency": {"type": "string"}}}), **errors}}},
            "/prices/preview": {"post": {
                "summary": "What sending would cost; sends nothing",
                "requestBody": json_body({"type": "object", "required": ["to", "text"], "properties": {"to": numbers, "text": {"type": "string"}}}),
                "responses": {"200": answer("One result per number", {"type": "object"}), **errors}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key from Account → API keys"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}}}}},
                "Message": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "to": {"type": "string"}, "country": {"type": ["string", "null"]},
                    "sender": {"type": "string"}, "text": {"type": "string"}, "encoding": {"type": "string"},
                    "parts": {"type": "integer"}, "price_per_part": {"type": "string"}, "cost": {"type": "string"},
                    "currency": {"type": "string"},
                    "status": {"type": "string", "enum": ["accepted", "queued", "ENROUTE", "DELIVRD", "UNDELIV", "EXPIRED",
                                                          "REJECTD", "FAILED", "NOREPORT", "refused"]},
                    "reason": {"type": ["string", "null"]}, "error_code": {"type": ["string", "null"]},
                    "created_at": {"type": "string"}, "final_at": {"type": ["string", "null"]}}},
            },
        },
    }
