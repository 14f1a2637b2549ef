"""SMSC.ru's HTTP API answers read into our lifecycle (every documented code, the answers' shapes)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.domain import lifecycle, smscru
from webapp.domain.smscru import (
    MalformedAnswer,
    StatusRequestFailed,
    parse_send_answer,
    parse_status_answer,
    send_error,
    status_error,
    status_of,
)

# Every documented status code: (code, our final status or None, final?)
STATUS_TABLE = [
    (-3, None),
    (-2, None),
    (-1, None),
    (0, None),
    (1, lifecycle.DELIVRD),
    (2, lifecycle.DELIVRD),
    (3, lifecycle.EXPIRED),
    (4, lifecycle.DELIVRD),
    (20, lifecycle.UNDELIV),
    (22, lifecycle.REJECTD),
    (23, lifecycle.REJECTD),
    (24, lifecycle.FAILED),
    (25, lifecycle.UNDELIV),
]


@pytest.mark.parametrize(("code", "status"), STATUS_TABLE)
def test_every_documented_status(code, status):
    reading = status_of(code)
    assert reading.status == status
    assert reading.final is (status is not None)
    assert reading.code == str(code)
    assert reading.known
    assert reading.meaning == smscru.STATUSES[code][1]


def test_the_table_is_exactly_the_documented_codes():
    assert sorted(smscru.STATUSES) == [code for code, _ in STATUS_TABLE]
    finals = {status for status, _ in smscru.STATUSES.values()} - {None}
    assert finals <= lifecycle.FINAL


def test_only_no_funds_is_an_account_problem():
    assert [code for code, _ in STATUS_TABLE if status_of(code).account_problem] == [24]


@pytest.mark.parametrize(
    ("code", "status"),
    [(21, lifecycle.FAILED), (99, lifecycle.FAILED), (5, None), (19, None), (-4, None), (-99, None)],
)
def test_undocumented_status_fails_from_20_on_and_waits_below(code, status):
    reading = status_of(code)
    assert reading.status == status
    assert not reading.known
    assert reading.code == str(code)
    assert not reading.account_problem


SEND_TABLE = [
    (1, "refused"),
    (2, "account"),
    (3, "account"),
    (4, "throttled"),
    (5, "refused"),
    (6, "refused"),
    (7, "refused"),
    (8, "refused"),
    (9, "throttled"),
]


@pytest.mark.parametrize(("code", "kind"), SEND_TABLE)
def test_every_documented_send_error(code, kind):
    error = send_error(code)
    assert (error.code, error.kind, error.known, error.raw) == (code, kind, True, str(code))
    assert error.retryable is (kind != "refused")
    assert error.status == (lifecycle.REJECTD if kind == "refused" else None)


def test_send_error_table_is_exactly_the_documented_codes():
    assert sorted(smscru.SEND_ERRORS) == [code for code, _ in SEND_TABLE]


def test_undocumented_send_error_refuses_the_message_and_keeps_the_code():
    error = send_error(42)
    assert (error.kind, error.known, error.raw, error.status) == ("refused", False, "42", lifecycle.REJECTD)
    assert not error.retryable


@pytest.mark.parametrize(
    ("code", "kind"),
    [(1, "refused"), (2, "account"), (4, "throttled"), (5, "refused"), (9, "throttled"), (3, "refused")],
)
def test_status_request_errors(code, kind):
    error = status_error(code)
    assert error.kind == kind
    assert error.known is (code in {1, 2, 4, 5, 9})


# send.php, fmt=3


def test_send_success():
    answer = parse_send_answer({"id": 28, "cnt": 1})
    assert (answer.ok, answer.id, answer.parts, answer.cost, answer.balance) == (True, "28", 1, None, None)


def test_send_success_with_cost_and_balance():
    answer = parse_send_answer({"id": 1234, "cnt": 3, "cost": "5.94", "balance": "1021.06"})
    assert (answer.id, answer.parts, answer.cost, answer.balance) == ("1234", 3, Decimal("5.94"), Decimal("1021.06"))


def test_send_success_with_strings_for_numbers():
    answer = parse_send_answer({"id": "1234", "cnt": "2", "cost": 1.5})
    assert (answer.id, answer.parts, answer.cost) == ("1234", 2, Decimal("1.5"))


@pytest.mark.parametrize("code", [1, 2, 4, 5, 9])
def test_send_error_without_id(code):
    answer = parse_send_answer({"error": "description", "error_code": code})
    assert not answer.ok
    assert answer.id is None
    assert answer.error == send_error(code)
    assert answer.error_text == "description"


@pytest.mark.parametrize("code", [3, 6, 7, 8])
def test_send_error_with_id(code):
    answer = parse_send_answer({"error": "description", "error_code": code, "id": 77})
    assert (answer.ok, answer.id, answer.error) == (False, "77", send_error(code))


def test_send_error_code_as_a_string():
    assert parse_send_answer({"error": "x", "error_code": " 7 "}).error == send_error(7)


@pytest.mark.parametrize(
    "answer",
    [
        {},  # neither an id nor an error
        {"cnt": 1},
        {"id": "", "cnt": 1},
        {"id": None},
        {"id": True, "cnt": 1},
        {"id": [1], "cnt": 1},
        {"error": "no code"},
        {"error": "x", "error_code": "seven"},
        {"error": "x", "error_code": None},
        {"error": "x", "error_code": True},
        {"error": "x", "error_code": 7.5},
        [],
        "ERROR = 2 (authorise error)",
        None,
        7,
    ],
)
def test_malformed_send_answers(answer):
    with pytest.raises(MalformedAnswer):
        parse_send_answer(answer)


@pytest.mark.parametrize("cnt", [None, "two", [], True, 1.5])
def test_unreadable_informative_fields_are_none(cnt):
    answer = parse_send_answer({"id": 5, "cnt": cnt, "cost": "n/a", "balance": {"x": 1}})
    assert (answer.id, answer.parts, answer.cost, answer.balance) == ("5", None, None, None)


def test_nan_cost_is_none():
    assert parse_send_answer({"id": 5, "cnt": 1, "cost": "NaN"}).cost is None


# status.php, fmt=3


def test_status_of_one_message():
    (reading,) = parse_status_answer(
        {"status": 1, "last_date": "28.12.2019 19:20:22", "last_timestamp": 1577550022, "flag": 0, "err": 0}
    )
    assert (reading.code, reading.status, reading.final) == ("1", lifecycle.DELIVRD, True)
    assert (reading.err, reading.last_timestamp, reading.last_date) == ("0", 1577550022, "28.12.2019 19:20:22")
    assert (reading.id, reading.phone) == (None, None)


def test_status_of_several_messages_in_order():
    readings = parse_status_answer(
        [
            {
                "status": 1,
                "last_date": "28.12.2019 19:20:22",
                "last_timestamp": 1577550022,
                "err": 0,
                "id": "6",
                "phone": "79999999999",
            },
            {
                "status": 20,
                "last_date": "28.12.2019 19:21:00",
                "last_timestamp": 1577550060,
                "err": 6,
                "id": 7,
                "phone": "79999999998",
            },
            {"status": -1, "last_timestamp": 1577550000, "id": "8", "phone": "79999999997"},
        ]
    )
    assert [(r.id, r.phone, r.status, r.err) for r in readings] == [
        ("6", "79999999999", lifecycle.DELIVRD, "0"),
        ("7", "79999999998", lifecycle.UNDELIV, "6"),
        ("8", "79999999997", None, None),
    ]


@pytest.mark.parametrize(("code", "status"), STATUS_TABLE)
def test_every_status_through_the_answer_as_number_and_string(code, status):
    assert parse_status_answer({"status": code})[0].status == status
    assert parse_status_answer({"status": str(code)})[0].status == status


def test_status_answer_with_strings_for_numbers():
    (reading,) = parse_status_answer({"status": "-3", "last_timestamp": "1577550022", "err": "0"})
    assert (reading.code, reading.final, reading.last_timestamp, reading.err) == ("-3", False, 1577550022, "0")


def test_unreadable_timestamp_is_none():
    assert parse_status_answer({"status": 0, "last_timestamp": "soon"})[0].last_timestamp is None


@pytest.mark.parametrize(("code", "kind"), [(2, "account"), (9, "throttled"), (4, "throttled"), (1, "refused")])
def test_status_request_error(code, kind):
    with pytest.raises(StatusRequestFailed) as caught:
        parse_status_answer({"error": "description", "error_code": code})
    assert (caught.value.error.code, caught.value.error.kind, caught.value.text) == (code, kind, "description")


def test_status_request_error_inside_a_batch():
    with pytest.raises(StatusRequestFailed):
        parse_status_answer([{"status": 1}, {"error": "x", "error_code": "9"}])


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"last_date": "28.12.2019 19:20:22", "err": 0},
        {"status": None},
        {"status": "delivered"},
        {"status": True},
        {"status": 1.5},
        {"status": [1]},
        {"error": "no code"},
        {"error": "x", "error_code": "x"},
        [{"status": 1}, {"err": 0}],  # one bad item spoils the batch: nothing concluded
        [{"status": 1}, "1"],
        [None],
        "Status = 1, check_time = 10.10.2010 10:10:10",
        None,
        1,
    ],
)
def test_malformed_status_answers(answer):
    with pytest.raises(MalformedAnswer):
        parse_status_answer(answer)


def test_empty_batch_is_no_readings():
    assert parse_status_answer([]) == []
