"""A private copy of dist/ on its own server, for tests that change files, stop the server or read its log.

The server is ``build.make_server``'s, with these additions for tests: it records every request
(method, path, body length, status, bytes sent), it can be stopped mid-test (the network "goes away"), it can
emulate a slow link (``Link``: a phone's mobile network, paid by every fetch, the workers' too), and it appends a
``report-uri`` to the Content-Security-Policy header so that a violation anywhere — the page, the
pipeline worker, onnxruntime's threads, the service worker — arrives here as a report.
"""

from __future__ import annotations

import functools
import json
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import build

REPORT_PATH = "/__csp_report"


@dataclass
class Request:
    method: str
    path: str
    body_length: int
    chunked: bool
    status: int | None = None
    sent: int = 0  # bytes of the response's body, as sent (compressed when Content-Encoding says so)
    done: float | None = None  # time.monotonic() when its body was sent
    encoding: str | None = None


@dataclass
class Link:
    """A slow link emulated on the server: ``mbps`` shared by every connection, ``latency_s`` before each response.

    DevTools' network throttling does not slow the fetches of workers and service workers; this does.
    """

    mbps: float = 9.0
    latency_s: float = 0.06
    chunk: int = 16_384
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _free_at: float = 0.0

    def send(self, write, data: bytes) -> None:
        """Write ``data`` in chunks, each when the shared link has carried the ones before."""
        for start in range(0, len(data), self.chunk):
            piece = data[start : start + self.chunk]
            with self._lock:
                begin = max(time.monotonic(), self._free_at)
                self._free_at = begin + len(piece) * 8 / (self.mbps * 1e6)
                done = self._free_at
            time.sleep(max(0.0, done - time.monotonic()))
            write(piece)


@dataclass
class Site:
    """dist/ copied to ``root`` (under ``prefix``) and served at ``url`` until ``stop()``."""

    root: Path
    prefix: str = ""
    isolated: bool = True
    link: Link | None = None
    precompressed: bool = True  # False: no file sent compressed (build.StaticHandler.precompressed)
    requests: list[Request] = field(default_factory=list)
    csp_reports: list[dict] = field(default_factory=list)

    @classmethod
    def copy_of_dist(
        cls, tmp: Path, *, prefix: str = "", isolated: bool = True, link: Link | None = None, precompressed: bool = True
    ) -> Site:
        served = tmp / "www"
        shutil.copytree(build.DIST, served / prefix if prefix else served)
        site = cls(served, prefix, isolated, link, precompressed)
        site.start()
        return site

    @property
    def dist(self) -> Path:
        """The copy of dist/ (under the sub-path, if any)."""
        return self.root / self.prefix if self.prefix else self.root

    def start(self) -> None:
        server = build.make_server(self.root, isolated=self.isolated, precompressed=self.precompressed)
        base = server.RequestHandlerClass.func
        site = self

        class Recording(base):
            def parse_request(self) -> bool:
                ok = super().parse_request()
                self.record = None
                if ok and self.path != REPORT_PATH:
                    self.record = Request(
                        self.command,
                        self.path,
                        int(self.headers.get("Content-Length") or 0),
                        "chunked" in self.headers.get("Transfer-Encoding", ""),
                    )
                    site.requests.append(self.record)
                return ok

            def log_request(self, code="-", size="-") -> None:
                if getattr(self, "record", None) is not None:
                    self.record.status = int(code)

            def send_header(self, keyword: str, value: str) -> None:
                if keyword == "Content-Security-Policy":
                    value = f"{value}; report-uri {REPORT_PATH}"
                if keyword == "Content-Encoding" and getattr(self, "record", None) is not None:
                    self.record.encoding = value
                super().send_header(keyword, value)

            def send_response(self, code, message=None) -> None:
                if site.link is not None:
                    time.sleep(site.link.latency_s)  # the link's round trip, before each response
                super().send_response(code, message)

            def copyfile(self, source, outputfile) -> None:
                for block in iter(lambda: source.read(1 << 16), b""):
                    if site.link is not None:
                        site.link.send(outputfile.write, block)
                    else:
                        outputfile.write(block)
                    if getattr(self, "record", None) is not None:
                        self.record.sent += len(block)
                if getattr(self, "record", None) is not None:
                    self.record.done = time.monotonic()

            def do_POST(self) -> None:
                if self.path != REPORT_PATH:
                    self.send_error(405)
                    return
                site.csp_reports.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
                self.send_response(204)
                self.end_headers()

        server.RequestHandlerClass = functools.partial(Recording, directory=str(self.root))
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}/{self.prefix + '/' if self.prefix else ''}"

    def stop(self) -> None:
        """Shut the server down: from now on the origin refuses every connection."""
        self._server.shutdown()
        self._server.server_close()
