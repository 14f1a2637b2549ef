"""The generic HTTP gateway: configuration checked, requests built, answers and pushes read (issue 23)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from webapp.domain import http_gateway as gw
from webapp.domain import lifecycle
from webapp.domain.http_gateway import (
    GatewayConfig,
    GatewayStatus,
    InvalidGatewayConfig,
    MalformedAnswer,
    OutgoingValues,
    ProviderError,
    SendRefused,
    Throttled,
    config_to_dict,
    map_status,
    parse_config,
    read_callback,
    read_send_answer,
    read_status,
    send_request,
    status_map_text,
    status_request,
)
from webapp.domain.http_templates import lookup, parse_path, scalar_text

BASE = "https://api.example.com"

# A provider shaped like many: bearer token, a JSON body, the id and state under "message".
EXAMPLE_FORM = {
    "send_method": "POST",
    "send_url": BASE + "/api/v2/sms",
    "body_format": "json",
    "send_body": '{"source": "{sender}", "destination": "{to}", "content": "{text}", "reference": "{message_id}"}',
    "id_path": "message.uuid",
    "status_url": BASE + "/api/v2/sms/{id}",
    "status_path": "message.state",
    "error_path": "message.error.code",
    "status_map": (
        "# the provider's states\n"
        "accepted = pending\n"
        "sent = pending\n"
        "\n"
        "delivered = DELIVRD\n"
        "failed = UNDELIV   # the handset or the network\n"
        "rejected = REJECTD\n"
        "expired = EXPIRED\n"
    ),
    "callback_id_path": "uuid",
    "callback_status_path": "state",
    "callback_error_path": "error_code",
    "auth": "bearer",
    "auth_secret": "tok-123",
}
EXAMPLE = parse_config(EXAMPLE_FORM)
VALUES = OutgoingValues(to="+40722123456", sender="Shop", text="Hello", message_id=42, parts=2, validity_minutes=1440)


def config(**changes):
    return parse_config({**EXAMPLE_FORM, **changes})


def errors_of(**changes):
    with pytest.raises(InvalidGatewayConfig) as caught:
        config(**changes)
    return caught.value.errors


# --- configuration --------------------------------------------------------------------------


def test_the_example_reads():
    assert EXAMPLE.send_method == "POST"
    assert EXAMPLE.auth == "bearer"
    assert EXAMPLE.status_map == (
        ("accepted", ""),
        ("sent", ""),
        ("delivered", "DELIVRD"),
        ("failed", "UNDELIV"),
        ("rejected", "REJECTD"),
        ("expired", "EXPIRED"),
    )


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"send_method": "PUT"}, "send_method", "POST or GET"),
        ({"status_method": "DELETE"}, "status_method", "POST or GET"),
        ({"send_url": ""}, "send_url", "required"),
        ({"send_url": "ftp://x.example/sms"}, "send_url", "absolute"),
        ({"send_url": "/api/sms"}, "send_url", "absolute"),
        ({"send_url": "https://x.example/sms?to={phone}"}, "send_url", "unknown placeholder {phone}"),
        ({"send_url": "https://x.example/sms/{id}"}, "send_url", "only in the status URL"),
        ({"send_url": "https://x.example/sms?x={"}, "send_url", "lone"),
        ({"send_url": "https://x.example/sms?x=}"}, "send_url", "lone"),
        ({"send_url": "https://x.example/sms?x={to!r}"}, "send_url", "without a format"),
        ({"send_url": "https://x.example/sms?x={}"}, "send_url", "unknown placeholder"),
        ({"send_url": "https://x.example/sms?x={0}"}, "send_url", "unknown placeholder"),
        ({"send_url": 5}, "send_url", "must be text"),
        ({"body_format": "xml"}, "body_format", "json, form, none"),
        ({"send_body": ""}, "send_body", "required"),
        ({"send_body": '{"to": {to}}'}, "send_body", "not valid JSON"),
        ({"send_body": '{"to": "{to}",}'}, "send_body", "not valid JSON"),
        ({"send_body": '{"to": "{number}"}'}, "send_body", "unknown placeholder {number}"),
        ({"send_body": '{"{nope}": "x"}'}, "send_body", "unknown placeholder {nope}"),
        ({"body_format": "form", "send_body": "to={to}&t={txt}"}, "send_body", "unknown placeholder {txt}"),
        ({"body_format": "none"}, "send_body", "no body"),
        ({"send_method": "GET"}, "body_format", "choose none"),
        ({"id_path": ""}, "id_path", "required"),
        ({"id_path": "message..uuid"}, "id_path", "not a path"),
        ({"id_path": "data[x].id"}, "id_path", "not a path"),
        ({"status_path": "a.[0]"}, "status_path", "not a path"),
        ({"error_path": "a]"}, "error_path", "not a path"),
        ({"callback_id_path": "."}, "callback_id_path", "not a path"),
        ({"callback_status_path": "x["}, "callback_status_path", "not a path"),
        ({"callback_error_path": "x[0]y"}, "callback_error_path", "not a path"),
        ({"status_url": "https://x.example/status"}, "status_url", "needs {id}"),
        ({"status_url": "https://x.example/s/{id}?t={text}"}, "status_url", "unknown placeholder {text}"),
        ({"status_url": "x.example/s/{id}"}, "status_url", "absolute"),
        ({"status_path": ""}, "status_path", "required when the status URL"),
        ({"auth": "oauth"}, "auth", "one of"),
        ({"auth_secret": ""}, "auth_secret", "required"),
        ({"auth": "basic", "auth_user": ""}, "auth_user", "the user"),
        ({"auth": "basic", "auth_user": "a:b"}, "auth_user", "no ':'"),
        ({"auth": "query", "auth_user": ""}, "auth_user", "parameter name"),
        ({"auth": "header", "auth_user": ""}, "auth_user", "header name"),
        ({"auth": "header", "auth_user": "X Key"}, "auth_user", "not a header name"),
        ({"auth": "header", "auth_user": "X-Key", "auth_secret": "a\r\nX: y"}, "auth_secret", "line breaks"),
        ({"unknown_status": "DELIVRD"}, "unknown_status", "pending or FAILED"),
        ({"status_map": "delivered = DONE"}, "status_map", "line 1: 'DONE' is not one of"),
        ({"status_map": "# c\n\ndelivered DELIVRD"}, "status_map", "line 3: write provider_status ="),
        ({"status_map": "= DELIVRD"}, "status_map", "line 1"),
        ({"status_map": "ok = DELIVRD\nOK = FAILED"}, "status_map", "line 2: 'OK' is already in the map"),
        ({"status_map": {"ok": "DONE"}}, "status_map", "'DONE' is not one of"),
        ({"status_map": {"ok": 1}}, "status_map", "must be text"),
        ({"status_map": ["ok"]}, "status_map", "as text"),
    ],
)
def test_each_problem_is_named_by_its_field(changes, field, fragment):
    errors = errors_of(**changes)
    assert fragment in errors[field]
    assert set(errors) == {field}


def test_every_problem_at_once():
    errors = errors_of(
        send_method="PATCH",
        send_url="nowhere",
        id_path="",
        status_path="",
        auth="basic",
        auth_user="",
        auth_secret="",
        status_map="delivered = DELIVRD\nbad line\nfailed = NOPE",
    )
    assert set(errors) == {
        "send_method",
        "send_url",
        "id_path",
        "status_path",
        "auth_user",
        "auth_secret",
        "status_map",
    }
    assert "line 2" in errors["status_map"]
    assert "line 3" in errors["status_map"]
    assert "line 1" not in errors["status_map"]


def test_the_exception_says_everything():
    with pytest.raises(InvalidGatewayConfig, match="id_path: required"):
        config(id_path="")
    assert isinstance(InvalidGatewayConfig({}), ValueError)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Delivered=delivrd\nQUEUED = Pending\nx=y = failed",
            (("Delivered", "DELIVRD"), ("QUEUED", ""), ("x=y", "FAILED")),
        ),
        ("  # only comments\n\n", ()),
        ("0 = pending\n1 = DELIVRD # one\n2=UNDELIV", (("0", ""), ("1", "DELIVRD"), ("2", "UNDELIV"))),
        (
            {"delivered": "DELIVRD", "queued": "pending", "sent": ""},
            (("delivered", "DELIVRD"), ("queued", ""), ("sent", "")),
        ),
        ("", ()),
        (None, ()),
    ],
)
def test_map_forms(raw, expected):
    assert config(status_map=raw).status_map == expected


def test_values_are_tidied():
    tidy = config(send_method=" post ", body_format="JSON", auth="Bearer", unknown_status="failed", status_method="get")
    assert (tidy.send_method, tidy.body_format, tidy.auth, tidy.unknown_status, tidy.status_method) == (
        "POST",
        "json",
        "bearer",
        "FAILED",
        "GET",
    )


def test_defaults_when_fields_are_absent():
    minimal = parse_config(
        {"send_method": "GET", "send_url": BASE + "/send?to={to}", "body_format": "none", "id_path": "id"}
    )
    assert minimal == GatewayConfig("GET", BASE + "/send?to={to}", "none", "", "id")


def test_blank_choices_take_their_default_and_bodies_are_trimmed():
    blank = config(status_method="", unknown_status=" ", auth="", auth_secret="", send_body='\n {"t": "{text}"} \r\n')
    assert (blank.status_method, blank.unknown_status, blank.auth) == ("GET", "pending", "none")
    assert blank.send_body == '{"t": "{text}"}'
    form = config(body_format="form", send_body="a={to}&t={text}\r\n")
    assert send_request(form, VALUES).body == b"a=%2B40722123456&t=Hello"


def test_literal_braces_are_allowed():
    assert config(send_url=BASE + "/sms?x={{literal}}").send_url == BASE + "/sms?x={{literal}}"
    assert config(send_body='{"t": "{{ {text} }}"}').send_body == '{"t": "{{ {text} }}"}'


@pytest.mark.parametrize(
    "form",
    [
        EXAMPLE_FORM,
        {**EXAMPLE_FORM, "status_url": "", "status_path": "", "status_map": {}},
        {**EXAMPLE_FORM, "auth": "basic", "auth_user": "u", "auth_secret": "p", "unknown_status": "FAILED"},
        {
            "send_method": "GET",
            "send_url": BASE + "/s?to={to_digits}&t={text}",
            "body_format": "none",
            "send_body": "",
            "id_path": "[0].id",
        },
        {**EXAMPLE_FORM, "body_format": "form", "send_body": "to={to}&text={text}\n", "status_method": "POST"},
    ],
)
def test_round_trip(form):
    original = parse_config(form)
    stored = json.loads(json.dumps(config_to_dict(original)))
    assert parse_config(stored) == original
    assert parse_config({**stored, "status_map": status_map_text(original)}) == original


def test_status_map_text():
    assert status_map_text(EXAMPLE) == (
        "accepted = pending\nsent = pending\ndelivered = DELIVRD\nfailed = UNDELIV\nrejected = REJECTD\nexpired = EXPIRED\n"
    )
    assert status_map_text(config(status_map="")) == ""


# --- requests --------------------------------------------------------------------------------

TRICKY_TEXTS = [
    "Hello",
    'He said "hi"',
    "back\\slash \\n \\u0041",
    "two\nlines\r\n\tand a tab",
    "Mulțumim: ă â î ș ț Ă Â Î Ș Ț",
    "emoji 😀👍🏽 ok",
    "a&b=c+d%20e?f#g/h",
    "{to} is not a placeholder in a value",
    "",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_json_body_is_valid_and_exact(text):
    request = send_request(EXAMPLE, OutgoingValues("+40722123456", 'Sh"op', text, 42, 2, 1440))
    assert request.method == "POST"
    assert request.url == BASE + "/api/v2/sms"
    assert json.loads(request.body.decode("utf-8")) == {
        "source": 'Sh"op',
        "destination": "+40722123456",
        "content": text,
        "reference": "42",
    }
    assert ("Content-Type", "application/json; charset=utf-8") in request.headers
    assert ("Accept", "application/json") in request.headers
    assert ("Authorization", "Bearer tok-123") in request.headers


def test_every_placeholder_in_json_keys_values_and_nesting():
    body = json.dumps(
        {
            "to": "{to}",
            "digits": "{to_digits}",
            "msg": {"from": "{sender}", "text": "[{text}]"},
            "meta": ["{message_id}", "{parts}", "{validity_minutes}", "{flash}", 7, None, True],
            "k_{message_id}": "{{x}}",
        }
    )
    request = send_request(config(send_body=body), VALUES)
    assert json.loads(request.body) == {
        "to": "+40722123456",
        "digits": "40722123456",
        "msg": {"from": "Shop", "text": "[Hello]"},
        "meta": ["42", "2", "1440", "0", 7, None, True],
        "k_42": "{x}",
    }


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_form_body_encodes_every_value(text):
    form = config(
        body_format="form",
        send_body="from={sender}&to={to}&digits={to_digits}&text={text}&ref={message_id}&p={parts}&v={validity_minutes}",
    )
    request = send_request(form, OutgoingValues("40722123456", "A&B=C", text, 7, 3, 60))
    assert ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8") in request.headers
    fields = parse_qs(request.body.decode("ascii"), keep_blank_values=True, strict_parsing=False)
    assert fields == {
        "from": ["A&B=C"],
        "to": ["+40722123456"],
        "digits": ["40722123456"],
        "text": [text],
        "ref": ["7"],
        "p": ["3"],
        "v": ["60"],
    }


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_query_values_are_encoded(text):
    get = config(
        send_method="GET",
        body_format="none",
        send_body="",
        send_url=BASE + "/send/{sender}?to={to}&text={text}&id={message_id}",
    )
    request = send_request(get, OutgoingValues("+40722123456", "My Shop/1", text, 9, 1, 5))
    assert request.body is None
    assert request.method == "GET"
    assert not any(name == "Content-Type" for name, _ in request.headers)
    parts = urlsplit(request.url)
    assert parts.path == "/send/My%20Shop%2F1"
    assert parse_qs(parts.query, keep_blank_values=True) == {"to": ["+40722123456"], "text": [text], "id": ["9"]}


def test_plus_and_percent_never_mean_space():
    request = send_request(
        config(body_format="form", send_body="t={text}"), OutgoingValues("+1", "s", "1+1 = 2 100%", 1, 1, 1)
    )
    assert request.body == b"t=1%2B1%20%3D%202%20100%25"


@pytest.mark.parametrize(
    ("auth", "url", "expected_url", "expected_header"),
    [
        ({"auth": "none", "auth_secret": ""}, BASE + "/sms", BASE + "/sms", None),
        ({"auth": "bearer", "auth_secret": "t0k"}, BASE + "/sms", BASE + "/sms", ("Authorization", "Bearer t0k")),
        (
            {"auth": "basic", "auth_user": "ionuț", "auth_secret": "p:ss"},
            BASE + "/sms",
            BASE + "/sms",
            ("Authorization", "Basic " + base64.b64encode("ionuț:p:ss".encode()).decode()),
        ),
        (
            {"auth": "header", "auth_user": "X-Api-Key", "auth_secret": "k1"},
            BASE + "/sms",
            BASE + "/sms",
            ("X-Api-Key", "k1"),
        ),
        (
            {"auth": "query", "auth_user": "api_key", "auth_secret": "a&b"},
            BASE + "/sms",
            BASE + "/sms?api_key=a%26b",
            None,
        ),
        (
            {"auth": "query", "auth_user": "key", "auth_secret": "k"},
            BASE + "/sms?to={to}",
            BASE + "/sms?to=%2B40722123456&key=k",
            None,
        ),
        ({"auth": "query", "auth_user": "key", "auth_secret": "k"}, BASE + "/sms?", BASE + "/sms?key=k", None),
        ({"auth": "query", "auth_user": "key", "auth_secret": "k"}, BASE + "/sms?a=1&", BASE + "/sms?a=1&key=k", None),
        ({"auth": "query", "auth_user": "key", "auth_secret": "k"}, BASE + "/sms#top", BASE + "/sms?key=k#top", None),
    ],
)
def test_every_auth_kind(auth, url, expected_url, expected_header):
    request = send_request(config(send_url=url, **auth), VALUES)
    assert request.url == expected_url
    extra = [h for h in request.headers if h[0] not in ("Accept", "Content-Type")]
    assert extra == ([expected_header] if expected_header else [])


def test_status_request():
    request = status_request(EXAMPLE, "ab/c d", "+40722123456")
    assert request.method == "GET"
    assert request.url == BASE + "/api/v2/sms/ab%2Fc%20d"
    assert request.body is None
    assert request.headers == (("Accept", "application/json"), ("Authorization", "Bearer tok-123"))


def test_status_request_with_the_number_and_query_auth():
    polled = config(
        status_url=BASE + "/status?id={id}&phone={to_digits}&p={to}",
        status_method="POST",
        auth="query",
        auth_user="k",
        auth_secret="s",
    )
    request = status_request(polled, "77", "40722123456")
    assert request.method == "POST"
    assert request.url == BASE + "/status?id=77&phone=40722123456&p=%2B40722123456&k=s"


def test_not_polled():
    assert status_request(config(status_url="", status_path=""), "1", "+1") is None


# --- send answers ----------------------------------------------------------------------------


def answer(document):
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("id_path", "body", "expected"),
    [
        ("message.uuid", answer({"message": {"uuid": "9f1c-77", "segments": 2, "state": "accepted"}}), "9f1c-77"),
        ("id", answer({"id": 123456789012345}), "123456789012345"),
        ("id", answer({"id": 17.0}), "17"),
        ("id", answer({"id": " x1 "}), "x1"),
        ("data[0].id", answer({"data": [{"id": 5}, {"id": 6}]}), "5"),
        ("data[1].id", answer({"data": [{"id": 5}, {"id": 6}]}), "6"),
        ("[0].id", answer([{"id": "first"}]), "first"),
        ("result.ids[0]", answer({"result": {"ids": ["a", "b"]}}), "a"),
    ],
)
def test_send_answer_ids(id_path, body, expected):
    assert read_send_answer(config(id_path=id_path), 200, {}, body) == expected


@pytest.mark.parametrize("status", [200, 201, 202])
def test_any_2xx_is_taken(status):
    assert read_send_answer(EXAMPLE, status, {}, answer({"message": {"uuid": "u"}})) == "u"


@pytest.mark.parametrize(
    "body",
    [
        answer({"message": {"state": "accepted"}}),
        answer({"message": {"uuid": None}}),
        answer({"message": {"uuid": ""}}),
        answer({"message": {"uuid": {"x": 1}}}),
        answer({"message": []}),
        answer([1, 2]),
        b"<html><body>OK</body></html>",
        b"",
        b"\xff\xfe\x00",
    ],
)
def test_2xx_without_an_id_is_malformed(body):
    with pytest.raises(MalformedAnswer):
        read_send_answer(EXAMPLE, 200, {"Content-Type": "text/html"}, body)


@pytest.mark.parametrize(
    ("status", "body", "error_path", "code"),
    [
        (
            400,
            answer({"message": {"error": {"code": "invalid_destination"}}}),
            "message.error.code",
            "invalid_destination",
        ),
        (400, answer({"error": {"code": "E42", "text": "bad"}}), "", "E42"),
        (400, answer({"error": "bad_number"}), "", "bad_number"),
        (400, answer({"code": 1007}), "", "1007"),
        (400, answer({"message": "Invalid sender"}), "", "Invalid sender"),
        (400, answer({"error": {"text": "no code"}, "code": "C9"}), "", "C9"),
        (400, answer({"nothing": "here"}), "", "http_400"),
        (400, b"Bad Request", "", "http_400"),
        (401, answer({"message": "Unauthorized"}), "", "Unauthorized"),
        (401, b"", "", "http_401"),
        (403, answer({"error": {"code": "forbidden"}}), "", "forbidden"),
        (422, answer({"errors": [{"code": "x"}], "code": "validation_failed"}), "", "validation_failed"),
        (422, answer({"errors": [{"code": "x"}]}), "errors[0].code", "x"),
    ],
)
def test_4xx_is_refused_with_the_providers_code(status, body, error_path, code):
    with pytest.raises(SendRefused) as caught:
        read_send_answer(config(error_path=error_path), status, {}, body)
    assert (caught.value.code, caught.value.http_status) == (code, status)


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [
        (429, {}, None),
        (429, {"Retry-After": "30"}, 30.0),
        (429, {"retry-after": "1.5"}, 1.5),
        (429, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
        (429, {"Retry-After": "-5"}, None),
        (503, {"Retry-After": "120"}, 120.0),
    ],
)
def test_throttled(status, headers, retry_after):
    with pytest.raises(Throttled) as caught:
        read_send_answer(EXAMPLE, status, headers, b"slow down")
    assert caught.value.retry_after == retry_after


@pytest.mark.parametrize("status", [500, 502, 503, 504, 301, 302, 100])
def test_provider_error(status):
    with pytest.raises(ProviderError) as caught:
        read_send_answer(EXAMPLE, status, {}, answer({"message": {"uuid": "u"}}))
    assert caught.value.http_status == status


# --- status answers and the map ------------------------------------------------------------


def state(word, error=None, uuid="u1"):
    return answer({"message": {"uuid": uuid, "state": word, "error": error}})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (state("accepted"), GatewayStatus("u1", "accepted", None, None)),
        (state("sent"), GatewayStatus("u1", "sent", None, None)),
        (state("delivered"), GatewayStatus("u1", "delivered", lifecycle.DELIVRD, None)),
        (state("DELIVERED"), GatewayStatus("u1", "DELIVERED", lifecycle.DELIVRD, None)),
        (
            state("failed", {"code": "absent_subscriber"}),
            GatewayStatus("u1", "failed", lifecycle.UNDELIV, "absent_subscriber"),
        ),
        (state("rejected", {"code": 31}), GatewayStatus("u1", "rejected", lifecycle.REJECTD, "31")),
        (state("Expired"), GatewayStatus("u1", "Expired", lifecycle.EXPIRED, None)),
        (state("teleported"), GatewayStatus("u1", "teleported", None, None)),
    ],
)
def test_status_answers(body, expected):
    assert read_status(EXAMPLE, 200, {}, body, "u1") == expected


def test_numeric_status_words():
    numeric = config(status_map="0 = pending\n1 = DELIVRD\n2 = UNDELIV", status_path="s")
    assert read_status(numeric, 200, {}, answer({"s": 1}), "9") == GatewayStatus("9", "1", lifecycle.DELIVRD, None)
    assert read_status(numeric, 200, {}, answer({"s": 2.0}), "9").status == lifecycle.UNDELIV
    assert read_status(numeric, 200, {}, answer({"s": 0}), "9").status is None


@pytest.mark.parametrize(
    ("unknown_status", "word", "expected"),
    [
        ("pending", "teleported", None),
        ("FAILED", "teleported", lifecycle.FAILED),
        ("FAILED", "sent", None),
        ("FAILED", " Delivered ", lifecycle.DELIVRD),
        ("pending", "DELIVERED", lifecycle.DELIVRD),
        ("pending", "ACCEPTED", None),
    ],
)
def test_map_status(unknown_status, word, expected):
    assert map_status(config(unknown_status=unknown_status), word) == expected


def test_not_found_is_not_final():
    assert read_status(EXAMPLE, 404, {}, b"Not Found", "u9") == GatewayStatus("u9", "not_found", None, None)


@pytest.mark.parametrize(
    ("status", "headers", "body", "error"),
    [
        (429, {"Retry-After": "10"}, b"", Throttled),
        (500, {}, b"", ProviderError),
        (502, {}, b"", ProviderError),
        (503, {}, b"", ProviderError),
        (503, {"Retry-After": "3"}, b"", Throttled),
        (400, {}, answer({"error": "x"}), MalformedAnswer),
        (401, {}, b"", MalformedAnswer),
        (200, {}, b"<html>", MalformedAnswer),
        (200, {}, answer({"message": {"uuid": "u1"}}), MalformedAnswer),
        (200, {}, answer({"message": {"state": None}}), MalformedAnswer),
    ],
)
def test_status_failures(status, headers, body, error):
    with pytest.raises(error):
        read_status(EXAMPLE, status, headers, body, "u1")


# --- callbacks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "fields", "expected"),
    [
        (
            EXAMPLE,
            {
                "event": "message.status",
                "uuid": "u1",
                "destination": "+40722123456",
                "state": "delivered",
                "error_code": None,
            },
            GatewayStatus("u1", "delivered", lifecycle.DELIVRD, None),
        ),
        (
            EXAMPLE,
            {"event": "message.status", "uuid": "u2", "destination": "+4072", "state": "failed", "error_code": "E7"},
            GatewayStatus("u2", "failed", lifecycle.UNDELIV, "E7"),
        ),
        (EXAMPLE, {"uuid": "u3", "state": "sent"}, GatewayStatus("u3", "sent", None, None)),
        # Form fields (strings), names as the provider posts them, one with a dot in it.
        (
            config(callback_id_path="msg.id", callback_status_path="stat", callback_error_path="err"),
            {"msg.id": "123", "stat": "DELIVERED", "err": "000"},
            GatewayStatus("123", "DELIVERED", lifecycle.DELIVRD, "000"),
        ),
        # Empty callback paths fall back to the status answer's (and the send answer's id path).
        (
            config(callback_id_path="", callback_status_path="", callback_error_path=""),
            {"message": {"uuid": 55, "state": "rejected", "error": {"code": "spam"}}},
            GatewayStatus("55", "rejected", lifecycle.REJECTD, "spam"),
        ),
        (
            config(callback_id_path="data[0].id", callback_status_path="data[0].status", callback_error_path=""),
            {"data": [{"id": 8, "status": "expired"}]},
            GatewayStatus("8", "expired", lifecycle.EXPIRED, None),
        ),
    ],
)
def test_callbacks(cfg, fields, expected):
    assert read_callback(cfg, fields) == expected


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"state": "delivered"}, "uuid"),
        ({"uuid": "", "state": "delivered"}, "uuid"),
        ({"uuid": "u1"}, "state"),
        ({"uuid": "u1", "state": None}, "state"),
        ({"uuid": "u1", "state": {"x": 1}}, "state"),
        ({}, "uuid"),
    ],
)
def test_callback_missing_fields(fields, named):
    with pytest.raises(MalformedAnswer, match=named):
        read_callback(EXAMPLE, fields)


def test_callback_without_any_status_path():
    pushed_only = config(status_url="", status_path="", callback_status_path="")
    with pytest.raises(MalformedAnswer, match="callback_status_path"):
        read_callback(pushed_only, {"uuid": "u1", "state": "delivered"})


# --- paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("id", ("id",)),
        ("message.uuid", ("message", "uuid")),
        ("data[0].id", ("data", 0, "id")),
        ("[2]", (2,)),
        ("a[1][0].b", ("a", 1, 0, "b")),
        ("message id", ("message id",)),
    ],
)
def test_paths(path, steps):
    assert parse_path(path) == steps


@pytest.mark.parametrize("path", ["", ".", "a.", ".a", "a..b", "a[", "a[]", "a[-1]", "a.[0]", "a]", " a", "a "])
def test_bad_paths(path):
    with pytest.raises(ValueError, match="not a path"):
        parse_path(path)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1"),
        (1.0, "1"),
        (2.5, "2.5"),
        (10**20, "100000000000000000000"),
        ("x", "x"),
        (True, "true"),
        (None, None),
        ([1], None),
        ({}, None),
    ],
)
def test_scalar_text(value, text):
    assert scalar_text(value) == text


def test_lookup_misses_quietly():
    document = {"a": [{"b": 1}], "s": "text"}
    assert lookup(document, "a[0].b") == 1
    assert lookup(document, "a[1].b") is None
    assert lookup(document, "s.x") is None
    assert lookup(document, "s[0]") is None
    assert lookup(document, "a.b") is None


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"status": "error", "error": {"code": "NO_BALANCE"}}', "NO_BALANCE"),
        (b'{"ok": false, "error": "sender not allowed"}', "sender not allowed"),
        (b'{"ok": true}', None),  # neither an id nor an error: maybe taken (MalformedAnswer)
    ],
)
def test_a_2xx_answer_without_an_id_that_names_an_error_was_not_taken(body, error):
    config = gw.parse_config(
        {"send_method": "POST", "send_url": "https://api.example.com/sms", "body_format": "none", "id_path": "id"}
    )
    if error is None:
        with pytest.raises(gw.MalformedAnswer):
            gw.read_send_answer(config, 200, {}, body)
    else:
        with pytest.raises(gw.AnswerError) as refused:
            gw.read_send_answer(config, 200, {}, body)
        assert refused.value.code == error


def test_flash_is_1_for_a_flash_sms_else_0():
    form = config(body_format="form", send_body="to={to_digits}&flash={flash}")
    assert send_request(form, VALUES).body == b"to=40722123456&flash=0"
    assert send_request(form, replace(VALUES, flash=True)).body == b"to=40722123456&flash=1"
