"""Live dashboards: counters kept from the table stream and the widgets read from them."""
