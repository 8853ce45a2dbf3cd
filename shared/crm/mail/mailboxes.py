"""Inbound addresses and what mail to each one does: its queue or owner, keyword routing, whether it
opens support cases, the source given to contacts it creates, and its auto-reply. The domain and the
inbound bucket come from the environment (`CRM_MAIL_DOMAIN`, `CRM_INBOUND_BUCKET`); the mailboxes from
the table as edited through `PUT /v1/mailboxes`, else `CRM_MAILBOXES` (JSON), else the defaults."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm.platform.config import ConfigError
from crm.platform.text import fold_text

DEFAULT_DOMAIN = "crm.example.com"
DEFAULT_AUTO_REPLY = ("Thank you for writing to us. We have received your message and will answer it soon.\n\n"
                      "This is an automatic reply; there is no need to answer it.")


@dataclass(frozen=True)
class RoutingRule:
    """Mail whose subject or body holds any of the keywords goes to this owner or queue."""

    keywords: tuple[str, ...]
    owner: str | None = None
    queue: str | None = None

    def matches(self, folded_text: str) -> bool:
        return any(keyword in folded_text for keyword in self.keywords)


@dataclass(frozen=True)
class AutoReply:
    subject_prefix: str
    body: str


@dataclass(frozen=True)
class Mailbox:
    address: str
    queue: str | None = None
    owner: str | None = None
    opens_cases: bool = False
    contact_source: str = "email"
    rules: tuple[RoutingRule, ...] = ()
    auto_reply: AutoReply | None = None

    def route(self, subject: str, body: str) -> dict[str, str]:
        """The first rule that matches, else the mailbox's own owner and queue."""
        folded = fold_text(f"{subject}\n{body}")
        for rule in self.rules:
            if rule.matches(folded):
                return {k: v for k, v in (("owner", rule.owner), ("queue", rule.queue)) if v}
        return {k: v for k, v in (("owner", self.owner), ("queue", self.queue)) if v}


@dataclass(frozen=True)
class MailSettings:
    domain: str
    inbound_bucket: str
    mailboxes: Mapping[str, Mailbox] = field(default_factory=dict)

    def is_own(self, address: str) -> bool:
        """The business's own addresses: its domain and its subdomains, and every configured mailbox."""
        address = address.casefold()
        domain = address.rpartition("@")[2]
        return address in self.mailboxes or domain == self.domain or domain.endswith(f".{self.domain}")

    def mailbox_for(self, recipients: list[str]) -> Mailbox:
        """The first recipient that is a configured mailbox, else a plain inbox for our domain."""
        for address in recipients:
            mailbox = self.mailboxes.get(address.casefold())
            if mailbox is not None:
                return mailbox
        own = next((a.casefold() for a in recipients if self.is_own(a)), f"inbox@{self.domain}")
        return Mailbox(address=own, queue="inbox")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        env = os.environ if environ is None else environ
        domain = (env.get("CRM_MAIL_DOMAIN") or DEFAULT_DOMAIN).strip().casefold()
        bucket = env.get("CRM_INBOUND_BUCKET", "").strip()
        if not bucket:
            raise ConfigError("missing environment variable: CRM_INBOUND_BUCKET")
        raw = env.get("CRM_MAILBOXES", "").strip()
        try:
            mailboxes = parse_mailboxes(json.loads(raw) if raw else default_mailboxes(domain))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise ConfigError(f"CRM_MAILBOXES is not a valid mailbox definition: {exc}") from exc
        return cls(domain=domain, inbound_bucket=bucket, mailboxes=mailboxes)

    def with_mailboxes(self, mailboxes: Mapping[str, Mailbox]) -> MailSettings:
        return MailSettings(domain=self.domain, inbound_bucket=self.inbound_bucket, mailboxes=mailboxes)


def parse_mailboxes(definitions: Any) -> dict[str, Mailbox]:
    """Mailbox definitions ({address: settings}) validated; raises ValueError, TypeError or KeyError."""
    if not isinstance(definitions, dict):
        raise TypeError("mailboxes are an object keyed by address")
    return {str(address).casefold(): _mailbox(str(address).casefold(), spec) for address, spec in definitions.items()}


def default_mailboxes(domain: str) -> dict[str, Any]:
    """Support opens cases and answers automatically; sales routes by keyword; both create leads."""
    return {
        f"support@{domain}": {"queue": "support", "opens_cases": True, "contact_source": "email",
                              "auto_reply": {"subject_prefix": "Re: ", "body": DEFAULT_AUTO_REPLY}},
        f"sales@{domain}": {"queue": "sales", "contact_source": "email",
                            "rules": [{"keywords": ["invoice", "فاکتور", "счет", "τιμολόγιο"], "queue": "billing"}]},
    }


def _mailbox(address: str, spec: Mapping[str, Any]) -> Mailbox:
    if not isinstance(spec, dict):
        raise TypeError(f"{address}: the settings are an object")
    if "@" not in address:
        raise ValueError(f"{address!r} is not an email address")
    reply = spec.get("auto_reply")
    rules = tuple(RoutingRule(keywords=tuple(fold_text(str(k)) for k in rule["keywords"] if str(k).strip()),
                              owner=_text(rule.get("owner")), queue=_text(rule.get("queue")))
                  for rule in spec.get("rules") or ())
    if any(not rule.keywords or not (rule.owner or rule.queue) for rule in rules):
        raise ValueError(f"{address}: every rule needs keywords and an owner or a queue")
    return Mailbox(
        address=address,
        queue=_text(spec.get("queue")),
        owner=_text(spec.get("owner")),
        opens_cases=bool(spec.get("opens_cases", False)),
        contact_source=_text(spec.get("contact_source")) or "email",
        rules=rules,
        auto_reply=AutoReply(str(reply.get("subject_prefix", "Re: ")), str(reply["body"])) if reply else None,
    )


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None

