"""The Kubernetes API over aiohttp: raw JSON, discovery, access reviews, logs.

One `KubeAPI` per kube context, opened on first use and closed by `KubeClients.aclose()`.
Who to reach and how to authenticate (certificates, tokens, exec plugins, in-cluster service
accounts) comes from kube_connection; bodies stay plain JSON dicts: no model objects are built
and thrown away. Nothing here knows about MCP.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from adapters.errors import BackendError, BackendErrorCode, Unreachable
from adapters.exec_credentials import REFRESH_CREDENTIALS
from adapters.kube_connection import (
    Connection,
    Credential,
    KubeconfigError,
    from_kubeconfig,
    in_cluster,
    kubeconfig_files,
)
from adapters.kube_retries import Failed, Retries, retry_after

if TYPE_CHECKING:
    # aiohttp is imported on first use (KubeClients.warm_up, or the first request), not with
    # this module: about 0.15 s of start-up that a tools/list answer should not wait for.
    import aiohttp

_log = logging.getLogger(__name__)

JSON = "application/json"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
_AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," + JSON

_STATUS_CODES: Mapping[int, BackendErrorCode] = {
    401: "unavailable",
    403: "rbac_denied",
    404: "not_found",
}


@dataclass(frozen=True)
class Resource:
    """One API resource as discovery describes it."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`deployments.apps`, or `pods` for the core group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


@dataclass
class Discovery:
    """Resolves what a user types (`po`, `deploy`, `deployments.apps`, `Deployment`,
    `deployment.v1.apps`) to a resource, with kubectl's preference for the core group and the
    server's group order."""

    resources: list[Resource] = field(default_factory=list)
    # Every served group/version, preferred or not (`kubectl api-versions`).
    group_versions: list[str] = field(default_factory=list)

    @classmethod
    def from_documents(cls, core: Mapping[str, Any], groups: Mapping[str, Any]) -> Discovery:
        """From the aggregated discovery documents of /api and /apis."""
        versions = [
            f"{group}/{v['version']}" if group else v["version"]
            for doc, is_core in ((core, True), (groups, False))
            for item in doc.get("items", [])
            for group in ["" if is_core else item.get("metadata", {}).get("name", "")]
            for v in item.get("versions") or []
        ]
        return cls(
            [*_discovery_resources(core, core=True), *_discovery_resources(groups, core=False)],
            versions,
        )

    def resolve(self, name: str) -> Resource | None:
        text = name.strip()
        base, _, qualifier = text.partition(".")
        candidates = self.resources
        if qualifier:
            # deployment.v1.apps (name.version.group) or deployments.apps (name.group)
            version, _, group_after_version = qualifier.partition(".")
            by_version = [
                r for r in candidates if r.version == version and r.group == group_after_version
            ]
            candidates = by_version or [r for r in candidates if r.group == qualifier]
        lower = base.lower()
        for matches in (
            lambda r: r.plural == lower,
            lambda r: r.singular == lower,
            lambda r: lower in r.short_names,
            lambda r: r.kind.lower() == lower,
        ):
            found = [r for r in candidates if matches(r)]
            if found:
                return found[0]
        return None

    def by_category(self, category: str) -> list[Resource]:
        return [r for r in self.resources if category in r.categories]


def _discovery_resources(doc: Mapping[str, Any], core: bool) -> Iterable[Resource]:
    """Each resource once, at the group's preferred version (listed first), or else at the
    first version that serves it, as client-go's ServerPreferredResources does."""
    for item in doc.get("items", []):
        group = "" if core else item.get("metadata", {}).get("name", "")
        seen: set[str] = set()
        for version in item.get("versions") or []:
            for res in version.get("resources", []):
                if res["resource"] in seen:
                    continue
                seen.add(res["resource"])
                yield _resource(group, version["version"], res)


def _resource(group: str, version: str, res: Mapping[str, Any]) -> Resource:
    kind = (res.get("responseKind") or {}).get("kind", "")
    return Resource(
        group=group,
        version=version,
        plural=res["resource"],
        singular=res.get("singularResource") or kind.lower(),
        kind=kind,
        namespaced=res.get("scope") == "Namespaced",
        verbs=tuple(res.get("verbs") or ()),
        short_names=tuple(res.get("shortNames") or ()),
        categories=tuple(res.get("categories") or ()),
        subresources=tuple(s["subresource"] for s in res.get("subresources") or ()),
    )


