"""SMSC.ru's HTTP API as a route: ``send.php`` to send, ``status.php`` to poll the reports
(what the answers mean: webapp/domain/smscru.py).

    smscru://login:password@smsc.ru?tps=30&batch=100&poll_batch=100&poll_rps=5
    smscru://smsc.ru?apikey=…            (an API key instead of login and password)
    smscru://acme:s3cret@127.0.0.1:8123?tls=0     (plain HTTP: a local test server)

``throttled_pause`` (10s): how long the route waits after "too many requests" (error 9 or 4).

Messages with the same sender and text go in one request, up to ``batch`` numbers (one id for
them all; statuses are asked by id *and* number). A message goes whole: the provider splits it
and says how many SMS it counted (``cnt``), recorded against our count. A request whose answer
is lost may have been taken: its messages are never sent again ("unknown"). A refusal of a
request carrying several numbers is tried again number by number, so one bad number does not
take the others with it.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from webapp.connectors.base import AwaitedReport, OutgoingPart, PolledReport, PollFailed, RouteDown, SubmitResult
from webapp.connectors.http_client import AnswerLost, HttpClient, NotSent
from webapp.connectors.http_route import WholeMessage, whole_messages
from webapp.domain import smscru
from webapp.domain.routing import RouteSpec, parse_duration

MAX_STATUS_BATCH = 100
THROTTLED_PAUSE = 10.0  # seconds the route waits after "too many requests" (error 9, or 4)


class SmscRuConnector:
    whole_messages = True  # the pipeline hands over every part of a message in one call
    polls_reports = True

    def __init__(self, route_id: int, spec: RouteSpec, client: HttpClient | None = None):
        self.route_id = route_id
        scheme = "http" if spec.param("tls", "1") == "0" else "https"
        port = f":{spec.port}" if spec.port else ""
        self.base = f"{scheme}://{spec.host}{port}"
        self.auth = (
            {"apikey": spec.param("apikey", "")}
            if spec.param("apikey")
            else {
                "login": spec.username,
                "psw": spec.password,
            }
        )
        self.batch = max(1, int(spec.param("batch", "100")))
        self.poll_batch = max(1, min(MAX_STATUS_BATCH, int(spec.param("poll_batch", str(MAX_STATUS_BATCH)))))
        self.pairs_per_request = self.poll_batch  # one status.php request asks for a whole batch
        self.throttled_pause = parse_duration(spec.param("throttled_pause", str(THROTTLED_PAUSE)))
        self.client = client or HttpClient()

    # --- sending ---------------------------------------------------------------------------

    def submit(self, parts: list[OutgoingPart]) -> list[SubmitResult]:
        results: list[SubmitResult] = []
        for group in self._groups(whole_messages(parts)):
            try:
                results += self._send(group)
            except RouteDown as exc:
                raise RouteDown(str(exc), results + exc.results, exc.uncertain, exc.pause) from exc
        return results

    def _groups(self, messages: list[WholeMessage]) -> list[list[WholeMessage]]:
        groups: dict[tuple[str, str, str, bool], list[list[WholeMessage]]] = {}
        order: list[list[WholeMessage]] = []
        for message in messages:
            # one request's messages share its text, sender, validity and flash=1
            key = (message.sender, message.text, _valid(message.validity_seconds), message.flash)
            runs = groups.setdefault(key, [])
            # a number once per request: statuses are asked by id and number
            if not runs or len(runs[-1]) >= self.batch or any(m.to == message.to for m in runs[-1]):
                runs.append([])
                order.append(runs[-1])
            runs[-1].append(message)
        return order

    def _send(self, group: list[WholeMessage]) -> list[SubmitResult]:
        first = group[0]
        fields = {
            **self.auth,
            # with "+": SMSC.ru does not "correct" an international number then (its documentation)
            "phones": ",".join("+" + m.to.lstrip("+") for m in group),
            "mes": first.text,
            "sender": first.sender,
            "charset": "utf-8",
            "fmt": "3",
            "valid": _valid(first.validity_seconds),
            **({"flash": "1"} if first.flash else {}),  # a flash SMS (class 0)
        }
        keys = [k for m in group for k in m.keys]
        try:
            answer = self.client.call(
                "POST",
                f"{self.base}/sys/send.php",
                {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"},
                urlencode(fields).encode(),
            )
        except NotSent as exc:
            raise RouteDown(f"SMSC.ru: {exc}") from exc
        except AnswerLost as exc:
            raise RouteDown(f"SMSC.ru: {exc}; {len(group)} message(s) may have been taken", uncertain=keys) from exc
        if answer.status == 504:  # a proxy gave up waiting for the provider: it may have taken them
            raise RouteDown(f"SMSC.ru answered HTTP 504; {len(group)} message(s) may have been taken", uncertain=keys)
        if answer.status != 200:
            # other 5xx: the provider says it failed; 4xx: our request or address is wrong. Nothing taken.
            raise RouteDown(f"SMSC.ru answered HTTP {answer.status}: {answer.text(200)}")
        try:
            sent = smscru.parse_send_answer(json.loads(answer.body))
        except (ValueError, smscru.MalformedAnswer) as exc:
            raise RouteDown(
                f"SMSC.ru answered something unreadable ({exc}): {answer.text(200)}", uncertain=keys
            ) from exc
        if sent.error is None:
            assert sent.id is not None
            counted = sent.parts // len(group) if sent.parts is not None and sent.parts % len(group) == 0 else None
            return [r for m in group for r in m.results(upstream_id=sent.id, provider_parts=counted)]
        if sent.error.kind == "refused":
            if len(group) > 1:  # the whole request was refused: find out which number it was
                return self._one_by_one(group)
            return first.results(error_code=f"smscru:{sent.error.code}")
        raise RouteDown(
            f"SMSC.ru error {sent.error.code}: {sent.error_text or sent.error.meaning}",
            pause=self.throttled_pause if sent.error.kind == "throttled" else None,
        )

    def _one_by_one(self, group: list[WholeMessage]) -> list[SubmitResult]:
        """Each message of a refused request alone; what was taken before a failure is kept."""
        done: list[SubmitResult] = []
        for message in group:
            try:
                done += self._send([message])
            except RouteDown as exc:
                raise RouteDown(str(exc), done + exc.results, exc.uncertain, exc.pause) from exc
        return done

    # --- reports ---------------------------------------------------------------------------

    def poll_reports(self, awaited: list[AwaitedReport]) -> list[PolledReport]:
        reports: list[PolledReport] = []
        for start in range(0, len(awaited), self.poll_batch):
            chunk = awaited[start : start + self.poll_batch]
            try:
                reports += self._ask(chunk)
            except PollFailed as exc:
                raise PollFailed(str(exc), reports, exc.retry_after) from exc
        return reports

    def _ask(self, chunk: list[AwaitedReport]) -> list[PolledReport]:
        fields = {
            **self.auth,
            # The batch form (a trailing comma) even for one: the answer is always a list.
            "phone": ",".join("+" + a.to.lstrip("+") for a in chunk) + ",",
            "id": ",".join(a.upstream_id for a in chunk) + ",",
            "fmt": "3",
            "charset": "utf-8",
        }
        try:
            answer = self.client.call(
                "POST",
                f"{self.base}/sys/status.php",
                {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"},
                urlencode(fields).encode(),
            )
        except (NotSent, AnswerLost) as exc:
            raise PollFailed(f"SMSC.ru status: {exc}") from exc
        if answer.status != 200:
            raise PollFailed(f"SMSC.ru status answered HTTP {answer.status}: {answer.text(200)}")
        try:
            readings = smscru.parse_status_answer(json.loads(answer.body))
        except smscru.StatusRequestFailed as exc:
            wait = 10.0 if exc.error.kind == "throttled" else None
            raise PollFailed(
                f"SMSC.ru status error {exc.error.code}: {exc.text or exc.error.meaning}", retry_after=wait
            ) from exc
        except (ValueError, smscru.MalformedAnswer) as exc:
            raise PollFailed(f"SMSC.ru status answer unreadable ({exc}): {answer.text(200)}") from exc
        by_pair = {(a.upstream_id, a.to.lstrip("+")): a.message_id for a in chunk}
        reports = []
        for position, reading in enumerate(readings):
            if reading.id is not None and reading.phone is not None:
                message_id = by_pair.get((reading.id, reading.phone.lstrip("+")))
            elif len(readings) == len(chunk):  # without id/phone: by position, as documented
                message_id = chunk[position].message_id
            else:
                message_id = None
            if message_id is None:
                continue
            raw = f"status:{reading.code} err:{reading.err or '0'}" + (
                f" {reading.last_date}" if reading.last_date else ""
            )
            error = None if reading.status in (None, "DELIVRD") else f"smscru:{reading.err or reading.code}"
            reports.append(PolledReport(message_id, reading.code, reading.status, error, raw))
        return reports

    def check(self) -> str:
        try:
            answer = self.client.call(
                "POST",
                f"{self.base}/sys/balance.php",
                {"Content-Type": "application/x-www-form-urlencoded"},
                urlencode({**self.auth, "fmt": "3"}).encode(),
            )
        except (NotSent, AnswerLost) as exc:
            raise RouteDown(f"SMSC.ru: {exc}") from exc
        if answer.status != 200:
            raise RouteDown(f"SMSC.ru answered HTTP {answer.status}")
        return f"SMSC.ru at {self.base} answers: {answer.text(200)}"

    def poll(self) -> list:
        return []  # reports are asked for per message (poll_reports), not collected

    def close(self) -> None:
        self.client.close()


def _valid(seconds: int) -> str:
    """The validity as SMSC.ru's ``valid`` wants it: hh:mm, at most 24:00, at least a minute."""
    minutes = max(1, min(24 * 60, seconds // 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
