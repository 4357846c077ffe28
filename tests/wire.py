"""Talk to the running server the way a browser does, without one: log in through the login
form over HTTP (the server sets the session cookie), then speak Streamlit's websocket protocol
(the protobuf messages the browser sends). Used by tests/test_sessions.py and bench/load.py.
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

COOKIE = "riskmap_session"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def http(url: str, data: dict[str, str] | None = None, cookie: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One request, redirects not followed: (status, headers, body)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers={**(headers or {}),
                                                          **({"Cookie": f"{COOKIE}={cookie}"} if cookie else {})})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode("utf-8", "replace")


def log_in(url: str, username: str, password: str) -> str | None:
    """POST the login form; the session token the server set in its cookie (None: refused)."""
    status, headers, _ = http(f"{url}/auth/login", {"username": username, "password": password, "next": "/"})
    cookie = headers.get("set-cookie", "")
    if status != 303 or not cookie.startswith(f"{COOKIE}="):
        return None
    return cookie.split(";", 1)[0].split("=", 1)[1]


class Session:
    """One simulated browser tab on one websocket."""

    def __init__(self, url: str, cookie: str | None = None):
        self.url = url
        self.cookie = cookie
        self.widgets: dict[str, tuple[str, str]] = {}  # label -> (widget id, kind)
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.errors: list[str] = []
        self.texts: list[str] = []  # markdown, titles, alerts of the last run
        self.session_id = ""
        self.disable_data_export: bool | None = None
        self.received = 0  # bytes the server sent during the last run
        self.largest = 0  # the largest single message of the last run, bytes

    async def connect(self, existing_session_id: str = "") -> None:
        import websockets  # the client library Streamlit's own server stack installs

        # The browser's subprotocols: "streamlit", its xsrf token (unused here), the session to rejoin.
        protocols = ["streamlit", "x", existing_session_id] if existing_session_id else ["streamlit"]
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        self.ws = await websockets.connect(self.url.replace("http", "ws") + "/_stcore/stream",
                                           subprotocols=protocols,
                                           additional_headers=headers, max_size=None)

    async def send_backmsg(self, **fields: Any) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        for name, value in fields.items():
            setattr(msg, name, value)
        await self.ws.send(msg.SerializeToString())

    async def run(self, widget_states: WidgetStates | None = None, page_hash: str = "") -> float:
        """Ask for a script run; wait until it has finished; return the seconds it took."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = page_hash
        if widget_states is not None:
            msg.rerun_script.widget_states.CopyFrom(widget_states)
        t0 = time.perf_counter()
        self.texts = []
        self.received = self.largest = 0
        await self.ws.send(msg.SerializeToString())
        await self._until_finished()
        return time.perf_counter() - t0

    async def _until_finished(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=300)
            self.received += len(raw)
            self.largest = max(self.largest, len(raw))
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id
                self.disable_data_export = fm.new_session.config.disable_data_export
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                which = el.WhichOneof("type")
                if which == "exception":
                    self.errors.append(el.exception.message)
                elif which in ("markdown", "heading", "alert"):
                    self.texts.append(getattr(el, which).body)
                elif which in ("text_input", "button", "download_button", "link_button"):
                    widget = getattr(el, which)
                    self.widgets[widget.label] = (getattr(widget, "id", ""), which)
            elif kind == "navigation":
                for p in fm.navigation.app_pages:
                    self.pages[p.url_pathname or "overview"] = p.page_script_hash  # the default page has ""
            elif kind == "script_finished":
                if fm.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun(): the run that counts comes next
                return

    async def close(self) -> None:
        if hasattr(self, "ws"):
            await self.ws.close()
