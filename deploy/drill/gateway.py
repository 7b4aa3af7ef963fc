"""A real SMS gateway for the drill, in its own process (so the drill can take it down):
`POST /sms` with `{"to", "text"}` and an `Idempotency-Key` header; answers 202, and drops a
key it has taken before (as real gateways do), across its own restarts.

One line per request taken, flushed at once: `<time.time()> <key> new|repeat`. The first
line `# listening <port>` says it serves. Imports nothing of jemput; run as a script:
`python gateway.py --port N --out FILE`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import TextIO

from aiohttp import web


def taken_before(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {p[1] for line in path.read_text().splitlines() if len(p := line.split()) == 3}


async def serve(port: int, out: TextIO, seen: set[str]) -> None:
    async def receive(request: web.Request) -> web.Response:
        body = await request.json()
        key = request.headers.get("Idempotency-Key", "")
        if not key or not isinstance(body, dict) or not body.get("to"):
            return web.json_response({"error": "key, to and text are required"}, status=400)
        out.write(f"{time.time():.6f} {key} {'repeat' if key in seen else 'new'}\n")
        out.flush()
        seen.add(key)
        return web.json_response({"status": "queued"}, status=202)

    app = web.Application()
    app.router.add_post("/sms", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    out.write(f"# listening {port}\n")
    out.flush()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    seen = taken_before(args.out)
    with args.out.open("a", encoding="utf-8") as out:
        asyncio.run(serve(args.port, out, seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
