"""The client keeps the truth: open-loop load at a rate that a fault may change (overload),
every request and every answer kept, then the unanswered sent again.

Request i leaves at its time whatever came back before (`post` of
deploy/bench/pipeline/load.py: aiohttp, latency from the scheduled time). An answer is one
of: accepted (2xx with a tracking code; `duplicate` too), refused (503 with Retry-After:
shed or store down; 4xx), error (a cut connection: the process was killed), or timeout
(no answer in time: it may or may not have been stored).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import aiohttp
from yarl import URL

from deploy.bench.pipeline.forms import Forms
from deploy.bench.pipeline.load import Sent, post


def answer(sent: Sent) -> str:
    if sent.accepted:
        return "accepted"
    if sent.error == "timeout":
        return "timeout"
    if sent.error is not None or sent.status is None:
        return "error"
    return "server_error" if sent.status >= 500 and sent.status != 503 else "refused"


@dataclass
class History:
    forms: Forms
    api_key: str
    sent: list[Sent] = field(default_factory=list)
    resent: dict[str, Sent] = field(default_factory=dict)  # by request_id: the final resend
    in_flight: int = 0
    rate: float = 1.0  # requests per second now; a fault may raise it

    async def run(self, http: aiohttp.ClientSession, urls: list[str], stop: asyncio.Event) -> None:
        """Send until `stop`; then wait for every answer (each bounded by the timeout)."""
        headers = {"X-API-Key": self.api_key, "Content-Type": "application/json"}
        targets = [URL(f"{u.rstrip('/')}/v1/requests") for u in urls]
        tasks: set[asyncio.Task[None]] = set()
        at = time.time() + 0.05
        while not stop.is_set():
            delay = at - time.time()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    break
                except TimeoutError:
                    pass
            i = len(self.sent)
            sent = Sent(i, self.forms.request_id(i), at)
            self.sent.append(sent)
            body = json.dumps(self.forms.body(i)).encode()
            task = asyncio.create_task(
                self._post(http, targets[i % len(targets)], body, headers, sent)
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            at += 1.0 / self.rate
        if tasks:
            await asyncio.gather(*tasks)

    async def _post(
        self,
        http: aiohttp.ClientSession,
        url: URL,
        body: bytes,
        headers: dict[str, str],
        sent: Sent,
    ) -> None:
        self.in_flight += 1
        try:
            await post(http, url, body, headers, sent)
        finally:
            self.in_flight -= 1

    async def resend_unanswered(
        self, http: aiohttp.ClientSession, url: str, rounds: int = 5
    ) -> None:
        """Send again, same request_id, what was not accepted, until each is (a few rounds,
        Retry-After apart): it must come back `accepted` once or `duplicate`."""
        headers = {"X-API-Key": self.api_key, "Content-Type": "application/json"}
        target = URL(f"{url.rstrip('/')}/v1/requests")
        todo = [s for s in self.sent if not s.accepted]
        for _ in range(rounds):
            if not todo:
                return
            for chunk in range(0, len(todo), 20):  # gently: these are retries, not load
                batch = todo[chunk : chunk + 20]
                again = [Sent(s.index, s.request_id, time.time()) for s in batch]
                await asyncio.gather(
                    *(
                        post(
                            http, target, json.dumps(self.forms.body(s.index)).encode(), headers, a
                        )
                        for s, a in zip(batch, again, strict=True)
                    )
                )
                for a in again:
                    self.resent[a.request_id] = a
            todo = [s for s in todo if not self.resent[s.request_id].accepted]
            if todo:
                await asyncio.sleep(2.0)  # intake's Retry-After

    def accepted_codes(self) -> dict[str, str]:
        """request_id -> tracking code, first answer or resend."""
        codes = {s.request_id: s.tracking_code for s in self.sent if s.accepted and s.tracking_code}
        for rid, s in self.resent.items():
            if s.accepted and s.tracking_code:
                codes.setdefault(rid, s.tracking_code)
        return codes
