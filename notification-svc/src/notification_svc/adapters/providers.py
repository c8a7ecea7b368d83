"""Email providers: SMTP (aiosmtplib) in development and tests, SendGrid (the official SDK) in
production, chosen by ``EMAIL_PROVIDER``; both behind one circuit breaker.

A provider either accepts the email (returns its own id for it, if any) or raises
:class:`TransientSendError` (try again later: connection refused, timeouts, 4xx SMTP replies,
SendGrid 401/403/429/5xx) or :class:`PermanentSendError` (this email will never go: a refused
address, a request SendGrid calls malformed). Error texts never quote addresses: SMTP replies
often echo the recipient, so only the reply code and the exception's class are kept.
"""

from __future__ import annotations

import base64
import ssl
import unicodedata
import urllib.error
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any, Protocol

import aiosmtplib
import anyio
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from crowdify.inputs import clean_person_name
from notification_svc.settings import NotificationSettings

BREAKER = "email-provider"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class OutgoingEmail:
    email_id: str
    message_id: str
    sender: str
    sender_name: str
    to: str
    to_name: str | None
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


DISPLAY_NAME_MAX = 64


def display_name(name: str | None) -> str:
    """The recipient's name as it may stand in a ``To:`` header, on every provider.

    Only letters, marks, digits, spaces, hyphens and apostrophes are kept (no comma, quote,
    angle bracket, @ or dot), after links and control characters are taken out, and at most
    ``DISPLAY_NAME_MAX`` characters. Python's email package folds a long quoted display name
    without its quotes, turning "Ana, <x@evil.example>, ..." into extra recipients, and SendGrid
    refuses commas and semicolons in names: a name made of these characters alone is read back
    as one name by every parser.
    """
    if not name:
        return ""
    kept = "".join(
        c if c.isspace() or c in "-'" or unicodedata.category(c)[0] in "LMN" else " "
        for c in clean_person_name(name)
    )
    words = kept.split()
    shown = ""
    for word in words:
        candidate = f"{shown} {word}" if shown else word
        if len(candidate) > DISPLAY_NAME_MAX:
            break
        shown = candidate
    return shown or (words[0][:DISPLAY_NAME_MAX] if words else "")


class TransientSendError(Exception):
    """The provider could not take the email now; the same email may go later."""


class PermanentSendError(Exception):
    """The provider refused this email for good; retrying will not help."""


class ProviderUnavailable(TransientSendError):
    """The circuit breaker is open: the provider kept failing, so nothing is tried for a while."""


class EmailProvider(Protocol):
    name: str

    async def send(self, email: OutgoingEmail) -> str | None:
        """Hand the email over; returns the provider's id for it (or None)."""


