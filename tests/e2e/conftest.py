"""One `crm local run` for the whole session, on free ports, driven over real HTTP like a user would."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class RunningStack:
    http_url: str
    aws_endpoint: str
    state: dict[str, Any]
    # An extra origin the demo form accepts, for a test page served apart from the gateway.
    page_port: int
    environment: dict[str, str]
    # Tokens by role: a token lives an hour, and each run of the command is a new interpreter.
    tokens: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def page_origin(self) -> str:
        return f"http://127.0.0.1:{self.page_port}"

    def token(self, role: str) -> str:
        """What a developer runs: `crm local token --role <role>`, once per role for the session."""
        if role not in self.tokens:
            result = subprocess.run([sys.executable, "-m", "crm_local.cli", "local", "token", "--role", role],
                                    env=self.environment, capture_output=True, text=True, timeout=30, check=True)
            self.tokens[role] = result.stdout.strip()
        return self.tokens[role]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}"}


def _stack_environment(state_dir: Path, http_port: int, aws_port: int, page_port: int) -> dict[str, str]:
    # The tests' own fake AWS settings (tests/conftest.py) must not leak into the stack.
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("CRM_", "AWS_", "POWERTOOLS_"))}
    environment.update({
        "CRM_HTTP_PORT": str(http_port),
        "CRM_AWS_PORT": str(aws_port),
        "CRM_LOCAL_STATE_DIR": str(state_dir),
        "CRM_DEMO_FORM_ORIGINS": f"http://127.0.0.1:{page_port}",
        "PYTHONUNBUFFERED": "1",
    })
    return environment


def _wait_for_health(process: subprocess.Popen[bytes], http_url: str, logs: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`crm local run` exited with {process.returncode}:\n{logs.read_text()[-4000:]}")
        try:
            if requests.get(f"{http_url}/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    pytest.fail(f"/health did not answer 200 within {STARTUP_TIMEOUT_SECONDS}s:\n{logs.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state_dir = tmp_path_factory.mktemp("crm-local")
    http_port, aws_port, page_port = free_port(), free_port(), free_port()
    environment = _stack_environment(state_dir, http_port, aws_port, page_port)
    environment["CRM_SMTP_PORT"] = str(free_port())
    logs = state_dir / "stack.log"
    with logs.open("wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "crm_local.cli", "local", "run"], env=environment,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    http_url = f"http://127.0.0.1:{http_port}"
    try:
        _wait_for_health(process, http_url, logs)
        state = json.loads((state_dir / "state.json").read_text())
        yield RunningStack(http_url, f"http://127.0.0.1:{aws_port}", state, page_port, environment)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            exit_code = process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert exit_code == 0, f"`crm local run` did not stop cleanly:\n{logs.read_text()[-4000:]}"
    assert not (state_dir / "state.json").exists(), "the state file outlived the stack"


# The console's journeys: Debian's Chromium driven by Playwright, one browser per test module.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CONSOLE = Path(__file__).resolve().parents[2] / "console"

needs_chromium = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} is missing (Debian package chromium; make test installs it)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert (CONSOLE / "dist" / "index.html").is_file(), "the console is not built: run `make console`"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()