@dataclass(frozen=True)
class AccessRequest:
    verb: str
    resource: str
    group: str = ""
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None

    def describe(self) -> str:
        if not self.resource:
            return f"{self.verb} {self.name}"
        what = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        if self.group:
            what += f".{self.group}"
        where = f" in namespace {self.namespace!r}" if self.namespace else " cluster-wide"
        return f"{self.verb} {what}{where}"


@dataclass(frozen=True)
class ActAs:
    """Someone other than the kubeconfig's user, for the API server to see: a user (and
    groups) to impersonate, or a bearer token of their own to pass through."""

    user: str | None = None
    groups: tuple[str, ...] = ()
    bearer: str | None = field(default=None, repr=False)

    def headers(self) -> list[tuple[str, str]]:
        if self.bearer is not None:
            return [("Authorization", f"Bearer {self.bearer}")]
        # One Impersonate-Group line per group: the API server takes each line as one group,
        # commas included.
        return [("Impersonate-User", str(self.user))] + [
            ("Impersonate-Group", group) for group in self.groups
        ]


class KubeObserver(Protocol):
    """Who is told how long each API request took and whether access reviews were cached
    (the server's metrics)."""

    def upstream(self, name: str, seconds: float) -> None: ...

    def review(self, cached: bool) -> None: ...


class Telemetry:
    """What the clients of every context report: each request's time to the observer, and
    when the API server last answered (readiness)."""

    def __init__(self) -> None:
        self.observer: KubeObserver | None = None
        self.last_answer: float | None = None  # time.monotonic()

    def answered(self, seconds: float) -> None:
        self.last_answer = time.monotonic()
        if self.observer is not None:
            self.observer.upstream("apiserver", seconds)


