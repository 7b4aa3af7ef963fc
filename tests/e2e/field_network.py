"""What stands between the officers' app in the browser and intake in the browser tests:
a TCP proxy the test opens and closes (a real cut: the service worker cannot reach around
it, and it counts every byte that went through), an overload that makes intake shed
requests with its own 503 + Retry-After, and intake itself served over TCP."""

from __future__ import annotations

import asyncio
import contextlib

# This helper's own ports (the brief's range for the field app's tests: 18300-18399).
PROXY_PORT = 18301
INTAKE_PORT = 18302


class CuttableProxy:
    """Forwards 127.0.0.1:`port` to `upstream`. Closed, it resets every connection at once
    (and those in flight), as a lost signal does; `forwarded` counts the bytes that reached
    intake, so a test can prove that nothing did while the device was offline."""

    def __init__(self, port: int, upstream: int) -> None:
        self.port, self.upstream = port, upstream
        self.is_open = True
        self.stalling = False
        self.forwarded = 0
        self.refused = 0
        self._live: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        self.is_open = False
        for writer in list(self._live):
            writer.transport.abort()
        self._live.clear()

    def restore(self) -> None:
        self.is_open = True
        self.stalling = False

    def stall(self) -> None:
        """A signal that takes requests and never answers (nothing reaches intake)."""
        self.stalling = True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.is_open:
            self.refused += 1
            writer.transport.abort()
            return
        if self.stalling:
            self._live.add(writer)
            with contextlib.suppress(OSError):
                while await reader.read(65536):
                    pass  # taken, never forwarded, never answered
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._live |= {writer, up_writer}
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, count=True), self._pipe(up_reader, writer)
            )
        finally:
            self._live -= {writer, up_writer}
            for w in (writer, up_writer):
                w.transport.abort()

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, count: bool = False
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while self.is_open and (chunk := await source.read(65536)):
                if count:
                    self.forwarded += len(chunk)
                sink.write(chunk)
                await sink.drain()
        sink.transport.abort()


class Overload:
    """Holds `slots` requests open inside intake (headers sent, body never finished), so that
    an intake started with `max_in_flight_requests=slots` sheds everything else with its own
    503 and Retry-After, as it does under a crowd of tablets."""

    def __init__(self, port: int, slots: int, key: str) -> None:
        self.port, self.slots, self.key = port, slots, key
        self._held: list[asyncio.StreamWriter] = []

    @property
    def on(self) -> bool:
        return bool(self._held)

    async def start(self) -> None:
        head = (
            "POST /v1/requests HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\n"
            f"X-API-Key: {self.key}\r\nContent-Length: 1000\r\n\r\n{{"
        ).encode()
        for _ in range(self.slots):
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(head)
            await writer.drain()
            self._held.append(writer)

    def stop(self) -> None:
        for writer in self._held:
            writer.transport.abort()
        self._held.clear()


async def flap(proxy: CuttableProxy, overload: Overload, cycles: int, period: float) -> None:
    """The signal comes and goes every `period` seconds; while it is there, intake sheds
    load every other time. Ends with the network up and intake answering."""
    try:
        for cycle in range(cycles):
            proxy.cut()
            await asyncio.sleep(period)
            proxy.restore()
            if cycle % 2 == 0:
                await overload.start()
            await asyncio.sleep(period)
            overload.stop()
    finally:
        overload.stop()
        proxy.restore()
