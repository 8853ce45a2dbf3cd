"""PayPal's signing certificates, fetched from PayPal's own hosts (checked before the fetch) and cached."""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.request import urlopen

FETCH_TIMEOUT_SECONDS = 3
MAX_CERTIFICATE_BYTES = 64 * 1024

_cache: dict[str, bytes] = {}
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
        if url not in _cache:
            _cache[url] = _fetcher(url)
        return _cache[url]
