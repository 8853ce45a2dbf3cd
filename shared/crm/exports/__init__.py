"""Exports: any list the API serves, written as CSV or XLSX that a spreadsheet opens safely."""
