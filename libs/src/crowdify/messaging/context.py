"""The message being handled by this task, so messages sent while handling it name it as their
cause; for a batch (group commit), the messages of the batch."""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar

from crowdify.messaging.envelope import Envelope

handling_envelope_var: ContextVar[Envelope | None] = ContextVar("handling_envelope", default=None)
handling_batch_var: ContextVar[Sequence[Envelope] | None] = ContextVar("handling_batch", default=None)
