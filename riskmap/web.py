"""The web server around the Streamlit app: login sessions bound to the browser, a gate in
front of every Streamlit endpoint, and one place for errors nobody expected.

Why not Streamlit's own session: a Streamlit session id is a bearer credential (whoever opens a
websocket with it gets the session and its state) and it lives only as long as the tab. Here a
login is a random token in an HttpOnly, SameSite=Strict cookie, set by ``POST /auth/login``
(:func:`login`), stored server-side only as its hash (``riskmap.accounts``). Every script run
resolves the user from that cookie (:func:`browser_user`), so a session id alone is worth
nothing; a refresh, a deep link and the 大屏 tab carry the cookie and stay logged in.

:class:`SessionGate` refuses, while any account exists, the websocket, uploads, media files
and pages to a browser without a live session (pages redirect to the login form). Streamlit's
``clear_cache`` message, which clears every user's caches, is ignored
(:func:`ignore_remote_cache_clearing`).

``python -m riskmap.serve`` runs :func:`make_app` (Streamlit's ``st.App``, an ASGI app) as
``riskmap.asgi:app``.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import secrets
import time
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from data import paths
from layers.store import LAYER_PATH, LayerStore
from riskmap.accounts import AccountError, Accounts, User, token_hash
from riskmap.i18n import t

LOG = logging.getLogger("riskmap")
APP = Path(__file__).resolve().parent.parent / "app.py"
COOKIE = "riskmap_session"
LOGIN_PATH = "/auth/login"
#: Paths anyone may fetch: the login form, the app's static files (its JavaScript holds no
#: data), the health and host-config probes the page makes before it connects.
PUBLIC = ("/auth/", "/static/", "/_stcore/health", "/_stcore/host-config", "/favicon.png", "/manifest.json",
          "/robots.txt")
#: Streamlit endpoints that are not pages: refused (not redirected) without a session.
ENDPOINTS = ("/_stcore/", "/media/", "/component/", "/~/", "/app/static/", LAYER_PATH + "/")

#: Streamlit session id -> the hash of the login token its runs were made under (see
#: :func:`bind_session`); the newest sessions of this process, bounded.
_SESSION_OWNERS: OrderedDict[str, str] = OrderedDict()
MAX_BOUND_SESSIONS = 20_000
#: Where the gate leaves the user of a request it let through (``scope["state"]``).
GATE_USER = "riskmap_user"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def accounts() -> Accounts:
    return Accounts(paths.security_path())


def has_accounts() -> bool:
    """Whether anyone can log in yet (before the first administrator, the app is open for the
    新建城市 form and nothing else: there is no data)."""
    return paths.security_path().exists() and accounts().has_users()


def cookie_of(header: str | None) -> str | None:
    """Our session token from a ``Cookie:`` header."""
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value
    return None


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# --- the login form ------------------------------------------------------------------------
#: The element chunks of Streamlit's frontend the pages draw at once (map, tables, metrics,
#: controls, the markdown of legends); their file names start so (the rest is a content hash).
PREFETCHED_CHUNKS = ("index.", "DeckGlJsonChart.", "DataFrame.", "Metric.", "Radio.", "Multiselect.", "Selectbox.",
                     "DownloadButton.", "Checkbox.", "webgl-device.", "Button.", "Spinner.", "rehype-raw.")
#: The fonts Streamlit's stylesheet asks for on every page (text, code, icons): a first visit
#: otherwise starts these 640 KB only once the page's styles are parsed.
PREFETCHED_FONTS = ("SourceSansVF-Upright.", "SourceCodeVF-Upright.", "MaterialSymbols-Rounded.")
_IMPORT = re.compile(r'(?:from|import)\s*["`]\./([\w.-]+\.js)["`]')


def _static_dir() -> Path:
    import streamlit

    return Path(streamlit.__file__).parent / "static" / "static"


@functools.cache
def first_page_scripts() -> tuple[str, ...]:
    """The file names of Streamlit's scripts the app's pages draw at once
    (:data:`PREFETCHED_CHUNKS` and everything they import), from the installed Streamlit."""
    js = _static_dir() / "js"
    todo = [p.name for p in js.glob("*.js") if p.name.startswith(PREFETCHED_CHUNKS)]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or not (js / name).is_file():
            continue
        seen.add(name)
        todo += _IMPORT.findall((js / name).read_text(encoding="utf-8", errors="replace"))
    return tuple(sorted(seen))


@functools.cache
def prefetch_links() -> str:
    """``<link rel="prefetch">`` for Streamlit's scripts, stylesheets and fonts that the app's
    first page needs, for the login form: the browser downloads them (about 3 MB gzipped) while
    its user types, instead of after the password was checked. Constant markup from the
    installed Streamlit's files."""
    static = _static_dir()
    seen = first_page_scripts()
    css = sorted(p.name for p in (static / "css").glob("*.css"))
    fonts = sorted(p.name for p in (static / "media").glob("*.woff2") if p.name.startswith(PREFETCHED_FONTS))
    return ("".join(f'<link rel="prefetch" as="script" crossorigin href="/static/js/{n}">' for n in seen)
            + "".join(f'<link rel="prefetch" as="style" href="/static/css/{n}">' for n in css)
            + "".join(f'<link rel="prefetch" as="font" crossorigin href="/static/media/{n}">' for n in fonts))


