"""Rendering again on demand, from pdf-svc's own copy: ``python -m pdf_svc.rerender``."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime

import pytest

from crowdify.runtime import ServiceResources
from pdf_svc.rerender import parse_args, rerender
from pdf_svc.service.issuing import accept_issued
from pdf_svc.service.rendering import Renderer
from pdf_svc.service.revocations import revoke_event
from pdf_svc.settings import PdfSettings
from tests.bus import Recorder
from tests.documents import tickets_issued
from tests.rows import order_row

pytestmark = pytest.mark.integration


async def test_an_order_rendered_again_gets_a_new_revision_with_the_same_bytes(
    resources: ServiceResources, renderer: Renderer, settings: PdfSettings, bus: Recorder
) -> None:
    issued = tickets_issued(uuid.uuid4(), 2)
    async with resources.uow_factory() as uow:
        first = await accept_issued(uow, issued, renderer)
    assert first is not None
    stranger = uuid.uuid4()

    announced, unknown = await rerender([issued.order_id, stranger], [], settings)

    assert unknown == [stranger]
    [again] = announced
    assert again.revision == 2
    assert again.order_document.key != first.order_document.key
    assert again.order_document.sha256 == first.order_document.sha256  # same content, same bytes
    assert [t.sha256 for t in again.tickets] == [t.sha256 for t in first.tickets]
    assert await renderer.store.read(again.order_document.key) == await renderer.store.read(
        first.order_document.key
    )
    row = await order_row(resources.uow_factory, issued.order_id)
    assert row is not None and (row["revision"], row["document_key"]) == (2, again.order_document.key)
    assert (await bus.wait_rendered(issued.order_id, revision=2)).order_document == again.order_document


async def test_an_event_renders_every_order_with_valid_tickets(
    resources: ServiceResources, renderer: Renderer, settings: PdfSettings
) -> None:
    event_id = uuid.uuid4()
    orders = [tickets_issued(event_id, 1) for _ in range(3)]
    for message in orders:
        async with resources.uow_factory() as uow:
            await accept_issued(uow, message, renderer)
    other_event = tickets_issued(uuid.uuid4(), 1)
    async with resources.uow_factory() as uow:
        await accept_issued(uow, other_event, renderer)

    announced, unknown = await rerender([], [event_id], settings)
    assert unknown == []
    assert sorted(m.order_id for m in announced) == sorted(m.order_id for m in orders)
    assert {m.revision for m in announced} == {2}

    async with resources.uow_factory() as uow:
        await revoke_event(uow, event_id, datetime.now(UTC))
    announced, _ = await rerender([], [event_id], settings)
    assert announced == []  # nothing valid left to render


async def run_cli(settings: PdfSettings, *args: str) -> tuple[int, str, str]:
    environment = {
        **os.environ,  # noqa: TID251 (the child needs PATH and the venv)
        "PDF_SVC_DATABASE_URL": settings.database_url,
        "AMQP_URL": settings.amqp_url,
        "AMQP_EXCHANGE": settings.amqp_exchange,
        "MINIO_ENDPOINT": settings.storage.endpoint,
        "MINIO_BUCKET": settings.storage.bucket,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "pdf_svc.rerender", *args),
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return int(process.returncode or 0), out.decode(), err.decode()


async def test_the_command_line(
    resources: ServiceResources, renderer: Renderer, settings: PdfSettings, bus: Recorder
) -> None:
    issued = tickets_issued(uuid.uuid4(), 1)
    async with resources.uow_factory() as uow:
        await accept_issued(uow, issued, renderer)

    status, out, _ = await run_cli(settings, "--order", str(issued.order_id), "--event", str(issued.event_id))
    assert status == 0
    assert f"order {issued.order_id}: revision 2, 1 tickets" in out
    await bus.wait_rendered(issued.order_id, revision=2)  # sent by the command, after its commit

    status, _, err = await run_cli(settings, "--order", str(uuid.uuid4()))
    assert status == 1 and "unknown to pdf-svc" in err


@pytest.mark.parametrize("argv", [["--order", "not-a-uuid"], ["--event", ""], []])
def test_bad_arguments_are_refused_before_any_work(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    assert "invalid UUID" in capsys.readouterr().err or not argv
