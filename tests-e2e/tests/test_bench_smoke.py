"""`make bench`'s scenarios at toy sizes against the running platform: correctness only (nothing
oversold, one admission per ticket, every scenario returns its figures). Never timed: the
figures come from `make bench` (docs/performance.md)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest

from crowdify.db import asyncpg_dsn
from crowdify_bench import procs
from crowdify_bench.baselines import db_client_overhead, pg_hot_row, rabbit_round_trip
from crowdify_bench.connections import CLIENT_BACKENDS, with_connection_peak
from crowdify_bench.documents import email_latency, pdf_pages
from crowdify_bench.door import _growth_by_round, door_rush, offline_sync, profiled_step
from crowdify_bench.door_seed import prepare, remove_seeded
from crowdify_bench.drain import QUIET_SECONDS, Backlog, EmailsNotSent, until_emails_sent, until_empty
from crowdify_bench.edge import DEPLOYED, PLAIN, run_edge
from crowdify_bench.inventory import inventory_step
from crowdify_bench.load import Answer, BuyerAddresses, address_spread
from crowdify_bench.onsale import onsale_rush
from crowdify_bench.onsale_open import onsale_open
from crowdify_bench.platform import Platform
from crowdify_bench.procs import (
    KERNEL,
    MACHINE_BUSY,
    STEAL,
    TICKS,
    CpuMeter,
    CpuTimeline,
    MachineTimes,
    machine_times,
)
from crowdify_bench.profile import Profiler, summarize
from crowdify_bench.settings import BenchSettings
from crowdify_bench.stats import latency_summary, p99_by_second, percentile

pytestmark = pytest.mark.e2e


@pytest.fixture
async def platform(gateway, e2e) -> AsyncIterator[Platform]:
    bench = Platform(
        BenchSettings(gateway_url=e2e.gateway_url, amqp_url=e2e.amqp_url, supabase_url=e2e.supabase_url)
    )
    yield bench
    await bench.release_holds()  # as `make bench` does at its end: no seat left held
    await remove_seeded(bench)  # and no door ticket it wrote into the registry


async def test_baselines_measure_the_hot_row_the_broker_and_the_database_client(platform):
    hot_row = await pg_hot_row(platform.settings.postgres_admin_dsn, seconds=0.3, clients=(1, 4))
    assert hot_row["best_updates_per_s"] > 0 and set(hot_row["by_clients"]) == {"1", "4"}
    broker = await rabbit_round_trip(platform.settings.amqp_url, "classic", seconds=0.3, windows=(1, 8))
    assert all(f["messages_per_s"] > 0 and f["p50_ms"] is not None for f in broker["by_in_flight"].values())
    client = await db_client_overhead(platform.settings.postgres_admin_dsn, count=20)
    assert all(value > 0 for value in client.values()), client


async def test_the_connection_peak_counts_the_connections_a_step_opened(platform):
    dsn = platform.settings.postgres_admin_dsn
    seen: list[int] = []

    async def three_more() -> str:
        opened = [await asyncpg.connect(dsn) for _ in range(3)]
        try:
            for _ in range(4):  # several of the sampler's periods while they are open
                seen.append(int(await opened[0].fetchval(CLIENT_BACKENDS)))
                await asyncio.sleep(0.05)
            return "done"
        finally:
            for connection in opened:
                await connection.close()

    result, connections = await with_connection_peak(dsn, three_more)
    assert result == "done" and connections["max_connections"] >= 3
    # At least what the step itself saw while its three were open (a sampler that missed them
    # would report three fewer).
    assert connections["peak"] >= min(seen), (connections, seen)


async def test_edge_compares_verification_with_plain_proxying():
    figures = await asyncio.to_thread(
        run_edge,
        duration=1,
        runs=1,
        threads=1,
        connections=4,
        rotation=20,
        log=False,
        skip_njs=True,
        only=(DEPLOYED,),
    )
    assert {v["name"] for v in figures["variants"]} == {PLAIN, DEPLOYED}
    assert figures["plain_proxy_rps"] > 0 and figures["deployed_mode_rps"] > 0


async def test_onsale_rush_sells_out_without_overselling(platform):
    figures = await onsale_rush(platform, tickets=12, buyers=10, orders=24)
    assert figures["tickets_oversold"] == 0
    assert figures["counters_match_answers"], figures
    assert figures["inventory"]["available"] == 0, figures  # 24 orders of 1-4 tickets sell out 12
    assert figures["outcomes"].get("held", 0) > 0 and figures["outcomes"].get("rejected_sold_out", 0) > 0
    assert figures["time_to_payment_link"]["p99_ms"] is not None
    # The run gives back what it holds: its event is cancelled, and it returns only once no seat
    # is held any more.
    assert await platform.release_holds() == 1
    assert platform.created_events == []
    # Then it waits until notification-svc has sent the cancellation emails that queued: one to
    # each buyer whose order was held, none left pending.
    drained = await until_emails_sent(platform.settings, within=120)
    assert drained["seconds"] >= QUIET_SECONDS and drained["emails_sent"] >= 0, drained
    emails = await _emails_by_status(platform)
    assert "pending" not in emails, emails
    assert emails.get("sent", 0) >= figures["outcomes"]["held"], (emails, figures["outcomes"])


async def _emails_by_status(platform: Platform) -> dict[str, int]:
    """The emails to this run's buyers in notification-svc's table, counted by status."""
    connection = await asyncpg.connect(asyncpg_dsn(platform.settings.notification_database_url))
    try:
        rows = await connection.fetch(
            "SELECT status, count(*) AS n FROM notification.emails WHERE recipient LIKE $1 GROUP BY status",
            f"%.{platform.run_id}@bench.example.com",
        )
    finally:
        await connection.close()
    return {row["status"]: int(row["n"]) for row in rows}


def test_buyers_come_from_a_spread_of_addresses_a_quarter_behind_one():
    where = BuyerAddresses(seed=3)
    spread = address_spread([where.next() for _ in range(4000)])
    assert 0.22 <= spread["largest_share_behind_one"] <= 0.28, spread
    assert spread["distinct"] > 1000, spread


async def test_onsale_open_loop_reports_held_and_sold_out_apart_without_overselling(platform):
    # About 16 buyers a round for 10 tickets: every round sells out.
    figures = await onsale_open(platform, rate_per_s=8, seconds=2, warm_up_seconds=0.5, rounds=3, tickets=10)
    assert len(figures["rounds"]) == 3 and figures["median"]["rounds"] == 3
    for round_ in figures["rounds"]:
        assert round_["tickets_oversold"] == 0 and round_["counters_match_answers"], round_
        assert round_["inventory"]["available"] == 0, round_
        assert round_["held"] > 0 and round_["rate_limited"] == 0, round_["outcomes"]
        assert round_["held"] + round_["sold_out"] <= round_["orders_sent"]
        assert round_["time_to_payment_link"]["count"] == round_["held"]
        cost = round_["cpu_ms_per_held_order"]
        assert cost["platform"] > 0 and "emulators" in cost, cost
        assert round_["buyer_token_algorithms"] == {"HS256": round_["orders_sent"]}
        assert round_["cpu_ms_per_held_order_while_selling"] > 0
        assert 0 < round_["cpu_ms_per_decided_order"] <= cost["platform"]
    assert sum(r["sold_out"] for r in figures["rounds"]) > 0
    median = figures["median"]
    assert median["held_p99_ms"] is not None and median["load_generator_cores"] is not None


async def test_the_open_loop_on_sale_with_buyers_signed_in_at_supabase(platform):
    figures = await onsale_open(
        platform, rate_per_s=8, seconds=1, warm_up_seconds=0, rounds=1, tickets=6, buyer_tokens="supabase"
    )
    (round_,) = figures["rounds"]
    assert round_["buyer_token_algorithms"] == {"ES256": round_["orders_sent"]}
    # Every order was decided: the edge and purchase-api took each buyer's ES256 token.
    assert round_["held"] > 0 and round_["undecided"] == 0 and round_["rate_limited"] == 0, round_["outcomes"]
    assert round_["tickets_oversold"] == 0 and round_["counters_match_answers"], round_


@pytest.mark.parametrize("arrival", ["backlog", "streamed"])
async def test_inventory_step_decides_every_order_and_holds_no_more_than_capacity(platform, arrival):
    figures = await inventory_step(platform, tickets=15, orders=30, arrival=arrival)
    assert figures["arrival"] == arrival
    assert sum(figures["decisions"].values()) == 30
    assert figures["tickets_oversold"] == 0 and figures["counters_match_decisions"], figures
    assert figures["tickets_held"] == 15  # 30 orders of 1-4 tickets for 15: sold out exactly
    assert figures["decisions_per_s"] > 0


async def test_door_rush_admits_each_ticket_exactly_once_even_when_scanned_twice_at_once(platform):
    figures, _ = await door_rush(
        platform,
        curve_rates=(20, 40),
        step_seconds=1,
        rounds=1,
        devices=3,
        flat_sizes=(20, 200),
        flat_rate=20,
        flat_scans=10,
        flat_devices=2,
        flat_rounds=2,
        warm_up_seconds=0,
        duplicates=0.5,
    )
    assert figures["double_admissions"] == 0 and figures["rate_limited"] == 0
    assert figures["scanned_but_not_admitted"] == 0
    steps = [s for c in figures["curve"].values() for s in c["steps"]]
    steps += [s for f in figures["flatness"].values() for s in f["steps"]]
    for step in steps:
        # Half the scans were of tickets scanned twice at the same instant: one of each pair lost.
        pairs = step["scans"] // 4
        assert step["results"]["admitted"] == step["scans"] - pairs, step["results"]
        assert step["results"].get("already_used", 0) == pairs
    # On the largest event every device scanned one ticket before the clock started, then the
    # flatness step and the curve: the attendance stats count each admission once.
    largest = figures["flatness"]["200"]["steps"] + [s for c in figures["curve"].values() for s in c["steps"]]
    assert figures["attendance_admitted_largest"] == 3 + sum(s["results"]["admitted"] for s in largest)
    assert figures["cost_growth_smallest_to_largest"] is not None
    assert figures["cost_growth_of_the_medians"] is not None


async def test_offline_sync_decides_a_backlog_and_a_resend_changes_nothing(platform):
    figures = await offline_sync(platform, size=100, scans=60)
    assert figures["results"] == {"admitted": 60}
    assert figures["resent_same_answers"] is True


async def test_the_tickets_seeded_for_door_events_are_removed_at_the_end(platform):
    doors = [await prepare(platform, size, devices=1, sample=1) for size in (40, 25)]

    async def tickets_of_the_doors() -> int:
        conn = await asyncpg.connect(asyncpg_dsn(platform.settings.validation_database_url))
        try:
            query = "SELECT count(*) FROM validation.tickets WHERE event_id = ANY($1::uuid[])"
            return int(await conn.fetchval(query, [uuid.UUID(door.event_id) for door in doors]))
        finally:
            await conn.close()

    assert await tickets_of_the_doors() == 65
    removed = await remove_seeded(platform)
    assert (removed["events"], removed["tickets"]) == (2, 65)
    assert platform.seeded_door_events == []
    assert await tickets_of_the_doors() == 0


async def test_a_profiled_door_step_leaves_a_profile_of_validation_svc(platform, tmp_path):
    door = await prepare(platform, 30, devices=2)
    async with Profiler(tmp_path, ["validation-api"]) as profiler:
        figures = await profiled_step(platform, door, 20, 1)
    assert figures["double_admissions"] == 0
    summary = profiler.summaries["validation-api"]
    assert "error" not in summary, summary
    assert (tmp_path / "validation-api.folded").exists() and summary["samples"] >= 0


async def test_document_scenarios_measure_or_say_why_not(platform):
    pdf = await pdf_pages(quick=True)
    assert pdf["available"] in (True, False) and (pdf["available"] or pdf["why"])
    email = await email_latency(platform, orders=2, concurrency=2)
    if email["available"]:
        assert email["emails"] == 2 and email["orders_with_more_than_one_email"] == 0
        assert email["pdf_attachments"] >= 2
    else:
        assert email["why"]


def test_percentiles_are_nearest_rank_and_summaries_in_milliseconds():
    values = [n / 1000 for n in range(1, 101)]  # 1 ms .. 100 ms
    assert percentile(values, 0.5) == 0.05 and percentile(values, 0.99) == 0.099
    assert latency_summary(values)["p99_ms"] == 99.0 and latency_summary([])["p50_ms"] is None


def test_a_stall_shows_in_the_second_it_was_due_and_empty_seconds_are_none():
    # Due at 0.1 s steps from 100.0: 2 ms answers, but those due in the third second waited 0.5 s.
    due = [100.0 + n / 10 for n in range(40)]
    answers = [Answer(at, at + (0.5 if 20 <= n < 30 else 0.002), 200) for n, at in enumerate(due)]
    answers.append(Answer(105.5, 105.503, 200))
    assert p99_by_second(answers, 100.0) == [2.0, 2.0, 500.0, 2.0, None, 3.0]


def test_profile_summaries_leave_waiting_out_and_attribute_our_code(tmp_path):
    folded = tmp_path / "api.folded"
    folded.write_text(
        "<module> (uvicorn:10);Runner.run (asyncio/runners.py:118) 50\n"
        "<module> (uvicorn:10);scan (validation_svc/api/validation.py:91);"
        "execute (sqlalchemy/orm/session.py:2555) 30\n"
        "<module> (uvicorn:10);scan (validation_svc/api/validation.py:91);"
        "verify_ticket (crowdify/tickets/codes.py:160) 10\n"
    )
    summary = summarize(folded)
    assert summary["samples"] == 40 and summary["waiting_samples_left_out"] == 50
    assert summary["self_by_package"] == {"sqlalchemy": 0.75, "crowdify": 0.25}
    assert summary["own_code_inclusive"]["scan (validation_svc/api/validation.py)"] == 1.0


async def test_the_wait_for_emails_ends_only_after_a_quiet_spell_and_not_for_a_far_retry():
    # Queued messages, then emails to send, then empty but for one retry an hour away; one
    # message shows up again (a worker committed what it held) before the quiet spell is over.
    seen = [Backlog(5, 0, 40), Backlog(30, 1, 0), Backlog(0, 1, 0), Backlog(0, 1, 2), Backlog(1, 1, 0)]
    calls = 0

    async def probe() -> Backlog:
        nonlocal calls
        calls += 1
        return seen[calls - 1] if calls <= len(seen) else Backlog(0, 1, 0)

    waited = await until_empty(probe, within=5, quiet=0.05, interval=0.01)
    assert waited.first == Backlog(5, 0, 40) and waited.last == Backlog(0, 1, 0)
    assert calls > len(seen) and waited.empty_after >= 0.04  # not the first empty backlog
    assert waited.seconds >= waited.empty_after + 0.04


async def test_the_wait_for_emails_fails_clearly_at_its_bound():
    async def probe() -> Backlog:
        return Backlog(to_send=7, later=0, queued=3)

    with pytest.raises(EmailsNotSent, match="7 emails to send and 3 messages queued"):
        await until_empty(probe, within=0.05, interval=0.01)


def test_proc_stat_busy_leaves_out_idle_iowait_and_steal_and_names_the_kernels_share():
    # cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
    stat = "cpu  1000 50 300 9000 200 10 90 40 25 0\ncpu0 500 25 150 4500 100 5 45 20 25 0\nintr 1 2\n"
    times = machine_times(stat)
    assert times.busy == (1000 + 50 + 300 + 10 + 90) / TICKS
    assert times.kernel == (10 + 90) / TICKS and times.steal == 40 / TICKS
    # A kernel without the later fields: they count as none.
    older = machine_times("cpu 10 0 5 100 3 1 2\n")
    assert older == MachineTimes(busy=18 / TICKS, kernel=3 / TICKS, steal=0.0)
    with pytest.raises(ValueError):
        machine_times("cpu0 1 2 3 4 5 6 7 8\n")
    assert machine_times().busy > 0  # this machine's own /proc/stat


def test_cpu_cores_report_the_kernel_and_steal_apart_and_others_is_what_no_process_explains(monkeypatch):
    named = {1: "purchase-api", 2: "postgres", 3: "load generator", 4: "mp-emulator", 5: "others"}
    spent = dict.fromkeys(named, 0.0)
    machine = [MachineTimes(busy=100.0, kernel=10.0, steal=5.0)]
    clock = [1000.0]
    monkeypatch.setattr(procs, "processes", lambda: dict(named))
    monkeypatch.setattr(procs, "cpu_seconds", lambda pid: spent[pid])
    monkeypatch.setattr(procs, "machine_times", lambda: machine[-1])
    monkeypatch.setattr(procs, "time", SimpleNamespace(monotonic=lambda: clock[-1]))

    meter = CpuMeter()
    meter.start()
    # Ten seconds: 12 s busy of which 1.5 s interrupts, 2 s stolen by the hypervisor, and 9.5 s
    # of named processes (5 + 3 + 1 + 0.5); another suite's process (5) is never read.
    clock.append(1010.0)
    machine.append(MachineTimes(busy=112.0, kernel=11.5, steal=7.0))
    spent.update({1: 5.0, 2: 3.0, 3: 1.0, 4: 0.5, 5: 99.0})
    cores = meter.stop()
    assert list(cores)[:3] == [MACHINE_BUSY, KERNEL, STEAL]
    assert cores == {
        MACHINE_BUSY: 1.2,
        KERNEL: 0.15,
        STEAL: 0.2,
        "purchase-api": 0.5,
        "postgres": 0.3,
        "others": 0.1,  # 1.2 busy - 0.15 kernel - 0.95 of the processes
        "load generator": 0.1,
        "mp-emulator": 0.05,
    }
    # Per unit: the platform without the load generator, the emulators or the kernel, which is
    # shown apart.
    per = meter.ms_per(100)
    assert per["platform"] == 80.0 and per["emulators"] == 5.0 and per[KERNEL] == 15.0
    assert per["purchase-api"] == 50.0 and "load generator" not in per


def test_the_cpu_timeline_reads_a_part_of_a_scenario_without_the_generator_or_the_emulators(monkeypatch):
    named = {1: "purchase-api", 2: "postgres", 3: "load generator", 4: "mp-emulator", 5: "others"}
    spent = dict.fromkeys(named, 0.0)
    clock = [100.0]
    listed: list[int] = []
    monkeypatch.setattr(procs, "processes", lambda: listed.append(1) or dict(named))
    monkeypatch.setattr(procs, "alive_pids", lambda: set(named))
    monkeypatch.setattr(procs, "cpu_seconds", lambda pid: spent.get(pid, 0.0))
    monkeypatch.setattr(procs, "time", SimpleNamespace(perf_counter=lambda: clock[-1]))

    timeline = CpuTimeline()
    spent.update({1: 10.0, 2: 5.0, 3: 50.0})  # spent before the first sample: not counted
    timeline.sample()
    clock.append(101.0)
    spent.update({1: 10.6, 2: 5.2, 3: 51.0, 4: 1.0, 5: 9.0})
    timeline.sample()
    clock.append(102.0)
    # A PostgreSQL backend started midway counts from its start; purchase-api's process ended
    # (its time reads 0): what it had spent stays counted.
    named[6] = "postgres"
    spent.update({1: 0.0, 2: 5.4, 6: 0.3})
    timeline.sample()

    assert len(listed) == 2  # processes named again only when a new one appeared
    assert timeline.at(100.0) == 0.0
    assert timeline.between(100.0, 101.0) == pytest.approx(0.8)
    assert timeline.between(101.0, 102.0) == pytest.approx(0.5)
    assert timeline.between(100.5, 101.5) == pytest.approx(0.4 + 0.25)  # interpolated
    assert timeline.at(99.0) == 0.0 and timeline.at(200.0) == pytest.approx(1.3)  # clamped


def test_a_scans_cost_by_size_is_compared_within_each_round():
    def steps(*costs: float) -> dict[str, Any]:
        return {"steps": [{"cpu_ms_per_scan": {"platform": cost}} for cost in costs]}

    # The host sped up between the rounds, alike for every size; the largest event costs what
    # the smallest does within each round, 10% more in one of them.
    flatness = {"1000": steps(1.4, 1.0, 1.0), "1000000": steps(1.4, 1.1, 1.0)}
    assert _growth_by_round(flatness, 1000, 1000000) == 0.0
    # The host slowed down in the middle of a round: the median of the rounds is not moved by one.
    flatness = {"1000": steps(1.0, 1.0, 1.2), "1000000": steps(1.05, 1.5, 1.14)}
    assert _growth_by_round(flatness, 1000, 1000000) == pytest.approx(0.05)
