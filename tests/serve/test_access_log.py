"""The access log of ``alc serve``: written off the requests' path by a writer thread, yet every
line complete, none lost, in order, and the drain's lines after the requests'; and
``--no-access-log`` turns the request lines off."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

import anyio
import httpx2
import pytest
from _replicas import Replica, wait_until

from alc.mcp._http import _LogWriter, flush_log, log_event

pytestmark = pytest.mark.anyio


def test_the_writer_keeps_every_line_whole_and_in_order() -> None:
    stream, other = io.StringIO(), io.StringIO()
    writer = _LogWriter()
    threads = [
        threading.Thread(target=lambda k=k: [writer.put(stream, f"{k} {i}\n") for i in range(500)])
        for k in range(8)
    ]
    for thread in threads:
        thread.start()
    writer.put(other, "elsewhere\n")
    for thread in threads:
        thread.join(30)
    writer.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 8 * 500
    for k in range(8):  # each writer's lines whole and in the order it gave them
        assert [line for line in lines if line.split()[0] == str(k)] == [
            f"{k} {i}" for i in range(500)
        ]
    assert other.getvalue() == "elsewhere\n"


def test_log_event_is_written_by_the_flush(capsys: pytest.CaptureFixture[str]) -> None:
    log_event("probe", n=1)
    flush_log()
    line = json.loads(capsys.readouterr().err.splitlines()[-1])
    assert line["event"] == "probe" and line["n"] == 1
    stamp = datetime.fromisoformat(line["ts"])  # ISO 8601, UTC, to the millisecond
    assert stamp.utcoffset() == timedelta(0) and len(line["ts"].split(".")[1]) == len("123+00:00")


def test_a_closed_stream_loses_its_lines_not_the_writer() -> None:
    closed, good = io.StringIO(), io.StringIO()
    closed.close()
    writer = _LogWriter()
    writer.put(closed, "lost\n")
    writer.put(good, "kept\n")
    writer.flush()
    assert good.getvalue() == "kept\n"


async def test_concurrent_requests_each_logged_once_then_the_drain(tmp_path: Path) -> None:
    replica = Replica(str(tmp_path / "s.db"), tmp_path / "home")
    try:
        async with httpx2.AsyncClient(base_url=replica.base) as http:
            async with anyio.create_task_group() as tg:
                for k in range(60):
                    tg.start_soon(http.get, f"/missing-{k}")
            for k in range(5):  # one after the other: logged in this order
                assert (await http.get(f"/then-{k}")).status_code == 404
        wait_until(lambda: len(replica.events("request")) >= 65)
        assert replica.terminate() == 0
    finally:
        replica.stop()
    events = [json.loads(line) for line in replica.lines if line.startswith("{")]
    requests = [e for e in events if e["event"] == "request"]
    assert sorted(e["path"] for e in requests[:60]) == sorted(f"/missing-{k}" for k in range(60))
    assert [e["path"] for e in requests[60:]] == [f"/then-{k}" for k in range(5)]
    assert all(e["status"] == 404 and e["method"] == "GET" for e in requests)
    names = [e["event"] for e in events]
    assert names[0] == "listening" and names[-2:] == ["draining", "stopped"]


async def test_no_access_log_turns_the_request_lines_off(tmp_path: Path) -> None:
    replica = Replica(str(tmp_path / "s.db"), tmp_path / "home", "--no-access-log")
    try:
        async with httpx2.AsyncClient(base_url=replica.base) as http:
            assert (await http.get("/healthz")).status_code == 200
        assert replica.terminate() == 0
    finally:
        replica.stop()
    assert replica.events("request") == []
    assert replica.events("listening") and replica.events("stopped")
