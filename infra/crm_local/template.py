"""template.yaml as the local stack sees it: its resources under local physical names, and every
function's wiring (routes, stream, rules, queues, buckets, schedules), with intrinsics resolved.

Nothing here talks to AWS. Ids that exist only once a resource is created (a Cognito pool's id, a
table's stream ARN) are bound by provisioning with `Template.bind`; until then referring to them fails.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

DEFAULT_TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
LOCAL_STACK_NAME = "crm-local"
LOCAL_REGION = "us-east-1"
# moto's default account: ARNs built here must equal the ones moto builds.
LOCAL_ACCOUNT_ID = "123456789012"
DEFAULT_AWS_ENDPOINT = "http://127.0.0.1:4566"
# Lambda's default for asynchronous invocations (rules, S3, schedules) without EventInvokeConfig.
DEFAULT_ASYNC_RETRIES = 2

_QUEUE_ATTRIBUTES = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
                     "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "FifoQueue",
                     "ContentBasedDeduplication", "SqsManagedSseEnabled")
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class TemplateError(ValueError):
    """The template uses something the local stack cannot reproduce."""


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    name: str
    properties: Mapping[str, Any]

    @property
    def ttl_attribute(self) -> str | None:
        ttl = self.properties.get("TimeToLiveSpecification") or {}
        return ttl.get("AttributeName") if ttl.get("Enabled") else None

    def create_table_kwargs(self, table_name: str | None = None) -> dict[str, Any]:
        """Arguments for boto3 `create_table`. Encryption and backups are left out: moto has no KMS
        to honour them and they change nothing a function can observe."""
        props = self.properties
        kwargs: dict[str, Any] = {
            "TableName": table_name or self.name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if "ProvisionedThroughput" in props:
            kwargs["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(indexes):
                kwargs[indexes] = [{k: index[k] for k in _INDEX_KEYS if k in index} for index in props[indexes]]
        stream = props.get("StreamSpecification")
        if stream:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        return kwargs


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    name: str
    # The bucket's own NotificationConfiguration.QueueConfigurations, as boto3 takes them.
    queue_notifications: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class MailReceiptSpec:
    """An SES receipt rule's S3 action: mail to these recipients (domains or addresses) lands here."""

    bucket: str
    prefix: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class MailIdentitySpec:
    """A domain (or address) SES sends from; moto refuses to send from one it has not verified."""

    identity: str


@dataclass(frozen=True)
class EventBusSpec:
    logical_id: str
    name: str


@dataclass(frozen=True)
class QueueSpec:
    name: str
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SecretSpec:
    logical_id: str
    name: str
    description: str
    generate: Mapping[str, Any] | None
    secret_string: str | None


@dataclass(frozen=True)
class UserPoolSpec:
    logical_id: str
    name: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class UserPoolClientSpec:
    logical_id: str
    pool_logical_id: str
    name: str
    explicit_auth_flows: tuple[str, ...]
    generate_secret: bool


@dataclass(frozen=True)
class UserPoolGroupSpec:
    pool_logical_id: str
    name: str
    description: str


@dataclass(frozen=True)
class JwtAuthorizer:
    name: str
    issuer: str
    audience: tuple[str, ...]
    # Lower-cased header name, from an identity source such as `$request.header.Authorization`.
    header: str


@dataclass(frozen=True)
class HttpRoute:
    function_id: str
    method: str
    path: str
    authorizer: JwtAuthorizer | None
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class StreamSource:
    function_id: str
    event_id: str
    table_name: str
    starting_position: str
    batch_size: int
    filter_patterns: tuple[Mapping[str, Any], ...]
    report_item_failures: bool
    # -1 is Lambda's "until the record expires"; the dispatcher caps it.
    maximum_retry_attempts: int
    on_failure_queue: str | None


@dataclass(frozen=True)
class RuleSource:
    function_id: str
    event_id: str
    rule_name: str
    bus_name: str
    pattern: Mapping[str, Any]
    # moto delivers rule matches to SQS, so each rule gets a local queue as its target.
    target_queue: str
    dead_letter_queue: str | None
    max_retries: int


