"""A real ``liuhen witness serve`` in a subprocess on a free loopback port (the county's
witness in the tests): started with the log keys it pins, stopped (and restarted on the same
data directory and port) by the test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 60.0
SRC = Path(__file__).parents[1] / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WitnessProcess:
    data_dir: Path
    logs: list[str]
    port: int = field(default_factory=free_port)
    vkey: str = ""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WitnessProcess:
        env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        env.pop("LIUHEN_DATABASE_URL", None)
        command = [sys.executable, "-m", "liuhen", "--data-dir", str(self.data_dir)]
        command += ["witness", "serve", "--port", str(self.port), "--name", "county.test/witness"]
        for log in self.logs:
            command += ["--log", log]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_file = open(self.data_dir / "serve.log", "ab")  # noqa: SIM115 - the process holds it
        self.proc = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        log_file.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.data_dir / "serve.log").read_text("utf-8", "replace"))
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                    self.vkey = response.read().decode().strip()
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("liuhen witness serve did not start in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
