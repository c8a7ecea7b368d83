"""JSON logs carrying the service name, request id and correlation id of the current task.

Personal data (names, emails, RUT, birth dates) never goes into a log line: log ids, not people.
The formatter drops known personal fields from ``extra`` as a second fence.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from crowdify.observability.context import correlation_id_var, request_id_var

PERSONAL_FIELDS = frozenset(
    {"email", "holder_name", "buyer_name", "buyer", "rut", "nombre", "fecha_nacimiento", "phone", "attendees"}
)


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id_var.get()
        record.correlation_id = correlation_id_var.get()
        for field in PERSONAL_FIELDS & record.__dict__.keys():
            setattr(record, field, "[redacted]")
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route every logger (uvicorn's too) through one JSON handler on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    formatter: Any = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s %(correlation_id)s",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
    )
    handler.setFormatter(formatter)
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Access lines are emitted by our middleware with the request id; uvicorn's would duplicate them.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("aiormq").setLevel("WARNING")
    logging.getLogger("aio_pika").setLevel("WARNING")
