"""The embeddable form script: the form's public configuration baked into a small static template."""

from __future__ import annotations

import functools
import json

from crm.forms.config import FormConfig


@functools.cache
def _template() -> str:
    from importlib import resources  # noqa: PLC0415 - only the embed route reads the template

    return resources.files("lead_capture").joinpath("embed.js").read_text(encoding="utf-8")


def render_embed_script(config: FormConfig, server_time_ms: int) -> str:
    public = {
        "form_id": config.form_id,
        "fields": [{"name": f.name, "label": f.label, "type": f.type, "required": f.required}
                   for f in config.fields],
        "honeypot_field": config.spam.honeypot_field,
        "success_message": config.success_message,
        "submit_label": "Send",
        "server_time_ms": server_time_ms,
    }
    # Escaped so that no label can close the script or break a JavaScript string.
    literal = (json.dumps(public, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
               .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return _template().replace("__CRM_FORM_CONFIG__", literal)
