"""Cold start without garbage collection. A function's modules, loaded once, live as long as its container,
so collecting while they load is wasted work: one full collection cost lead capture about 15 ms. Each
function's package pauses the collector before its handler module loads; the handler module, once loaded,
freezes what the import built (later collections skip it) and starts the collector again."""

from __future__ import annotations

import gc


def loading() -> None:
    gc.disable()


def loaded() -> None:
    gc.freeze()
    gc.enable()
