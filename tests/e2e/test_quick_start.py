"""The first Quick start command, as a newcomer runs it: demo data, tokens, a served API."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent / "workbridge"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_then_serve_answers_a_status_check(tmp_path: Path) -> None:
    env = {**os.environ, "WORKBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    demo = subprocess.run(
        [str(BIN), "demo", "--households", "40"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    assert "Loaded 40 households" in demo.stdout
    tokens = dict(
        re.findall(
            r"^\s+(counsellor|benefit_officer|training_provider|admin)\s+(wb_\S+)",
            demo.stdout,
            re.M,
        )
    )
    assert set(tokens) == {"counsellor", "benefit_officer", "training_provider", "admin"}
    sample = re.search(r"/api/v1/status/(\d{17}[\dX])", demo.stdout)
    assert sample, demo.stdout
    accounts = {
        username: password
        for _, username, password in re.findall(
            r"^\s+(counsellor|benefit_officer|training_provider|admin)\s+(demo\.\S+)\s+(\S+)$",
            demo.stdout,
            re.M,
        )
    }  # (a rerun prints new passwords: read them again below)
    assert {"demo.counsellor", "demo.officer", "demo.officer2", "demo.admin"} <= set(accounts)

    again = subprocess.run(
        [str(BIN), "demo", "--households", "40"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "already holds 40 households" in again.stdout
    for _, username, password in re.findall(
        r"^\s+(counsellor|benefit_officer|training_provider|admin)\s+(demo\.\S+)\s+(\S+)$",
        again.stdout,
        re.M,
    ):
        assert accounts[username] != password
        accounts[username] = password

    port = free_port()
    server = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {tokens['benefit_officer']}"}
        status = httpx.get(f"{base}/api/v1/status/{sample.group(1)}", headers=headers, timeout=5)
        assert status.status_code == 200
        assert status.json()["status"] == "active"
        forbidden = httpx.get(
            f"{base}/api/v1/status/{sample.group(1)}",
            headers={"Authorization": f"Bearer {tokens['counsellor']}"},
            timeout=5,
        )
        assert forbidden.status_code == 403
        with httpx.Client(base_url=base, timeout=5) as browser:
            form = browser.get("/app/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            signed_in = browser.post(
                "/app/login",
                data={
                    "username": "demo.officer",
                    "password": accounts["demo.officer"],
                    "csrf_token": token,
                },
            )
            assert signed_in.status_code == 303
            assert signed_in.headers["location"] == "/app/applications"
            status_page = browser.get("/app/status", params={"national_id": sample.group(1)})
            assert status_page.status_code == 200 and "生效中" in status_page.text
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert sample.group(1) not in output  # the access log masks the ID number
    assert sample.group(1)[:4] + "**********" in output
