"""In-process hub: one process, no server. For development, SQLite setups and tests."""

from __future__ import annotations

import json

from overture.realtime.base import DEFAULT_QUEUE_SIZE, BaseHub


class MemoryHub(BaseHub):
    """Delivers to subscribers of this hub instance only, synchronously, in publish order."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        super().__init__(queue_size=queue_size)

    async def _start_backend(self) -> None:
        pass

    async def _stop_backend(self) -> None:
        pass

    async def _publish(self, topic: str, payload: str) -> None:
        self._publish_soon(topic, payload)

    def _publish_soon(self, topic: str, payload: str) -> None:
        # Decoding the JSON again gives subscribers the same values the Redis backend would
        # (tuples become lists, keys become strings), so code tested here behaves there too.
        if topic in self._subs:
            self._fanout(topic, json.loads(payload))
