"""`make bench`: cold start, AWS requests, warm CPU and cost of each function (see bench/run.py)."""
