"""PayPal's signing certificates, fetched from PayPal's own hosts (checked before the fetch) and cached."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from urllib.request import urlopen

from crm.platform.cache import TtlCache

FETCH_TIMEOUT_SECONDS = 3
MAX_CERTIFICATE_BYTES = 64 * 1024

# A certificate never changes at its URL, so it is kept for the container's life. The URL comes with the
# unverified webhook, so the count is bounded: a container sees one or two, a stranger's many only cost fetches.
_cache: TtlCache[str, bytes] = TtlCache(max_entries=16)
_lock = threading.Lock()


def fetch_over_https(url: str) -> bytes:
    with urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - host allow-listed by the caller
        return response.read(MAX_CERTIFICATE_BYTES)


_fetcher: Callable[[str], bytes] = fetch_over_https


def use_fetcher(fetcher: Callable[[str], bytes]) -> None:
    """Replaces the network fetch (tests and the local stack run offline) and empties the cache."""
    global _fetcher
    with _lock:
        _fetcher = fetcher
        _cache.clear()


def cached_certificate(url: str) -> bytes:
    with _lock:
        return _cache.get(url, lambda: _fetcher(url), max_age=math.inf)
