"""A scriptable stand-in for the daemon's HTTP API (docs/api.md), standard library only.

It upscales raw pixels by nearest neighbour, streams NDJSON progress, and can be told to fail
with any error code, to stall (for cancel tests), or to answer with a wrong checksum. Every
request is recorded so tests can check exactly what the client sent.

Run it alone for manual tests:  python3 fake_daemon.py --port 7421 --config-dir DIR
(writes DIR/token and serves until interrupted).
"""

import argparse
import json
import os
import secrets
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

PRESETS = [
    {
        "id": "portrait-natural",
        "name": "Portrait, natural",
        "description": "Faithful skin, gentle detail.",
        "scale": 4,
        "locked": False,
        "source": "built-in",
        "values": {"creativity": 0.3, "resemblance": 0.8, "denoise": 0.2, "model": "x4plus", "twoPass": False, "cleanup": True, "grain": False},
    },
    {
        "id": "fast-preview",
        "name": "Fast preview",
        "description": "The compact model, for previews.",
        "scale": 2,
        "locked": False,
        "source": "built-in",
        "values": {"creativity": 0.3, "resemblance": 0.8, "denoise": 0.2, "model": "x4fast", "twoPass": False, "cleanup": False, "grain": False},
    },
    {
        "id": "studio-house-look",
        "name": "Studio house look",
        "description": "Locked by the studio.",
        "scale": 2,
        "locked": True,
        "source": "studio",
        "values": {"creativity": 0.2, "resemblance": 0.9, "denoise": 0.1, "model": "x4plus", "twoPass": False, "cleanup": True, "grain": False},
    },
]
SCALES = (2, 3, 4, 6, 8)


def nearest_neighbour(data, width, height, channels, bytes_per_sample, scale):
    pixel = channels * bytes_per_sample
    rows = []
    for y in range(height):
        row = data[y * width * pixel:(y + 1) * width * pixel]
        wide = b"".join(row[x * pixel:(x + 1) * pixel] * scale for x in range(width))
        rows.append(wide * scale)
    return b"".join(rows)


class Job:
    def __init__(self, job_id, width, height, channels, bit_depth, scale, pixels):
        self.id = job_id
        self.width, self.height, self.channels, self.bit_depth, self.scale = width, height, channels, bit_depth, scale
        self.pixels = pixels
        self.state = "queued"
        self.events = []
        self.changed = threading.Condition()
        self.result = None
        self.error = None

    def add(self, event):
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def status(self):
        last = next((e for e in reversed(self.events) if e["type"] == "progress"), None)
        counted = {"tile": last["tile"], "tiles": last["tiles"]} if last and "tiles" in last else {}
        return {
            "id": self.id,
            "state": self.state,
            "stage": last["stage"] if last else "queued",
            "progress": 1.0 if self.state == "done" else (last["fraction"] if last else 0.0),
            **counted,
            "etaSeconds": None,
            "error": self.error,
            "result": self.result_info() if self.state == "done" else None,
        }

    def result_info(self):
        return {
            "width": self.width * self.scale,
            "height": self.height * self.scale,
            "channels": self.channels,
            "bitDepth": self.bit_depth,
            "provider": "cpu",
            "models": ["nearest-neighbour"],
            "timings": {"totalMs": 1, "inferenceMs": 0},
        }


