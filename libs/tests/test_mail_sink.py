"""Reading the SMTP sink: a test finds its own messages whatever else the sink holds (group
addresses, undisclosed recipients, no To at all), in a maildev of its own on free ports."""

from __future__ import annotations

import asyncio
import smtplib
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from crowdify.testing import free_port
from crowdify.testing.mail_sink import MailSinkClient, recipients

pytestmark = pytest.mark.integration

MAILDEV = Path(__file__).resolve().parents[2] / "tools" / "mail-sink" / "node_modules" / ".bin" / "maildev"


@pytest.fixture
def sink_ports() -> Iterator[tuple[int, int]]:
    """A maildev of this test's own (make bootstrap installs it) on free ports: (SMTP, API)."""
    assert MAILDEV.exists(), "the SMTP sink is not installed: run make bootstrap"
    smtp, web = free_port(), free_port()
    command = [str(MAILDEV), "--ip", "127.0.0.1", "--smtp", str(smtp), "--web", str(web), "--silent"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield smtp, web
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
async def sink(sink_ports: tuple[int, int]) -> AsyncIterator[tuple[int, MailSinkClient]]:
    smtp, web = sink_ports
    async with MailSinkClient(f"http://127.0.0.1:{web}") as client:
        await client.wait_until_answering(within=30)
        yield smtp, client


def _send(smtp_port: int, to: str | None, subject: str) -> None:
    message = EmailMessage()
    message["From"] = "boleteria@crowdify.test"
    message["Subject"] = subject
    if to is not None:
        message["To"] = to
    message.set_content("Hola")
    with smtplib.SMTP("127.0.0.1", smtp_port) as server:
        server.send_message(message, to_addrs=["sobre@crowdify.test"])


async def test_a_test_finds_its_messages_among_groups_and_messages_without_to(
    sink: tuple[int, MailSinkClient],
) -> None:
    smtp, mail = sink
    mine = f"ana.{uuid.uuid4().hex[:8]}@crowdify.test"
    for to, subject in [
        ("Amigos: beto@crowdify.test, Carla <carla@crowdify.test>;", "grupo"),
        ("undisclosed-recipients:;", "sin destinatarios"),
        (None, "sin To"),
        (f"Ana <{mine.upper()}>", "para Ana"),
    ]:
        await asyncio.to_thread(_send, smtp, to, subject)

    [found] = await mail.wait_for(mine)
    assert found["subject"] == "para Ana"
    everything = await mail.messages()
    assert len(everything) == 4
    by_subject = {m["subject"]: recipients(m) for m in everything}
    assert by_subject == {
        "grupo": {"beto@crowdify.test", "carla@crowdify.test"},
        "sin destinatarios": set(),
        "sin To": set(),
        "para Ana": {mine},
    }
    assert [m["subject"] for m in await mail.to("carla@crowdify.test")] == ["grupo"]


def test_recipients_ignore_shapes_they_do_not_know() -> None:
    assert recipients({"to": "ana@crowdify.test"}) == set()
    odd_entries = [None, 3, {"address": None}, {"group": None}, {"address": "A@X.CL"}]
    assert recipients({"to": odd_entries}) == {"a@x.cl"}
    assert recipients({}) == set()
