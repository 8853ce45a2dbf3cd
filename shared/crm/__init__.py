"""Code every CRM function shares: configuration, models, normalization, events, errors, logging."""
