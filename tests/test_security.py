"""Accounts, roles, the grid restriction, masking, the audit log and hostile input."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.access import mask_name, mask_phone, scope_connection
from data.build import connect, open_snapshot
from riskmap.accounts import AccountError, Accounts, User

from .conftest import City

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
INJECTIONS = ["'; DROP TABLE enterprise; --", "\" OR 1=1 --", "x') OR ('1'='1", "%' OR uscc LIKE '%", "\\'; SELECT 1; --"]


@pytest.fixture()
def accounts(tmp_path) -> Accounts:
    return Accounts(tmp_path / "security.sqlite")


def test_passwords_are_stored_as_argon2id_and_checked(accounts: Accounts):
    accounts.add("wang", "王五", "office", "correct horse battery")
    stored = sqlite3.connect(accounts.path).execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert accounts.login("wang", "correct horse battery") == User("wang", "王五", "office")
    with pytest.raises(AccountError, match="用户名或密码错误"):
        accounts.login("wang", "wrong password")
    with pytest.raises(AccountError, match="用户名或密码错误"):  # same answer for an unknown user
        accounts.login("nobody", "whatever1")
    with pytest.raises(AccountError, match="至少"):
        accounts.add("li", "李", "leader", "short")
    with pytest.raises(AccountError, match="网格编号"):
        accounts.add("zhao", "赵", "grid", "long enough password")


def test_a_hash_of_the_heavier_old_setting_still_logs_in_and_is_rehashed(accounts: Accounts):
    from argon2 import PasswordHasher
    from argon2.low_level import Type

    accounts.add("qian", "钱七", "office", "correct horse battery")
    db = sqlite3.connect(accounts.path)
    old = PasswordHasher().hash("correct horse battery")  # argon2-cffi's default: m=65536, t=3, p=4
    db.execute("UPDATE users SET password_hash = ? WHERE username = 'qian'", [old])
    db.commit()
    with pytest.raises(AccountError):
        accounts.login("qian", "wrong password")
    assert db.execute("SELECT password_hash FROM users").fetchone()[0] == old  # a failure changes nothing
    assert accounts.login("qian", "correct horse battery").role == "office"
    new = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert new.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID).verify(new, "correct horse battery")
    assert accounts.login("qian", "correct horse battery").role == "office"


def test_every_login_answer_takes_the_same_least_time(accounts: Accounts):
    """While a hash of the heavier old setting remains, an unknown name, a wrong password, a
    right one and the old hash are not told apart by how long the answer takes (each at least
    LOGIN_SECONDS)."""
    import time

    from argon2 import PasswordHasher

    from riskmap.accounts import LOGIN_SECONDS

    accounts.add("sun", "孙八", "office", "correct horse battery")
    accounts.add("old", "周九", "office", "correct horse battery")
    db = sqlite3.connect(accounts.path)
    db.execute("UPDATE users SET password_hash = ? WHERE username = 'old'", [PasswordHasher().hash("x" * 12)])
    db.commit()
    for name, password in (("nobody", "whatever12"), ("sun", "wrong password"), ("sun", "correct horse battery"),
                           ("old", "wrong password")):
        started = time.monotonic()
        try:
            accounts.login(name, password)
        except AccountError:
            pass
        assert time.monotonic() - started >= LOGIN_SECONDS, name
    assert accounts.old_hashes()
    accounts.login("old", "x" * 12)  # its next login rehashes it: no old hash left, no floor
    assert not accounts.old_hashes()


def test_disabled_accounts_and_lockout(accounts: Accounts):
    accounts.add("chen", "陈", "leader", "long enough password")
    accounts.set_disabled("chen", True, by="admin")
    with pytest.raises(AccountError):
        accounts.login("chen", "long enough password")
    accounts.set_disabled("chen", False, by="admin")
    assert accounts.login("chen", "long enough password").role == "leader"
    for _ in range(5):
        with pytest.raises(AccountError, match="用户名或密码错误"):
            accounts.login("chen", "guess guess")
    with pytest.raises(AccountError, match="次数过多"):  # even the right password, for a while
        accounts.login("chen", "long enough password")
    actions = [e["action"] for e in accounts.audit_log()]
    assert actions.count("login_failed") >= 6 and "login_locked" in actions and "user_disable" in actions


def test_permissions_by_role():
    assert User("a", "a", "leader").can("view") and not User("a", "a", "leader").can("export")
    assert User("a", "a", "office").can("draw") and not User("a", "a", "office").can("import")
    assert User("a", "a", "admin").can("users") and User("a", "a", "admin").can("import")
    assert not User("a", "a", "grid", "G1").can("draw")


def test_masks():
    assert mask_name("张三丰") == "张**" and mask_name("李") == "李*" and mask_name(None) is None
    assert mask_phone("13812345678") == "138****5678" and mask_phone("8765") == "**65"


def _grid_of_demo_account(city: City) -> str:
    return sqlite3.connect(city.data_dir / "security.sqlite").execute(
        "SELECT grid_id FROM users WHERE username = 'grid'").fetchone()[0]


def test_a_grid_connection_reaches_only_its_grid(small_city: City):
    """Every query function and every export, on a 网格员's connection: only their grid."""
    from data import queries
    from reports import ledgers
    from reports.exports import EXPORTS, ExportRequest, export

    grid = _grid_of_demo_account(small_city)
    base = open_snapshot(small_city.db)
    con = scope_connection(base, grid)
    mine = {u for (u,) in base.execute("SELECT uscc FROM enterprise WHERE grid_id = ?", [grid]).fetchall()}
    assert mine and len(mine) < base.execute("SELECT count(*) FROM enterprise").fetchone()[0]
    as_of = dt.date(2026, 11, 20)
    for frame in (queries.score_table(con), queries.grid_enterprises(con, grid), queries.enterprise_listing(con),
                  queries.overdue_hazards(con, as_of), queries.hazards_between(con, dt.date(2020, 1, 1), as_of, as_of),
                  queries.inspections_between(con, dt.date(2020, 1, 1), as_of),
                  queries.enterprise_points(con, ["重大", "较大", "一般", "低"]),
                  queries.open_hazards_by_enterprise(con, as_of)):
        assert set(frame["uscc"]) <= mine
    assert set(queries.grid_list(con)["grid_id"]) == {grid}
    other = base.execute("SELECT min(grid_id) FROM grid WHERE grid_id <> ?", [grid]).fetchone()[0]
    assert queries.grid_enterprises(con, other).empty and queries.grid_hazards(con, other, as_of).empty
    assert queries.township_listing(con).empty and queries.import_issues(con).empty
    lists = ledgers.five_lists(con, dt.date(2020, 1, 1), as_of) | ledgers.six_lists(con, dt.date(2020, 1, 1), as_of)
    for name, frame in lists.items():
        assert set(frame["统一社会信用代码"]) <= mine, name
    for kind in EXPORTS:  # every export runs on the restricted connection without reaching more
        data, _ = export(con, kind, ExportRequest(days=365))
        assert data
    import openpyxl

    weekly = openpyxl.load_workbook(io.BytesIO(export(con, "weekly", ExportRequest(days=365))[0]))["周报表"]
    total = next(r for r in weekly.iter_rows(values_only=True) if r[0] == "合计")
    assert total[1] == len(mine)


