"""The one place that owns logging and metrics for every function."""

import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="crm")
metrics = Metrics(namespace="ServerlessCRM", service="crm")
# An invocation that counted nothing (a health check, an empty batch) is normal, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


__all__ = ["count", "logger", "metrics"]
