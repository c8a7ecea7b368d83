"""The SMTP server down: emails wait (retries with backoff, then the open breaker defers them),
and once a server answers on that port every one of them is sent, once."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from crowdify.testing import free_port, wait_until
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from crowdify.testing.service_under_test import Publish, StartWorker
from notification_svc.adapters.tables import emails
from tests.orders import Shop

MAILDEV = Path(__file__).resolve().parents[3] / "tools" / "mail-sink" / "node_modules" / ".bin" / "maildev"


@pytest.fixture
def own_sink_ports() -> tuple[int, int]:
    if not MAILDEV.exists():
        pytest.skip("the SMTP sink is not installed (make bootstrap installs tools/mail-sink)")
    return free_port(), free_port()


@pytest.fixture
def start_sink(own_sink_ports: tuple[int, int]) -> Iterator[Callable[[], None]]:
    """Starts a maildev of this test's own on the ports (SMTP, API) when called."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        smtp, web = own_sink_ports
        command = [str(MAILDEV), "--ip", "127.0.0.1", "--smtp", str(smtp), "--web", str(web), "--silent"]
        started.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def test_emails_queued_while_smtp_is_down_are_all_sent_once_it_is_back(
    start_worker: StartWorker,
    shop: Shop,
    publish: Publish,
    own_sink_ports: tuple[int, int],
    start_sink: Callable[[], None],
) -> None:
    smtp_port, web_port = own_sink_ports
    worker = await start_worker(smtp_port=smtp_port)  # nothing listens there yet
    orders = [shop.order() for _ in range(3)]
    for order in orders:
        await shop.buy(order)
    await publish(shop.expired(shop.order()))  # another kind, to another buyer
    expected = [o.buyer_email for o in orders]

    async def failing() -> bool:
        async with worker.uow_factory() as uow:
            rows = (
                (
                    await uow.session.execute(
                        select(emails).where(emails.c.order_id.in_([o.order_id for o in orders]))
                    )
                )
                .mappings()
                .all()
            )
        return (
            len(rows) == 3
            and all(r["status"] == "pending" and r["last_error"] for r in rows)
            and any(r["attempts"] >= 2 for r in rows)
        )

    await wait_until(failing, within=15, message="the emails failing and waiting to be retried")

    start_sink()
    async with Mailbox(f"http://127.0.0.1:{web_port}") as sink:

        async def api_up() -> bool:
            try:
                await sink.to("nobody@crowdify.test")
            except httpx.HTTPError:
                return False
            return True

        await wait_until(api_up, within=20, message="the new SMTP sink up")
        for address in expected:
            await sink.wait_for(address, within=20)

        async def all_sent() -> bool:
            async with worker.uow_factory() as uow:
                statuses = (
                    await uow.session.execute(
                        select(emails.c.status).where(emails.c.order_id.in_([o.order_id for o in orders]))
                    )
                ).scalars()
                return set(statuses) == {"sent"}

        await wait_until(all_sent, message="every email recorded as sent")
        for address in expected:
            assert len(await sink.to(address)) == 1
