"""The customer's sentence and the raw code for a message's status, reason and error code."""

from __future__ import annotations

import pytest

from webapp.domain import delivery_reasons as reasons
from webapp.domain import lifecycle
from webapp.domain.delivery_reasons import explain

ORANGE = {
    "001": {"*": "Absent subscriber (Orange)", "ro": "Abonat absent (Orange)"},
    "0x00000400": {"*": "Sender ID not registered with Orange"},
}


KNOWN = [
    ("DELIVRD", None, None, "delivered", "Delivered to the phone.", "DELIVRD"),
    ("DELIVRD", None, "000", "delivered", "Delivered to the phone.", "DELIVRD · err:000"),
    ("submitted", None, None, "sent", "Handed to the operator; waiting for the delivery report.", "ENROUTE"),
    ("queued", None, None, "queued", "Waiting in the queue to be sent to the operator.", "queued"),
    (
        "EXPIRED",
        None,
        None,
        "expired",
        "The phone was off or out of coverage for the whole validity period.",
        "EXPIRED",
    ),
    (
        "UNDELIV",
        None,
        "001",
        "not delivered",
        "The number does not exist on the operator's network or is no longer in use.",
        "UNDELIV · err:001",
    ),
    ("UNDELIV", None, "27", "not delivered", "The phone was off or out of coverage.", "UNDELIV · err:27"),
    ("UNDELIV", None, "013", "not delivered", "The operator blocks messages to this number.", "UNDELIV · err:013"),
    (
        "EXPIRED",
        None,
        "000",
        "expired",
        "The phone was off or out of coverage for the whole validity period.",
        "EXPIRED · err:000",
    ),
    ("REJECTD", None, "009", "rejected", "The operator refused the number.", "REJECTD · err:009"),
    (
        "REJECTD",
        "rejected_at_submission",
        "0x0000000B",
        "rejected",
        "The operator refused the number: it is not a valid destination.",
        "REJECTD · 0x0000000B",
    ),
    (
        "REJECTD",
        "rejected_at_submission",
        "0xb",
        "rejected",
        "The operator refused the number: it is not a valid destination.",
        "REJECTD · 0xb",
    ),
    (
        "REJECTD",
        "rejected_at_submission",
        None,
        "rejected",
        "The operator refused the message when we handed it over.",
        "REJECTD",
    ),
    (
        "REJECTD",
        None,
        "0x00000058",
        "rejected",
        "The operator refused the message because too many were sent at once.",
        "REJECTD · 0x00000058",
    ),
    ("FAILED", None, None, "failed", "Delivery failed; the operator gave no reason.", "FAILED"),
    ("NOREPORT", None, None, "no report", reasons.STATUS_TEXTS["NOREPORT"][1], "NOREPORT"),
    ("refused", "blocklisted", None, "not sent", "Not sent: the number is on the blocklist.", "refused · blocklisted"),
    (
        "refused",
        "cancelled",
        None,
        "not sent",
        "Not sent: the campaign was cancelled before this message went out.",
        "refused · cancelled",
    ),
    ("refused", None, None, "not sent", "We did not send this message.", "refused"),
]


@pytest.mark.parametrize(
    "status, reason, error, label, sentence, raw",
    KNOWN,
    ids=["-".join(str(v) for v in case[:3] if v) for case in KNOWN],
)
def test_known_statuses_and_codes(status, reason, error, label, sentence, raw):
    got = explain(status, reason, error)
    assert (got.label, got.sentence, got.raw, got.literal, dict(got.values)) == (label, sentence, raw, False, {})


