"""Logins bound to the browser, on the real server (``python -m riskmap.serve``, loopback): a
Streamlit session id alone is worth nothing, the cookie survives a refresh, a deep link and
the 大屏 tab, and a logout, a disabled account or a changed password ends every session of that
user at once. The accounts store under concurrency, the lockout counted before the password
is checked, anonymous cache clearing ignored, unexpected errors shown with an error id."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from riskmap.accounts import LOCK_AFTER, Accounts, SessionPolicy, User

from .browser import REPO, streamlit_server
from .conftest import City
from .wire import Session, http, log_in

OFFICE = ("office", "demo-office-2026")
GRID = ("grid", "demo-grid-2026")
LEADER = ("leader", "demo-leader-2026")


@pytest.fixture(scope="module")
def server(small_city: City):
    with streamlit_server(small_city.data_dir) as url:
        yield url


def _run(coro):
    return asyncio.run(coro)


async def _open(url: str, cookie: str | None, session_id: str = "") -> Session:
    s = Session(url, cookie)
    await s.connect(session_id)
    await s.run()
    return s


def test_pages_without_a_session_go_to_the_login_form_and_a_cookie_keeps_the_user_in(server):
    status, headers, _ = http(f"{server}/targets?x=1")
    assert status == 303 and headers["location"] == "/auth/login?next=%2Ftargets%3Fx%3D1"
    status, _, body = http(f"{server}/auth/login")
    assert status == 200 and 'name="password"' in body and "<script" not in body
    assert log_in(server, "office", "wrong-password") is None
    token = log_in(server, *OFFICE)
    assert token
    status, headers, _ = http(f"{server}/auth/login", {"username": OFFICE[0], "password": OFFICE[1]})
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    for path in ("", "/targets", "/?screen=1"):  # a refresh, a deep link, the 大屏 tab
        status, _, _ = http(f"{server}{path}", cookie=token)
        assert status == 200, path

    async def tab() -> Session:
        s = await _open(server, token)
        await s.close()
        return s

    s = _run(tab())
    assert "targets" in s.pages and not s.errors  # logged in: the navigation of 安委办


def test_hostile_text_in_the_login_form_is_only_text(server, small_city: City):
    from .test_security import INJECTIONS

    for text in INJECTIONS:
        status, _, body = http(f"{server}/auth/login", {"username": text, "password": text})
        assert status == 401 and "用户名或密码错误" in body
        assert text not in body or "<" not in text  # echoed escaped, never as markup
    con = __import__("duckdb").connect(str(small_city.db), read_only=True)
    assert con.execute("SELECT count(*) FROM enterprise").fetchone()[0] > 0


def test_an_open_redirect_and_a_login_from_another_site_are_refused(server):
    _, headers, _ = http(f"{server}/auth/login", {"username": OFFICE[0], "password": OFFICE[1],
                                                  "next": "//evil.example/x"})
    assert headers["location"] == "/"
    status, headers, _ = http(f"{server}/auth/login", {"username": OFFICE[0], "password": OFFICE[1]},
                              headers={"Origin": "http://evil.example"})
    assert status == 403 and "set-cookie" not in headers
    # Behind the intranet's TLS proxy (nginx rewrites Host unless told not to): its forwarded
    # host and scheme count, and the cookie is marked Secure.
    status, headers, _ = http(f"{server}/auth/login", {"username": OFFICE[0], "password": OFFICE[1]},
                              headers={"Origin": "https://riskmap.city.gov", "X-Forwarded-Host": "riskmap.city.gov",
                                       "X-Forwarded-Proto": "https"})
    assert status == 303 and "; Secure" in headers["set-cookie"]
    status, headers, _ = http(f"{server}/auth/login", {"username": OFFICE[0], "password": OFFICE[1]},
                              headers={"Origin": "https://riskmap.city.gov", "Host": "riskmap.city.gov"})
    assert status == 303 and "; Secure" not in headers["set-cookie"]  # plain HTTP to us, nothing forwarded


def test_a_session_id_alone_gets_nothing(server):
    """Break 2: a websocket opened with another user's Streamlit session id took over that
    logged-in session. Without a cookie the websocket is refused; with another user's cookie it
    gets a new session of its own (the 网格员's own pages) and the victim's stays theirs; the
    victim's own browser, reconnecting with its cookie, rejoins its session."""
    office = log_in(server, *OFFICE)
    grid = log_in(server, *GRID)

    async def attack() -> tuple[Session, Session, Session]:
        victim = await _open(server, office)
        assert "targets" in victim.pages
        import websockets

        with pytest.raises(websockets.exceptions.InvalidStatus):  # no cookie: no websocket at all
            await Session(server).connect(victim.session_id)
        thief = Session(server, grid)
        await thief.connect(victim.session_id)
        await thief.run()
        victim.pages.clear()
        await victim.run()  # still connected, still 安委办's
        await victim.close()
        again = Session(server, office)  # the victim's browser after a network blip
        await again.connect(victim.session_id)
        await again.run()
        await thief.close()
        await again.close()
        return victim, thief, again

    victim, thief, again = _run(attack())
    assert thief.session_id and thief.session_id != victim.session_id  # a session of its own…
    # …showing the 网格员 their own two pages (我的网格, the default, and 模型说明), not 安委办's
    assert set(thief.pages) == {"overview", "model_info"} and "targets" in victim.pages
    assert again.session_id == victim.session_id and "targets" in again.pages


def test_map_layers_are_fetched_beside_the_page_by_users_of_their_scope_only(server, small_city: City):
    """The city map's deck names its layers' rows by URL; the server hands them, gzipped and
    cacheable, to a logged-in user of the scope they were drawn for — to nobody else."""
    import json

    from data.access import data_scope

    office, grid, leader = log_in(server, *OFFICE), log_in(server, *GRID), log_in(server, *LEADER)
    _run(_open(server, office))  # 城市总览 as 安委办: its layers are written
    scope = data_scope(Accounts(small_city.data_dir / "security.sqlite").session_user(office))
    store = small_city.data_dir / "cache" / "layers"
    mine = [p.name.removesuffix(".scope") for p in store.glob("*.scope") if p.read_text(encoding="utf-8") == scope]
    assert mine
    for digest in mine:
        status, headers, body = http(f"{server}/layers/{digest}.json", cookie=office)
        assert status == 200 and headers["content-type"] == "application/json"
        # Kept by the browser but asked for again each time: after a logout it gets nothing.
        assert headers["cache-control"] == "private, no-cache" and headers["etag"] == f'"{digest}"'
        assert http(f"{server}/layers/{digest}.json", cookie=office, headers={"If-None-Match": f'"{digest}"'})[0] == 304
        assert isinstance(json.loads(body), list)
        status, headers, _ = http(f"{server}/layers/{digest}.json", cookie=office, headers={"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("content-encoding") == "gzip"
        assert http(f"{server}/layers/{digest}.json", cookie=grid)[0] == 404  # another scope: as if none
        assert http(f"{server}/layers/{digest}.json", cookie=leader)[0] == 404  # masked names: another scope
        assert http(f"{server}/layers/{digest}.json")[0] == 401  # nobody logged in
    assert http(f"{server}/layers/{'0' * 32}.json", cookie=office)[0] == 404
    assert http(f"{server}/layers/..%2Fsecurity.json", cookie=office)[0] in (400, 404)  # never a file
    Accounts(small_city.data_dir / "security.sqlite").end_session(office)  # logged out
    assert http(f"{server}/layers/{mine[0]}.json", cookie=office, headers={"If-None-Match": f'"{mine[0]}"'})[0] == 401


def test_streamlit_static_files_go_gzipped_to_browsers_that_accept_it(server):
    """A first visit downloaded 7.9 MB of Streamlit's JavaScript uncompressed."""
    import gzip
    import re
    import urllib.request

    import streamlit

    js = Path(streamlit.__file__).parent / "static" / "static" / "js"
    name = re.search(r"/static/js/(index\.[\w-]+\.js)", http(server + "/", cookie=log_in(server, *OFFICE))[2])
    assert name  # the app's page names its main bundle
    original = (js / name.group(1)).read_bytes()
    etags = []
    for accept in ("gzip, deflate, br", None):
        req = urllib.request.Request(f"{server}/static/js/{name.group(1)}",
                                     headers={"Accept-Encoding": accept} if accept else {})
        with urllib.request.urlopen(req, timeout=30) as r:
            body, encoding = r.read(), r.headers.get("content-encoding")
        etags.append(r.headers.get("etag"))
        if accept:
            assert encoding == "gzip" and len(body) < len(original) / 2 and gzip.decompress(body) == original
        else:
            assert encoding is None and body == original
    assert etags[0] != etags[1]  # another body, another validator


def test_the_login_form_prefetches_the_scripts_of_the_first_page(server):
    """While a user types, the browser downloads Streamlit's scripts the first page needs: the
    login form names them (no script of its own), each one a file the server has."""
    import re

    _, _, body = http(f"{server}/auth/login")
    hrefs = re.findall(r'<link rel="prefetch" as="script" crossorigin href="(/static/js/[\w.-]+\.js)">', body)
    assert "<script" not in body and len(hrefs) > 50
    assert any("/DeckGlJsonChart." in h for h in hrefs) and any(re.search(r"/index\.\w+\.js$", h) for h in hrefs)
    page = http(server + "/", cookie=log_in(server, *OFFICE))[2]
    main = re.search(r'src="\./(static/js/index\.[\w-]+\.js)"', page)
    assert main and f"/{main.group(1)}" in hrefs  # the app page's own main script among them
    assert all(http(f"{server}{h}")[0] == 200 for h in hrefs[::10])
    # The stylesheets and the fonts they ask for on every page, too.
    styles = re.findall(r'<link rel="prefetch" as="style" href="(/static/css/[\w.-]+\.css)">', body)
    fonts = re.findall(r'<link rel="prefetch" as="font" crossorigin href="(/static/media/([\w.-]+)\.woff2)">', body)
    assert any("/index." in h for h in styles)
    assert sorted(f.split(".")[0] for _, f in fonts) == ["MaterialSymbols-Rounded", "SourceCodeVF-Upright",
                                                          "SourceSansVF-Upright"]
    assert all(http(f"{server}{h}")[0] == 200 for h in [*styles, *(h for h, _ in fonts)])


def test_logout_disable_and_a_new_password_end_every_session_at_once(server, small_city: City):
    accounts = Accounts(small_city.data_dir / "security.sqlite")
    accounts.add("tmp_office", "临时", "office", "tmp-password-1")
    first, second = log_in(server, "tmp_office", "tmp-password-1"), log_in(server, "tmp_office", "tmp-password-1")
    assert accounts.open_sessions("tmp_office") == 2

    async def still_in(token: str) -> bool:
        s = await _open(server, token)
        await s.close()
        return "targets" in s.pages

    assert _run(still_in(first))
    accounts.set_password("tmp_office", "tmp-password-2", by="admin")
    assert accounts.open_sessions("tmp_office") == 0
    assert http(f"{server}/targets", cookie=first)[0] == 303 and http(f"{server}/", cookie=second)[0] == 303
    third = log_in(server, "tmp_office", "tmp-password-2")

    async def open_then_disabled() -> Session:  # an open tab: its next run sees the account disabled
        s = await _open(server, third)
        assert "targets" in s.pages
        accounts.set_disabled("tmp_office", True, by="admin")
        s.pages.clear()
        await s.run()
        await s.close()
        return s

    s = _run(open_then_disabled())
    assert not s.pages and any("请登录" in t for t in s.texts)
    assert log_in(server, "tmp_office", "tmp-password-2") is None


def test_data_export_off_in_the_table_toolbar_and_cache_clearing_ignored(server):
    """Breaks 7 and 8: the dataframe toolbar's CSV download is off for everyone (exports go
    through the audited buttons); a ``clear_cache`` message clears no one's caches."""
    token = log_in(server, *OFFICE)

    async def go() -> Session:
        s = await _open(server, token)
        assert s.disable_data_export is True
        await s.run(page_hash=s.pages["targets"])
        await s.send_backmsg(clear_cache=True)  # ignored (the handler: the next test)
        s.pages.clear()
        await s.run(page_hash="")
        await s.close()
        return s

    s = _run(go())
    assert not s.errors and "targets" in s.pages  # the session and its login survive the message


def test_cache_clearing_through_the_protocol_is_a_no_op(monkeypatch):
    import streamlit as st
    from streamlit.runtime.app_session import AppSession

    from riskmap.web import ignore_remote_cache_clearing

    # Restored after the test: the server process installs the patch in riskmap.web.make_app.
    monkeypatch.setattr(AppSession, "_handle_clear_cache_request", AppSession._handle_clear_cache_request)

    calls = []

    @st.cache_resource
    def cached() -> int:
        calls.append(1)
        return len(calls)

    cached()
    ignore_remote_cache_clearing()

    class Fake:
        id = "abcdefgh-session"

    AppSession._handle_clear_cache_request(Fake())  # a stand-in session: only its id is read
    cached()
    assert calls == [1]


def test_thirty_guesses_at_once_get_five_password_checks(tmp_path, monkeypatch):
    """Break 9: 30 parallel wrong passwords were all checked before the lockout of 5."""
    accounts = Accounts(tmp_path / "security.sqlite")
    accounts.add("victim", "受害者", "office", "right-password-1")
    checks = []
    real = accounts.hasher

    class Counted:
        def verify(self, hash_: str, password: str) -> bool:
            checks.append(password)
            return real.verify(hash_, password)

        def hash(self, password: str) -> str:
            checks.append(password)  # an unknown user's check costs the same work: counted too
            return real.hash(password)

    monkeypatch.setattr(accounts, "hasher", Counted())
    barrier = threading.Barrier(30)

    def guess(i: int) -> str:
        barrier.wait()
        try:
            accounts.login("victim", f"guess-{i}")
        except Exception as exc:
            return str(exc)
        return "in"

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(guess, range(30)))
    assert len(checks) == LOCK_AFTER
    assert sum("次数过多" in a for a in answers) == 30 - LOCK_AFTER and "in" not in answers
    with pytest.raises(Exception, match="次数过多"):
        accounts.login("victim", "right-password-1")  # locked, even with the right password


@pytest.mark.slow  # fifty Argon2 hashes to create the accounts, fifty to check them
def test_fifty_logins_at_once_and_their_audit_entries_all_succeed(tmp_path):
    """Break 9: at 50 concurrent logins 6–8 failed with "database is locked"."""
    accounts = Accounts(tmp_path / "security.sqlite")
    for i in range(50):
        accounts.add(f"u{i}", f"用户{i}", "office", f"password-{i:04d}")
    barrier = threading.Barrier(50)

    def one(i: int) -> str:
        barrier.wait()
        store = Accounts(tmp_path / "security.sqlite")  # each request opens the store, as the server does
        user = store.login(f"u{i}", f"password-{i:04d}")
        token = store.open_session(user)
        assert store.session_user(token) == User(f"u{i}", f"用户{i}", "office")
        store.log(user.username, "export", {"kind": "xlsx"})
        return token

    with ThreadPoolExecutor(50) as pool:
        tokens = list(pool.map(one, range(50)))
    assert len(set(tokens)) == 50
    actions = [e["action"] for e in accounts.audit_log(500)]
    assert actions.count("login") == 50 and actions.count("export") == 50 and "login_failed" not in actions


def test_sessions_expire_when_idle_and_in_all(tmp_path, monkeypatch):
    import riskmap.accounts as A

    (tmp_path / "settings.toml").write_text("[sessions]\nidle_minutes = 10\nmax_hours = 1\n", encoding="utf-8")
    accounts = Accounts(tmp_path / "security.sqlite")
    assert accounts.policy == SessionPolicy(10, 1)
    user = accounts.add("a", "甲", "leader", "password-aaaa")
    now = [1_000_000.0]
    monkeypatch.setattr(A.time, "time", lambda: now[0])
    token = accounts.open_session(user)
    for _ in range(5):  # active every 9 minutes: alive until the hour is up
        now[0] += 9 * 60
        assert accounts.session_user(token) == user
    now[0] += 16 * 60  # 61 minutes after the login
    assert accounts.session_user(token) is None
    idle = accounts.open_session(user)
    now[0] += 11 * 60
    assert accounts.session_user(idle) is None
    (tmp_path / "settings.toml").write_text("[sessions]\nidle_minute = 10\n", encoding="utf-8")
    with pytest.raises(Exception, match="idle_minutes"):
        Accounts(tmp_path / "security.sqlite")


def test_an_unexpected_error_shows_an_error_id_not_a_traceback(city_env: City, monkeypatch, caplog):
    from data import queries

    def broken(*args, **kwargs):
        raise RuntimeError("/srv/secret/path exploded")

    monkeypatch.setattr(queries, "township_listing", broken)
    import streamlit as st

    st.cache_resource.clear()  # an earlier test's cached listing would not call it
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state["user"] = User("admin", "示意管理员", "admin")
    at.run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "错误编号" in message and "/srv/secret" not in message
    assert any("/srv/secret/path exploded" in r.getMessage() for r in caplog.records)  # in the server log


def test_a_display_account_sees_only_the_big_screen(city_env: City):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state["user"] = User("meeting", "会议室大屏", "display")
    at.run()
    assert not at.exception
    assert at.query_params["screen"] == "1"
    # The fixed big screen: nothing to choose in the page (the sidebar keeps the basemap setting).
    assert not at.get("download_button") and not [r for r in at.radio if r.key != "basemap_kind"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/screens/targets.py")


def test_every_export_is_audited_with_its_user_kind_scope_and_rows(tmp_path, monkeypatch):
    """Break 7: file exports were written to the audit log with user "—" (the file is made when
    the button is clicked, outside the run that drew it)."""
    import io
    import json

    import openpyxl

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))
    wb = openpyxl.Workbook()
    wb.active.append(["统一社会信用代码", "企业名称"])
    for i in range(3):
        wb.active.append([f"E{i}", f"企业{i}"])
    second = wb.create_sheet("乙")
    second.append(["编号"])
    second.append(["1"])
    buf = io.BytesIO()
    wb.save(buf)

    def script(content: bytes) -> None:
        import streamlit as st

        from pages.screens.common import export_button

        class Where:
            def download_button(self, label, data, **kwargs):
                st.session_state["made"] = data

        if st.session_state.get("png"):
            export_button(Where(), "图", lambda mark: b"png", file_name="地图.png", rows=12)
        else:
            export_button(Where(), "下载", lambda mark: content, file_name="检查目标.xlsx")

    at = AppTest.from_function(script, args=(buf.getvalue(),))
    at.session_state["user"] = User("g1", "网格员甲", "grid", "G001")
    at.session_state["_page"] = "grid"
    at.run()
    made = at.session_state["made"]
    made()  # clicked: outside the run
    entry = Accounts(tmp_path / "security.sqlite").audit_log(5)[0]
    assert entry["username"] == "g1" and entry["action"] == "export"
    detail = json.loads(entry["detail"])
    assert detail["kind"] == "xlsx" and detail["rows"] == 3 + 1 and detail["scope"] == "grid G001"
    assert detail["page"] == "grid" and detail["file"] == "检查目标.xlsx"
    at.session_state["png"] = True
    at.run()
    at.session_state["made"]()
    detail = json.loads(Accounts(tmp_path / "security.sqlite").audit_log(5)[0]["detail"])
    assert detail["kind"] == "png" and detail["rows"] == 12
    # A button drawn before the account was disabled makes nothing when clicked after.
    Accounts(tmp_path / "security.sqlite").set_disabled("g1", True, by="admin")
    with pytest.raises(PermissionError):
        at.session_state["made"]()
    assert Accounts(tmp_path / "security.sqlite").audit_log(5)[0]["action"] == "export_refused"


def test_an_administrator_ends_every_login_of_an_account(tmp_path, capsys):
    """A lost phone: ``users logout NAME`` (and 结束登录 on 用户与审计) ends its logins; its
    password stays."""
    from riskmap.cli import main

    accounts = Accounts(tmp_path / "security.sqlite")
    user = accounts.add("phone", "手机", "grid", "password-phone", "G001")
    tokens = [accounts.open_session(user) for _ in range(3)]
    assert main(["--db", str(tmp_path / "riskmap.duckdb"), "users", "logout", "phone"]) == 0
    assert "3 个登录" in capsys.readouterr().out
    assert all(accounts.session_user(t) is None for t in tokens)
    assert accounts.login("phone", "password-phone") == user


@pytest.mark.slow  # fifty Argon2 checks, one after the other
def test_fifty_right_passwords_at_once_for_one_shared_account_all_get_in(tmp_path):
    """The lockout counts attempts before checking them; that must not lock out fifty people
    who share one account and log in at the same moment (bench/load.py does exactly that)."""
    accounts = Accounts(tmp_path / "security.sqlite")
    accounts.add("shared", "安委办公用", "office", "shared-password-1")
    barrier = threading.Barrier(50)

    def one(_: int) -> bool:
        barrier.wait()
        return Accounts(tmp_path / "security.sqlite").login("shared", "shared-password-1").username == "shared"

    with ThreadPoolExecutor(50) as pool:
        assert all(pool.map(one, range(50)))


def test_a_damaged_database_is_said_so_without_a_traceback(tmp_path, monkeypatch):
    """Break 12: a corrupted database showed a raw stack trace with server paths."""
    import random

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))
    (tmp_path / "riskmap.duckdb").write_bytes(random.Random(1).randbytes(300_000))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state["user"] = User("admin", "管理员", "admin")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["数据库文件无法打开（可能已损坏，或不是本系统的数据库）。数据未显示；请管理员从导入文件重建数据库。"]
    assert str(tmp_path) not in " ".join(e.value for kind in ("error", "code", "markdown") for e in at.get(kind))


