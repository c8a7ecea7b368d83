"""The message being handled by this task, so messages sent while handling it name it as their cause."""

from __future__ import annotations

from contextvars import ContextVar

from crowdify.messaging.envelope import Envelope

handling_envelope_var: ContextVar[Envelope | None] = ContextVar("handling_envelope", default=None)