def test_grid_manager_in_the_app_sees_only_their_grid(city_env: City):
    grid = _grid_of_demo_account(city_env)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user"] = User("grid", "示意网格员", "grid", grid)
    at.run()
    assert not at.exception
    assert at.title[0].value == "我的网格"  # their first and main page
    assert at.selectbox(key="grid").options and len(at.selectbox(key="grid").options) == 1
    con = connect(city_env.db, read_only=True)
    mine = {u for (u,) in con.execute("SELECT uscc FROM enterprise WHERE grid_id = ?", [grid]).fetchall()}
    assert set(at.dataframe[0].value["统一社会信用代码"]) == mine
    for page in ("overview", "targets", "hazards", "nearby", "data_status", "admin", "briefing"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in their navigation
            at.switch_page(f"pages/screens/{page}.py")
    at = at.switch_page("pages/screens/model_info.py").run()  # the other page they have
    assert not at.exception


def test_leaders_see_people_masked_and_cannot_export(city_env: City):
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user"] = User("leader", "示意领导", "leader")
    at.run()
    at.switch_page("pages/screens/grid.py").run()
    assert not at.exception
    options = at.selectbox(key="grid").options
    assert options and all("*" in o for o in options)  # 网格员 names masked in the picker
    assert not at.get("download_button")  # no exports for this role
    at.switch_page("pages/screens/targets.py").run()
    assert not at.get("download_button") and at.button(key="draw_button").disabled


def test_hostile_text_in_every_search_box_is_only_text(city_env: City):
    """Quotes and SQL fragments typed where users type: the tables stay, nothing is thrown."""
    con = connect(city_env.db, read_only=True)
    before = con.execute("SELECT count(*) FROM enterprise").fetchone()[0]
    con.close()
    for text in INJECTIONS:
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["user"] = User("admin", "示意管理员", "admin")
        at.run()
        at.switch_page("pages/screens/targets.py").run()
        at = at.text_input(key="f_text").set_value(text).run()
        assert not at.exception
        assert at.dataframe[0].value.empty  # no enterprise is called that
    # The login form is the server's (tests/test_sessions.py::test_hostile_text_in_the_login_form_is_only_text).
    con = connect(city_env.db, read_only=True)
    assert con.execute("SELECT count(*) FROM enterprise").fetchone()[0] == before


def test_query_functions_take_hostile_values_as_values(small_city: City):
    from data import queries

    con = connect(small_city.db, read_only=True)
    for text in INJECTIONS:
        assert queries.grid_enterprises(con, text).empty
        assert queries.enterprise_points(con, [text]).empty
        assert queries.enterprises_in(con, "grid_id", text).empty
        with pytest.raises(ValueError):
            queries.enterprises_in(con, text, "x")  # a column name is never taken from outside
        with pytest.raises(PermissionError):
            scope_connection(con, text)
    assert con.execute("SELECT count(*) FROM enterprise").fetchone()[0] > 0


def test_login_and_the_audit_log(city_env: City):
    """A login (what the server's login form calls, tests/test_sessions.py drives the form)
    and a draw in the app, both in the audit log under the user."""
    accounts = Accounts(city_env.data_dir / "security.sqlite")
    office = accounts.login("office", "demo-office-2026")
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user"] = office
    at.run()
    assert not at.exception and at.session_state["user"].role == "office"
    at = at.switch_page("pages/screens/targets.py").run()
    at.number_input(key="draw_size").set_value(3)
    at.number_input(key="draw_seed").set_value(99)
    at = at.button(key="draw_button").click().run()
    log = Accounts(city_env.data_dir / "security.sqlite").audit_log(20)
    mine = [e for e in log if e["username"] == "office"]
    assert [e["action"] for e in mine][:2] == ["draw", "login"]
    assert '"seed": 99' in mine[0]["detail"]


def test_zip_files_that_escape_or_explode_are_refused(tmp_path):
    import zipfile

    from data.readers import ImportFileError, read_boundary_file, read_table_file

    climbing = tmp_path / "township.zip"
    with zipfile.ZipFile(climbing, "w") as z:
        z.writestr("../../etc/evil.shp", b"x")
    with pytest.raises(ImportFileError, match="路径不安全"):
        read_boundary_file(climbing)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("township.shp", b"\0" * (64 << 20))  # 64 MB of zeros in a few dozen KB
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(ImportFileError, match="压缩炸弹"):
        read_boundary_file(bomb)
    fake_workbook = tmp_path / "台账.xlsx"  # an xlsx is a zip: the same check before openpyxl opens it
    bomb.rename(fake_workbook)
    with pytest.raises(ImportFileError, match="压缩炸弹"):
        read_table_file(fake_workbook)
    with pytest.raises(ImportFileError, match="不支持的文件类型"):
        read_table_file(tmp_path.joinpath("x.exe"))


def test_a_real_workbook_passes_the_zip_check(tmp_path):
    from openpyxl import Workbook

    from data.readers import check_zip

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for i in range(50_000):
        ws.append([f"ID{i:06d}", "91330100716105852F", "2026-07-01", "一般", "消防", "安全出口堵塞"])
    path = tmp_path / "big.xlsx"
    wb.save(path)
    check_zip(path)  # no exception


KILL_BUILD = """
import sys, time
from pathlib import Path
from riskmap.pipeline import rebuild

def progress(stage, fraction):
    if fraction >= 0.9:  # tables written into the side file, not yet swapped in
        Path(sys.argv[3]).write_text("ready")
        time.sleep(120)

rebuild(sys.argv[1], sys.argv[2], progress=progress)
"""


def test_a_rebuild_killed_midway_leaves_the_database_unchanged(small_city: City, tmp_path):
    import hashlib
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "riskmap.duckdb"
    shutil.copyfile(small_city.db, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    marker = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", KILL_BUILD, str(small_city.source), str(db), str(marker)],
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 180
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        side = list(tmp_path.glob("riskmap.duckdb.building-*"))
        assert side, "the build works on a side file"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert open_snapshot(db).execute("SELECT count(*) FROM enterprise").fetchone()[0] > 0  # still opens
    from data.build import remove_dead_side_files

    remove_dead_side_files(db)  # what the next build or import does first
    assert not list(tmp_path.glob("riskmap.duckdb.building-*"))
