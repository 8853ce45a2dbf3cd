"""Form configuration is validated with a message per wrong field."""

import pytest
from crm.forms.config import FormConfig, InvalidFormConfig, demo_form


def test_the_demo_form_round_trips_through_its_stored_shape():
    form = demo_form(allowed_origins=("https://www.example.com",), redirect_url="https://www.example.com/thanks")
    assert FormConfig.from_dict(form.to_dict()) == form
    assert [f.name for f in form.fields] == ["email", "first_name", "last_name", "phone", "company", "message"]


@pytest.mark.parametrize(("change", "field"), [
    ({"form_id": "Bad Id"}, "form_id"),
    ({"fields": []}, "fields"),
    ({"fields": [{"name": "first_name", "maps_to": "first_name"}]}, "fields"),  # nothing identifies a person
    ({"fields": [{"name": "email", "maps_to": "email", "type": "colour"}]}, "fields[0]"),
    ({"fields": [{"name": "email", "maps_to": "password"}]}, "fields[0]"),
    ({"default_phone_region": "Russia"}, "default_phone_region"),
    ({"allowed_origins": ["https://example.com/path"]}, "allowed_origins"),
    ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
])
def test_a_wrong_setting_is_named(change, field):
    data = {**demo_form().to_dict(), **change}
    with pytest.raises(InvalidFormConfig) as error:
        FormConfig.from_dict(data)
    assert field in error.value.fields
