"""Creates the template's resources in the embedded moto server with boto3. moto's CloudFormation would
skip Cognito and cannot run the functions, so the parsed template is provisioned directly."""

from __future__ import annotations

import json
import secrets
import string
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm_local.firehose import provision_delivery_rules
from crm_local.template import BucketSource, RuleSource, SecretSpec, Template

ClientFactory = Callable[[str], Any]

# Development only: the demo users exist only in the in-memory moto server of `crm local run`.
DEMO_PASSWORD = "Crm-Demo-Passw0rd"  # noqa: S105 - the local demo user's published password
DEMO_EMAIL_DOMAIN = "demo.crm.local"


@dataclass(frozen=True)
class DemoUser:
    role: str
    email: str
    password: str


@dataclass(frozen=True)
class Provisioned:
    user_pool_id: str
    user_pool_client_id: str
    demo_users: tuple[DemoUser, ...]


def provision(template: Template, client: ClientFactory) -> Provisioned:
    """Everything but the functions. Tables and the Cognito pool come first: their ids and stream ARNs
    exist only once created, and the rest of the wiring refers to them."""
    _create_tables(template, client("dynamodb"))
    cognito = client("cognito-idp")
    pool_id, client_id = _create_user_pools(template, cognito)
    demo_users = _create_demo_users(template, cognito, pool_id)
    s3, sqs, events = client("s3"), client("sqs"), client("events")
    for bucket in template.buckets():
        s3.create_bucket(Bucket=bucket.name)
    for bus in template.event_buses():
        events.create_event_bus(Name=bus.name)
    for queue in template.queues():
        sqs.create_queue(QueueName=queue.name, Attributes=dict(queue.attributes))
    for secret in template.secrets():
        client("secretsmanager").create_secret(Name=secret.name, Description=secret.description,
                                               SecretString=_secret_value(secret))
    _create_rules(template, events)
    # Rules whose target is a Firehose delivery stream deliver to a local queue the local Firehose reads.
    provision_delivery_rules(template, client)
    _create_bucket_notifications(template, s3)
    # moto's Scheduler keeps schedules created at run time (the dispatcher's SchedulePoller fires them).
    for group in template.schedule_groups():
        client("scheduler").create_schedule_group(Name=group)
    for identity in template.mail_identities():
        _verify_identity(client("ses"), identity.identity)
    return Provisioned(pool_id, client_id, demo_users)


