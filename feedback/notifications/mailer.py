"""Sending one mail over SMTP with the standard library: the message built by `email` (multipart text + HTML), and
the outcome of one attempt in the words of the server. The server comes from SMTP_URL (feedback/config.py)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from email_validator import EmailNotValidError, validate_email

# the server's settings are read with the others (feedback/config.py), so a bad SMTP_URL stops the start
from feedback.config import SmtpSettings as SmtpSettings
from feedback.config import SmtpUrlInvalid as SmtpUrlInvalid
from feedback.config import parse_smtp_url as parse_smtp_url


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
