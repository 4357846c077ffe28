"""Talk to the running server the way a browser does, without one: log in through the login
form over HTTP (the server sets the session cookie), then speak Streamlit's websocket protocol
(the protobuf messages the browser sends). Used by tests/test_sessions.py and bench/load.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

COOKIE = "riskmap_session"
#: The bodies of the cacheable messages the sessions here keep, by hash, and how many sessions
#: keep each (a hash names its content, so sessions share them: 100 simulated browsers do not
#: keep 100 copies; a body goes when no session keeps it).
_BODIES: dict[str, bytes] = {}
_HOLDERS: dict[str, int] = {}


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


def download(url: str, cookie: str | None = None) -> tuple[int, int]:
    """GET what a browser fetches beside the page (gzip accepted): (status, bytes received)."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip",
                                               **({"Cookie": f"{COOKIE}={cookie}"} if cookie else {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, len(r.read())
    except urllib.error.HTTPError as e:
        return e.code, len(e.read())


def deck_data_urls(spec: str) -> list[str]:
    """The URL paths a deck's layers name as their data (deck.gl fetches a string ``data``)."""
    try:
        deck = json.loads(spec)
    except ValueError:
        return []
    return [layer["data"] for layer in deck.get("layers", []) if isinstance(layer, dict)
            and isinstance(layer.get("data"), str) and layer["data"].startswith("/")]


def log_in(url: str, username: str, password: str) -> str | None:
    """POST the login form; the session token the server set in its cookie (None: refused)."""
    status, headers, _ = http(f"{url}/auth/login", {"username": username, "password": password, "next": "/"})
    cookie = headers.get("set-cookie", "")
    if status != 303 or not cookie.startswith(f"{COOKIE}="):
        return None
    return cookie.split(";", 1)[0].split("=", 1)[1]


class Session:
    """One simulated browser tab on one websocket.

    With ``cache_messages`` (the default) it keeps messages like Streamlit's browser client
    (``ForwardMsgCache`` in its frontend): a message the server marks ``metadata.cacheable`` is
    kept by its ``hash``; every rerun request lists the hashes kept
    (``rerun_script.cached_message_hashes``), so the server sends a small ``ref_hash`` in its
    place, which is looked up here and handled as the message itself. A kept message expires
    once more than ``max_cached_message_age`` (the server's ``global.maxCachedMessageAge``,
    told in ``new_session``) script runs have finished since it was last received or referred
    to. A reference to a message not kept (the browser would fetch it) is recorded in
    ``errors``.
    """

    def __init__(self, url: str, cookie: str | None = None, cache_messages: bool = True):
        self.url = url
        self.cookie = cookie
        self.cache_messages = cache_messages
        self.cached: dict[str, int] = {}  # hash -> the run count when last received or referred to
        self.run_count = 0  # script runs finished (not counting those cut short by a rerun)
        self.max_cached_message_age = 2  # Streamlit's default until new_session says
        self.refs = 0  # messages of the last run that came as a reference to a kept one
        self.data_urls: list[str] = []  # URL paths the maps of the last run fetch their layers from
        self.fetched: set[str] = set()  # what fetch_data got (the browser's HTTP cache: immutable URLs)
        self.widgets: dict[str, tuple[str, str]] = {}  # label -> (widget id, kind)
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.errors: list[str] = []
        self.texts: list[str] = []  # markdown, titles, alerts of the last run
        self.error_boxes: list[str] = []  # the st.error boxes of the last run (a page's failure says so)
        self.session_id = ""
        self.disable_data_export: bool | None = None
        self.received = 0  # bytes the server sent during the last run
        self.largest = 0  # the largest single message of the last run, bytes

    async def connect(self, existing_session_id: str = "", open_timeout: float | None = 10) -> None:
        """Open the websocket (``open_timeout``: seconds for the handshake, None: no limit)."""
        import websockets  # the client library Streamlit's own server stack installs
        from websockets.typing import Subprotocol

        # The browser's subprotocols: "streamlit", its xsrf token (unused here), the session to rejoin.
        protocols = ["streamlit", "x", existing_session_id] if existing_session_id else ["streamlit"]
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        self.ws = await websockets.connect(self.url.replace("http", "ws") + "/_stcore/stream",
                                           subprotocols=[Subprotocol(p) for p in protocols],
                                           additional_headers=headers, max_size=None,
                                           open_timeout=open_timeout)

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
        if self.cache_messages:
            msg.rerun_script.cached_message_hashes.extend(self.cached)
        t0 = time.perf_counter()
        self.texts, self.data_urls, self.error_boxes = [], [], []
        self.received = self.largest = self.refs = 0
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
            if fm.WhichOneof("type") == "ref_hash":
                body = _BODIES.get(fm.ref_hash) if fm.ref_hash in self.cached else None
                if body is None:
                    self.errors.append(f"a reference to a message not kept: {fm.ref_hash}")
                    continue
                self.cached[fm.ref_hash] = self.run_count
                self.refs += 1
                fm = ForwardMsg()
                fm.ParseFromString(body)
            elif self.cache_messages and fm.metadata.cacheable and fm.hash:
                if fm.hash not in self.cached:
                    _BODIES.setdefault(fm.hash, raw if isinstance(raw, bytes) else raw.encode())
                    _HOLDERS[fm.hash] = _HOLDERS.get(fm.hash, 0) + 1
                self.cached[fm.hash] = self.run_count
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id
                self.disable_data_export = fm.new_session.config.disable_data_export
                self.max_cached_message_age = fm.new_session.config.max_cached_message_age
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                which = el.WhichOneof("type")
                if which == "exception":
                    self.errors.append(el.exception.message)
                elif which in ("markdown", "heading", "alert"):
                    self.texts.append(getattr(el, which).body)
                    if which == "alert" and el.alert.format == el.alert.Format.ERROR:
                        self.error_boxes.append(el.alert.body)
                elif which in ("text_input", "button", "download_button", "link_button"):
                    widget = getattr(el, which)
                    self.widgets[widget.label] = (getattr(widget, "id", ""), which)
                elif which == "deck_gl_json_chart":
                    self.data_urls += deck_data_urls(el.deck_gl_json_chart.json)
            elif kind == "navigation":
                for p in fm.navigation.app_pages:
                    self.pages[p.url_pathname or "overview"] = p.page_script_hash  # the default page has ""
            elif kind == "script_finished":
                if fm.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun(): the run that counts comes next
                self._expire()
                return

    def fetch_data(self) -> tuple[int, int]:
        """GET, one after the other, the layer data of the last run's maps not fetched before in
        this session, as the browser does after the deck arrives (a blocking call: run it in a
        thread); (files, bytes). A refusal is recorded in ``errors``."""
        files = size = 0
        for path in dict.fromkeys(self.data_urls):
            if path in self.fetched:
                continue
            status, n = download(self.url + path, self.cookie)
            if status != 200:
                self.errors.append(f"GET {path}: HTTP {status}")
                continue
            self.fetched.add(path)
            files, size = files + 1, size + n
        return files, size

    def _expire(self) -> None:
        """A script run has finished: forget what was not used in the last runs (the browser's
        ``incrementRunCount``)."""
        self.run_count += 1
        self._forget([h for h, seen in self.cached.items() if self.run_count - seen > self.max_cached_message_age])

    def _forget(self, hashes: list[str]) -> None:
        for h in hashes:
            del self.cached[h]
            _HOLDERS[h] -= 1
            if not _HOLDERS[h]:
                del _HOLDERS[h], _BODIES[h]

    async def close(self) -> None:
        self._forget(list(self.cached))
        if hasattr(self, "ws"):
            await self.ws.close()
