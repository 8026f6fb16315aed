"""The connection to one daemon: its endpoints, following a job to its end, and the dialog's estimate line."""

from __future__ import annotations

import http.client
import socket
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

from portrait_upscale_answers import parse_error_body, parse_estimate, parse_event_line, parse_json, raw_result
from portrait_upscale_constants import DEFAULT_URL, EVENT_TIMEOUT, PROTOCOL_VERSION, QUICK_TIMEOUT, TRANSFER_TIMEOUT
from portrait_upscale_errors import DAEMON_BAD_RESPONSE, DAEMON_INCOMPATIBLE, DAEMON_NOT_RUNNING, BridgeError
from portrait_upscale_requests import HttpRequest, JobOptions, RawImage, auth_headers, build_job_request, encode_query, job_path
from portrait_upscale_token import read_token, token_path
from portrait_upscale_words import estimate_text


class DaemonClient:
    """Talks to one daemon. Every method raises BridgeError with a code on failure."""

    def __init__(self, url: str = DEFAULT_URL, token: Optional[str] = None, token_file: Optional[str] = None, quick_timeout: float = QUICK_TIMEOUT):
        self.quick_timeout = quick_timeout
        self.url = (url or DEFAULT_URL).strip()
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BridgeError("INVALID_OPTION", "Expected a daemon URL like %s but received %r" % (DEFAULT_URL, url), {"name": "url"})
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.token_file = token_file

    # -- plumbing

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _open(self, request: HttpRequest, timeout: float) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        connection = self._connection(timeout)
        try:
            connection.request(request.method, request.path, body=request.body, headers=request.headers)
            response = connection.getresponse()
        except (ConnectionRefusedError, socket.gaierror) as error:
            connection.close()
            raise BridgeError(DAEMON_NOT_RUNNING, "Cannot connect to %s: %s" % (self.url, error), {"url": self.url})
        except socket.timeout:
            connection.close()
            raise BridgeError(DAEMON_NOT_RUNNING, "The daemon at %s did not answer in time" % self.url, {"url": self.url})
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            connection.close()
            raise BridgeError(DAEMON_NOT_RUNNING, "The connection to %s failed: %s" % (self.url, error), {"url": self.url})
        return connection, response

    def _call(self, request: HttpRequest, timeout: Optional[float] = None, expect: Tuple[int, ...] = (200,)) -> Tuple[Dict[str, str], bytes]:
        connection, response = self._open(request, timeout or self.quick_timeout)
        try:
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise BridgeError(DAEMON_BAD_RESPONSE, "The answer from %s broke off: %s" % (self.url, error), {"url": self.url})
        finally:
            connection.close()
        if response.status not in expect:
            error = parse_error_body(response.status, body)
            if error.code in ("AUTH_INVALID", "AUTH_REQUIRED") and self.token_file:
                error.data.setdefault("tokenPath", self.token_file)
            raise error
        return dict(response.getheaders()), body

    def _get(self, path: str, authenticated: bool = True) -> Dict[str, Any]:
        _, body = self._call(HttpRequest("GET", self.prefix + path, auth_headers(self.token if authenticated else None)))
        return parse_json(body, "GET " + path)

    # -- endpoints

    def health(self) -> Dict[str, Any]:
        """`GET /v1/health`; DAEMON_INCOMPATIBLE unless it is our daemon at our protocol version."""
        try:
            health = self._get("/v1/health", authenticated=False)
        except BridgeError as error:
            if error.code in (DAEMON_BAD_RESPONSE, "NOT_FOUND"):
                raise BridgeError(DAEMON_INCOMPATIBLE, "%s does not answer like a Portrait Upscale daemon" % self.url, {"url": self.url})
            raise
        if health.get("name") != "portrait-upscale":
            raise BridgeError(DAEMON_INCOMPATIBLE, "%s is %r, not a Portrait Upscale daemon" % (self.url, health.get("name")), {"url": self.url})
        if health.get("protocol") != PROTOCOL_VERSION:
            raise BridgeError(
                "PROTOCOL_VERSION_MISMATCH",
                "The daemon speaks protocol %r, this plug-in %d" % (health.get("protocol"), PROTOCOL_VERSION),
                {"daemon": health.get("protocol"), "client": PROTOCOL_VERSION},
            )
        return health

    def info(self) -> Dict[str, Any]:
        """`GET /v1/info`: versions, providers, models, presets, default preset, limits."""
        return self._get("/v1/info")

    def devices(self) -> List[Dict[str, Any]]:
        """`GET /v1/devices`: the devices jobs can run on; [] from a daemon that predates the choice."""
        try:
            devices = self._get("/v1/devices").get("devices")
        except BridgeError as error:
            if error.code == "NOT_FOUND":
                return []
            raise
        if not isinstance(devices, list):
            raise BridgeError(DAEMON_BAD_RESPONSE, "GET /v1/devices did not list devices.")
        return devices

    def presets(self) -> List[Dict[str, Any]]:
        """`GET /v1/presets`."""
        presets = self._get("/v1/presets").get("presets")
        if not isinstance(presets, list):
            raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a list of presets")
        return presets

    def submit(self, image: RawImage, options: JobOptions, color_profile: Optional[str] = None) -> str:
        """`POST /v1/jobs` with raw pixels; returns the job id."""
        request = build_job_request(self.token or "", options, image, self.prefix, color_profile)
        _, body = self._call(request, TRANSFER_TIMEOUT, expect=(200, 201, 202))
        job_id = parse_json(body, "POST /v1/jobs").get("id")
        if not isinstance(job_id, str) or not job_id:
            raise BridgeError(DAEMON_BAD_RESPONSE, "The daemon accepted the job but sent no id")
        return job_id

    def estimate(self, options: JobOptions, width: int, height: int, timeout: Optional[float] = None) -> Dict[str, Any]:
        """`GET /v1/estimate`: what the job would cost on this daemon, before any pixel is sent."""
        query = encode_query(options.query() + [("width", str(int(width))), ("height", str(int(height)))])
        _, body = self._call(HttpRequest("GET", "%s/v1/estimate?%s" % (self.prefix, query), auth_headers(self.token)), timeout)
        return parse_estimate(parse_json(body, "GET /v1/estimate"))

    def status(self, job_id: str) -> Dict[str, Any]:
        """`GET /v1/jobs/{id}`."""
        return self._get(job_path(job_id))

    def cancel(self, job_id: str) -> Dict[str, Any]:
        """`DELETE /v1/jobs/{id}`: cancels a running job, or frees a finished job's result."""
        _, body = self._call(HttpRequest("DELETE", job_path(job_id, prefix=self.prefix), auth_headers(self.token)))
        return parse_json(body, "DELETE job")

    def events(self, job_id: str, timeout: float = EVENT_TIMEOUT) -> Iterator[Dict[str, Any]]:
        """The job's NDJSON events as they arrive; ends after `done`, `failed` or `cancelled`."""
        request = HttpRequest("GET", job_path(job_id, "/events", self.prefix), auth_headers(self.token))
        request.headers["Accept"] = "application/x-ndjson"
        connection, response = self._open(request, timeout)
        try:
            if response.status != 200:
                raise parse_error_body(response.status, response.read())
            while True:
                line = response.readline()
                if not line:
                    return
                event = parse_event_line(line)
                if event is None:
                    continue
                yield event
                if event["type"] != "progress":
                    return
        finally:
            connection.close()

    def release(self, job_id: str) -> None:
        """Frees a finished job's result on the daemon now rather than at expiry; failures do not matter."""
        try:
            self.cancel(job_id)
        except BridgeError:
            pass

    def result(self, job_id: str) -> RawImage:
        """`GET /v1/jobs/{id}/result?format=raw` as pixels."""
        path = job_path(job_id, "/result?format=raw", self.prefix)
        headers, body = self._call(HttpRequest("GET", path, auth_headers(self.token)), TRANSFER_TIMEOUT)
        return raw_result(headers, body)


