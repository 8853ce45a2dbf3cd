"""The whole CRM on one machine: moto as the embedded AWS, provisioned from template.yaml, the local
API Gateway, and the dispatcher that plays Lambda's event sources."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

from crm_local.clients import local_client
from crm_local.console import ConsoleSite
from crm_local.dispatch import Dispatcher, build_pollers
from crm_local.firehose import delivery_pollers
from crm_local.gateway import Gateway, GatewayServer
from crm_local.jwt_authorizer import JwksCache, JwtVerifier, cognito_jwks_url
from crm_local.provision import provision, seed_demo_form
from crm_local.routes import RouteTable
from crm_local.runtime import LocalFunctions, shared_environment
from crm_local.template import DEFAULT_TEMPLATE_PATH, LOCAL_REGION, Template
from crm_local.wakeups import Wakeups

HOST = "127.0.0.1"
DEMO_FORM_ID = "contact-us"
STATE_FILE_NAME = "state.json"


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class StackSettings:
    http_port: int = 3000
    aws_port: int = 4566
    smtp_port: int = 2525
    state_dir: Path = DEFAULT_TEMPLATE_PATH.parent / ".crm-local"
    template_path: Path = DEFAULT_TEMPLATE_PATH
    # Sites besides the gateway itself whose pages may post the demo form, e.g. a developer's own site.
    extra_form_origins: tuple[str, ...] = ()

    @classmethod
    def from_environ(cls) -> StackSettings:
        defaults = cls()
        return cls(
            http_port=int(os.environ.get("CRM_HTTP_PORT") or defaults.http_port),
            aws_port=int(os.environ.get("CRM_AWS_PORT") or defaults.aws_port),
            smtp_port=int(os.environ.get("CRM_SMTP_PORT") or defaults.smtp_port),
            state_dir=Path(os.environ.get("CRM_LOCAL_STATE_DIR") or defaults.state_dir),
            template_path=Path(os.environ.get("CRM_TEMPLATE") or defaults.template_path),
            extra_form_origins=tuple(o.strip() for o in os.environ.get("CRM_DEMO_FORM_ORIGINS", "").split(",")
                                     if o.strip()),
        )

    @property
    def state_file(self) -> Path:
        return self.state_dir / STATE_FILE_NAME

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://{HOST}:{self.aws_port}"


class LocalStack:
    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self._moto: Any = None
        self._gateway: GatewayServer | None = None
        self._dispatcher: Dispatcher | None = None
        self._smtp: Any = None

    def start(self) -> dict[str, Any]:
        """Starts everything and writes the state file; returns what the state file holds."""
        settings = self.settings
        for port in (settings.aws_port, settings.http_port, settings.smtp_port):
            _require_free_port(port)
        from crm_local.embedded_aws import EmbeddedAws  # noqa: PLC0415 - moto is heavy, and only `run` needs it

        wakeups = Wakeups()
        self._moto = EmbeddedAws(HOST, settings.aws_port, on_change=wakeups.notify)
        self._moto.start()
        template = Template.load(settings.template_path, aws_endpoint=settings.aws_endpoint)
        client = partial(local_client, aws_endpoint=settings.aws_endpoint)
        provisioned = provision(template, client)

        specs = template.functions()
        # Links in the CRM's mail (one-click unsubscribe) lead to this gateway; a workflow's webhook receiver on
        # this machine is a private address, which only the local stack lets a webhook reach.
        environment = shared_environment(specs, settings.aws_endpoint, {"CRM_PUBLIC_URL": settings.http_url,
                                                                       "CRM_WEBHOOK_PRIVATE_TARGETS": "allow"})
        # Functions read their configuration from the environment of this, their only, process.
        os.environ.update(environment)
        gateway_origins = (settings.http_url, f"http://localhost:{settings.http_port}")
        redirect_url = f"{settings.http_url}/thank-you"
        seed_demo_form(environment, gateway_origins + settings.extra_form_origins, redirect_url)

        from crm.platform.config import Settings  # noqa: PLC0415 - product code, loaded after the environment

        state = {
            "pid": os.getpid(),
            "http_url": settings.http_url,
            "aws_endpoint": settings.aws_endpoint,
            "region": LOCAL_REGION,
            "user_pool_id": provisioned.user_pool_id,
            "user_pool_client_id": provisioned.user_pool_client_id,
            "issuer": f"https://cognito-idp.{LOCAL_REGION}.amazonaws.com/{provisioned.user_pool_id}",
            "table_name": template.table.name,
            "event_buses": [bus.name for bus in template.event_buses()],
            "buckets": [bucket.name for bucket in template.buckets()],
            "queues": [queue.name for queue in template.queues()],
            "smtp": {"host": HOST, "port": settings.smtp_port,
                     "recipients": [r for receipt in template.mail_receipts() for r in receipt.recipients]},
            "demo_users": [asdict(user) for user in provisioned.demo_users],
            "console_url": f"{settings.http_url}/",
            "demo_form": {
                "form_id": DEMO_FORM_ID,
                "embed_url": f"{settings.http_url}/forms/{DEMO_FORM_ID}/embed.js",
                "submit_url": f"{settings.http_url}/forms/{DEMO_FORM_ID}/submissions",
                "allowed_origins": list(gateway_origins + settings.extra_form_origins),
                "redirect_url": redirect_url,
            },
            "development_secrets": development_secrets(Settings.from_environ()),
            "unsupported_events": {spec.logical_id: list(spec.unsupported_events)
                                   for spec in specs if spec.unsupported_events},
        }
        # Written before the gateway answers, so that whoever sees /health answer can read it.
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        temporary = settings.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2), encoding="utf-8")
        temporary.replace(settings.state_file)

        functions = LocalFunctions(specs)
        verifier = JwtVerifier(JwksCache(partial(cognito_jwks_url, aws_endpoint=settings.aws_endpoint)))
        pollers = build_pollers(template.event_sources(), functions.invoke, client,
                                partial(template.get_att, attribute="Arn"))
        self._dispatcher = Dispatcher(pollers + delivery_pollers(template, client), wakeups)
        self._dispatcher.start()
        console = ConsoleSite(client("cognito-idp"), provisioned.user_pool_client_id, settings.http_url,
                              settings.aws_endpoint)
        self._gateway = GatewayServer(Gateway(RouteTable(template.routes()), functions.invoke, verifier,
                                              console.handle), HOST, settings.http_port)
        self._gateway.start()
        self._start_smtp(template, client)
        return state

    def _start_smtp(self, template: Template, client: Any) -> None:
        """The SES receipt rule's stand-in: SMTP on loopback, storing raw mail where the rule would."""
        receipts = template.mail_receipts()
        if not receipts:
            return
        from crm_local.smtp import SmtpReceiver  # noqa: PLC0415 - aiosmtpd only when the template receives mail

        self._smtp = SmtpReceiver(receipts[0], client("s3"), HOST, self.settings.smtp_port)
        self._smtp.start()

    def stop(self) -> None:
        """Stops what was started, in reverse order; safe after a failed start."""
        if self._smtp is not None:
            self._smtp.stop()
        if self._gateway is not None:
            self._gateway.stop()
        if self._dispatcher is not None:
            self._dispatcher.stop()
        if self._moto is not None:
            self._moto.stop()
        self.settings.state_file.unlink(missing_ok=True)


def development_secrets(settings: Any) -> dict[str, str]:
    """What the functions use locally in place of the secrets AWS would hold, for `make run` to print."""
    return {
        "CRM_CURSOR_SECRET": settings.cursor_secret or "",
        "CRM_STRIPE_WEBHOOK_SECRET": settings.stripe_webhook_secret or "",
        "CRM_AUTHORIZENET_SIGNATURE_KEY": settings.authorizenet_signature_key or "",
        "CRM_PAYPAL_WEBHOOK_ID": settings.paypal_webhook_id or "",
    }


def is_healthy(http_url: str, timeout: float = 2.0) -> bool:
    try:
        with urlopen(f"{http_url}/health", timeout=timeout) as response:  # noqa: S310 - our own local URL
            return response.status == 200
    except (URLError, OSError):
        return False


def wait_until_healthy(http_url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_healthy(http_url):
            return True
        time.sleep(0.2)
    return False


def read_state(settings: StackSettings) -> dict[str, Any]:
    try:
        return json.loads(settings.state_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackError(f"no local stack state at {settings.state_file}; start one with `crm local run`") from None


def _require_free_port(port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            raise StackError(f"port {port} on {HOST} is in use (is another `crm local run` running?)") from None
