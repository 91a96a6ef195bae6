"""Of several server processes, one runs the scheduled jobs at a time (convene/lease.py): the lease
is taken with one conditional UPDATE, renewed each pass, taken over once it expires, and given back
when its holder stops."""

from __future__ import annotations

from convene.lease import JobLease
from convene.scheduler import Scheduler
from tests.conftest import start_server


def counting_scheduler(live, holder: str, runs: list[str]) -> Scheduler:
    async def job() -> None:
        runs.append(holder)

    scheduler = Scheduler(interval=30, lease=JobLease(live.clock, 120, holder=holder))
    scheduler.add("count", job)
    return scheduler


def test_one_process_runs_the_jobs_and_another_takes_over_when_its_lease_lapses(tmp_path):
    live = start_server(tmp_path)
    try:
        runs: list[str] = []
        a = counting_scheduler(live, "worker-a", runs)
        b = counting_scheduler(live, "worker-b", runs)

        assert live.run(a.run_pass) == {"count": None}
        assert live.run(b.run_pass) is None  # a holds the lease: b skips its pass
        live.clock.advance(seconds=100)
        assert live.run(a.run_pass) is not None  # renewed: a's lease now runs to +220 s
        live.clock.advance(seconds=100)
        assert live.run(b.run_pass) is None
        assert live.run(b.lease.holder_now) == "worker-a"

        live.clock.advance(seconds=121)  # a stopped renewing (its process died): b takes over
        assert live.run(b.run_pass) is not None
        assert live.run(a.run_pass) is None
        assert runs == ["worker-a", "worker-a", "worker-b"]

        live.run(b.lease.release)  # b shuts down cleanly: a need not wait for the expiry
        assert live.run(a.lease.holder_now) is None
        assert live.run(a.run_pass) is not None
        assert runs[-1] == "worker-a"
    finally:
        live.stop()


def test_a_pass_stops_between_jobs_when_the_lease_is_lost(tmp_path):
    live = start_server(tmp_path)
    try:
        runs: list[str] = []
        a = counting_scheduler(live, "worker-a", runs)
        b = counting_scheduler(live, "worker-b", runs)

        async def stall() -> None:  # a job so long that a's lease expires and b takes it meanwhile
            live.clock.advance(seconds=121)
            assert await b.lease.acquire()

        a.jobs.insert(0, ("stall", stall))
        results = live.run(a.run_pass)
        assert list(results) == ["stall"]  # the counting job did not run in a's pass
        assert runs == []
        assert live.run(a.lease.holder_now) == "worker-b"
    finally:
        live.stop()


def test_a_server_gives_its_lease_back_when_it_stops(tmp_path):
    live = start_server(tmp_path, scheduler_interval=3600)  # its loop runs, then waits an hour
    lease = JobLease(live.clock, 120, holder="observer")
    scheduler = live.app.state.scheduler
    assert live.run(scheduler.run_pass) is not None  # the server's own holder: its loop has it too
    assert live.run(lease.holder_now) == scheduler.lease.holder
    assert live.run(lease.acquire) is False
    live.stop()
    again = start_server(tmp_path)  # the same database, no scheduler loop (interval 0)
    try:
        assert again.run(lease.holder_now) is None
    finally:
        again.stop()