@pytest.mark.parametrize(
    "status, error, sentence",
    [
        ("UNDELIV", "254", reasons.UNKNOWN_CODE_TEXTS["UNDELIV"]),
        ("REJECTD", "00B", reasons.UNKNOWN_CODE_TEXTS["REJECTD"]),
        ("EXPIRED", "002", reasons.UNKNOWN_CODE_TEXTS["EXPIRED"]),
        ("FAILED", "X7", reasons.UNKNOWN_CODE_TEXT),
        ("REJECTD", "0x00000499", reasons.UNKNOWN_CODE_TEXTS["REJECTD"]),
    ],
    ids=["undeliv-254", "rejectd-00B", "expired-002", "failed-X7", "smpp-vendor-code"],
)
def test_an_unknown_code_gets_a_sentence_naming_it(status, error, sentence):
    got = explain(status, None, error)
    assert got.sentence == sentence and got.values == {"code": error} and "%(code)s" in got.sentence
    assert got.code == error and not got.literal


@pytest.mark.parametrize("reason", ["some_new_reason"], ids=["unknown-refusal-reason"])
def test_an_unknown_refusal_reason_names_it(reason):
    got = explain("refused", reason, None)
    assert got.sentence == "Not sent (reason: %(code)s)." and got.values == {"code": reason}


@pytest.mark.parametrize(
    "error, language, expected",
    [
        ("001", "en", "Absent subscriber (Orange)"),
        ("1", "ro", "Abonat absent (Orange)"),
        ("001", "ro_RO", "Abonat absent (Orange)"),
        ("0x400", "ro", "Sender ID not registered with Orange"),  # only a text for any language
    ],
    ids=["en-any", "ro-own-short-code", "ro_RO-locale", "smpp-added-code"],
)
def test_a_route_overrides_and_adds_codes(error, language, expected):
    got = explain("UNDELIV", None, error, ORANGE, language)
    assert (got.sentence, got.literal, got.code) == (expected, True, error)


@pytest.mark.parametrize(
    "status, error", [("UNDELIV", "034"), ("DELIVRD", "001")], ids=["code-not-overridden", "delivered-ignores-code"]
)
def test_a_route_without_the_code_keeps_the_tables(status, error):
    assert explain(status, None, error, ORANGE).sentence == explain(status, None, error).sentence
    assert not explain(status, None, error, ORANGE).literal


@pytest.mark.parametrize(
    "status, kind",
    [
        ("DELIVRD", "ok"),
        ("queued", "pending"),
        ("submitted", "pending"),
        ("accepted", "pending"),
        ("draft", "pending"),
        ("UNDELIV", "bad"),
        ("REJECTD", "bad"),
        ("NOREPORT", "bad"),
        ("refused", "refused"),
    ],
)
def test_kind_colours_the_badge(status, kind):
    assert explain(status).kind == kind


@pytest.mark.parametrize(
    "code, normal",
    [
        ("1", "001"),
        ("027", "027"),
        (" 34 ", "034"),
        ("0xb", "0x0000000B"),
        ("0X00000058", "0x00000058"),
        ("00B", "00B"),
        ("0xZZ", "0xZZ"),
        ("1234", "1234"),
    ],
)
def test_codes_have_one_spelling(code, normal):
    assert reasons.normalise_code(code) == normal


def test_every_status_has_a_label_and_a_sentence():
    statuses = lifecycle.FINAL | lifecycle.PENDING | {lifecycle.DRAFT}
    assert statuses <= set(reasons.STATUS_TEXTS)
    assert set(lifecycle.REFUSAL_REASONS) <= set(reasons.REASON_TEXTS)
    labels = [label for label, _ in reasons.STATUS_TEXTS.values()]
    sentences = (
        [s for _, s in reasons.STATUS_TEXTS.values()]
        + list(reasons.REASON_TEXTS.values())
        + [t for t in {**reasons.RECEIPT_ERROR_TEXTS, **reasons.SMPP_STATUS_TEXTS}.values() if t]
    )
    assert all(t[0].isupper() for t in sentences) and all(label == label.lower() for label in labels)
    assert all(s.endswith(".") for s in sentences) and not any(label.endswith(".") for label in labels)


def test_an_unknown_status_still_reads():
    got = explain("WEIRD")
    assert (got.label, got.raw, got.values) == ("WEIRD", "WEIRD", {"code": "WEIRD"})