def login_html(lang: str = "zh", message: str = "", next_path: str = "/", username: str = "") -> str:
    """The login page: a plain HTML form (no script), every value escaped."""
    e = html.escape
    note = f'<p class="err" role="alert">{e(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(t('app_title', lang))}</title>
<style>
body {{ font-family: "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; background: #f7f5f0; margin: 0; }}
main {{ max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 8px;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
h1 {{ font-size: 1.4rem; margin: 0 0 1.5rem; }}
label {{ display: block; margin: .8rem 0 .3rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }}
button {{ margin-top: 1.2rem; width: 100%; padding: .6rem; font-size: 1rem; background: #c0392b; color: #fff;
         border: 0; border-radius: 4px; cursor: pointer; }}
.err {{ color: #a61b0f; }}
</style>
{prefetch_links()}</head>
<body><main>
<h1>{e(t('app_title', lang))}</h1>
{note}
<form method="post" action="{LOGIN_PATH}">
<input type="hidden" name="next" value="{e(next_path)}">
<input type="hidden" name="lang" value="{e(lang)}">
<label for="username">{e(t('username', lang))}</label>
<input id="username" name="username" autocomplete="username" required value="{e(username)}" autofocus>
<label for="password">{e(t('password', lang))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{e(t('login', lang))}</button>
</form>
</main></body></html>"""


def session_cookie(token: str, max_age: int, secure: bool) -> str:
    flags = f"; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")
    return f"{COOKIE}={token}{flags}"


async def login(request: Any) -> Any:
    """``GET``: the form. ``POST``: check the password (in a worker thread: Argon2 takes a
    tenth of a second), open a session, set the cookie, go where the user was going."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse, RedirectResponse

    lang = "en" if request.query_params.get("lang") == "en" else "zh"
    next_path = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return HTMLResponse(login_html(lang, "", next_path), headers={"Cache-Control": "no-store"})
    if not same_site(request.headers):
        return HTMLResponse(login_html(lang, t("login_other_site", lang), next_path), status_code=403)
    form = await request.form()
    lang = "en" if form.get("lang") == "en" else "zh"
    next_path = safe_next(str(form.get("next") or "/"))
    username, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
    try:
        store = accounts()
        user = await run_in_threadpool(store.login, username, password)
        token = await run_in_threadpool(store.open_session, user)
    except AccountError as exc:
        return HTMLResponse(login_html(lang, str(exc), next_path, username), status_code=401,
                            headers={"Cache-Control": "no-store"})
    response = RedirectResponse(next_path, status_code=303)
    response.headers.append("Set-Cookie", session_cookie(token, int(store.policy.max_hours * 3600),
                                                         served_over_https(request)))
    return response


#: Where a 大屏 link opens the screen: ``/auth/screen/<key>`` (``Accounts.add_screen_link``).
SCREEN_PATH = "/auth/screen"


async def screen_link(request: Any) -> Any:
    """``GET /auth/screen/<key>``: a live link of a 大屏 account opens a session for it (no
    password: the link is the credential, and the account sees only the big screen) and goes
    to the screen with the link's period; any other key gets the same plain refusal."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse

    store = accounts()
    found = await run_in_threadpool(store.screen_link, request.path_params["key"])
    if found is None:
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><p>{html.escape(t('screen_link_bad'))}</p>",
                            status_code=404, headers={"Cache-Control": "no-store"})
    user, days = found
    token = await run_in_threadpool(store.open_session, user)
    await run_in_threadpool(store.log, user.username, "screen_link_used", {})
    # A page of ours moves on to the screen, not a redirect: when the link was opened from
    # another site (a portal), the browser would not send the new SameSite=Strict cookie on a
    # redirect it followed, and the screen would land on the login form.
    target = f"/?screen=1&days={int(days)}"
    response = HTMLResponse(f'<!doctype html><meta charset=utf-8><meta http-equiv="refresh" content="0;url={target}">'
                            f'<a href="{target}">{html.escape(t("screen_link_go"))}</a>')
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the key is in this URL
    response.headers.append("Set-Cookie", session_cookie(token, int(store.policy.max_hours * 3600),
                                                         served_over_https(request)))
    return response


def same_site(headers: Any) -> bool:
    """Whether a form post comes from a page of this site: no ``Origin`` (old browsers, tools),
    or one whose host is the ``Host`` the browser asked for — or, behind a reverse proxy that
    rewrites ``Host``, the ``X-Forwarded-Host`` it passes on."""
    origin = headers.get("origin")
    if not origin or origin == "null":
        return True
    host = origin.split("://", 1)[-1].rstrip("/")
    return host in {h.strip() for h in (headers.get("host") or "", *(headers.get("x-forwarded-host") or "").split(","))
                    if h.strip()}


def served_over_https(request: Any) -> bool:
    """Whether the browser talks HTTPS to us: directly, or through a TLS proxy that says so
    (``X-Forwarded-Proto``; trusting it can only add the cookie's Secure flag)."""
    forwarded = (request.headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


# --- the gate ------------------------------------------------------------------------------
class SessionGate:
    """ASGI middleware: without a live session (once accounts exist) a page request is sent
    to the login form, and the websocket, uploads and media files are refused."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._public(scope["path"]) or await self._allowed(scope):
            if scope["type"] == "websocket":
                scope = rejoin_only_own_session(scope)
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation: no session
            return
        path = scope["path"]
        if scope.get("method") == "GET" and not path.startswith(ENDPOINTS):
            query = scope.get("query_string", b"").decode("latin-1")
            target = quote(path + (f"?{query}" if query else ""), safe="")
            await _respond(send, 303, [(b"location", f"{LOGIN_PATH}?next={target}".encode())], b"")
        else:
            await _respond(send, 401, [(b"content-type", b"text/plain; charset=utf-8")], "未登录".encode())

    @staticmethod
    def _public(path: str) -> bool:
        return path.startswith(PUBLIC)

    @staticmethod
    async def _allowed(scope: Scope) -> bool:
        from starlette.concurrency import run_in_threadpool

        headers = dict(scope.get("headers") or [])
        token = cookie_of(headers.get(b"cookie", b"").decode("latin-1"))

        def check() -> bool:
            anyone = not has_accounts()  # before the first administrator: open, nobody known
            user = None if anyone else accounts().session_user(token)
            # Routes behind the gate read who this is from here instead of asking again.
            scope.setdefault("state", {})[GATE_USER] = user
            return anyone or user is not None

        return await run_in_threadpool(check)


def bind_session(session_id: str, login: str) -> None:
    """Record that Streamlit session ``session_id`` runs under the login whose token hashes to
    ``login`` (app.py, on every run)."""
    _SESSION_OWNERS[session_id] = login
    _SESSION_OWNERS.move_to_end(session_id)
    while len(_SESSION_OWNERS) > MAX_BOUND_SESSIONS:
        _SESSION_OWNERS.popitem(last=False)


def rejoin_only_own_session(scope: Scope) -> Scope:
    """A websocket asking to rejoin an existing Streamlit session (the third subprotocol) may
    do so only with the login that session runs under; any other gets a new session of its own
    — so a leaked session id neither hands over the session nor disconnects its owner."""
    headers = list(scope.get("headers") or [])
    for i, (name, value) in enumerate(headers):
        if name != b"sec-websocket-protocol":
            continue
        entries = [e.strip() for e in value.decode("latin-1").split(",")]
        if len(entries) < 3 or not entries[2]:
            return scope
        owner = _SESSION_OWNERS.get(entries[2])
        token = cookie_of(dict(headers).get(b"cookie", b"").decode("latin-1"))
        if owner is None or (token is not None and token_hash(token) == owner):
            return scope
        LOG.warning("websocket asked for session %s… under another login: given a new session", entries[2][:8])
        headers[i] = (name, ", ".join(entries[:2]).encode("latin-1"))
        return {**scope, "headers": headers}
    return scope


#: Media types worth compressing (Streamlit's JavaScript, CSS, fonts' neighbours…).
_COMPRESSIBLE = (b"application/javascript", b"text/", b"application/json", b"image/svg+xml")


def accepts_gzip(header: bytes) -> bool:
    """Whether an ``Accept-Encoding`` header accepts gzip (``gzip;q=0`` refuses it)."""
    for part in header.decode("latin-1").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


class StaticGzip:
    """ASGI middleware: Streamlit's own static files (``/static/…``: 7.9 MB of JavaScript and
    CSS that a browser's first visit downloads, uncompressed) sent gzipped to browsers that
    accept it. Their names carry a content hash, so each is compressed once per process and
    kept (:data:`STATIC_CACHE_BYTES` at most)."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.cache: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        if (scope["type"] != "http" or scope.get("method") != "GET" or not scope["path"].startswith("/static/")
                or not accepts_gzip(headers.get(b"accept-encoding", b"")) or b"range" in headers):
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    await self._send(scope["path"], start, b"".join(chunks), send)

        await self.app(scope, receive, capture)

    async def _send(self, path: str, start: Message, body: bytes, send: Send) -> None:
        import gzip

        from starlette.concurrency import run_in_threadpool

        head = [(k.lower(), v) for k, v in start.get("headers", [])]
        kind = dict(head).get(b"content-type", b"")
        if start.get("status") != 200 or len(body) < 1024 or b"content-encoding" in dict(head) \
                or not kind.startswith(_COMPRESSIBLE):
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        key = (path, dict(head).get(b"etag", b""))
        packed = self.cache.get(key)
        if packed is None:
            packed = await run_in_threadpool(gzip.compress, body, 6, mtime=0)
            self.cache[key] = packed
            while sum(len(v) for v in self.cache.values()) > STATIC_CACHE_BYTES and len(self.cache) > 1:
                self.cache.popitem(last=False)
        self.cache.move_to_end(key)
        # Another body, another validator: the identity file's ETag with a suffix.
        head = [(k, (v[:-1] + b'-gz"' if v.endswith(b'"') else v + b"-gz") if k == b"etag" else v)
                for k, v in head if k != b"content-length"]
        head += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding"),
                 (b"content-length", str(len(packed)).encode())]
        await send({**start, "headers": head})
        await send({"type": "http.response.body", "body": packed})


#: Most bytes of compressed static files a process keeps (Streamlit's come to about 2 MB).
STATIC_CACHE_BYTES = 32 * 2**20


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# --- inside a run --------------------------------------------------------------------------
def browser_token() -> str | None:
    """The session token the browser sent with this session's websocket (None if none)."""
    import streamlit as st

    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this run (bare script, tests)
        return None


def browser_user(token: str | None) -> User | None:
    """The user of the browser's session token, checked on every run: logged out, disabled,
    password changed or expired means None."""
    return accounts().session_user(token) if token else None


def unexpected_error(exc: BaseException) -> bool:
    """Show an error nobody expected as a Chinese message with an error id; the traceback
    goes only to the server log, under that id. Returns True: the default display (a stack
    trace with server paths) is suppressed."""
    import streamlit as st

    error_id = f"{time.strftime('%Y%m%d')}-{secrets.token_hex(3)}"
    LOG.error("error %s: %s", error_id, "".join(traceback.format_exception(exc)))
    lang = st.session_state.get("lang", "zh")
    st.error(t("unexpected_error", lang, id=error_id))
    return True


def ignore_remote_cache_clearing() -> None:
    """Streamlit clears *every* user's caches when any websocket sends ``clear_cache`` (its
    developer menu, which our toolbar hides): ignore the message and log who asked."""
    from streamlit.runtime.app_session import AppSession

    def refuse(self: AppSession) -> None:
        LOG.warning("clear_cache from session %s ignored", self.id[:8])

    type.__setattr__(AppSession, "_handle_clear_cache_request", refuse)


async def layer_data(request: Any) -> Any:
    """``GET /layers/<digest>.json``: a map layer's rows (``layers.store``), to a logged-in user
    of the data scope they were drawn for; anyone else gets 404, as if there were none."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    from data.access import data_scope

    state = request.scope.get("state") or {}
    if GATE_USER not in state:  # not behind the gate: nobody is known
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    body = await run_in_threadpool(LayerStore(paths.layer_cache_dir()).get, request.path_params["digest"],
                                   data_scope(state[GATE_USER]))
    if body is None:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    # The browser may keep the rows but must ask again before using them (a 304 while the login
    # lasts): after a logout on a shared computer they are no longer handed to the page.
    etag = f'"{request.path_params["digest"]}"'
    headers = {"Cache-Control": "private, no-cache", "ETag": etag, "Vary": "Cookie"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if accepts_gzip(request.headers.get("accept-encoding", "").encode("latin-1")):
        return Response(body, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"})
    import gzip

    return Response(gzip.decompress(body), media_type="application/json", headers=headers)


def make_app() -> Any:
    """The ASGI app: Streamlit's ``st.App`` on app.py with the login routes and the gate."""
    import streamlit as st
    from starlette.middleware import Middleware
    from starlette.routing import Route

    ignore_remote_cache_clearing()
    return st.App(APP, routes=[Route(LOGIN_PATH, login, methods=["GET", "POST"]),
                               Route(SCREEN_PATH + "/{key}", screen_link, methods=["GET"]),
                               Route(LAYER_PATH + "/{digest}.json", layer_data, methods=["GET"])],
                  middleware=[Middleware(StaticGzip), Middleware(SessionGate)], on_script_error=unexpected_error)
