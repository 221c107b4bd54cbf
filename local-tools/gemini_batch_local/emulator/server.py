"""The aiohttp application: the batchPredictionJobs REST API under ``/v1`` and ``/v1beta1``, and the
administration endpoints under ``/emulator/``.

Handlers only translate HTTP to :class:`~.service.JobService` calls and back; nothing here blocks.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from airflow_batch_gemini.bounds import MAX_JSON_DEPTH, nesting_depth_over

from .faults import CREATE_LOST
from .jobs import Job, encode_job
from .rows import INJECTED_MESSAGES
from .service import JobService
from .wire import HTTP_TO_RPC, RPC_CODES, ApiError, invalid_argument, not_found, rfc3339

LOG = logging.getLogger("gemini_batch_local.emulator")

API_VERSIONS = ("v1", "v1beta1")

_PARENT = r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
COLLECTION_RE = re.compile(_PARENT + r"/batchPredictionJobs")
JOB_RE = re.compile(_PARENT + r"/batchPredictionJobs/(?P<job_id>[^/:]+)")
CANCEL_RE = re.compile(_PARENT + r"/batchPredictionJobs/(?P<job_id>[^/:]+):cancel")
OPERATION_RE = re.compile(_PARENT + r"(?:/batchPredictionJobs/[^/:]+)?/operations/(?P<operation>[^/:]+)")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(payload: Any, status: int = 200) -> web.Response:
    """A JSON answer with the content type Google front ends use."""
    return web.Response(
        text=json.dumps(payload), status=status, content_type="application/json", charset="utf-8"
    )


@web.middleware
async def google_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into a Google-style error body; never let a request crash the server."""
    try:
        return await handler(request)
    except ApiError as err:
        return json_response(err.body(), err.http_status)
    except web.HTTPException as err:  # aiohttp's own 404 / 405 / 413
        status = RPC_CODES[HTTP_TO_RPC.get(err.status, 3 if err.status < 500 else 13)][0]
        return json_response({"error": {"code": err.status, "message": err.reason, "status": status}}, err.status)
    except RecursionError:
        return json_response(invalid_argument("Invalid JSON payload received: nested too deeply.").body(), 400)
    except Exception:
        LOG.exception("unhandled error on %s %s", request.method, request.path)
        return json_response(ApiError(13, "Internal error encountered.").body(), 500)


async def read_json(request: web.Request) -> Any:
    """The decoded JSON body, ``None`` if empty; 400 INVALID_ARGUMENT if it is not JSON or nested deeper than
    :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH` (never decoded then)."""
    raw = await request.read()
    if not raw.strip():
        return None
    if nesting_depth_over(raw):
        raise invalid_argument(f"Invalid JSON payload received. Values nest more than {MAX_JSON_DEPTH} levels deep.")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise invalid_argument(f"Invalid JSON payload received. {err}") from err


def injected(code: int) -> ApiError:
    """The error answered for an injected API fault."""
    return ApiError(HTTP_TO_RPC.get(code, 13), INJECTED_MESSAGES.get(code, "Injected fault."))


def _wants_int_enums(request: web.Request) -> bool:
    return "enum-encoding=int" in request.query.get("$alt", "")


