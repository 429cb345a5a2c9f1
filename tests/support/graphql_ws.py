"""graphql-ws, the reference graphql-transport-ws client, run by Node.js on the ws package
(tools/graphql-ws-client/watch.mjs, pinned in its package-lock.json): a test reads what the
client reported, one event at a time. Needs node and npm (tests/support/js_tools.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from tests.support.js_tools import ROOT, installed_node

CLIENT = ROOT / "tools" / "graphql-ws-client"
WAIT = 30.0  # seconds: node starting up on a loaded 2-core machine, then the server's answer


class Reported:
    """The events the client printed (watch.mjs lists their shapes)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    async def event(self, within: float = WAIT) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), within)
        if not line:
            raise AssertionError(f"the graphql-ws client ended without it:\n{await self._why()}")
        found: dict[str, Any] = json.loads(line)
        return found

    async def rest(self, within: float = WAIT) -> list[dict[str, Any]]:
        """Every event left, once the client ended by itself."""
        assert self._process.stdout is not None
        out = await asyncio.wait_for(self._process.stdout.read(), within)
        code = await asyncio.wait_for(self._process.wait(), within)
        assert code == 0, f"the graphql-ws client exited {code}:\n{await self._why()}"
        return [json.loads(line) for line in out.splitlines()]

    async def _why(self) -> str:
        assert self._process.stderr is not None
        code = await asyncio.wait_for(self._process.wait(), WAIT)
        return f"exit {code}\n{(await self._process.stderr.read()).decode(errors='replace')}"


@asynccontextmanager
async def graphql_ws(
    url: str, params: dict[str, Any], query: str, messages: int
) -> AsyncIterator[Reported]:
    """The client subscribed to `query` at `url` (http://… becomes ws://…/graphql) with
    `params` as its connectionParams; it stops after `messages` messages of the subscription."""
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/graphql"
    process = await asyncio.create_subprocess_exec(
        installed_node(),
        "watch.mjs",
        ws_url,
        json.dumps(params),
        query,
        str(messages),
        cwd=CLIENT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield Reported(process)
    finally:
        if process.returncode is None:
            with suppress(ProcessLookupError):
                process.kill()
            await process.wait()