class SmtpProvider:
    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str | None,
        password: str | None,
        start_tls: bool,
        timeout: float,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.start_tls = start_tls
        self.timeout = timeout

    @staticmethod
    def mime(email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = formataddr((email.sender_name, email.sender))
        message["To"] = Address(display_name=display_name(email.to_name), addr_spec=email.to)
        message["Subject"] = email.subject
        message["Message-ID"] = email.message_id
        message["Date"] = formatdate(localtime=False)
        message["X-Crowdify-Email-Id"] = email.email_id
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        for attachment in email.attachments:
            maintype, subtype = attachment.content_type.split("/", 1)
            message.add_attachment(
                attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
        return message

    async def send(self, email: OutgoingEmail) -> str | None:
        try:
            await aiosmtplib.send(
                self.mime(email),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.start_tls or None,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = sorted({r.code for r in refused.recipients})
            error = f"recipient refused (SMTP {', '.join(map(str, codes))})"
            if all(code >= 500 for code in codes):
                raise PermanentSendError(error) from None
            raise TransientSendError(error) from None
        except aiosmtplib.SMTPResponseException as answer:
            error = f"{type(answer).__name__} (SMTP {answer.code})"
            if answer.code >= 500 and not isinstance(answer, aiosmtplib.SMTPAuthenticationError):
                raise PermanentSendError(error) from None
            raise TransientSendError(error) from None
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as failure:
            raise TransientSendError(type(failure).__name__) from None
        return email.message_id


class SendGridProvider:
    """SendGrid's v3 Mail Send through the official (synchronous) SDK, in a worker thread."""

    name = "sendgrid"
    # 400 and 413: the request itself is wrong. Everything else (401/403 a key being rotated,
    # 429, 5xx) is worth another try and counts against the provider's health.
    PERMANENT = frozenset({400, 413})

    def __init__(self, *, api_key: str, host: str, timeout: float) -> None:
        self.client = SendGridAPIClient(api_key=api_key, host=host.rstrip("/"))
        # The SDK waits forever by default; _build_client passes this on to every request.
        self.client.client.timeout = timeout

    @staticmethod
    def body(email: OutgoingEmail) -> dict[str, Any]:
        to: dict[str, str] = {"email": email.to}
        name = display_name(email.to_name)
        if name:
            to["name"] = name
        body: dict[str, Any] = {
            "personalizations": [{"to": [to]}],
            "from": {"email": email.sender, "name": email.sender_name},
            "subject": email.subject,
            "content": [
                {"type": "text/plain", "value": email.text},
                {"type": "text/html", "value": email.html},
            ],
            "headers": {"Message-ID": email.message_id},
            # Comes back in SendGrid's event webhook, tying its events to our row.
            "custom_args": {"email_id": email.email_id},
        }
        if email.attachments:
            body["attachments"] = [
                {
                    "content": base64.b64encode(a.content).decode("ascii"),
                    "filename": a.filename,
                    "type": a.content_type,
                    "disposition": "attachment",
                }
                for a in email.attachments
            ]
        return body

    async def send(self, email: OutgoingEmail) -> str | None:
        body = self.body(email)

        def post() -> Any:
            return self.client.send(body)

        try:
            response = await anyio.to_thread.run_sync(post)
        except HTTPError as answer:
            error = f"SendGrid answered {answer.status_code}"
            if answer.status_code in self.PERMANENT:
                raise PermanentSendError(error) from None
            raise TransientSendError(error) from None
        except (urllib.error.URLError, OSError, TimeoutError) as failure:
            raise TransientSendError(type(failure).__name__) from None
        headers = response.headers
        found = headers.get("X-Message-Id") if headers is not None else None
        return str(found) if found else None


class GuardedProvider:
    """A provider behind a circuit breaker: after ``threshold`` failures in a row nothing is tried
    for ``ttl`` seconds, so an outage costs one quick deferral per email instead of a timeout each.
    Permanent refusals are about one email, not the provider's health, and never open it."""

    def __init__(self, provider: EmailProvider, *, threshold: int, ttl: float) -> None:
        self.provider = provider
        self.name = provider.name
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=threshold, default_ttl=ttl, exclude=[PermanentSendError]
        )

    async def send(self, email: OutgoingEmail) -> str | None:
        try:
            async with await self._breakers.get_breaker(BREAKER):
                return await self.provider.send(email)
        except OpenedState as opened:
            raise ProviderUnavailable("circuit open: the email provider keeps failing") from opened


def build_provider(settings: NotificationSettings) -> GuardedProvider:
    provider: EmailProvider
    if settings.email_provider == "sendgrid":
        assert settings.email_api_key is not None  # the settings refuse sendgrid without a key
        provider = SendGridProvider(
            api_key=settings.email_api_key.get_secret_value(),
            host=settings.sendgrid_api_base_url,
            timeout=settings.provider_timeout_seconds,
        )
    else:
        provider = SmtpProvider(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            start_tls=settings.smtp_starttls,
            timeout=settings.provider_timeout_seconds,
        )
    return GuardedProvider(provider, threshold=settings.breaker_threshold, ttl=settings.breaker_ttl_seconds)
