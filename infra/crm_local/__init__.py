"""The local stack: the whole CRM on one machine, derived from template.yaml, without AWS or Docker."""

import logging

# Deliberately not named after the package: Powertools filters out of the root handlers every logger
# whose name contains its service name ("crm"), which would silence the local stack's own messages.
log = logging.getLogger("local_stack")
