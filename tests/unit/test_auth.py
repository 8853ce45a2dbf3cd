"""Roles come from Cognito groups, in whichever shape API Gateway passes them."""

import pytest
from crm.platform.access import PERMISSIONS, caller_from_claims
from crm.platform.errors import HttpError


@pytest.mark.parametrize(("groups", "roles"), [
    ("[admin sales]", {"admin", "sales"}),
    (["marketing"], {"marketing"}),
    ("[support]", {"support"}),
    ("[intruder]", set()),
    (None, set()),
])
def test_groups_claim_shapes(groups, roles):
    assert caller_from_claims({"sub": "u", "cognito:groups": groups}).roles == roles


def test_claims_without_a_subject_are_unauthorized():
    with pytest.raises(HttpError) as error:
        caller_from_claims({"cognito:groups": "[admin]"})
    assert error.value.status == 401


def test_a_role_outside_the_matrix_is_forbidden():
    caller = caller_from_claims({"sub": "u", "cognito:groups": "[support]"})
    assert caller.can("contacts", "read")
    with pytest.raises(HttpError) as error:
        caller.require("contacts", "write")
    assert error.value.status == 403
    assert PERMISSIONS["contacts"]["write"] == {"admin", "sales", "marketing"}