class Api:
    """The REST handlers, bound to one service."""

    def __init__(self, service: JobService) -> None:
        self.service = service

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Route ``/{version}/{resource path}`` by regular expression (``:cancel`` is not a path segment)."""
        version = request.match_info["version"]
        path = request.match_info["path"]
        method = request.method
        enum_int = _wants_int_enums(request)
        if (match := COLLECTION_RE.fullmatch(path)) and method == "POST":
            return await self.create(request, match, enum_int)
        if (match := COLLECTION_RE.fullmatch(path)) and method == "GET":
            return self.list_jobs(request, match, enum_int)
        if (match := CANCEL_RE.fullmatch(path)) and method == "POST":
            return await self.cancel(request, match)
        if (match := JOB_RE.fullmatch(path)) and method == "GET":
            return json_response(encode_job(self.job_call("get", match), enum_int))
        if (match := JOB_RE.fullmatch(path)) and method == "DELETE":
            return json_response(self.service.delete(self.job_call("delete", match), version))
        if (match := OPERATION_RE.fullmatch(path)) and method == "GET":
            return json_response(self.operation(match))
        raise not_found(f"The requested URL {request.path} with method {method} was not found on this server.")

    def job_call(self, method: str, match: re.Match[str]) -> Job:
        """Find the job a path names, counting the call and applying injected faults."""
        try:
            job = self.service.find(match["project"], match["location"], match["job_id"])
        except ApiError:
            self.service.api_fault(method)
            raise
        code = self.service.api_fault(method, job)
        if code is not None:
            raise injected(code)
        return job

    async def create(self, request: web.Request, match: re.Match[str], enum_int: bool) -> web.Response:
        """``POST .../batchPredictionJobs``."""
        body = await read_json(request)
        code = self.service.api_fault("create", body=body)
        if code is not None:
            raise injected(code)
        job = self.service.create(match["project"], match["location"], body)
        code = self.service.api_fault(CREATE_LOST, body=body)
        if code is not None:
            raise injected(code)  # the job exists; only the answer is lost
        return json_response(encode_job(job, enum_int))

    def list_jobs(self, request: web.Request, match: re.Match[str], enum_int: bool) -> web.Response:
        """``GET .../batchPredictionJobs?filter=&pageSize=&pageToken=``."""
        code = self.service.api_fault("list")
        if code is not None:
            raise injected(code)
        query = request.query
        jobs, token = self.service.list_jobs(
            match["project"],
            match["location"],
            query.get("filter", ""),
            query.get("pageSize") or query.get("page_size"),
            query.get("pageToken") or query.get("page_token"),
        )
        payload: dict[str, Any] = {}
        if jobs:
            payload["batchPredictionJobs"] = [encode_job(job, enum_int) for job in jobs]
        if token:
            payload["nextPageToken"] = token
        return json_response(payload)

    async def cancel(self, request: web.Request, match: re.Match[str]) -> web.Response:
        """``POST .../batchPredictionJobs/{id}:cancel`` with an empty body or ``{}``."""
        body = await read_json(request)
        if body is not None and not isinstance(body, dict):
            raise invalid_argument("Invalid JSON payload received. The cancel body must be an object.")
        self.service.cancel(self.job_call("cancel", match))
        return json_response({})

    @staticmethod
    def operation(match: re.Match[str]) -> dict[str, Any]:
        """``GET .../operations/{id}``: the emulator's operations (deletes) are done at once."""
        name = f"projects/{match['project']}/locations/{match['location']}/operations/{match['operation']}"
        return {"name": name, "done": True, "response": {"@type": "type.googleapis.com/google.protobuf.Empty"}}


class Admin:
    """Test and administration endpoints under ``/emulator/``."""

    def __init__(self, service: JobService) -> None:
        self.service = service

    async def healthz(self, _request: web.Request) -> web.Response:
        """``GET /emulator/healthz``."""
        return json_response({"status": "ok"})

    async def stats(self, _request: web.Request) -> web.Response:
        """``GET /emulator/stats``: calls per method, injected faults, jobs per state."""
        return json_response(self.service.stats())

    async def reset(self, _request: web.Request) -> web.Response:
        """``POST /emulator/reset``: forget all jobs and counters."""
        self.service.reset()
        return json_response({})

    async def job(self, request: web.Request) -> web.Response:
        """``GET /emulator/jobs/{id}``: the emulator's full record of a job (progress, behaviour)."""
        job = self.service.jobs.get(request.match_info["job_id"])
        if job is None:
            raise not_found(f"no job {request.match_info['job_id']}")
        record = job.to_record()
        record["name"] = job.name
        record["createTimeText"] = rfc3339(job.create_time)
        return json_response(record)

    async def resume(self, request: web.Request) -> web.Response:
        """``POST /emulator/jobs/{id}:resume``: PAUSED -> RUNNING."""
        return json_response(encode_job(self.service.resume(request.match_info["job_id"])))

    async def set_state(self, request: web.Request) -> web.Response:
        """``POST /emulator/jobs/{id}:set-state`` with ``{"state": "JOB_STATE_...", "error": {...}}``."""
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("state"), str):
            raise invalid_argument('expected {"state": "JOB_STATE_..."}')
        error = body.get("error")
        if error is not None and not isinstance(error, dict):
            raise invalid_argument("error must be an object")
        job = self.service.set_state(request.match_info["job_id"], body["state"], error)
        return json_response(encode_job(job))


def create_app(service: JobService) -> web.Application:
    """The web application; starting it starts the service (and its resumed jobs)."""
    app = web.Application(middlewares=[google_errors], client_max_size=16 * 1024 * 1024)
    api = Api(service)
    admin = Admin(service)
    app.router.add_get("/emulator/healthz", admin.healthz)
    app.router.add_get("/emulator/stats", admin.stats)
    app.router.add_post("/emulator/reset", admin.reset)
    app.router.add_get(r"/emulator/jobs/{job_id:\d+}", admin.job)
    app.router.add_post(r"/emulator/jobs/{job_id:\d+}:resume", admin.resume)
    app.router.add_post(r"/emulator/jobs/{job_id:\d+}:set-state", admin.set_state)
    versions = "|".join(API_VERSIONS)
    app.router.add_route("*", "/{version:" + versions + "}/{path:.+}", api.dispatch)

    async def start_service(_app: web.Application) -> None:
        await service.start()

    async def stop_service(_app: web.Application) -> None:
        await service.stop()

    app.on_startup.append(start_service)
    app.on_cleanup.append(stop_service)
    return app