class _DiscoveryCache:
    """One context's discovery, shared by every identity that talks to it: what the API
    serves is the same for every user."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.found: Discovery | None = None
        self.at = 0.0
        self.lock = asyncio.Lock()


class TooLarge(BackendError):
    """An answer larger than the request allowed (`max_bytes`); it was not read to its end."""

    def __init__(self, message: str) -> None:
        super().__init__("api_error", message)


@dataclass(frozen=True)
class StreamedText:
    """A text body read as it streams (logs): what was kept, whether the budget cut it, and
    why the API server broke it off, if it did."""

    body: bytes
    cut: bool
    broken: str | None = None


class KubeAPI:
    """The API server of one kube context, as the kubeconfig's user or as `acting_as`."""

    def __init__(
        self,
        session: KubeSession,
        context: str | None,
        discovery_ttl: float = 300.0,
        *,
        acting_as: ActAs | None = None,
        discovery: _DiscoveryCache | None = None,
        telemetry: Telemetry | None = None,
        request_timeout: float = 10.0,
    ):
        self.session = session
        self.context = context
        # Connecting, and each wait for data; the call's own timeout bounds the whole.
        self.request_timeout = request_timeout
        self.acting_as = acting_as
        self.telemetry = telemetry or Telemetry()
        self._headers = acting_as.headers() if acting_as else []
        # A passed-through token is the only credential: the API server authenticates a
        # client certificate before a bearer token, so the kubeconfig's must not travel too.
        self._own_credential = not (acting_as and acting_as.bearer)
        self.discovery_cache = discovery or _DiscoveryCache(discovery_ttl)
        # Per identity: what one user may do says nothing about another.
        self._reviews: dict[AccessRequest, tuple[float, bool, str]] = {}
        self._username: str | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, Any]] = (),
        accept: str = JSON,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | None = None,
        warnings: list[str] | None = None,
        max_bytes: int | None = None,
        trim: Callable[[Any], Any] | None = None,
    ) -> Any:
        """One request; the decoded JSON body, or BackendError with the API's own message.
        With `warnings`, the texts of the API server's 299 warnings (deprecations, which
        kubectl prints as `Warning: TEXT`) are appended to it. With `max_bytes`, a body
        larger than that is not read to its end: TooLarge. Failed attempts are tried again
        as Retries says; `timeout` bounds the whole request, retries included. `trim` is applied
        to the decoded body before any other task runs: what it drops (a list's managedFields)
        is freed before another request's body is decoded, so concurrent lists do not hold
        their whole pages at once."""
        headers = [("Accept", accept), *self._headers]
        data = None
        if body is not None:
            headers.append(("Content-Type", content_type or JSON))
            data = json.dumps(body).encode()
        retries = Retries(self.where, method, path)
        refreshed = False
        async with asyncio.timeout(timeout):
            credential = await self._credential()
            while True:
                try:
                    return await self._request_once(
                        method,
                        path,
                        query,
                        headers,
                        data,
                        credential,
                        warnings,
                        retries.attempt,
                        max_bytes,
                        trim,
                    )
                except Failed as failed:
                    if failed.status == 401 and not refreshed and credential is not None:
                        # An exec plugin's token was refused: fetch a new one, once.
                        refreshed = True
                        renewed = await self.session.connection.refreshed(credential)
                        if renewed is not None:
                            credential = renewed
                            continue
                    await retries.wait_or_raise(failed)

    async def _credential(self) -> Credential | None:
        """The kubeconfig user's credential, or None when the caller's own is sent."""
        if not self._own_credential:
            return None
        connection = self.session.connection
        try:
            credential = await connection.credential()
            connection.ssl_context(credential.certificate)  # an exec plugin's may be new
            return credential
        except KubeconfigError as exc:
            raise BackendError("unavailable", f"{self.where}: {exc}") from None

    async def _request_once(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, Any]],
        headers: list[tuple[str, str]],
        data: bytes | None,
        credential: Credential | None,
        warnings: list[str] | None,
        attempt: int,
        max_bytes: int | None,
        trim: Callable[[Any], Any] | None,
    ) -> Any:
        import aiohttp  # loaded with the session already; see TYPE_CHECKING above

        started = time.monotonic()
        try:
            response = await self.session.send(
                method, path, query, headers, data, credential, self._timeouts(stream=False)
            )
            async with response:
                if warnings is not None and attempt == 0:
                    warnings += warning_texts(response.headers.getall("Warning", []))
                if response.status >= 400:
                    raise Failed(
                        self._api_error(response.status, await response.text()),
                        status=response.status,
                        retry_after=retry_after(response.headers.get("Retry-After")),
                    )
                if max_bytes is None:
                    answer = await response.json(content_type=None)
                else:
                    answer = json.loads(await self._read_at_most(response, max_bytes, path))
                if trim is not None:
                    answer = trim(answer)
        except aiohttp.ClientError as exc:
            raise self._lost(exc) from None
        self.telemetry.answered(time.monotonic() - started)
        return answer

    async def _read_at_most(
        self, response: aiohttp.ClientResponse, max_bytes: int, path: str
    ) -> bytearray:
        kept = bytearray()
        async for chunk in response.content.iter_chunked(256 * 1024):
            kept += chunk
            if len(kept) > max_bytes:
                raise TooLarge(f"{self.where} answered {path} with more than {max_bytes} bytes")
        return kept  # decoded as it is: a copy to bytes would hold the page twice

    def _timeouts(self, stream: bool) -> aiohttp.ClientTimeout:
        """aiohttp's limits for one request: connecting (TCP and TLS) and each wait for data
        within the request timeout; a stream that follows (logs -f) may be quiet for longer."""
        import aiohttp

        limit = self.request_timeout
        return aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=limit, sock_read=None if stream else limit
        )

    def _api_error(self, status: int, body: str) -> BackendError:
        error = _api_error(status, body)
        if status == 401:
            error.message = f"{self.where} rejected the credentials (401): {error.message}. " + (
                REFRESH_CREDENTIALS
            )
        return error

    def _lost(self, exc: Exception) -> Failed:
        """A request that got no answer, as the failure to retry or report."""
        import aiohttp

        where = self.where
        if isinstance(exc, aiohttp.ServerTimeoutError):
            message = (
                f"{where} did not answer within {self.request_timeout:g}s "
                f"(K8S_MCP_REQUEST_TIMEOUT): it accepts connections but sends nothing back"
            )
            return Failed(Unreachable(message), final=True)
        if isinstance(exc, aiohttp.ClientSSLError):
            return Failed(Unreachable(f"{where}: the TLS connection failed: {exc}"), final=True)
        if isinstance(exc, aiohttp.ClientConnectorError):
            return Failed(Unreachable(f"{where} cannot be reached: {exc}"), unsent=True)
        detail = str(exc) or type(exc).__name__
        return Failed(Unreachable(f"{where} closed the connection before answering ({detail})"))

    async def stream_text(
        self,
        path: str,
        query: Sequence[tuple[str, Any]],
        max_bytes: int,
        until: float | None = None,
    ) -> StreamedText:
        """GET a text body (logs), keeping at most max_bytes. With `until` (a time.monotonic()
        deadline), a body that is still streaming (follow) is read until then and what
        arrived is returned. A stream the API server breaks off returns what arrived, and
        says so in `broken`."""
        import aiohttp

        headers = [("Accept", "*/*"), *self._headers]
        retries = Retries(self.where, "GET", path)
        credential = await self._credential()
        while True:
            try:
                # Until the headers arrive, the request timeout bounds the wait.
                async with asyncio.timeout(self.request_timeout):
                    response = await self.session.send(
                        "GET",
                        path,
                        query,
                        headers,
                        None,
                        credential,
                        self._timeouts(stream=until is not None),
                    )
                break
            except TimeoutError:
                await retries.wait_or_raise(self._lost(aiohttp.ServerTimeoutError()))
            except aiohttp.ClientError as exc:
                await retries.wait_or_raise(self._lost(exc))
        async with response:
            if response.status >= 400:
                raise self._api_error(response.status, await response.text())
            kept = bytearray()
            cut = False
            broken = None
            deadline = (
                None
                if until is None
                else asyncio.get_running_loop().time() + (until - time.monotonic())
            )
            try:
                async with asyncio.timeout_at(deadline):
                    async for chunk in response.content.iter_chunked(64 * 1024):
                        if len(kept) + len(chunk) > max_bytes:
                            kept += chunk[: max_bytes - len(kept)]
                            cut = True
                            break
                        kept += chunk
            except TimeoutError:
                pass  # following: the deadline is the end of the answer
            except aiohttp.ClientError as exc:
                broken = (
                    f"{self.where} broke off the stream after {len(kept)} bytes "
                    f"({str(exc) or type(exc).__name__})"
                )
            return StreamedText(bytes(kept), cut, broken)

    @property
    def current_context(self) -> str | None:
        """The kubeconfig's context, which is used when `context` is None."""
        return self.session.connection.context

    @property
    def where(self) -> str:
        """The API server as a message names it: its context and address."""
        name = self.context or self.current_context
        context = f"of context {name!r} " if name else ""
        return f"the API server {context}at {self.host}"

    @property
    def host(self) -> str:
        return self.session.connection.server

    async def discovery(self, refresh: bool = False) -> Discovery:
        cache = self.discovery_cache
        async with cache.lock:
            stale = time.monotonic() - cache.at > cache.ttl
            if cache.found is None or refresh or stale:
                core, groups = await asyncio.gather(
                    self.request("GET", "/api", accept=_AGGREGATED),
                    self.request("GET", "/apis", accept=_AGGREGATED),
                )
                if core.get("kind") != "APIGroupDiscoveryList":
                    raise BackendError(
                        "unavailable",
                        "the API server does not serve aggregated discovery (Kubernetes 1.30+ "
                        "is needed)",
                    )
                cache.found = Discovery.from_documents(core, groups)
                cache.at = time.monotonic()
            return cache.found

    async def resolve(self, name: str) -> Resource:
        """A resource by any of its names; discovery is refreshed once on a miss (a CRD may
        have been installed since)."""
        found = (await self.discovery()).resolve(name)
        if found is None:
            found = (await self.discovery(refresh=True)).resolve(name)
        if found is None:
            raise BackendError("not_found", f'the server doesn\'t have a resource type "{name}"')
        return found

    async def whoami(self) -> str | None:
        """The user name the API server sees (SelfSubjectReview), or None if it will not say."""
        if self._username is None:
            try:
                review = await self.request(
                    "POST",
                    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                    body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
                    content_type=JSON,
                )
            except BackendError:
                return None
            self._username = str(review.get("status", {}).get("userInfo", {}).get("username", ""))
        return self._username or None

    async def access_review(self, request: AccessRequest, ttl: float = 10.0) -> tuple[bool, str]:
        """SelfSubjectAccessReview: may the current identity make this request? Decisions are
        cached for `ttl` seconds."""
        cached = self._reviews.get(request)
        now = time.monotonic()
        hit = cached is not None and now - cached[0] < ttl
        if self.telemetry.observer is not None:
            self.telemetry.observer.review(hit)
        if cached is not None and hit:
            return cached[1], cached[2]
        spec: dict[str, Any]
        if request.resource:
            attributes: dict[str, Any] = {"verb": request.verb, "resource": request.resource}
            for key in ("group", "namespace", "name", "subresource"):
                value = getattr(request, key)
                if value:
                    attributes[key] = value
            spec = {"resourceAttributes": attributes}
        else:  # a non-resource URL such as /metrics, carried in `name`
            spec = {"nonResourceAttributes": {"path": request.name, "verb": request.verb}}
        review = await self.request(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            body={
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": spec,
            },
            content_type=JSON,
        )
        status = review.get("status") or {}
        allowed = bool(status.get("allowed")) and not status.get("denied")
        reason = str(status.get("reason") or status.get("evaluationError") or "")
        self._reviews[request] = (now, allowed, reason)
        return allowed, reason


