"""The embed script carries the form's public configuration safely."""

import json
import re

from crm.forms.config import FormConfig, demo_form
from lead_capture.embed import render_embed_script


def test_the_script_carries_the_fields_and_the_server_time():
    script = render_embed_script(demo_form(), 1234)
    config = json.loads(re.search(r"var config = (\{.*?\});\n", script).group(1))
    assert [f["name"] for f in config["fields"]] == ["email", "first_name", "last_name", "phone", "company",
                                                   "message"]
    assert config["server_time_ms"] == 1234
    assert config["honeypot_field"] == "website"
    assert "owner" not in config and "allowed_origins" not in config


def test_a_hostile_label_cannot_close_the_script_or_break_out():
    hostile = "</script><script>alert(1)</script>\u2028"
    form = FormConfig.from_dict({**demo_form().to_dict(), "success_message": hostile})
    script = render_embed_script(form, 0)
    assert "</script>" not in script
    assert "\u2028" not in script
    config = json.loads(re.search(r"var config = (\{.*?\});\n", script).group(1))
    assert config["success_message"].startswith("</script>")