@dataclass(frozen=True)
class QueueSource:
    function_id: str
    event_id: str
    queue_name: str
    batch_size: int
    report_item_failures: bool


@dataclass(frozen=True)
class BucketSource:
    function_id: str
    event_id: str
    bucket_name: str
    events: tuple[str, ...]
    filter_rules: tuple[Mapping[str, str], ...]
    # moto delivers S3 notifications to SQS; the dispatcher reads them from here.
    notification_queue: str
    max_retries: int


@dataclass(frozen=True)
class ScheduleSource:
    function_id: str
    event_id: str
    expression: str
    input: Any
    enabled: bool
    max_retries: int


EventSource = StreamSource | RuleSource | QueueSource | BucketSource | ScheduleSource


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    handler: str
    environment: Mapping[str, str]
    memory_mb: int
    timeout_seconds: int
    routes: tuple[HttpRoute, ...]
    sources: tuple[EventSource, ...]
    # Event types the local stack does not run (for example SNS); reported at start-up.
    unsupported_events: tuple[str, ...]


class Template:
    def __init__(self, document: Mapping[str, Any], *, stack_name: str = LOCAL_STACK_NAME,
                 region: str = LOCAL_REGION, account_id: str = LOCAL_ACCOUNT_ID,
                 aws_endpoint: str = DEFAULT_AWS_ENDPOINT) -> None:
        self.document = document
        self.resources: Mapping[str, Mapping[str, Any]] = document.get("Resources") or {}
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.aws_endpoint = aws_endpoint.rstrip("/")
        self._bound_refs: dict[str, str] = {}
        self._bound_attributes: dict[tuple[str, str], str] = {}

    @classmethod
    def load(cls, path: Path | str | None = None, **options: Any) -> Template:
        source = Path(path or DEFAULT_TEMPLATE_PATH)
        # Each Template gets its own document (callers may change theirs), decoded from YAML once per version.
        return cls(json.loads(_decoded(source, source.stat().st_mtime_ns)), **options)

    def bind(self, logical_id: str, ref: str | None = None, **attributes: str) -> None:
        """Records an id or attribute that exists only once the resource has been created."""
        if ref is not None:
            self._bound_refs[logical_id] = ref
        for name, value in attributes.items():
            self._bound_attributes[(logical_id, name)] = value

    # Resources -----------------------------------------------------------------------------

    def _of_type(self, resource_type: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource.get("Type") == resource_type:
                yield logical_id, resource.get("Properties") or {}

    def tables(self) -> list[TableSpec]:
        return [TableSpec(lid, self.physical_name(lid), props)
                for lid, props in self._of_type("AWS::DynamoDB::Table")]

    @property
    def table(self) -> TableSpec:
        """The one table of the single-table design."""
        tables = self.tables()
        if len(tables) != 1:
            raise TemplateError(f"expected one AWS::DynamoDB::Table, found {len(tables)}")
        return tables[0]

    def buckets(self) -> list[BucketSpec]:
        return [BucketSpec(lid, self.physical_name(lid), self._queue_notifications(props))
                for lid, props in self._of_type("AWS::S3::Bucket")]

    def _queue_notifications(self, props: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
        queues = (props.get("NotificationConfiguration") or {}).get("QueueConfigurations") or ()
        notifications = []
        for queue in queues:
            notification: dict[str, Any] = {"QueueArn": self.resolve(queue["Queue"]), "Events": [queue["Event"]]}
            rules = ((queue.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                notification["Filter"] = {"Key": {"FilterRules": self.resolve(rules)}}
            notifications.append(notification)
        return tuple(notifications)

    def mail_receipts(self) -> list[MailReceiptSpec]:
        receipts = []
        for _, props in self._of_type("AWS::SES::ReceiptRule"):
            rule = props.get("Rule") or {}
            for action in rule.get("Actions") or ():
                if "S3Action" in action:
                    s3 = action["S3Action"]
                    receipts.append(MailReceiptSpec(self.resolve(s3["BucketName"]),
                                                    self.resolve(s3.get("ObjectKeyPrefix", "")),
                                                    tuple(self.resolve(rule.get("Recipients") or []))))
        return receipts

    def mail_identities(self) -> list[MailIdentitySpec]:
        return [MailIdentitySpec(self.resolve(props["EmailIdentity"]))
                for _, props in self._of_type("AWS::SES::EmailIdentity")]

    def schedule_groups(self) -> list[str]:
        """The EventBridge Scheduler groups the functions create schedules in at run time (a report's email)."""
        return [self.physical_name(lid) for lid, _ in self._of_type("AWS::Scheduler::ScheduleGroup")]

    def event_buses(self) -> list[EventBusSpec]:
        return [EventBusSpec(lid, self.physical_name(lid)) for lid, _ in self._of_type("AWS::Events::EventBus")]

    def queues(self) -> list[QueueSpec]:
        """The template's queues, then the local ones its event sources need; dead-letter targets first,
        because SQS refuses a redrive policy naming a queue that does not exist yet."""
        declared = []
        for logical_id, props in self._of_type("AWS::SQS::Queue"):
            attributes = {name: _attribute_text(self.resolve(props[name]))
                          for name in _QUEUE_ATTRIBUTES if name in props}
            if "RedrivePolicy" in props:
                attributes["RedrivePolicy"] = json.dumps(self.resolve(props["RedrivePolicy"]))
            declared.append(QueueSpec(self.physical_name(logical_id), attributes))
        declared.sort(key=lambda queue: "RedrivePolicy" in queue.attributes)
        declared_names = {queue.name for queue in declared}
        local = []
        for source in self.event_sources():
            for name in (getattr(source, "target_queue", None), getattr(source, "dead_letter_queue", None),
                         getattr(source, "notification_queue", None)):
                if name and name not in declared_names and QueueSpec(name) not in local:
                    local.append(QueueSpec(name))
        return declared + local

    def secrets(self) -> list[SecretSpec]:
        return [SecretSpec(lid, self.physical_name(lid), str(props.get("Description", "")),
                           props.get("GenerateSecretString"),
                           self.resolve(props["SecretString"]) if "SecretString" in props else None)
                for lid, props in self._of_type("AWS::SecretsManager::Secret")]

    def user_pools(self) -> list[UserPoolSpec]:
        return [UserPoolSpec(lid, self.physical_name(lid), props)
                for lid, props in self._of_type("AWS::Cognito::UserPool")]

    def user_pool_clients(self) -> list[UserPoolClientSpec]:
        return [UserPoolClientSpec(lid, _referenced_id(props["UserPoolId"]), self.physical_name(lid),
                                   tuple(props.get("ExplicitAuthFlows") or ()), bool(props.get("GenerateSecret")))
                for lid, props in self._of_type("AWS::Cognito::UserPoolClient")]

    def user_pool_groups(self) -> list[UserPoolGroupSpec]:
        return [UserPoolGroupSpec(_referenced_id(props["UserPoolId"]), self.resolve(props["GroupName"]),
                                  str(props.get("Description", "")))
                for _, props in self._of_type("AWS::Cognito::UserPoolGroup")]

    def functions(self) -> list[FunctionSpec]:
        globals_function = (self.document.get("Globals") or {}).get("Function") or {}
        specs = []
        for logical_id, props in self._of_type("AWS::Serverless::Function"):
            merged = {**globals_function, **props}
            variables = {**((globals_function.get("Environment") or {}).get("Variables") or {}),
                         **((props.get("Environment") or {}).get("Variables") or {})}
            retries = (merged.get("EventInvokeConfig") or {}).get("MaximumRetryAttempts", DEFAULT_ASYNC_RETRIES)
            function_dlq = (merged.get("DeadLetterQueue") or {}).get("TargetArn")
            routes, sources, unsupported = [], [], []
            for event_id, event in (props.get("Events") or {}).items():
                wired = self._event(logical_id, event_id, event, int(retries),
                                    _arn_name(self.resolve(function_dlq)) if function_dlq else None)
                if isinstance(wired, HttpRoute):
                    routes.append(wired)
                elif wired is None:
                    unsupported.append(f"{event_id} ({event.get('Type')})")
                else:
                    sources.append(wired)
            specs.append(FunctionSpec(
                logical_id=logical_id,
                name=self.physical_name(logical_id),
                handler=merged["Handler"],
                environment={name: _attribute_text(self.resolve(value)) for name, value in variables.items()},
                memory_mb=int(merged.get("MemorySize", 128)),
                timeout_seconds=int(merged.get("Timeout", 3)),
                routes=tuple(routes),
                sources=tuple(sources),
                unsupported_events=tuple(unsupported),
            ))
        return specs

    def routes(self) -> list[HttpRoute]:
        return [route for function in self.functions() for route in function.routes]

    def event_sources(self) -> list[EventSource]:
        return [source for function in self.functions() for source in function.sources]

    # Events --------------------------------------------------------------------------------

    def _event(self, function_id: str, event_id: str, event: Mapping[str, Any],
               async_retries: int, function_dlq: str | None = None) -> HttpRoute | EventSource | None:
        props = event.get("Properties") or {}
        kind = event.get("Type")
        local_name = f"{self.stack_name}-{function_id}-{event_id}"
        if kind == "HttpApi":
            return self._http_route(function_id, props)
        if kind == "DynamoDB":
            on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            return StreamSource(
                function_id=function_id,
                event_id=event_id,
                table_name=self._stream_table_name(props["Stream"]),
                starting_position=props.get("StartingPosition", "LATEST"),
                batch_size=int(props.get("BatchSize", 100)),
                filter_patterns=self._filter_patterns(props),
                report_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or ()),
                maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                on_failure_queue=_arn_name(self.resolve(on_failure)) if on_failure else None,
            )
        if kind == "EventBridgeRule":
            return RuleSource(
                function_id=function_id,
                event_id=event_id,
                rule_name=local_name[:64],
                bus_name=self.resolve(props.get("EventBusName", "default")),
                pattern=self.resolve(props["Pattern"]),
                target_queue=f"{local_name[:73]}-target",
                # Locally the function's errors are all there is to dead-letter: they go where Lambda
                # sends them (the function's DeadLetterQueue), else to the rule's.
                dead_letter_queue=function_dlq or self._rule_dead_letter_queue(function_id, event_id, props),
                max_retries=async_retries,
            )
        if kind == "SQS":
            return QueueSource(
                function_id=function_id,
                event_id=event_id,
                queue_name=_arn_name(self.resolve(props["Queue"])),
                batch_size=int(props.get("BatchSize", 10)),
                report_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or ()),
            )
        if kind == "S3":
            events = props["Events"]
            return BucketSource(
                function_id=function_id,
                event_id=event_id,
                bucket_name=self.resolve(props["Bucket"]),
                events=tuple([events] if isinstance(events, str) else events),
                filter_rules=tuple(((props.get("Filter") or {}).get("S3Key") or {}).get("Rules") or ()),
                notification_queue=f"{local_name[:74]}-s3",
                max_retries=async_retries,
            )
        if kind in ("Schedule", "ScheduleV2"):
            raw_input = props.get("Input")
            return ScheduleSource(
                function_id=function_id,
                event_id=event_id,
                expression=props["Schedule" if kind == "Schedule" else "ScheduleExpression"],
                input=json.loads(self.resolve(raw_input)) if raw_input is not None else None,
                enabled=bool(props.get("Enabled", True)) and props.get("State", "ENABLED") == "ENABLED",
                max_retries=async_retries,
            )
        return None

    def _http_route(self, function_id: str, props: Mapping[str, Any]) -> HttpRoute:
        api_id = _referenced_id(props["ApiId"]) if "ApiId" in props else None
        api_auth = self._http_api_auth(api_id)
        route_auth = props.get("Auth") or {}
        authorizer_name = route_auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
        authorizer = None
        if authorizer_name and authorizer_name != "NONE":
            definition = (api_auth.get("Authorizers") or {}).get(authorizer_name)
            if definition is None or "JwtConfiguration" not in definition:
                raise TemplateError(f"{function_id}: authorizer {authorizer_name} is not a JWT authorizer")
            jwt = definition["JwtConfiguration"]
            source = definition.get("IdentitySource", "$request.header.Authorization")
            authorizer = JwtAuthorizer(
                name=authorizer_name,
                issuer=self.resolve(jwt["issuer"]),
                audience=tuple(self.resolve(jwt.get("audience") or [])),
                header=source.removeprefix("$request.header.").lower(),
            )
        method = str(props.get("Method", "ANY")).upper()
        return HttpRoute(function_id, "ANY" if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" else method,
                         props.get("Path", "$default"), authorizer,
                         tuple(route_auth.get("AuthorizationScopes") or ()))

    def _http_api_auth(self, api_id: str | None) -> Mapping[str, Any]:
        """The API's Auth, over the HttpApi Globals (SAM's implicit API has only the Globals)."""
        global_auth = ((self.document.get("Globals") or {}).get("HttpApi") or {}).get("Auth") or {}
        own_auth = ((self.resources.get(api_id) or {}).get("Properties") or {}).get("Auth") or {} if api_id else {}
        return {**global_auth, **own_auth}

    def stream_filter_patterns(self, function_id: str) -> tuple[Mapping[str, Any], ...]:
        """The FilterCriteria patterns of the function's DynamoDB stream events, readable before anything
        is provisioned (a replay of a deployed stack's stream range selects records with them)."""
        events = ((self.resources[function_id].get("Properties") or {}).get("Events") or {}).values()
        return tuple(pattern for event in events if event.get("Type") == "DynamoDB"
                     for pattern in self._filter_patterns(event.get("Properties") or {}))

    def _filter_patterns(self, props: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
        filters = (props.get("FilterCriteria") or {}).get("Filters") or ()
        return tuple(json.loads(self.resolve(f["Pattern"])) for f in filters)

    def _stream_table_name(self, stream: Any) -> str:
        """A stream ARN exists only after the table does, so wiring names the table instead."""
        if isinstance(stream, Mapping) and "Fn::GetAtt" in stream:
            logical_id, attribute = _get_att_parts(stream["Fn::GetAtt"])
            if attribute == "StreamArn":
                return self.physical_name(logical_id)
        arn = self.resolve(stream)
        match = re.search(r":table/([^/]+)/stream/", arn)
        if not match:
            raise TemplateError(f"not a DynamoDB stream ARN: {arn}")
        return match.group(1)

    def _rule_dead_letter_queue(self, function_id: str, event_id: str, props: Mapping[str, Any]) -> str | None:
        config = props.get("DeadLetterConfig")
        if not config:
            return None
        if "Arn" in config:
            return _arn_name(self.resolve(config["Arn"]))
        # `Type: SQS` makes SAM create the queue, named after QueueLogicalId or function and event.
        return f"{self.stack_name}-{config.get('QueueLogicalId') or function_id + event_id + 'Queue'}"[:80]

    # Intrinsics ----------------------------------------------------------------------------

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"no resource {logical_id} in the template")
        name_property = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::Events::EventBus": "Name",
            "AWS::SQS::Queue": "QueueName",
            "AWS::SecretsManager::Secret": "Name",
            "AWS::Serverless::Function": "FunctionName",
            "AWS::Cognito::UserPool": "UserPoolName",
            "AWS::Cognito::UserPoolClient": "ClientName",
            "AWS::Scheduler::ScheduleGroup": "Name",
            "AWS::IAM::Role": "RoleName",
        }.get(resource["Type"])
        props = resource.get("Properties") or {}
        if name_property and name_property in props:
            return self.resolve(props[name_property])
        name = f"{self.stack_name}-{logical_id}"
        # Bucket names are lower case only.
        return name.lower() if resource["Type"] == "AWS::S3::Bucket" else name

    def ref(self, logical_id: str) -> str:
        pseudo = {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        if logical_id in self._bound_refs:
            return self._bound_refs[logical_id]
        parameter = (self.document.get("Parameters") or {}).get(logical_id)
        if parameter is not None:
            if "Default" not in parameter:
                raise TemplateError(f"parameter {logical_id} needs a Default to run locally")
            return str(parameter["Default"])
        resource_type = (self.resources.get(logical_id) or {}).get("Type")
        if resource_type in ("AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient"):
            raise TemplateError(f"{logical_id} has an id only once it is provisioned")
        if resource_type == "AWS::SQS::Queue":
            return f"{self.aws_endpoint}/{self.account_id}/{self.physical_name(logical_id)}"
        # A secret's Ref is its ARN in AWS; locally its name, which every Secrets Manager call accepts.
        return self.physical_name(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) in self._bound_attributes:
            return self._bound_attributes[(logical_id, attribute)]
        resource_type = (self.resources.get(logical_id) or {}).get("Type")
        region, account = self.region, self.account_id
        if attribute == "Arn":
            name = self.physical_name(logical_id)
            arn = {
                "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{region}:{account}:table/{name}",
                "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
                "AWS::Events::EventBus": f"arn:aws:events:{region}:{account}:event-bus/{name}",
                "AWS::SQS::Queue": f"arn:aws:sqs:{region}:{account}:{name}",
                "AWS::Serverless::Function": f"arn:aws:lambda:{region}:{account}:function:{name}",
                "AWS::IAM::Role": f"arn:aws:iam::{account}:role/{name}",
                "AWS::Scheduler::ScheduleGroup": f"arn:aws:scheduler:{region}:{account}:schedule-group/{name}",
            }.get(resource_type)
            if arn:
                return arn
            if resource_type == "AWS::Cognito::UserPool":
                return f"arn:aws:cognito-idp:{region}:{account}:userpool/{self.ref(logical_id)}"
        if resource_type == "AWS::SQS::Queue" and attribute in ("QueueName", "QueueUrl"):
            return self.physical_name(logical_id) if attribute == "QueueName" else self.ref(logical_id)
        if resource_type == "AWS::Cognito::UserPool" and attribute == "ProviderURL":
            return f"https://cognito-idp.{region}.amazonaws.com/{self.ref(logical_id)}"
        if resource_type in ("AWS::Events::EventBus", "AWS::S3::Bucket") and attribute == "Name":
            return self.physical_name(logical_id)
        raise TemplateError(f"cannot resolve {logical_id}.{attribute} locally")

    def resolve(self, value: Any) -> Any:
        """Replaces Ref, Fn::GetAtt, Fn::Sub and Fn::Join with local physical names and ARNs."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                return self.get_att(*_get_att_parts(argument))
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                delimiter, items = argument
                return delimiter.join(str(item) for item in self.resolve(items))
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported by the local stack")
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return _SUB_VARIABLE.sub(substitute, text)


def _get_att_parts(argument: Any) -> tuple[str, str]:
    logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    return logical_id, attribute


def _referenced_id(value: Any) -> str:
    """The logical id a `!Ref X` or `!GetAtt X.Attr` points at."""
    if isinstance(value, Mapping) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, Mapping) and "Fn::GetAtt" in value:
        return _get_att_parts(value["Fn::GetAtt"])[0]
    raise TemplateError(f"expected a !Ref or !GetAtt, found {value!r}")


def _arn_name(arn: str) -> str:
    """The resource name at the end of an SQS or similar ARN."""
    return arn.rsplit(":", 1)[-1]


def _attribute_text(value: Any) -> str:
    """Scalars the way CloudFormation passes them to AWS: booleans as true/false, all as strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@functools.lru_cache(maxsize=8)
def _decoded(source: Path, modified_ns: int) -> str:
    """The template as JSON text: cfn-lint's node classes carry line marks, and plain dicts and lists are
    all the rest needs. Keyed by the file's modification time, so an edited template is read again."""
    document, problems = decode_str(source.read_text(encoding="utf-8"))
    if problems:
        raise TemplateError(f"{source}: {problems[0].message}")
    return json.dumps(document)


def create_table_kwargs(table_name: str, template_path: Path | str | None = None) -> dict[str, Any]:
    """boto3 `create_table` arguments for the template's table, under `table_name` (for tests under
    moto's `mock_aws`). Pair with `time_to_live_kwargs` for the table's TTL."""
    return Template.load(template_path).table.create_table_kwargs(table_name)


def time_to_live_kwargs(table_name: str, template_path: Path | str | None = None) -> dict[str, Any] | None:
    """boto3 `update_time_to_live` arguments for the template's table, or None when it has no TTL."""
    attribute = Template.load(template_path).table.ttl_attribute
    if attribute is None:
        return None
    return {"TableName": table_name,
            "TimeToLiveSpecification": {"Enabled": True, "AttributeName": attribute}}
