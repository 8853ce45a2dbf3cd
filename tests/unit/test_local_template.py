"""template.yaml as the local stack reads it."""

from __future__ import annotations

import pytest
from crm_local.template import (
    BucketSource,
    QueueSource,
    RuleSource,
    ScheduleSource,
    StreamSource,
    Template,
    TemplateError,
    create_table_kwargs,
    time_to_live_kwargs,
)

POOL_ID = "us-east-1_TestPool"
CLIENT_ID = "test-client"


@pytest.fixture
def template() -> Template:
    loaded = Template.load()
    loaded.bind("CrmUserPool", POOL_ID)
    loaded.bind("CrmUserPoolClient", CLIENT_ID)
    return loaded


def test_table_kwargs_come_from_the_template() -> None:
    # When a test asks for the table under its own name
    kwargs = create_table_kwargs("crm-test")

    # Then it gets the template's keys, index and stream, ready for boto3
    assert kwargs["TableName"] == "crm-test"
    assert {k["AttributeName"] for k in kwargs["KeySchema"]} == {"PK", "SK"}
    assert "GSI1" in [index["IndexName"] for index in kwargs["GlobalSecondaryIndexes"]]
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert time_to_live_kwargs("crm-test")["TimeToLiveSpecification"]["AttributeName"] == "expires_at"


def test_v1_routes_use_the_cognito_authorizer_and_public_routes_none(template: Template) -> None:
    # When the routes are read
    routes = {route.route_key: route for route in template.routes()}

    # Then /v1 is guarded by the pool's issuer and client, the health check and forms are public
    guarded = routes["ANY /v1/{proxy+}"].authorizer
    assert guarded is not None
    assert guarded.issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
    assert guarded.audience == (CLIENT_ID,)
    assert guarded.header == "authorization"
    assert routes["GET /health"].authorizer is None
    assert routes["GET /v1/openapi.json"].authorizer is None
    assert routes["POST /forms/{form_id}/submissions"].authorizer is None


def test_environment_is_resolved_to_local_names(template: Template) -> None:
    # When a function's environment is read
    function = next(f for f in template.functions() if f.logical_id == "ApiFunction")

    # Then Globals and references are resolved to the local physical names
    assert function.handler == "api.handler.handler"
    assert function.environment["CRM_TABLE_NAME"] == "crm-local-CrmTable"
    assert function.environment["CRM_EVENT_BUS_NAME"] == "crm-local-crm"
    assert function.environment["POWERTOOLS_SERVICE_NAME"] == "crm"


def test_outbox_stream_is_wired_with_its_filter_and_failure_queue(template: Template) -> None:
    stream = next(s for s in template.event_sources() if isinstance(s, StreamSource))

    assert stream.function_id == "EventPublisherFunction"
    assert stream.table_name == "crm-local-CrmTable"
    assert stream.report_item_failures
    assert stream.filter_patterns[0]["eventName"] == ["INSERT"]
    assert stream.on_failure_queue == "crm-local-EventPublisherDLQ"


def test_pool_ids_are_unknown_until_provisioned() -> None:
    # Given a template whose pool has not been created yet
    unbound = Template.load()

    # Then its routes cannot be resolved, rather than carrying a wrong issuer
    with pytest.raises(TemplateError, match="provisioned"):
        unbound.routes()


def test_every_event_source_kind_is_read_from_a_template() -> None:
    # Given a function with a rule, a queue, a bucket and a schedule
    document = {"Resources": {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-bus"}}},
        "Inbox": {"Type": "AWS::SQS::Queue", "Properties": {"RedrivePolicy": {
            "deadLetterTargetArn": {"Fn::GetAtt": ["InboxDLQ", "Arn"]}, "maxReceiveCount": 3}}},
        "InboxDLQ": {"Type": "AWS::SQS::Queue"},
        "Mail": {"Type": "AWS::S3::Bucket"},
        "Worker": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "worker.handler", "Events": {
            "OnEvent": {"Type": "EventBridgeRule", "Properties": {
                "EventBusName": {"Ref": "Bus"}, "Pattern": {"source": ["crm"]},
                "DeadLetterConfig": {"Type": "SQS"}}},
            "OnMessage": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Inbox", "Arn"]}}},
            "OnMail": {"Type": "S3", "Properties": {
                "Bucket": {"Ref": "Mail"}, "Events": "s3:ObjectCreated:*",
                "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "raw/"}]}}}},
            "Nightly": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "cron(0 3 * * ? *)",
                                                             "Input": '{"kind": "nightly"}'}},
            "OnTopic": {"Type": "SNS", "Properties": {"Topic": "arn:aws:sns:us-east-1:123456789012:t"}},
        }}},
    }}

    # When it is read
    function = Template(document).functions()[0]
    sources = {type(source): source for source in function.sources}

    # Then each source names its local queue, bucket or schedule
    rule = sources[RuleSource]
    assert (rule.bus_name, rule.pattern) == ("crm-local-bus", {"source": ["crm"]})
    assert rule.dead_letter_queue == "crm-local-WorkerOnEventQueue"
    assert sources[QueueSource].queue_name == "crm-local-Inbox"
    assert sources[BucketSource].bucket_name == "crm-local-mail"
    assert sources[BucketSource].filter_rules == ({"Name": "prefix", "Value": "raw/"},)
    assert sources[ScheduleSource].input == {"kind": "nightly"}
    assert function.unsupported_events == ("OnTopic (SNS)",)
    # And queues come dead-letter targets first, then the local ones the sources need
    names = [queue.name for queue in Template(document).queues()]
    assert names.index("crm-local-InboxDLQ") < names.index("crm-local-Inbox")
    assert {rule.target_queue, rule.dead_letter_queue, sources[BucketSource].notification_queue} <= set(names)



def test_a_functions_own_dead_letter_queue_receives_its_failed_asynchronous_events() -> None:
    # Given a function with a DLQ of its own besides its rule's
    document = {"Resources": {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "bus"}},
        "WorkerDLQ": {"Type": "AWS::SQS::Queue"},
        "Worker": {"Type": "AWS::Serverless::Function", "Properties": {
            "Handler": "worker.handler",
            "DeadLetterQueue": {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["WorkerDLQ", "Arn"]}},
            "Events": {"OnEvent": {"Type": "EventBridgeRule", "Properties": {
                "EventBusName": {"Ref": "Bus"}, "Pattern": {"source": ["crm"]},
                "DeadLetterConfig": {"Type": "SQS"}}}}}},
    }}
    # When its rule source is read
    rule = Template(document).functions()[0].sources[0]
    # Then what the function fails on goes where Lambda sends it, not to the rule's delivery DLQ
    assert isinstance(rule, RuleSource)
    assert rule.dead_letter_queue == "crm-local-WorkerDLQ"
