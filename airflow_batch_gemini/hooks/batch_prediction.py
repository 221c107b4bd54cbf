"""Hooks for the Vertex AI ``batchPredictionJobs`` REST API: a sync one for workers, an async one for
the triggerer. Both are driven by a Google Cloud connection (``gcp_conn_id``, impersonation, project);
the connection extra ``vertex_ai_endpoint`` (with ``is_anonymous``) points them at an emulator.

What goes into a URL is checked before the URL is built: the location and project
(:mod:`airflow_batch_gemini.job.names`), every job name, given or answered by the service (parsed strictly,
and the URL built from its parts), and the endpoint credentials go to
(:mod:`airflow_batch_gemini.job.endpoints`: only Google's, or a host on the connection's
``endpoint_allow_list``, unless the credentials are anonymous), before a token is fetched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import aiohttp
import requests
from airflow.providers.google.common.hooks.base_google import GoogleBaseAsyncHook, GoogleBaseHook
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as AuthRequest

from airflow_batch_gemini.exceptions import GeminiBatchApiError, GeminiBatchError, GeminiBatchTransientError
from airflow_batch_gemini.get_provider_info import CONNECTION_TYPE
from airflow_batch_gemini.job.api_errors import api_error
from airflow_batch_gemini.job.endpoints import ALLOW_LIST_EXTRA, allow_list_entries, check_credentials_endpoint
from airflow_batch_gemini.job.identity import validate_labels
from airflow_batch_gemini.job.names import (
    API_VERSION,
    DEFAULT_LOCATION,
    api_base_url,
    check_location,
    check_project_id,
    jobs_collection,
    parse_job_name,
)
from airflow_batch_gemini.job.retry import RetryPolicy
from airflow_batch_gemini.job.states import pick_reusable_job

#: Connection extra that overrides the Vertex AI endpoint, e.g. ``http://127.0.0.1:8090``.
ENDPOINT_EXTRA = "vertex_ai_endpoint"
#: Trigger and hook errors that mean "the network dropped": retried like a 503.
_NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    aiohttp.ClientConnectionError,
    aiohttp.ServerTimeoutError,
    asyncio.TimeoutError,
)


def _label_filter(labels: Mapping[str, str]) -> str:
    return " AND ".join(f'labels.{key}="{value}"' for key, value in sorted(labels.items()))


def _network_error(method: str, exc: BaseException) -> GeminiBatchTransientError:
    return GeminiBatchTransientError(503, "UNAVAILABLE", f"{type(exc).__name__}: {exc}", method)


def _job_path(job_name: str) -> str:
    """The URL path of a job, built from the parts of its strictly parsed name."""
    return str(parse_job_name(job_name))


def _answered_job(job: dict[str, Any], method: str) -> dict[str, Any]:
    """``job`` as the service answered ``method``, once its name (which later calls put into URLs) parsed."""
    parse_job_name(str(job.get("name", "")), f"the job name the service answered to {method}")
    return job


class GeminiBatchHook(GoogleBaseHook):
    """Create, get, list, cancel and delete Vertex AI batch prediction jobs (synchronous).

    :param gcp_conn_id: the Airflow connection to Google Cloud.
    :param impersonation_chain: a service account to impersonate, or a chain of them, each granting
        the Service Account Token Creator role to the one before it.
    :param location: the Vertex AI region of the jobs, e.g. ``us-central1``.
    :param api_endpoint: overrides the REST endpoint (else the connection extra ``vertex_ai_endpoint``,
        else ``https://{location}-aiplatform.googleapis.com``). Credentials that are not anonymous go only to
        Vertex AI's ``https://*aiplatform.googleapis.com`` hosts or to a host on the connection extra
        ``endpoint_allow_list``.
    :param retry_policy: backoff for 429, 5xx and dropped connections.
    :param request_timeout: seconds one HTTP call may take.
    """

    conn_name_attr = "gcp_conn_id"
    default_conn_name = "google_cloud_default"
    #: Its connection form (declared in get_provider_info) is Google Cloud's plus ``vertex_ai_endpoint``;
    #: a ``google_cloud_platform`` connection works as well.
    conn_type = CONNECTION_TYPE
    hook_name = "Vertex AI Gemini Batch"

    def __init__(
        self,
        gcp_conn_id: str = default_conn_name,
        impersonation_chain: str | Sequence[str] | None = None,
        location: str = DEFAULT_LOCATION,
        api_endpoint: str | None = None,
        retry_policy: RetryPolicy | None = None,
        request_timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        check_location(location)
        super().__init__(gcp_conn_id=gcp_conn_id, impersonation_chain=impersonation_chain, **kwargs)
        self.location = location
        self._api_endpoint = api_endpoint
        self.retry_policy = retry_policy or RetryPolicy()
        self.request_timeout = request_timeout
        self._session: AuthorizedSession | None = None

    # -- configuration ---------------------------------------------------------------------------
    @property
    def api_endpoint(self) -> str | None:
        """The endpoint override in force, if any (argument first, then the connection extra)."""
        return self._api_endpoint or self._get_field(ENDPOINT_EXTRA, None) or None

    @property
    def base_url(self) -> str:
        """The REST root including the API version, e.g. ``https://us-central1-aiplatform.../v1``."""
        return f"{api_base_url(self.location, self.api_endpoint)}/{API_VERSION}"

    def endpoint_for(self, credentials: Credentials) -> str:
        """:attr:`base_url`, once it is known that ``credentials`` may be sent there: anonymous ones anywhere,
        others to Google's endpoints or a host on the connection extra ``endpoint_allow_list`` only.

        :raises GeminiBatchAccessRefusedError: the endpoint is not one these credentials may go to.
        """
        url = self.base_url
        if not isinstance(credentials, AnonymousCredentials):
            allowed = allow_list_entries(self._get_field(ALLOW_LIST_EXTRA, None))
            check_credentials_endpoint(url, allowed, self.gcp_conn_id)
        return url

    def resolve_project_id(self, project_id: str | None = None) -> str:
        """The given project, else the connection's; an actionable error when neither is set."""
        resolved = project_id or self.project_id
        if not resolved:
            raise GeminiBatchError(
                f"No Google Cloud project: pass project_id or set 'project' in connection {self.gcp_conn_id!r}"
            )
        check_project_id(resolved, "project_id" if project_id else f"the project of connection {self.gcp_conn_id!r}")
        return resolved

    # -- transport -------------------------------------------------------------------------------
    def _get_session(self) -> AuthorizedSession:
        if self._session is None:
            self._session = AuthorizedSession(self.get_credentials())
        return self._session

    def _call(
        self,
        method: str,
        http_method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        retry: bool = True,
    ) -> dict[str, Any]:
        """One API call, retried on transient errors when ``retry``; returns the JSON body."""
        attempts = self.retry_policy.attempts if retry else 1
        session = self._get_session()
        url = f"{self.endpoint_for(session.credentials)}/{path}"
        for attempt in range(1, attempts + 1):
            try:
                response = session.request(
                    http_method,
                    url,
                    params=params,
                    json=body,
                    timeout=self.request_timeout,
                )
                if response.status_code < 400:
                    return response.json() if response.content else {}
                error = api_error(response.status_code, response.content, method)
            except _NETWORK_ERRORS as exc:
                error = _network_error(method, exc)
            if not isinstance(error, GeminiBatchTransientError) or attempt == attempts:
                raise error
            delay = self.retry_policy.delay(attempt)
            self.log.warning("%s; retry %d of %d in %.1f s", error, attempt, attempts - 1, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- API -------------------------------------------------------------------------------------
    def create_job(self, body: Mapping[str, Any], project_id: str | None = None) -> dict[str, Any]:
        """Create a job; not retried, since a lost answer may hide a created job (see :meth:`submit_job`)."""
        parent = jobs_collection(self.resolve_project_id(project_id), self.location)
        validate_labels(body.get("labels") or {})
        return _answered_job(self._call("create", "POST", parent, body=body, retry=False), "create")

    def get_job(self, job_name: str) -> dict[str, Any]:
        """Return the job resource."""
        return self._call("get", "GET", _job_path(job_name))

    def list_jobs(
        self, project_id: str | None = None, filter: str | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Yield every job matching ``filter`` (the service's list filter syntax), page by page."""
        parent = jobs_collection(self.resolve_project_id(project_id), self.location)
        params: dict[str, Any] = {"pageSize": page_size}
        if filter:
            params["filter"] = filter
        while True:
            page = self._call("list", "GET", parent, params=params)
            yield from (_answered_job(job, "list") for job in page.get("batchPredictionJobs", []))
            token = page.get("nextPageToken")
            if not token:
                return
            params["pageToken"] = token

    def find_jobs(self, labels: Mapping[str, str], project_id: str | None = None) -> list[dict[str, Any]]:
        """Every job carrying all of ``labels``."""
        return list(self.list_jobs(project_id, filter=_label_filter(labels)))

    def cancel_job(self, job_name: str) -> bool:
        """Ask the service to cancel a job; ``False`` if it had already finished."""
        try:
            self._call("cancel", "POST", f"{_job_path(job_name)}:cancel", body={})
        except GeminiBatchApiError as err:
            if err.status == "FAILED_PRECONDITION":
                return False
            raise
        return True

    def delete_job(self, job_name: str) -> dict[str, Any]:
        """Delete a finished job; returns the long-running operation."""
        return self._call("delete", "DELETE", _job_path(job_name))

    def submit_job(
        self, body: Mapping[str, Any], identity: Mapping[str, str], project_id: str | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Create a job unless one with the same ``identity`` labels is running or has succeeded.

        After a transient error on create (the request may or may not have reached the service),
        the service is asked again for a job with these labels before another create is tried, so
        a lost answer never becomes a second billable job.

        :return: the job and whether this call created it.
        """
        project = self.resolve_project_id(project_id)
        body = {**body, "labels": {**(body.get("labels") or {}), **identity}}
        attempts = self.retry_policy.attempts
        for attempt in range(1, attempts + 1):
            existing = pick_reusable_job(self.find_jobs(identity, project))
            if existing is not None:
                return existing, False
            try:
                return self.create_job(body, project), True
            except GeminiBatchTransientError as err:
                error = err
            except _NETWORK_ERRORS as exc:
                error = _network_error("create", exc)
            if attempt == attempts:
                raise error
            delay = self.retry_policy.delay(attempt)
            self.log.warning("%s; looking for the job, then retry %d in %.1f s", error, attempt, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


class GeminiBatchAsyncHook(GoogleBaseAsyncHook):
    """Get and cancel batch jobs from the triggerer's event loop without blocking it.

    Credentials are read and refreshed in a worker thread; HTTP goes through aiohttp.

    :param gcp_conn_id: the Airflow connection to Google Cloud.
    :param impersonation_chain: a service account to impersonate, or a chain of them.
    :param location: the Vertex AI region of the jobs.
    :param api_endpoint: overrides the REST endpoint, as for :class:`GeminiBatchHook` (the same rule on where
        credentials may go).
    :param request_timeout: seconds one HTTP call may take.
    """

    sync_hook_class = GeminiBatchHook

    def __init__(
        self,
        gcp_conn_id: str = GeminiBatchHook.default_conn_name,
        impersonation_chain: str | Sequence[str] | None = None,
        location: str = DEFAULT_LOCATION,
        api_endpoint: str | None = None,
        request_timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        check_location(location)
        super().__init__(
            gcp_conn_id=gcp_conn_id,
            impersonation_chain=impersonation_chain,
            location=location,
            api_endpoint=api_endpoint,
            **kwargs,
        )
        self.request_timeout = request_timeout
        self._http: aiohttp.ClientSession | None = None
        self._credentials: Credentials | None = None
        self._base_url: str | None = None

    async def _prepare(self) -> tuple[aiohttp.ClientSession, str, dict[str, str]]:
        if self._base_url is None:
            sync_hook: GeminiBatchHook = await self.get_sync_hook()
            found = await asyncio.to_thread(sync_hook.get_credentials)
            self._base_url = await asyncio.to_thread(sync_hook.endpoint_for, found)  # before any token
            self._credentials = found
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.request_timeout))
        headers: dict[str, str] = {}
        credentials = self._credentials
        if credentials is not None and not isinstance(credentials, AnonymousCredentials):
            if not credentials.valid:
                await asyncio.to_thread(credentials.refresh, AuthRequest())
            headers["Authorization"] = f"Bearer {credentials.token}"
        return self._http, self._base_url, headers

    async def _call(
        self, method: str, http_method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """One API call, not retried: the trigger counts consecutive transient errors itself."""
        session, base_url, headers = await self._prepare()
        try:
            async with session.request(http_method, f"{base_url}/{path}", json=body, headers=headers) as response:
                payload = await response.read()
                if response.status >= 400:
                    raise api_error(response.status, payload, method)
                return await response.json(content_type=None) if payload else {}
        except _NETWORK_ERRORS as exc:
            raise _network_error(method, exc) from exc

    async def get_job(self, job_name: str) -> dict[str, Any]:
        """Return the job resource."""
        return await self._call("get", "GET", _job_path(job_name))

    async def cancel_job(self, job_name: str) -> bool:
        """Ask the service to cancel a job; ``False`` if it had already finished."""
        try:
            await self._call("cancel", "POST", f"{_job_path(job_name)}:cancel", body={})
        except GeminiBatchApiError as err:
            if err.status == "FAILED_PRECONDITION":
                return False
            raise
        return True

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._http = None