def wait_for_job(
    client: DaemonClient,
    job_id: str,
    on_progress: Callable[[Dict[str, Any]], None],
    poll_interval: float = 0.5,
    event_timeout: float = EVENT_TIMEOUT,
) -> Dict[str, Any]:
    """Follows the job to its end through the event stream (or by polling when the stream breaks
    or is quiet for too long); returns the `done` event, raises the job's error otherwise."""
    use_stream = True
    while True:
        if use_stream:
            try:
                for event in client.events(job_id, event_timeout):
                    if event["type"] == "progress":
                        on_progress(event)
                        continue
                    return _final(event, job_id)
            except BridgeError as error:
                if error.code not in (DAEMON_BAD_RESPONSE, "NOT_FOUND"):
                    raise
                use_stream = False
            except (socket.timeout, OSError, http.client.HTTPException):
                pass
        # The stream ended early, stalled, or is unavailable: ask for the state directly.
        status = client.status(job_id)
        state = status.get("state")
        if state == "done":
            return {"type": "done", "jobId": job_id, "result": status.get("result") or {}}
        if state in ("failed", "cancelled"):
            return _final({"type": state, "jobId": job_id, "error": status.get("error")}, job_id)
        event = {"type": "progress", "jobId": job_id, "stage": status.get("stage"), "fraction": status.get("progress") or 0.0, "etaSeconds": status.get("etaSeconds")}
        for key in ("tile", "tiles", "estimateSeconds"):
            if key in status:
                event[key] = status[key]
        on_progress(event)
        time.sleep(poll_interval)


def _final(event: Dict[str, Any], job_id: str) -> Dict[str, Any]:
    if event["type"] == "done":
        return event
    if event["type"] == "cancelled":
        raise BridgeError("CANCELLED", "The job %s was cancelled" % job_id, {"jobId": job_id})
    error = event.get("error") or {}
    raise BridgeError(str(error.get("code") or "INTERNAL"), str(error.get("message") or ""), error.get("data") or {})


def estimate_line(url: str, options: JobOptions, width: int, height: int, token_file: Optional[str] = None) -> str:
    """The dialog's line for the chosen settings: "Estimate: about 3 min on CPU", or why there is
    none (no daemon, an older daemon, a refused setting). Never raises: it is advice."""
    try:
        client = DaemonClient(url)
        client.token_file = token_file or token_path()
        client.token = read_token(client.token_file)
        return "Estimate: " + estimate_text(client.estimate(options, width, height))
    except BridgeError as error:
        if error.code == "NOT_FOUND":
            return "Estimate: this daemon is too old to say; update Portrait Upscale."
        return "Estimate unavailable: " + error.user_message()
    except (OSError, http.client.HTTPException) as error:
        return "Estimate unavailable: %s" % error
