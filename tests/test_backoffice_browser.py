"""The back office in a real browser: Debian's chromium driven by Playwright, at a 390-px phone width and at a
1280-px desktop. A clerk signs in through the link a chat reply gave, filters the ledger, opens a hazard and sees
its photo, closes it, fills in two 调度表 figures and downloads the Excel file. A failing test leaves a
screenshot in its pytest tmp dir (the path is printed).

Never `playwright install`: the browser is /usr/bin/chromium (.ci/run installs it with apt-get when missing).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from backoffice_world import Chat, build_world, login_path
from conftest import make_config
from storage.models import DispatchEntry, Hazard

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser test needs {reason} in CI (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        _unavailable("/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def config(tmp_path):
    # No public_url: the link in chat points at this server itself, as on a machine without one.
    return make_config(tmp_path, campaign={"start_date": "2026-05-01"})


@pytest.fixture
def live(app, services):
    """The app served over HTTP on a free loopback port, for the browser."""
    from werkzeug.serving import make_server

    build_world(services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser, request, tmp_path):
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 860}, accept_downloads=True, locale="zh-CN")
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        shot = tmp_path / f"failure-{width}.png"
        pg.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    context.close()


@pytest.mark.parametrize("page", [390, 1280], indirect=True, ids=["phone", "desktop"])
def test_a_clerk_closes_a_hazard_and_fills_in_the_dispatch_table(page, live, services, tmp_path):
    chat = Chat(services)
    reply = chat.text("clerk_a", "登录后台")
    assert "只能在服务器本机上打开" in reply  # no public_url: the clerk is told
    page.goto(live + login_path(chat, "clerk_a"))
    page.get_by_role("button", name="进入后台").click()
    page.wait_for_url(live + "/dashboard")
    assert page.get_by_text("本期指标").is_visible()

    # The ledger, filtered to open major hazards.
    page.get_by_role("link", name="隐患台账", exact=True).click()
    summary = page.locator("details summary").first  # the filters; the download form has its own
    if not page.locator("select[name=level]").is_visible():
        summary.click()
    page.select_option("select[name=level]", "重大")
    page.select_option("select[name=status]", "open")
    page.get_by_role("button", name="筛选", exact=True).click()
    rows = page.locator("table.ledger tbody tr")
    assert rows.count() == 1 and "YH-202606-0001" in rows.first.inner_text()

    # The hazard, its photo, and 销号.
    page.get_by_role("link", name="YH-202606-0001").click()
    photo = page.get_by_alt_text("隐患照片 1")
    photo.scroll_into_view_if_needed()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", photo.element_handle()) == 64
    assert page.get_by_text("更换报警器并联网").is_visible()
    page.get_by_role("button", name="核查通过，销号").click()
    assert page.get_by_text("已核查销号").is_visible()
    with services.sessions() as s:
        assert s.scalars(select(Hazard.status).where(Hazard.number == "YH-202606-0001")).one() == "已销号"

    # Two figures of the 调度表, then its Excel file.
    page.get_by_role("link", name="调度表", exact=True).click()
    page.get_by_label("帮扶指导重点企业（家次）").fill("4")
    page.get_by_label("行政处罚（次，万元）：金额（万元）").fill("2.5")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("已保存").is_visible()
    with services.sessions() as s:
        entries = dict(s.execute(select(DispatchEntry.key, DispatchEntry.value)).all())
    assert entries == {"help.key_enterprises": 4, "enf.penalty_wan": 2.5}
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    path = tmp_path / "dispatch.xlsx"
    download.value.save_as(path)
    ws = load_workbook(path).active
    by_label = {}
    for row in ws.iter_rows(min_row=3):
        for start in (1, 5):
            if isinstance(row[start].value, int) and isinstance(row[start + 1].value, str):
                by_label[row[start + 1].value.rstrip("*")] = (row[start + 2].value, row[start + 3].value)
    assert by_label["帮扶指导重点企业（家次）"][0] == 4
    assert by_label["行政处罚（次，万元）"] == (None, 2.5)
    assert by_label["企业自查发现的重大事故隐患（个）"][0] == 1