def test_a_screen_link_opens_the_big_screen_of_a_display_account_without_a_password(server, small_city: City):
    """The link is the credential of a 大屏 account only: it opens a session whose navigation
    is the big screen alone, with the link's period; a revoked link, a wrong key or an
    account that is no longer a 大屏 one gets the same refusal and no session."""
    from riskmap.accounts import AccountError

    accounts = Accounts(small_city.data_dir / "security.sqlite")
    accounts.add("meeting_room", "会议室", "display", "display-password-1")
    with pytest.raises(AccountError, match="不是大屏账号"):
        accounts.add_screen_link("office")  # an account that sees more than the screen: no link
    key = accounts.add_screen_link("meeting_room", days=7, by="test")
    assert len(key) >= 40 and key not in (small_city.data_dir / "security.sqlite").read_bytes().decode("latin-1")

    # A page of ours moves on (a redirect from another site's link would drop the Strict cookie).
    status, headers, body = http(f"{server}/auth/screen/{key}")
    assert status == 200 and 'http-equiv="refresh" content="0;url=/?screen=1&days=7"' in body
    assert "location" not in headers
    assert headers["referrer-policy"] == "no-referrer" and "HttpOnly" in headers["set-cookie"]
    token = headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]

    async def tab() -> Session:
        s = await _open(server, token)
        await s.close()
        return s

    s = _run(tab())
    assert list(s.pages) == ["overview"] and not s.errors  # a 大屏 account's navigation: the screen only

    for bad in (key[:-1] + ("A" if key[-1] != "A" else "B"), "x"):
        status, headers, body = http(f"{server}/auth/screen/{bad}")
        assert status == 404 and "set-cookie" not in headers and "无效或已停用" in body
    assert accounts.revoke_screen_links("meeting_room", by="test") == 1
    assert accounts.open_sessions("meeting_room") == 0  # the screens it opened end with it
    status, headers, _ = http(f"{server}/auth/screen/{key}")
    assert status == 404 and "set-cookie" not in headers
    assert {"screen_link_add", "screen_link_used", "screen_links_revoked"} <= {
        e["action"] for e in accounts.audit_log(50)}
