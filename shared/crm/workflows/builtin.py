"""Workflows the CRM ships, ready to switch on: each is made from the email template the business picks (and,
for win-back, how many quiet days), created paused, to be read and activated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Builtin:
    key: str
    name: str
    description: str
    # What its author gives, besides the email template: name -> (default, description).
    parameters: dict[str, tuple[int, str]]

    def definition(self, email_template_id: str, values: dict[str, int]) -> dict[str, Any]:
        return _DEFINITIONS[self.key](email_template_id, {**{k: v[0] for k, v in self.parameters.items()},
                                                          **values}) | {"name": self.name,
                                                                        "description": self.description,
                                                                        "status": "paused"}


def _welcome(template_id: str, values: dict[str, int]) -> dict[str, Any]:
    wait = [{"id": "pause", "type": "wait", "duration": {"minutes": values["delay_minutes"]}}] \
        if values["delay_minutes"] else []
    return {"trigger": {"events": ["Contact Created"], "conditions": [{"field": "event.channel", "op": "eq",
                                                                      "value": "form"}]},
            "steps": [*wait, {"id": "welcome", "type": "send_email", "template_id": template_id}],
            "re_entry": "once", "stop_on": ["unsubscribe"]}


def _thank_you(template_id: str, values: dict[str, int]) -> dict[str, Any]:
    return {"trigger": {"events": ["Payment Succeeded"], "conditions": []},
            "steps": [{"id": "thanks", "type": "send_email", "template_id": template_id}],
            "re_entry": "always", "stop_on": []}


def _win_back(template_id: str, values: dict[str, int]) -> dict[str, Any]:
    days = values["days"]
    return {"trigger": {"events": ["Contact Created", "Activity Logged", "Payment Succeeded"], "conditions": []},
            "steps": [{"id": "quiet", "type": "wait", "duration": {"days": days}},
                      {"id": "still-quiet", "type": "branch", "else": "end",
                       "conditions": [{"field": "last_activity_at", "op": "older_than_days", "value": days}]},
                      {"id": "win-back", "type": "send_email", "template_id": template_id}],
            "re_entry": "restart", "stop_on": ["unsubscribe"]}


_DEFINITIONS = {"welcome-after-form": _welcome, "thank-you-after-payment": _thank_you,
                "win-back": _win_back}

BUILTINS = {builtin.key: builtin for builtin in (
    Builtin("welcome-after-form", "Welcome after a form",
            "A new contact who came from a web form gets the welcome email once.",
            {"delay_minutes": (0, "How long after the form the email goes (0: at once).")}),
    Builtin("thank-you-after-payment", "Thank you after a payment",
            "Every successful payment gets a thank-you email.", {}),
    Builtin("win-back", "Win back after quiet days",
            "A contact with no activity or payment for some days gets the win-back email; each activity or "
            "payment starts the count again.",
            {"days": (60, "Days without an activity or a payment before the email.")}),
)}


def builtin_view(builtin: Builtin) -> dict[str, Any]:
    return {"key": builtin.key, "name": builtin.name, "description": builtin.description,
            "parameters": {name: {"default": default, "description": text}
                           for name, (default, text) in builtin.parameters.items()},
            "example": builtin.definition("<email template id>", {})}
