"""Receipts held on a bind until the submitting worker has recorded their parts (smpp_handoff.py)."""

import pytest

from webapp.connectors.base import OutgoingPart, Receipt
from webapp.connectors.smpp_handoff import InFlight


def part(key="10:1", to="+40722000001"):
    return OutgoingPart(key, 10, "Info", to, "Salut", "GSM-7", 1, 1, 3600)


def receipt(upstream_id="1A", source="40722000001", stat="DELIVRD"):
    return Receipt(upstream_id, stat, "000", f"id:{upstream_id} stat:{stat}", source_addr=source)


@pytest.mark.parametrize(
    "given,written,source,held",
    [
        ("1A", "1A", "40722000001", True),  # as given
        ("1A", "26", "40722000001", True),  # hex answered, decimal in the receipt
        ("26", "1a", "+40722000001", True),  # and the other way round
        ("ab", "00AB", "0722000001", True),  # leading zeros, national number
        ("1A", "1A", "40722999999", False),  # another number's: the usual way (kept for support)
        ("1A", "1B", "40722000001", False),  # not in flight
        ("1A", "1A", None, True),  # no number in the receipt: nothing to check
        ("1A", "", "40722000001", False),  # unreadable: the usual way
    ],
)
def test_a_receipt_is_held_only_for_a_part_in_flight_with_its_number(given, written, source, held):
    flight = InFlight()
    flight.submitted(part(), given)
    assert flight.hold("link", 5, receipt(written, source)) is held
    assert bool(flight.take(["10:1"])) is held


def test_recorded_receipts_are_answered_and_later_ones_stored():
    flight = InFlight()
    flight.submitted(part(), "1A")
    assert flight.hold("link", 5, receipt(stat="ENROUTE"))
    assert [r.stat for r in flight.take(["10:1"])["10:1"]] == ["ENROUTE"]
    assert flight.hold("link", 6, receipt())  # came after the worker took its share
    acknowledge, store = flight.finish(["10:1"], recorded=True)
    assert [h.sequence for h in acknowledge] == [5]
    assert [h.sequence for h in store] == [6]
    assert not flight.hold("link", 7, receipt())  # no longer in flight: the usual way


def test_a_batch_not_recorded_stores_everything_it_held():
    flight = InFlight()
    flight.submitted(part(), "1A")
    flight.hold("link", 5, receipt())
    flight.take(["10:1"])
    flight.hold("link", 6, receipt())
    acknowledge, store = flight.finish(["10:1"], recorded=False)
    assert acknowledge == [] and [h.sequence for h in store] == [5, 6]


def test_a_lost_bind_forgets_its_held_receipts():
    flight = InFlight()
    flight.submitted(part(), "1A")
    flight.hold("lost", 5, receipt())
    flight.hold("other", 6, receipt())
    flight.drop_link("lost")
    assert [h.sequence for h in flight.finish(["10:1"], recorded=False)[1]] == [6]


def test_ids_a_worker_never_came_back_for_stop_being_in_flight():
    flight = InFlight(max_age=0.0)
    flight.submitted(part("10:1"), "1A")
    flight.hold("link", 5, receipt())
    acknowledge, store = flight.finish(["99:1"], recorded=True)  # another batch's commit
    assert acknowledge == [] and [h.sequence for h in store] == [5]
    assert not flight.hold("link", 6, receipt())


def test_once_receipts_are_coming_the_worker_waits_a_moment_for_the_rest():
    import threading
    import time

    flight = InFlight()
    flight.submitted(part("10:1"), "1A")
    flight.submitted(part("11:1", "+40722000002"), "1B")
    flight.hold("link", 5, receipt("1A"))
    threading.Timer(0.05, lambda: flight.hold("link", 6, receipt("1B", "40722000002"))).start()
    started = time.monotonic()
    taken = flight.take(["10:1", "11:1"], wait=2.0)
    assert set(taken) == {"10:1", "11:1"} and time.monotonic() - started < 1.5


def test_no_wait_when_no_receipt_came_yet():
    import time

    flight = InFlight()
    flight.submitted(part("10:1"), "1A")
    started = time.monotonic()
    assert flight.take(["10:1"], wait=2.0) == {}
    assert time.monotonic() - started < 0.5


def test_after_a_batch_of_instant_receipts_the_next_waits_for_its_own():
    import threading

    flight = InFlight()
    flight.submitted(part("10:1"), "1A")
    flight.hold("link", 5, receipt("1A"))
    flight.take(["10:1"])
    flight.finish(["10:1"], recorded=True)
    assert flight.instant
    flight.submitted(part("11:1", "+40722000002"), "1B")
    threading.Timer(0.05, lambda: flight.hold("link", 6, receipt("1B", "40722000002"))).start()
    assert set(flight.take(["11:1"], wait=2.0)) == {"11:1"}  # none had come when it asked
    flight.finish(["11:1"], recorded=True)
    flight.submitted(part("12:1", "+40722000003"), "1C")
    flight.finish(["12:1"], recorded=True)  # no receipt in time
    assert not flight.instant
