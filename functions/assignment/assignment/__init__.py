"""Python imports this package before its handler module: the collector pauses until the handler has loaded."""

from crm.platform.startup import loading

loading()