_WARNING = re.compile(r'\s*(\d{3}) (\S+) "((?:[^"\\]|\\.)*)"(?: "[^"]*")?\s*,?')


def warning_texts(headers: Iterable[str]) -> list[str]:
    """The texts of the 299 warnings in Warning headers (`299 - "text"`, comma-separated),
    the ones kubectl prints."""
    texts = []
    for header in headers:
        for code, _agent, text in _WARNING.findall(header):
            text = re.sub(r"\\(.)", r"\1", text)
            if code == "299" and text:
                texts.append(text)
    return texts


def _api_error(status: int, body: str) -> BackendError:
    message = body.strip()
    try:
        parsed = json.loads(body)
        if isinstance(parsed, dict) and parsed.get("message"):
            message = str(parsed["message"])
    except ValueError:
        pass
    code = _STATUS_CODES.get(status, "api_error")
    return BackendError(code, message or f"HTTP {status}")


class KubeSession:
    """The aiohttp session to one API server, shared by every identity that reaches it (a
    request carries its own credential). It never reads the proxy variables or ~/.netrc per
    request: the proxy was looked up once (kube_connection), and netrc is not a source of
    kube credentials."""

    def __init__(self, connection: Connection) -> None:
        import aiohttp

        self.connection = connection
        self.http = aiohttp.ClientSession(trust_env=False)

    async def send(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, Any]],
        headers: list[tuple[str, str]],
        data: bytes | None,
        credential: Credential | None,
        timeout: aiohttp.ClientTimeout,
    ) -> aiohttp.ClientResponse:
        """One request, its response not yet read (the caller closes it)."""
        from multidict import CIMultiDict

        connection = self.connection
        lines = CIMultiDict(headers)
        certificate = None
        if credential is not None:
            certificate = credential.certificate
            if credential.authorization is not None:
                lines["Authorization"] = credential.authorization
        tls = connection.ssl_context(certificate)
        return await self.http.request(
            method,
            connection.server + path,
            params=[(name, _query_value(value)) for name, value in query],
            headers=lines,
            data=data,
            ssl=True if tls is None else tls,
            server_hostname=connection.tls_server_name,
            proxy=connection.proxy,
            proxy_headers=connection.proxy_headers,
            timeout=timeout,
        )

    async def aclose(self) -> None:
        await self.http.close()


