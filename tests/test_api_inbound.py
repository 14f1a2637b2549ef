"""GET /api/v1/inbound (issue 20): the key's account's replies, newest first, each with the
message it answers; the phone filter read as sending reads numbers; paging; other accounts'
replies never shown. Both databases."""

from __future__ import annotations

from tests.inbound_support import receive
from webapp.extensions import db
from webapp.models import User
from webapp.services import accounts


def key_of(world, who):
    token = accounts.create_api_key(db.session, db.session.get(User, world["users"][who]), label="t").token
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_replies_with_the_message_they_answer(reply_world, client):
    first = receive(reply_world, "40722123456", "1899", "Da, venim amândoi 🙂")
    stop = receive(reply_world, "0722123456", "1899", "STOP")
    receive(reply_world, "40722123456", "40700000001", "Pentru casa")  # casa's
    receive(reply_world, "40722999999", "1899", "Cine sunteți?")  # nobody's
    headers = key_of(reply_world, "ana")
    body = client.get("/api/v1/inbound", headers=headers).json
    assert [r["id"] for r in body["inbound"]] == [stop.id, first.id]  # newest first, ana's only
    newest = body["inbound"][0]
    assert (newest["from"], newest["to"], newest["text"], newest["keyword"]) == ("+40722123456", "1899", "STOP", "stop")
    assert newest["answers"]["id"] == reply_world["sent"]["ana"] and newest["answers"]["sender"] == "1899"
    assert body["inbound"][1]["text"] == "Da, venim amândoi 🙂" and body["next_before_id"] is None
    page = client.get("/api/v1/inbound?limit=1", headers=headers).json
    assert [r["id"] for r in page["inbound"]] == [stop.id] and page["next_before_id"] == stop.id
    rest = client.get(f"/api/v1/inbound?limit=1&before_id={stop.id}", headers=headers).json
    assert [r["id"] for r in rest["inbound"]] == [first.id]
    for typed in ("0722 123 456", "+40722123456", "0040722123456"):
        assert len(client.get(f"/api/v1/inbound?from={typed}", headers=headers).json["inbound"]) == 2
    assert client.get("/api/v1/inbound?from=0733000000", headers=headers).json["inbound"] == []
    casa = client.get("/api/v1/inbound", headers=key_of(reply_world, "casa")).json["inbound"]
    assert [r["text"] for r in casa] == ["Pentru casa"]


def test_bad_filters_are_a_422_naming_the_field(reply_world, client):
    headers = key_of(reply_world, "ana")
    r = client.get("/api/v1/inbound?since=yesterday", headers=headers)
    assert r.status_code == 422 and r.json["error"]["field"] == "since"
    r = client.get("/api/v1/inbound?before_id=-3", headers=headers)
    assert r.status_code == 422 and r.json["error"]["field"] == "before_id"
    assert client.get("/api/v1/inbound").status_code == 401