class FakeDaemon:
    """Serves on 127.0.0.1 in a background thread; `url`, `token`, `requests`, `jobs` for tests."""

    def __init__(self, token=None, port=0):
        self.token = token or secrets.token_urlsafe(32)
        self.requests = []
        self.jobs = {}
        self.fail_with = None  # (status, code, message, data) for POST /v1/jobs
        self.fail_job_with = None  # {code, message} sent as a `failed` event
        self.stall = False  # jobs wait until cancelled
        self.corrupt_result = False
        self.no_events = False  # /events answers 404, as an older daemon might
        self.protocol = 1
        # What GET /v1/devices lists; None answers 404, as a daemon from before the device choice.
        self.devices = [{"id": 0, "provider": "cpu", "name": "CPU", "default": True}]
        self.counter = 0
        daemon = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                daemon.handle(self, "GET")

            def do_POST(self):
                daemon.handle(self, "POST")

            def do_DELETE(self):
                daemon.handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        for job in self.jobs.values():
            with job.changed:
                job.changed.notify_all()

    # ---------------------------------------------------------- responses

    def send_json(self, handler, status, body, headers=None):
        data = json.dumps(body).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def send_error(self, handler, status, code, message, data=None):
        error = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        self.send_json(handler, status, {"error": error})

    # ---------------------------------------------------------- routing

    def handle(self, handler, method):
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        self.requests.append({"method": method, "path": parts.path, "query": query, "headers": dict(handler.headers.items()), "body": body})
        path = parts.path.rstrip("/")

        if method == "GET" and path == "/v1/health":
            return self.send_json(handler, 200, {"name": "portrait-upscale", "version": "0.1.0", "protocol": self.protocol})
        auth = handler.headers.get("Authorization")
        if not auth:
            return self.send_error(handler, 401, "AUTH_REQUIRED", "A token is required.")
        if auth != "Bearer " + self.token:
            return self.send_error(handler, 401, "AUTH_INVALID", "The token is wrong.")
        if method == "GET" and path == "/v1/presets":
            return self.send_json(handler, 200, {"presets": PRESETS})
        if method == "GET" and path == "/v1/info":
            return self.send_json(handler, 200, self.info())
        if method == "GET" and path == "/v1/devices" and self.devices is not None:
            return self.send_json(handler, 200, {"devices": self.devices})
        if "device" in query and not self.device_known(query["device"]):
            ids = [device["id"] for device in self.devices or []]
            return self.send_error(handler, 400, "DEVICE_UNKNOWN", "There is no device %s here." % query["device"], {"device": query["device"], "devices": ids})
        if method == "POST" and path == "/v1/jobs":
            return self.create_job(handler, query, body)
        if method == "GET" and path == "/v1/estimate":
            return self.estimate(handler, query)
        segments = path.split("/")
        if len(segments) >= 4 and segments[1:3] == ["v1", "jobs"]:
            job = self.jobs.get(segments[3])
            if job is None:
                return self.send_error(handler, 404, "JOB_UNKNOWN", "No job has that id (it may have expired).", {"jobId": segments[3]})
            tail = segments[4] if len(segments) > 4 else ""
            if method == "GET" and tail == "":
                return self.send_json(handler, 200, job.status())
            if method == "DELETE" and tail == "":
                return self.cancel(handler, job)
            if method == "GET" and tail == "events":
                if self.no_events:
                    return self.send_error(handler, 404, "NOT_FOUND", "No such endpoint.")
                return self.stream(handler, job)
            if method == "GET" and tail == "result":
                return self.send_result(handler, job)
        return self.send_error(handler, 404, "NOT_FOUND", "No such endpoint.")

    def info(self):
        return {
            "protocol": self.protocol,
            "daemonVersion": "0.1.0",
            "providers": {"available": ["cpu"], "active": "cpu"},
            "models": [],
            "presets": PRESETS,
            "defaultPreset": PRESETS[0]["id"],
            "limits": {"maxInputPixels": 16777216, "maxOutputPixels": 268435456, "maxChunkBytes": 1048576,
                       "maxTextMessageBytes": 1048576, "window": 8, "maxQueuedJobs": 4, "resultTtlSeconds": 600},
        }

    def device_known(self, value):
        return value.isdigit() and any(device["id"] == int(value) for device in self.devices or [])

    def create_job(self, handler, query, body):
        if self.fail_with:
            status, code, message, data = self.fail_with
            return self.send_error(handler, status, code, message, data)
        try:
            width, height = int(query["width"]), int(query["height"])
            channels, bit_depth = int(query["channels"]), int(query["bitDepth"])
        except (KeyError, ValueError):
            return self.send_error(handler, 400, "INVALID_OPTION", "Expected width, height, channels and bitDepth in the query")
        preset = next((p for p in PRESETS if p["id"] == query.get("preset", PRESETS[0]["id"])), None)
        if preset is None:
            return self.send_error(handler, 400, "PRESET_UNKNOWN", "No preset has that id.", {"preset": query.get("preset")})
        overrides = [k for k in ("scale", "creativity", "resemblance", "denoise", "model") if k in query]
        if preset["locked"] and overrides:
            return self.send_error(handler, 400, "PRESET_LOCKED", "The preset %s is locked; it refuses %s." % (preset["id"], ", ".join(overrides)), {"preset": preset["id"]})
        scale = int(query.get("scale", preset["scale"]))
        if scale not in SCALES:
            return self.send_error(handler, 400, "INVALID_OPTION", "Expected one of 2, 3, 4, 6, 8 for query.scale but received %s" % scale)
        if len(body) != width * height * channels * bit_depth // 8:
            return self.send_error(handler, 400, "INPUT_TRUNCATED", "The input image is truncated or corrupt.")
        if "crc32" in query and query["crc32"] != "%08x" % (zlib.crc32(body) & 0xFFFFFFFF):
            return self.send_error(handler, 400, "CHECKSUM_MISMATCH", "Image data arrived damaged (checksum mismatch).")
        self.counter += 1
        job = Job("j_fake%d" % self.counter, width, height, channels, bit_depth, scale, body)
        self.jobs[job.id] = job
        threading.Thread(target=self.work, args=(job,), daemon=True).start()
        return self.send_json(handler, 202, {"id": job.id})

    def estimate(self, handler, query):
        """Like the daemon's test catalog: a minute per input megapixel per unit of scale."""
        if "width" not in query or "height" not in query:
            return self.send_error(handler, 400, "INVALID_OPTION", "Expected an integer from 1 to 300000 for query.height but received undefined")
        if query.get("preset") == "studio-house-look" and "scale" in query:
            return self.send_error(handler, 409, "PRESET_LOCKED", "The preset studio-house-look is locked.", {"fields": ["scale"]})
        megapixels = int(query["width"]) * int(query["height"]) / 1e6
        seconds = round(megapixels * int(query.get("scale") or 2) * 60, 1)
        return self.send_json(handler, 200, {"seconds": seconds, "provider": "cpu", "device": 0, "calibrated": False,
                                             "models": [{"id": "nearest", "megapixels": megapixels, "seconds": seconds}]})

    def work(self, job):
        job.state = "running"
        for stage, fraction in (("decode", 0.05), ("faces", 0.1)):
            # Like the daemon: no tile count outside the upscale stage, the ETA from the estimate.
            job.add({"type": "progress", "jobId": job.id, "stage": stage, "fraction": fraction, "etaSeconds": 2.0, "estimateSeconds": 2.0})
        for tile in range(2):
            job.add({"type": "progress", "jobId": job.id, "stage": "upscale", "tile": tile, "tiles": 2, "fraction": 0.2 + 0.35 * tile, "etaSeconds": 1.0})
        if self.stall:
            with job.changed:
                while job.state == "running":
                    job.changed.wait(0.1)
            return
        if self.fail_job_with:
            job.state = "failed"
            job.error = dict(self.fail_job_with)
            job.add({"type": "failed", "jobId": job.id, "error": job.error})
            return
        bytes_per_sample = job.bit_depth // 8
        job.result = nearest_neighbour(job.pixels, job.width, job.height, job.channels, bytes_per_sample, job.scale)
        job.state = "done"
        job.add({"type": "done", "jobId": job.id, "result": job.result_info()})

    def cancel(self, handler, job):
        if job.state in ("queued", "running"):
            job.state = "cancelled"
            job.add({"type": "cancelled", "jobId": job.id})
        return self.send_json(handler, 200, job.status())

    def stream(self, handler, job):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-ndjson")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        sent = 0
        try:
            while True:
                with job.changed:
                    while sent >= len(job.events):
                        job.changed.wait(0.5)
                    pending = job.events[sent:]
                sent += len(pending)
                for event in pending:
                    line = (json.dumps(event) + "\n").encode("utf-8")
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                handler.wfile.flush()
                if any(e["type"] != "progress" for e in pending):
                    break
            handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_result(self, handler, job):
        if job.state != "done":
            return self.send_error(handler, 409, "JOB_NOT_FINISHED", "The job has no result yet.", {"state": job.state})
        info = job.result_info()
        crc = "%08x" % (zlib.crc32(job.result) & 0xFFFFFFFF)
        if self.corrupt_result:
            crc = "00000000" if crc != "00000000" else "ffffffff"
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(job.result)))
        handler.send_header("X-Image-Width", str(info["width"]))
        handler.send_header("X-Image-Height", str(info["height"]))
        handler.send_header("X-Image-Channels", str(info["channels"]))
        handler.send_header("X-Image-Bit-Depth", str(info["bitDepth"]))
        handler.send_header("X-Image-Crc32", crc)
        handler.end_headers()
        handler.wfile.write(job.result)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7421)
    parser.add_argument("--config-dir", required=True)
    args = parser.parse_args(argv)
    daemon = FakeDaemon(port=args.port)
    os.makedirs(args.config_dir, exist_ok=True)
    with open(os.path.join(args.config_dir, "token"), "w", encoding="utf-8") as handle:
        handle.write(daemon.token + "\n")
    daemon.start()
    print("listening %s" % daemon.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        daemon.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