def _query_value(value: Any) -> str:
    """A query parameter as the API server reads it (Go's strconv: `true`, not `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class KubeClients:
    """API clients by kube context, created on first use; `aclose()` closes them all."""

    # The identities whose clients (and access-review caches) are kept, most recently used.
    MAX_IDENTITIES = 256

    def __init__(
        self, kubeconfig: str | None, default_context: str | None, request_timeout: float = 10.0
    ) -> None:
        self.kubeconfig = kubeconfig
        self.default_context = default_context
        self.request_timeout = request_timeout
        self._apis: dict[str | None, KubeAPI] = {}
        self._acting: OrderedDict[tuple[str | None, ActAs], KubeAPI] = OrderedDict()
        # One per context: a context whose client is slow to make (an exec plugin that
        # hangs) holds back no call to another.
        self._making: dict[str | None, asyncio.Lock] = {}
        self.telemetry = Telemetry()

    async def get(self, context: str | None = None, acting_as: ActAs | None = None) -> KubeAPI:
        """The API of `context` (default: the server's), as the kubeconfig's user, or as
        `acting_as` over the same connections."""
        context = context or self.default_context
        api = self._apis.get(context)
        if api is None:
            async with self._making.setdefault(context, asyncio.Lock()):
                api = self._apis.get(context)
                if api is None:
                    api = self._apis[context] = await self._api(context)
        if acting_as is None:
            return api
        # From here on nothing awaits: no other call can change the identities in between.
        key = (context, acting_as)
        acting = self._acting.get(key)
        if acting is None:
            acting = KubeAPI(
                api.session,
                context,
                acting_as=acting_as,
                discovery=api.discovery_cache,
                telemetry=self.telemetry,
                request_timeout=self.request_timeout,
            )
            self._acting[key] = acting
            while len(self._acting) > self.MAX_IDENTITIES:
                self._acting.popitem(last=False)
        self._acting.move_to_end(key)
        return acting

    async def _api(self, context: str | None) -> KubeAPI:
        """The API of `context` as the kubeconfig's user (or the pod's service account)."""
        try:
            connection = from_kubeconfig(self.kubeconfig, context)
        except KubeconfigError as exc:
            if context is not None or self.kubeconfig is not None:
                raise BackendError("unavailable", self.no_cluster(context, exc)) from None
            try:
                connection = in_cluster()
            except KubeconfigError:
                raise BackendError("unavailable", self.no_cluster(context, exc)) from None
        return KubeAPI(
            KubeSession(connection),
            context,
            telemetry=self.telemetry,
            request_timeout=self.request_timeout,
        )

    def no_cluster(self, context: str | None, exc: Exception) -> str:
        """Why no client could be made for `context`, and what the person running the server
        can do about it (a command can name no kubeconfig of its own: that is refused)."""
        value = self.kubeconfig or os.environ.get("KUBECONFIG")
        files = kubeconfig_files(self.kubeconfig)
        present = [f for f in files if f.is_file()]
        shown = os.pathsep.join(str(f) for f in files)
        detail = " ".join(str(exc).split())  # a YAML error spans several lines
        if not present:
            where = f"KUBECONFIG names {shown}" if value else f"KUBECONFIG is not set and {shown}"
            why = f"there is no kubeconfig ({where}, which does not exist)"
        elif context is not None:
            why = f"the kubeconfig ({shown}) cannot be used for context {context!r}: {detail}"
        else:
            why = f"the kubeconfig ({shown}) cannot be used: {detail}"
        return (
            f"this command needs a cluster, and {why}. Start the server with "
            "KUBECONFIG=/path/to/kubeconfig (and K8S_CONTEXT=NAME to pick a context), run "
            "`make sandbox` in a kube-ai-proxy checkout to serve a local cluster, or run the "
            "server in a pod with a service account."
        )

    async def unusable(self, context: str | None = None) -> str | None:
        """Why no client can be made for `context` (what `get` would raise), or None."""
        try:
            await self.get(context)
        except BackendError as exc:
            return exc.message
        return None

    async def unreachable(self, context: str | None = None) -> Unreachable | None:
        """Why the API server of `context` cannot be reached now; None when it answers
        (whatever it says: a refusal is an answer) or no client can be made for it (the CLI
        that needs it says why itself)."""
        try:
            await (await self.get(context)).request("GET", "/version")
        except Unreachable as exc:
            return exc
        except BackendError:
            return None
        return None

    async def warm_up(self) -> None:
        """Do ahead of time what makes a first call slow: import aiohttp (in a worker thread,
        so the event loop keeps answering) and open the default context's client. No request
        is sent, and nothing is raised: the call that meets the failure again reports it to
        the user. It is logged for the person running the server."""
        try:
            await asyncio.to_thread(importlib.import_module, "aiohttp")
            await self.get()
        except BackendError as exc:
            # Expected (no kubeconfig, an unusable context) and said to the user by the first
            # call that needs the cluster; a server that only runs helm or argocd has none.
            _log.info("Kubernetes warm-up: %s", exc.message)
        except Exception:
            _log.warning("Kubernetes warm-up failed; the first call will try again", exc_info=True)

    async def aclose(self) -> None:
        for api in self._apis.values():
            await api.session.aclose()
        self._apis.clear()
        self._acting.clear()
