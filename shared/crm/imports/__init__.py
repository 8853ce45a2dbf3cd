"""Imports: spreadsheets read into rows, columns mapped to fields, rows applied as API writes, reverts."""
