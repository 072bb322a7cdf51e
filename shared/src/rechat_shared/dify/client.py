"""The async Dify Service API client: one pooled ``httpx.AsyncClient`` per process.

Create one ``DifyClient`` in the service's lifespan and pass a ``DifyApp`` to every call::

    async with DifyClient() as dify:
        stream = dify.stream_chat(app, ChatRequest(query="Hi", user="u-1"))
        async with stream:
            async for event in stream:
                ...
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from rechat_shared.dify.apps import DifyApp, DifyTimeouts
from rechat_shared.dify.errors import (
    DifyBadRequestError,
    DifyError,
    DifyNotFoundError,
    DifyProtocolError,
    DifyTimeoutError,
    DifyTransportError,
    error_from_response,
)
from rechat_shared.dify.schemas import (
    AppCheck,
    AppInfo,
    AppMeta,
    AppParameters,
    AppSite,
    ChatAnswer,
    ChatRequest,
    CompletionRequest,
    Conversation,
    ConversationPage,
    MessageFile,
    MessagePage,
    Transcript,
    UploadedFile,
    WorkflowRunData,
    WorkflowRunRequest,
    WorkflowRunResult,
)
from rechat_shared.dify.stream import DifyStream
from rechat_shared.dify.transport import asyncio_transport

ModelT = TypeVar("ModelT", bound=BaseModel)

NIL_ID = "00000000-0000-0000-0000-000000000000"
"""An id no conversation or run has: the mode probes name it so that nothing is created."""
MODE_PROBE_USER = "rechat-mode-probe"
MAX_FILE_SEARCH_PAGES = 20
"""A user file is looked for in the newest 2,000 turns of its conversation."""

KEEPALIVE_CONNECTIONS = 8
"""Idle connections kept for the next call: reuse saves a generation a connect (and, against a
real Dify, a TLS handshake). Few, because httpcore's pool re-scans its connections on every
request it assigns or releases: in bursts of 200 short streams the worker spent 1.5 ms of CPU
per request with 8 kept, 2.0-3.0 ms with 32 and 1.9 ms before streams kept their connections."""


class DifyClient:
    """Calls any Dify app; the app (base URL and key) is given per call."""

    def __init__(
        self,
        timeouts: DifyTimeouts | None = None,
        *,
        max_connections: int = 1000,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeouts = timeouts or DifyTimeouts()
        t = self.timeouts
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=min(max_connections, KEEPALIVE_CONNECTIONS),
        )
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
            limits=limits,
            transport=transport,
            # a mount, not the transport: proxies from the environment still apply
            mounts=None if transport else {"all://": asyncio_transport(limits)},
            headers={"User-Agent": "rechat-dify-client"},
        )

    async def __aenter__(self) -> DifyClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- streaming generations -------------------------------------------------------------

    def stream_chat(
        self,
        app: DifyApp,
        request: ChatRequest,
        *,
        raise_on_error: bool = True,
        timeouts: DifyTimeouts | None = None,
    ) -> DifyStream:
        """``POST /chat-messages`` streaming (chat, agent-chat, advanced-chat apps).

        ``timeouts`` overrides the client's stall/deadline/grace limits for this generation.
        """
        body = _body(request, "streaming")
        return self._stream(app, "/chat-messages", body, raise_on_error, timeouts)

    def stream_completion(
        self,
        app: DifyApp,
        request: CompletionRequest,
        *,
        raise_on_error: bool = True,
        timeouts: DifyTimeouts | None = None,
    ) -> DifyStream:
        """``POST /completion-messages`` streaming."""
        body = _body(request, "streaming")
        return self._stream(app, "/completion-messages", body, raise_on_error, timeouts)

    def stream_workflow(
        self,
        app: DifyApp,
        request: WorkflowRunRequest,
        *,
        raise_on_error: bool = True,
        timeouts: DifyTimeouts | None = None,
    ) -> DifyStream:
        """``POST /workflows/run`` streaming."""
        body = _body(request, "streaming")
        return self._stream(app, "/workflows/run", body, raise_on_error, timeouts)

    def _stream(
        self,
        app: DifyApp,
        path: str,
        body: dict[str, Any],
        raise_on_error: bool,
        timeouts: DifyTimeouts | None,
    ) -> DifyStream:
        request = self._http.build_request("POST", app.root + path, json=body, headers=_auth(app))

        async def open_response() -> httpx.Response:
            try:
                return await self._http.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise DifyTimeoutError(f"{type(exc).__name__} calling {path}") from None
            except httpx.HTTPError as exc:
                raise DifyTransportError(f"{type(exc).__name__} calling {path}: {exc}") from None

        limits = timeouts or self.timeouts
        return DifyStream(open_response, limits, raise_on_error=raise_on_error)

    # -- blocking generations --------------------------------------------------------------

    async def chat(self, app: DifyApp, request: ChatRequest) -> ChatAnswer:
        """``POST /chat-messages`` blocking (not for agent-chat apps)."""
        body = _body(request, "blocking")
        return await self._call(ChatAnswer, app, "POST", "/chat-messages", json=body, slow=True)

    async def complete(self, app: DifyApp, request: CompletionRequest) -> ChatAnswer:
        """``POST /completion-messages`` blocking."""
        body = _body(request, "blocking")
        path = "/completion-messages"
        return await self._call(ChatAnswer, app, "POST", path, json=body, slow=True)

    async def run_workflow(self, app: DifyApp, request: WorkflowRunRequest) -> WorkflowRunResult:
        """``POST /workflows/run`` blocking (a failed run is ``data.status == "failed"``)."""
        body = _body(request, "blocking")
        path = "/workflows/run"
        return await self._call(WorkflowRunResult, app, "POST", path, json=body, slow=True)

    async def get_workflow_run(self, app: DifyApp, workflow_run_id: str) -> WorkflowRunData:
        """``GET /workflows/run/{id}`` (to reconcile a stream that lost its terminal event)."""
        path = f"/workflows/run/{workflow_run_id}"
        return await self._call(WorkflowRunData, app, "GET", path)

    # -- stop --------------------------------------------------------------------------------

    async def stop_chat(self, app: DifyApp, task_id: str, user: str) -> None:
        """Stop a running chat-family generation (always succeeds, whatever the task state)."""
        await self._json(app, "POST", f"/chat-messages/{task_id}/stop", json={"user": user})

    async def stop_completion(self, app: DifyApp, task_id: str, user: str) -> None:
        """Stop a running completion."""
        path = f"/completion-messages/{task_id}/stop"
        await self._json(app, "POST", path, json={"user": user})

    async def stop_workflow(self, app: DifyApp, task_id: str, user: str) -> None:
        """Stop a running workflow."""
        await self._json(app, "POST", f"/workflows/tasks/{task_id}/stop", json={"user": user})

    # -- conversations and messages ------------------------------------------------------------

    async def list_conversations(
        self,
        app: DifyApp,
        user: str,
        *,
        last_id: str | None = None,
        limit: int = 20,
        sort_by: str = "-updated_at",
    ) -> ConversationPage:
        """``GET /conversations`` of ``user`` (keyset paging with ``last_id``)."""
        params = _params(user=user, last_id=last_id, limit=limit, sort_by=sort_by)
        return await self._call(ConversationPage, app, "GET", "/conversations", params=params)

    async def rename_conversation(
        self,
        app: DifyApp,
        conversation_id: str,
        user: str,
        *,
        name: str | None = None,
        auto_generate: bool = False,
    ) -> Conversation:
        """Rename a conversation, or let Dify generate a title (``auto_generate``)."""
        body = {"name": name or "", "auto_generate": auto_generate, "user": user}
        path = f"/conversations/{conversation_id}/name"
        return await self._call(Conversation, app, "POST", path, json=body)

    async def delete_conversation(self, app: DifyApp, conversation_id: str, user: str) -> None:
        """Delete a conversation (204 on current servers, 200 on 0.15)."""
        await self._json(app, "DELETE", f"/conversations/{conversation_id}", json={"user": user})

    async def list_messages(
        self,
        app: DifyApp,
        conversation_id: str,
        user: str,
        *,
        first_id: str | None = None,
        limit: int = 20,
    ) -> MessagePage:
        """``GET /messages``: newest page first, oldest-first inside the page."""
        params = _params(conversation_id=conversation_id, user=user, first_id=first_id, limit=limit)
        return await self._call(MessagePage, app, "GET", "/messages", params=params)

    async def send_feedback(
        self,
        app: DifyApp,
        message_id: str,
        user: str,
        rating: str | None,
        content: str | None = None,
    ) -> None:
        """Rate a message ``like``/``dislike``, or clear the rating with ``None``."""
        body: dict[str, Any] = {"rating": rating, "user": user}
        if content is not None:
            body["content"] = content
        await self._json(app, "POST", f"/messages/{message_id}/feedbacks", json=body)

    async def suggested_questions(self, app: DifyApp, message_id: str, user: str) -> list[str]:
        """``GET /messages/{id}/suggested``: follow-up questions after an answer."""
        path = f"/messages/{message_id}/suggested"
        payload = await self._json(app, "GET", path, params={"user": user}, slow=True)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise DifyProtocolError("suggested questions without a 'data' list")
        return [str(question) for question in data]

    async def find_user_file(
        self, app: DifyApp, conversation_id: str, user: str, upload_file_id: str
    ) -> MessageFile | None:
        """A file the user attached in the conversation, as ``GET /messages`` lists it (with
        its signed preview URL); None when no message of the conversation has it."""
        first_id: str | None = None
        for _ in range(MAX_FILE_SEARCH_PAGES):
            page = await self.list_messages(
                app, conversation_id, user, first_id=first_id, limit=100
            )
            for message in reversed(page.data):
                for file in message.message_files:
                    if file.belongs_to == "user" and _names_upload(file, upload_file_id):
                        return file
            if not page.has_more or not page.data:
                return None
            first_id = page.data[0].id
        return None

    async def download(self, app: DifyApp, url: str, max_bytes: int) -> tuple[bytes, str]:
        """The bytes and content type behind a (signed) Dify file URL; a relative URL is on
        the app's host. Larger than ``max_bytes`` → ``DifyProtocolError``."""
        if url.startswith("/"):
            origin = httpx.URL(app.root)
            url = str(origin.copy_with(path=url.split("?", 1)[0], query=_query(url)))
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise error_from_response(response, await response.aread())
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > max_bytes:
                        raise DifyProtocolError(f"the file is larger than {max_bytes} bytes")
                kind = response.headers.get("content-type", "application/octet-stream")
                return bytes(content), kind
        except httpx.TimeoutException as exc:
            raise DifyTimeoutError(f"{type(exc).__name__} fetching a file") from None
        except httpx.HTTPError as exc:
            raise DifyTransportError(f"{type(exc).__name__} fetching a file: {exc}") from None

    # -- app description -----------------------------------------------------------------------

    async def get_parameters(self, app: DifyApp) -> AppParameters:
        """``GET /parameters``: opening statement, suggestions, input form, file upload."""
        return await self._call(AppParameters, app, "GET", "/parameters")

    async def get_info(self, app: DifyApp) -> AppInfo:
        """``GET /info``: name, description, tags (and mode on newer servers)."""
        return await self._call(AppInfo, app, "GET", "/info")

    async def get_meta(self, app: DifyApp) -> AppMeta:
        """``GET /meta``: tool icons."""
        return await self._call(AppMeta, app, "GET", "/meta")

    async def get_site(self, app: DifyApp) -> AppSite:
        """``GET /site`` (not served by 0.15: raises ``DifyNotFoundError`` there)."""
        return await self._call(AppSite, app, "GET", "/site")

    async def detect_mode(self, app: DifyApp, info: AppInfo | None = None) -> str:
        """The app's mode (``chat``, ``agent-chat``, ``advanced-chat``, ``workflow``,
        ``completion``): ``/info`` says it on newer servers; 0.15 does not, so two probes that
        create no conversation, message or run tell it from the refusals Dify gives:

        - ``GET /workflows/run/{nil id}``: workflow and advanced-chat apps answer (an empty run),
          the others refuse with ``not_workflow_app``;
        - ``POST /chat-messages`` blocking, on a conversation that cannot exist: chat-family apps
          refuse with 404 ``not_found`` (the conversation), an agent app with ``invalid_param``
          (agents cannot answer blocking; checked first), workflow and completion apps with
          ``not_chat_app``.
        """
        info = info or await self.get_info(app)
        if info.mode:
            return info.mode
        try:
            await self._json(app, "GET", f"/workflows/run/{NIL_ID}")
            workflow_family = True
        except DifyBadRequestError as exc:
            if exc.code != "not_workflow_app":
                raise
            workflow_family = False
        probe = {
            "inputs": {},
            "query": "mode probe",
            "user": MODE_PROBE_USER,
            "conversation_id": NIL_ID,
            "response_mode": "blocking",
        }
        try:
            await self._json(app, "POST", "/chat-messages", json=probe)
        except DifyNotFoundError:
            return "advanced-chat" if workflow_family else "chat"
        except DifyBadRequestError as exc:
            if exc.code == "not_chat_app":
                return "workflow" if workflow_family else "completion"
            if exc.code == "invalid_param" and "blocking" in exc.message and not workflow_family:
                return "agent-chat"
            raise
        raise DifyProtocolError("Dify answered a turn on a conversation that cannot exist")

    async def check_app(self, app: DifyApp) -> AppCheck:
        """Key test for the admin UI: ``/info`` and ``/parameters`` both answer."""
        try:
            info = await self.get_info(app)
            parameters = await self.get_parameters(app)
        except DifyError as exc:
            return AppCheck(ok=False, reason=str(exc))
        return AppCheck(ok=True, info=info, parameters=parameters)

    async def upload_file(
        self, app: DifyApp, user: str, filename: str, content: bytes, mime_type: str
    ) -> UploadedFile:
        """``POST /files/upload`` (multipart); use the id as ``FileRef.upload_file_id``."""
        files = {"file": (filename, content, mime_type)}
        return await self._call(
            UploadedFile, app, "POST", "/files/upload", files=files, data={"user": user}
        )

    async def audio_to_text(
        self, app: DifyApp, user: str, filename: str, content: bytes, mime_type: str
    ) -> Transcript:
        """``POST /audio-to-text`` (multipart): the words of a recording, if the app enables it."""
        files = {"file": (filename, content, mime_type)}
        return await self._call(
            Transcript, app, "POST", "/audio-to-text", files=files, data={"user": user}, slow=True
        )

    async def text_to_audio(
        self, app: DifyApp, user: str, *, text: str | None, message_id: str | None
    ) -> tuple[bytes, str]:
        """``POST /text-to-audio``: speech of a text or a stored answer, and its content type."""
        body = _params(user=user, text=text, message_id=message_id)
        response = await self._request(app, "POST", "/text-to-audio", slow=True, json=body)
        return response.content, response.headers.get("content-type", "audio/mpeg")

    # -- plumbing --------------------------------------------------------------------------------

    async def _call(
        self, model: type[ModelT], app: DifyApp, method: str, path: str, **kwargs: Any
    ) -> ModelT:
        payload = await self._json(app, method, path, **kwargs)
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            raise DifyProtocolError(f"unexpected {path} answer: {exc.errors()[0]['msg']}") from None

    async def _json(self, app: DifyApp, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._request(app, method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise DifyProtocolError(f"{path} answered non-JSON") from None

    async def _request(
        self, app: DifyApp, method: str, path: str, *, slow: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One call; a transport failure or a 4xx/5xx answer raises the matching DifyError."""
        timeout = self._http.timeout
        if slow:
            t = self.timeouts
            timeout = httpx.Timeout(
                connect=t.connect, read=t.blocking_read, write=t.write, pool=t.pool
            )
        try:
            response = await self._http.request(
                method, app.root + path, headers=_auth(app), timeout=timeout, **kwargs
            )
        except httpx.TimeoutException as exc:
            raise DifyTimeoutError(f"{type(exc).__name__} calling {path}") from None
        except httpx.HTTPError as exc:
            raise DifyTransportError(f"{type(exc).__name__} calling {path}: {exc}") from None
        if response.status_code >= 400:
            raise error_from_response(response, response.content)
        return response


def _names_upload(file: MessageFile, upload_file_id: str) -> bool:
    """Newer servers name the upload; 0.15 only has it in the preview URL's path."""
    if file.upload_file_id is not None:
        return file.upload_file_id == upload_file_id
    return f"/files/{upload_file_id}/" in (file.url or "")


def _query(url: str) -> bytes:
    return url.split("?", 1)[1].encode() if "?" in url else b""


def _auth(app: DifyApp) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.api_key.get_secret_value()}"}


def _body(request: BaseModel, response_mode: str) -> dict[str, Any]:
    body = request.model_dump(mode="json", exclude_none=True)
    body["response_mode"] = response_mode
    return body


def _params(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
