"""Notify latency (SPEC §6: decision -> brief visible on the desk), recorded and read back.

The desk learns of a handoff from its `handoff.created` event on `GET /v1/events` and then
draws the card. So the first time any stream serves that event, the stream calls `record`,
which appends a `handoff.delivered` event `{handoff_id, seconds}`: seconds from the
`handoff.created` event's time (the decision, committed) to the moment it was written to a
listener. Every worker process records its own first delivery; readers keep the smallest.

An event older than the stream itself (minus `RECONNECT_GRACE`) is a replay (`?after=0`), not
a notification, and is not recorded; a desk that reconnects within the grace still counts the
events it missed, late, as the rep saw them late.

Reading uses the event log's own port: a binary search over event ids finds the window's
start (ids follow time per tenant), then the log is read forward. Each process keeps what it
read per tenant, so a dashboard refreshing every few seconds reads only the new events."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warmline.service.ports import Clock, Event, Store, Tx

CREATED = "handoff.created"
DELIVERED = "handoff.delivered"
RECONNECT_GRACE = timedelta(seconds=60)
#: Read this far before a window's start: ids follow time per tenant, but the clocks of two
#: workers may disagree by a little.
CLOCK_SLACK = timedelta(minutes=5)
PAGE = 1000
#: Events read per call at most; the next call goes on from there.
MAX_SCAN = 500_000
#: Deliveries kept per tenant in memory (about 100 bytes each); beyond it the scan restarts.
MAX_KEPT = 500_000
#: Handoff ids this process already recorded (it records each once).
REMEMBERED = 50_000


@dataclass
class _Scan:
    start: datetime
    """Every delivery at or after this time has been read up to `cursor`."""
    cursor: int
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class DeliveryLog:
    store: Store
    clock: Clock
    _recorded: OrderedDict[str, None] = field(default_factory=OrderedDict)
    _scans: dict[str, _Scan] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, tenant_id: str, served: Iterable[Event], opened_at: datetime) -> int:
        """Record the first delivery of each `handoff.created` event in `served` (events a
        stream opened at `opened_at` has just written); returns how many were new."""
        now = self.clock.now()
        fresh = []
        with self._lock:
            for event in served:
                handoff_id = event.payload.get("handoff_id")
                if (event.type != CREATED or not isinstance(handoff_id, str)
                        or event.created_at < opened_at - RECONNECT_GRACE
                        or handoff_id in self._recorded):
                    continue
                self._recorded[handoff_id] = None
                if len(self._recorded) > REMEMBERED:
                    self._recorded.popitem(last=False)
                seconds = max(0.0, (now - event.created_at).total_seconds())
                fresh.append({"handoff_id": handoff_id, "seconds": round(seconds, 4)})
        if fresh:
            with self.store.transaction() as tx:
                for payload in fresh:
                    tx.add_event(tenant_id, DELIVERED, payload, now)
        return len(fresh)

    def read(self, tx: Tx, tenant_id: str, since: datetime) -> dict[str, float]:
        """Handoff id -> seconds to its first delivery, for deliveries from `since` on (and
        a little before). Includes deliveries after any `until`: the caller keeps those of
        its window's handoffs."""
        start = since - CLOCK_SLACK
        with self._lock:
            scan = self._scans.get(tenant_id)
            if scan is None or start < scan.start or len(scan.seconds) > MAX_KEPT:
                scan = _Scan(start, start_cursor(tx, tenant_id, start))
                self._scans[tenant_id] = scan
            _read_forward(tx, tenant_id, scan)
            return dict(scan.seconds)


def _read_forward(tx: Tx, tenant_id: str, scan: _Scan) -> None:
    read = 0
    while read < MAX_SCAN:
        batch = tx.events_after(tenant_id, scan.cursor, PAGE)
        for event in batch:
            scan.cursor = event.id
            if event.type != DELIVERED:
                continue
            handoff_id, seconds = event.payload.get("handoff_id"), event.payload.get("seconds")
            if isinstance(handoff_id, str) and isinstance(seconds, int | float):
                known = scan.seconds.get(handoff_id)
                scan.seconds[handoff_id] = float(seconds if known is None
                                                 else min(known, seconds))
        read += len(batch)
        if len(batch) < PAGE:
            return


def start_cursor(tx: Tx, tenant_id: str, at: datetime) -> int:
    """An event id such that the tenant's events after it include every event from `at` on,
    and (ids following time) few before: a binary search, one indexed read per step."""
    low, high = 0, tx.latest_event_id(tenant_id)
    # Invariant: every event with id <= low is older than `at`.
    while low < high:
        middle = (low + high) // 2
        following = tx.events_after(tenant_id, middle, 1)
        if following and following[0].created_at < at:
            low = following[0].id
        else:
            high = middle
    return low
