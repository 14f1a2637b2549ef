"""A generic HTTP gateway as a route: whatever aggregator the operator describes in the console
(webapp/domain/http_gateway.py: the send request, where the id is in the answer, the status
request and its mapping, the pushed reports, authentication). The route's URL names the
provider (``https://api.example.com``, with ``tps``, ``poll_rps``, ``poll_backoff``); its
``http_config`` says how to talk to it.

One request per message, a message whole (the provider splits it). An answer lost after the
request left may mean the message was taken: it is never sent again ("unknown"). 429 and 5xx
answers take nothing: the route waits and the rest goes later; a 4xx refuses that message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from webapp.connectors.base import AwaitedReport, OutgoingPart, PolledReport, PollFailed, RouteDown, SubmitResult
from webapp.connectors.http_client import AnswerLost, HttpAnswer, HttpClient, NotSent
from webapp.connectors.http_route import WholeMessage, whole_messages
from webapp.domain import http_gateway as gw
from webapp.domain.routing import RouteSpec

# Answers that say the route is wrong (credentials, address, method), not the message: nothing
# is refused for good, the messages wait for the operator to mend the route.
ROUTE_PROBLEMS = frozenset({401, 403, 404, 405, 407, 408, 410})
MAX_PAUSE = 60.0  # seconds: a longer Retry-After is waited out by the job's retries


class HttpGatewayConnector:
    whole_messages = True
    poll_batch = 20  # messages asked for per polling round
    pairs_per_request = 1  # one status request per message

    def __init__(
        self, route_id: int, spec: RouteSpec, config: Mapping[str, object] | None, client: HttpClient | None = None
    ):
        self.route_id = route_id
        self.config: gw.GatewayConfig | None = None
        self.problem = ""
        if not config:
            self.problem = "this HTTP gateway route has no settings yet (operator console → Routes → Gateway settings)"
        else:
            try:
                self.config = gw.parse_config(config)
            except gw.InvalidGatewayConfig as exc:
                self.problem = "the gateway settings are not valid: " + "; ".join(
                    f"{k}: {v}" for k, v in exc.errors.items()
                )
        self.polls_reports = bool(self.config and self.config.status_url)
        self.client = client or HttpClient()

    def _settings(self) -> gw.GatewayConfig:
        if self.config is None:
            raise RouteDown(self.problem)
        return self.config

    def _call(self, request: gw.HttpRequest) -> HttpAnswer:
        return self.client.call(request.method, request.url, dict(request.headers), request.body)

    def submit(self, parts: list[OutgoingPart]) -> list[SubmitResult]:
        config = self._settings()
        results: list[SubmitResult] = []
        for message in whole_messages(parts):
            try:
                results += self._send(config, message)
            except RouteDown as exc:
                raise RouteDown(str(exc), results, exc.uncertain, exc.pause) from exc
        return results

    def _send(self, config: gw.GatewayConfig, message: WholeMessage) -> list[SubmitResult]:
        values = gw.OutgoingValues(
            to=message.to,
            sender=message.sender,
            text=message.text,
            message_id=message.message_id,
            parts=len(message.parts),
            validity_minutes=max(1, math.ceil(message.validity_seconds / 60)),
            flash=message.flash,
        )
        try:
            answer = self._call(gw.send_request(config, values))
        except NotSent as exc:
            raise RouteDown(f"gateway: {exc}") from exc
        except AnswerLost as exc:
            raise RouteDown(
                f"gateway: {exc}; message {message.message_id} may have been taken", uncertain=message.keys
            ) from exc
        if answer.status == 504:  # a proxy gave up waiting for the provider: it may have taken it
            raise RouteDown(
                f"gateway answered HTTP 504; message {message.message_id} may have been taken", uncertain=message.keys
            )
        if answer.status in ROUTE_PROBLEMS:  # our credentials or address, not this message
            raise RouteDown(f"gateway answered HTTP {answer.status}: {answer.text(200)}")
        try:
            upstream_id = gw.read_send_answer(config, answer.status, answer.headers, answer.body)
        except gw.Throttled as exc:
            raise RouteDown(
                f"gateway throttles (HTTP {answer.status}): try later", pause=exc.retry_after or 5.0
            ) from exc
        except gw.ProviderError as exc:
            raise RouteDown(f"gateway failed (HTTP {answer.status}): {answer.text(200)}") from exc
        except gw.SendRefused as exc:
            return message.results(error_code=str(exc.code)[:40])
        except gw.AnswerError as exc:  # said plainly: not taken (the provider's account, limits …)
            raise RouteDown(f"gateway refused message {message.message_id}: {exc.code}") from exc
        except gw.MalformedAnswer as exc:
            raise RouteDown(
                f"gateway took message {message.message_id} but its answer is unreadable ({exc})",
                uncertain=message.keys,
            ) from exc
        return message.results(upstream_id=upstream_id[:80], provider_parts=gw.read_parts(config, answer.body))

    def poll_reports(self, awaited: list[AwaitedReport]) -> list[PolledReport]:
        config = self._settings()
        reports: list[PolledReport] = []
        for item in awaited:
            request = gw.status_request(config, item.upstream_id, item.to)
            if request is None:
                return reports
            try:
                answer = self._call(request)
                status = gw.read_status(config, answer.status, answer.headers, answer.body, item.upstream_id)
            except (NotSent, AnswerLost) as exc:
                raise PollFailed(f"gateway status: {exc}", reports) from exc
            except gw.Throttled as exc:
                raise PollFailed("gateway throttles status requests", reports, exc.retry_after) from exc
            except (gw.ProviderError, gw.MalformedAnswer) as exc:
                raise PollFailed(f"gateway status (HTTP {answer.status}): {exc}", reports) from exc
            reports.append(report_of(item.message_id, status, answer.text(300)))
        return reports

    def check(self) -> str:
        config = self._settings()
        return f"gateway settings valid: sends {config.send_method} {config.send_url.split('?')[0]}" + (
            f", polls {config.status_url.split('?')[0]}" if config.status_url else ", reports pushed only"
        )

    def poll(self) -> list:
        return []

    def close(self) -> None:
        self.client.close()


def report_of(message_id: int, status: gw.GatewayStatus, raw: str) -> PolledReport:
    error = status.error_code if status.status not in (None, "DELIVRD") else None
    return PolledReport(message_id, status.word, status.status, error and error[:40], raw)
