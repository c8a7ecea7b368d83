"""The checks SendGrid's v3 Mail Send makes on a request body, with its error messages and
field paths (``{"errors": [{"message", "field", "help"}]}``)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
ADDRESS = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
MAX_RECIPIENTS = 1000


def error(message: str, field: str | None, anchor: str | None = None) -> dict[str, Any]:
    return {"message": message, "field": field, "help": f"{HELP}#{anchor}" if anchor else None}


def _address_errors(value: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(value, dict) or not isinstance(value.get("email"), str):
        return [error("The email parameter is required.", f"{field}.email", "message.personalizations.to")]
    problems = []
    if not ADDRESS.match(value["email"]):
        problems.append(
            error("Does not contain a valid address.", f"{field}.email", "message.personalizations.to")
        )
    name = value.get("name")
    if isinstance(name, str) and (";" in name or "," in name):
        problems.append(
            error(
                "The name parameter cannot contain ';' or ','.",
                f"{field}.name",
                "message.personalizations.to",
            )
        )
    return problems


def _personalization_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        return [
            error(
                "The personalizations field is required and must have at least one personalization.",
                "personalizations",
                "-Personalizations-Errors",
            )
        ]
    problems: list[dict[str, Any]] = []
    recipients = 0
    for index, item in enumerate(personalizations):
        field = f"personalizations.{index}"
        to = item.get("to") if isinstance(item, dict) else None
        if not isinstance(to, list) or not to:
            problems.append(
                error(
                    "The to array is required for all personalization objects, and must have at least "
                    "one email object with a valid email address.",
                    f"{field}.to",
                    "message.personalizations.to",
                )
            )
            continue
        for position, address in enumerate(to):
            problems += _address_errors(address, f"{field}.to.{position}")
        for kind in ("to", "cc", "bcc"):
            listed = item.get(kind)
            recipients += len(listed) if isinstance(listed, list) else 0
    if recipients > MAX_RECIPIENTS:
        problems.append(
            error(
                "The total number of recipients must be less than 1000.",
                "personalizations",
                "message.personalizations",
            )
        )
    return problems


def _content_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(body.get("template_id"), str):
        return []
    problems = []
    subject = body.get("subject")
    every_personalization_has_one = isinstance(body.get("personalizations"), list) and all(
        isinstance(p, dict) and p.get("subject") for p in body["personalizations"]
    )
    if not (isinstance(subject, str) and subject) and not every_personalization_has_one:
        problems.append(
            error(
                "The subject is required. You can get around this requirement if you use a template "
                "with a subject defined or if every personalization has a subject defined.",
                "subject",
                "message.subject",
            )
        )
    content = body.get("content")
    if not isinstance(content, list) or not content:
        problems.append(
            error(
                "Unless a valid template_id is provided, the content parameter is required. There must "
                "be at least one defined content block. We typically suggest both text/plain and "
                "text/html blocks are included, but only one block is required.",
                "content",
                "message.content",
            )
        )
        return problems
    for index, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str) or not block["type"]:
            problems.append(
                error("The content type must be provided.", f"content.{index}.type", "message.content.type")
            )
        if not isinstance(block, dict) or not isinstance(block.get("value"), str) or not block["value"]:
            problems.append(
                error(
                    "The content value must be a string at least one character in length.",
                    f"content.{index}.value",
                    "message.content.value",
                )
            )
    return problems


def _attachment_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    attachments = body.get("attachments")
    if attachments is None:
        return []
    if not isinstance(attachments, list):
        return [error("The attachments parameter must be an array.", "attachments", "message.attachments")]
    problems = []
    for index, attachment in enumerate(attachments):
        field = f"attachments.{index}"
        if not isinstance(attachment, dict) or not attachment.get("filename"):
            problems.append(
                error(
                    "The attachment filename parameter is required.",
                    f"{field}.filename",
                    "message.attachments.filename",
                )
            )
        content = attachment.get("content") if isinstance(attachment, dict) else None
        try:
            if not isinstance(content, str) or not content:
                raise binascii.Error("missing")
            base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            problems.append(
                error(
                    "The attachment content must be base64 encoded.",
                    f"{field}.content",
                    "message.attachments.content",
                )
            )
    return problems


def mail_send_errors(body: Any) -> list[dict[str, Any]]:
    """Every problem SendGrid would report for this body (empty: it is accepted)."""
    if not isinstance(body, dict):
        return [error("Bad Request", None)]
    problems = _personalization_errors(body)
    sender = body.get("from")
    if not isinstance(sender, dict) or not isinstance(sender.get("email"), str):
        problems.append(
            error(
                "The from object must be provided for every email send. It is an object that requires "
                "the email parameter, but may also contain a name parameter.",
                "from.email",
                "message.from",
            )
        )
    elif not ADDRESS.match(sender["email"]):
        problems.append(
            error("The from email does not contain a valid address.", "from.email", "message.from")
        )
    if "reply_to" in body and "reply_to_list" in body:
        problems.append(
            error(
                "The reply_to and reply_to_list properties are mutually exclusive.",
                "reply_to",
                "message.reply_to",
            )
        )
    return problems + _content_errors(body) + _attachment_errors(body)
