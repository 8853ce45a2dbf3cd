"""The Lambda functions template.yaml deploys, by the package of each one's handler."""

from __future__ import annotations

from crm_local.template import Template


def handler_packages() -> tuple[str, ...]:
    return tuple(sorted({resource["Properties"]["Handler"].split(".")[0]
                         for resource in Template.load().document["Resources"].values()
                         if resource["Type"] == "AWS::Serverless::Function"}))
