"""Lambda entry for the clients' HTTP API (/v1, behind the Cognito JWT authorizer) and /health."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from crm.config import get_settings
from crm.errors import ClientError
from crm.models import bind_table
from crm.observability import logger, metrics

from api import contacts, emails, mailboxes, payments, scoring_model

app = APIGatewayHttpResolver()
app.include_router(contacts.router, prefix="/v1")
app.include_router(scoring_model.router, prefix="/v1")
app.include_router(payments.router, prefix="/v1")
app.include_router(emails.router, prefix="/v1")
app.include_router(mailboxes.router, prefix="/v1")
bind_table(get_settings())


def _json_error(error: ClientError) -> Response:
    return Response(status_code=error.status, content_type="application/json", body=error.body(),
                    headers=error.headers)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.exception_handler(ClientError)
def client_error(error: ClientError) -> Response:
    return _json_error(error)


@app.not_found
def not_found(_: Exception) -> Response:
    return _json_error(ClientError(404, "not_found", "No such route."))


@app.exception_handler(Exception)
def unexpected(error: Exception) -> Response:
    logger.exception("api request failed")
    return _json_error(ClientError(503, "temporarily_unavailable", "Please try again shortly.",
                                   headers={"retry-after": "5"}))


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