def _create_tables(template: Template, dynamodb: Any) -> None:
    for table in template.tables():
        description = dynamodb.create_table(**table.create_table_kwargs())["TableDescription"]
        if table.ttl_attribute:
            dynamodb.update_time_to_live(TableName=table.name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": table.ttl_attribute})
        if "LatestStreamArn" in description:
            template.bind(table.logical_id, StreamArn=description["LatestStreamArn"])


def _create_user_pools(template: Template, cognito: Any) -> tuple[str, str]:
    """Creates every pool, app client and group; returns the first pool's id and client id."""
    pools = template.user_pools()
    clients = template.user_pool_clients()
    if not pools or not clients:
        raise ValueError("the template needs a Cognito user pool and an app client for the local stack")
    for pool in pools:
        props = pool.properties
        options = {key: props[key] for key in ("UsernameAttributes", "AutoVerifiedAttributes", "Policies")
                   if key in props}
        pool_id = cognito.create_user_pool(PoolName=pool.name, **options)["UserPool"]["Id"]
        template.bind(pool.logical_id, pool_id)
    for app_client in clients:
        client_id = cognito.create_user_pool_client(
            UserPoolId=template.ref(app_client.pool_logical_id), ClientName=app_client.name,
            GenerateSecret=app_client.generate_secret,
            ExplicitAuthFlows=list(app_client.explicit_auth_flows))["UserPoolClient"]["ClientId"]
        template.bind(app_client.logical_id, client_id)
    for group in template.user_pool_groups():
        cognito.create_group(GroupName=group.name, UserPoolId=template.ref(group.pool_logical_id),
                             Description=group.description)
    return template.ref(pools[0].logical_id), template.ref(clients[0].logical_id)


def _create_demo_users(template: Template, cognito: Any, pool_id: str) -> tuple[DemoUser, ...]:
    """One confirmed user per group of the pool, named after the role: admin@demo.crm.local, ..."""
    users = []
    for group in template.user_pool_groups():
        if template.ref(group.pool_logical_id) != pool_id:
            continue
        user = DemoUser(group.name, f"{group.name}@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD)
        cognito.admin_create_user(UserPoolId=pool_id, Username=user.email, MessageAction="SUPPRESS",
                                  UserAttributes=[{"Name": "email", "Value": user.email},
                                                  {"Name": "email_verified", "Value": "true"}])
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=user.email, Password=user.password,
                                        Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user.email, GroupName=group.name)
        users.append(user)
    return tuple(users)


def _secret_value(secret: SecretSpec) -> str:
    """A generated secret the way GenerateSecretString describes it, or the template's fixed value."""
    if secret.secret_string is not None:
        return secret.secret_string
    options = secret.generate or {}
    alphabet = string.ascii_letters + string.digits
    if not options.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    alphabet = "".join(c for c in alphabet if c not in str(options.get("ExcludeCharacters", "")))
    value = "".join(secrets.choice(alphabet) for _ in range(int(options.get("PasswordLength", 32))))
    key = options.get("GenerateStringKey")
    if key:
        return json.dumps({**json.loads(options.get("SecretStringTemplate", "{}")), key: value})
    return value


def _queue_arn(template: Template, queue_name: str) -> str:
    return f"arn:aws:sqs:{template.region}:{template.account_id}:{queue_name}"


def _create_rules(template: Template, events: Any) -> None:
    for rule in (s for s in template.event_sources() if isinstance(s, RuleSource)):
        events.put_rule(Name=rule.rule_name, EventBusName=rule.bus_name, EventPattern=json.dumps(rule.pattern))
        events.put_targets(Rule=rule.rule_name, EventBusName=rule.bus_name, Targets=[
            {"Id": rule.function_id[:64], "Arn": _queue_arn(template, rule.target_queue)}])


def _verify_identity(ses: Any, identity: str) -> None:
    """Locally an identity is verified at once; in AWS its DNS records verify it."""
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)


def _create_bucket_notifications(template: Template, s3: Any) -> None:
    """One notification configuration per bucket: the bucket's own queue notifications, and a queue for
    each function's S3 event."""
    by_bucket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for bucket in (b for b in template.buckets() if b.queue_notifications):
        by_bucket[bucket.name].extend(dict(notification) for notification in bucket.queue_notifications)
    for source in (s for s in template.event_sources() if isinstance(s, BucketSource)):
        configuration: dict[str, Any] = {"QueueArn": _queue_arn(template, source.notification_queue),
                                         "Events": list(source.events)}
        if source.filter_rules:
            configuration["Filter"] = {"Key": {"FilterRules": [dict(rule) for rule in source.filter_rules]}}
        by_bucket[source.bucket_name].append(configuration)
    for bucket, configurations in by_bucket.items():
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configurations})


def seed_demo_form(environment: dict[str, str], allowed_origins: tuple[str, ...], redirect_url: str) -> None:
    """Stores the `contact-us` demo form through the product's own code, against the local table."""
    from crm.forms.config import demo_form, save_form  # noqa: PLC0415 - product code reads its settings from the environment
    from crm.platform.config import Settings  # noqa: PLC0415 - product code reads its settings from the environment
    from crm.records.table import bind_table  # noqa: PLC0415 - product code reads its settings from the environment

    bind_table(Settings.from_environ(environment))
    save_form(demo_form(allowed_origins=allowed_origins, redirect_url=redirect_url))
