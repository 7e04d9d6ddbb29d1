"""Sending one mail over SMTP with the standard library: the server's settings from SMTP_URL, the message built by
`email` (multipart text + HTML), and the outcome of one attempt in the words of the server.

SMTP_URL names the server: `smtp://user:password@host:587?starttls=1` (STARTTLS), `smtps://user:password@host:465`
(TLS from the start) or `smtp://host:25` (plain, for a relay on the same network); `timeout=` (seconds) bounds every
step. User name and password are URL-encoded where they hold special characters.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from email_validator import EmailNotValidError, validate_email

DEFAULT_TIMEOUT = 20.0
#: At most this per step, so that an attempt (connect, greeting, STARTTLS, login, sender, recipient, data: fewer than
#: ten steps) ends well inside the outbox's lease of ten minutes.
MAX_TIMEOUT = 60.0
TRUE = {"1", "true", "yes", "on"}


class SmtpUrlInvalid(ValueError):
    """SMTP_URL cannot be used."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how mails are handed over."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    #: STARTTLS after connecting (smtp://…?starttls=1), or TLS from the start (smtps://).
    starttls: bool = False
    tls: bool = False
    timeout: float = DEFAULT_TIMEOUT

    def describe(self) -> str:
        """The server without its password, for logs and the dashboard."""
        scheme = "smtps" if self.tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}" + ("?starttls=1" if self.starttls else "")


def parse_smtp_url(url: str) -> SmtpSettings:
    """The settings SMTP_URL describes; SmtpUrlInvalid with the reason otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise SmtpUrlInvalid(f"SMTP_URL is not a valid URL: {error}") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpUrlInvalid("SMTP_URL must look like smtp://user:password@host:587?starttls=1 or smtps://host:465")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise SmtpUrlInvalid(f"SMTP_URL has unknown settings: {', '.join(sorted(unknown))}")
    try:
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
    except ValueError:
        raise SmtpUrlInvalid("SMTP_URL's timeout must be a number of seconds") from None
    if not 0 < timeout <= MAX_TIMEOUT:
        raise SmtpUrlInvalid(f"SMTP_URL's timeout must be between 0 and {MAX_TIMEOUT:g} seconds")
    tls = parts.scheme == "smtps"
    starttls = query.get("starttls", "").lower() in TRUE
    if tls and starttls:
        raise SmtpUrlInvalid("SMTP_URL: smtps:// already uses TLS; leave starttls out")
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if tls else 587 if starttls else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        starttls=starttls,
        tls=tls,
        timeout=timeout,
    )


def check_address(value: str) -> str:
    """An e-mail address as sign-up accepts it (international ones too), or ValueError: nothing but the address (no
    name, no line break, no second address)."""
    value = value.strip()
    if not value or any(c in value for c in '\r\n<>,;"'):
        raise ValueError(f"not an e-mail address: {value!r}")
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(f"not an e-mail address: {value!r}") from None
    return value


def message_id(domain: str) -> str:
    """A new Message-ID in the sender's domain."""
    return make_msgid(domain=domain)


@dataclass(frozen=True)
class Outgoing:
    """What one mail consists of."""

    sender: str
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    language: str
    created_at: datetime
    #: List-Unsubscribe target (https) for one-click unsubscribing (RFC 8058); empty for a test mail.
    unsubscribe_url: str = ""


def build(mail: Outgoing) -> EmailMessage:
    """The MIME message: text/plain with a text/html alternative, the headers mail clients need, one-click
    unsubscribe where there is something to unsubscribe from."""
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    message["Content-Language"] = mail.language  # after the content, which clears the Content-* headers
    return message


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: accepted, or the error and whether trying again could help."""

    ok: bool
    error: str = ""
    permanent: bool = False


def _refusal(code: int, text: bytes | str, final: bool) -> Outcome:
    """A refusal in the server's words; `final` where a 5xx refuses this mail for good (its recipient or content),
    not the service (a wrong password or sender, which the operator fixes: the mail is tried again)."""
    detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return Outcome(False, f"{code} {detail}".strip()[:300], permanent=final and 500 <= code < 600)


def send(settings: SmtpSettings, message: EmailMessage) -> Outcome:
    """Hand the message to the server once, within the settings' timeout for every step."""
    context = ssl.create_default_context()
    try:
        if settings.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.starttls:
                client.starttls(context=context)
            if settings.username:
                client.login(settings.username, settings.password)
            refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        return _refusal(code, text, final=True)
    except smtplib.SMTPDataError as error:  # the server refuses this message's content
        return _refusal(error.smtp_code, error.smtp_error, final=True)
    except smtplib.SMTPResponseException as error:  # sender refused, authentication failed, …: fixed by the operator
        return _refusal(error.smtp_code, error.smtp_error, final=False)
    except TimeoutError:
        return Outcome(False, f"the mail server did not answer within {settings.timeout:g} s")
    except smtplib.SMTPServerDisconnected as error:  # smtplib turns a read that timed out into a disconnect
        if "timed out" in str(error):
            return Outcome(False, f"the mail server did not answer within {settings.timeout:g} s")
        return Outcome(False, f"the mail server closed the connection: {error}"[:300])
    except smtplib.SMTPNotSupportedError as error:  # e.g. an international address the server cannot take
        return Outcome(False, f"the mail server cannot send this mail: {error}"[:300])
    except (smtplib.SMTPException, OSError) as error:
        return Outcome(False, f"{type(error).__name__}: {error}"[:300])
    if refused:
        code, text = next(iter(refused.values()))
        return _refusal(code, text, final=True)
    return Outcome(True)


def domain_of(address: str) -> str:
    """The domain of a From address ("feedback <noreply@example.com>" → "example.com")."""
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"
