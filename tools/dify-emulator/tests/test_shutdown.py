"""`rechat-dify-emulator` stops on SIGTERM while an answer is still streaming (it used to wait
for the stream to end, so only a SIGKILL stopped it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from rechat_shared.testing.processes import free_port


def test_sigterm_ends_the_process_during_a_long_stream(tmp_path: object) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rechat_dify_emulator", "--port", str(port)],
        env={**os.environ, "LOG_FORMAT": "text"},
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the emulator exited at start-up"
            try:
                if httpx.get(base + "/_emulator/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the emulator did not come up"
                time.sleep(0.1)
        first_event = threading.Event()

        def stream() -> None:  # 1000 tokens at 5 a second: minutes of answer
            body = {
                "query": "hi [[tokens:1000]][[tps:5]]",
                "inputs": {},
                "user": "u",
                "response_mode": "streaming",
            }
            headers = {"Authorization": "Bearer app-emulator-chat"}
            try:
                with httpx.stream(
                    "POST", base + "/v1/chat-messages", json=body, headers=headers, timeout=120
                ) as response:
                    for _ in response.iter_lines():
                        first_event.set()
            except httpx.HTTPError:
                pass

        threading.Thread(target=stream, daemon=True).start()
        assert first_event.wait(60), "the stream did not start"
        process.send_signal(signal.SIGTERM)
        # generous: the point is that it ends at all while the stream is still running
        assert process.wait(timeout=60) is not None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
