"""The app in a real headless Chromium: every page, an upload, a slider, both languages."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import quantlib as ql
import views
from tests.e2e.conftest import SCREENSHOTS
from ui.i18n import catalogue

pytestmark = pytest.mark.e2e
EN, VI = catalogue("en"), catalogue("vi")
BUILT = [p.key for p in views.PAGES if p.path]


def settle(page, charts: bool = True) -> None:
    """Wait until Streamlit has finished the current run and drawn its charts (at least
    one, unless ``charts`` is False: a Quiz page draws none)."""
    app = "[data-testid='stApp']"
    # Every page has a title: after a page load, the first run has drawn it.
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
    with contextlib.suppress(PlaywrightTimeout):  # a triggered run may take a moment to start
        page.wait_for_selector(f"{app}:not([data-test-script-state='notRunning'])",
                               timeout=750)
    page.wait_for_selector(f"{app}[data-test-script-state='notRunning']", timeout=60_000)
    # Plotly's component loads lazily, after the run has ended: wait for a chart (on a
    # page that has one), then for every chart container to hold a plot.
    page.wait_for_function(
        "(least => { const charts = document.querySelectorAll('[data-testid=\"stPlotlyChart\"]');"
        " return charts.length >= least && Array.from(charts).every("
        "chart => chart.querySelector('.js-plotly-plot .main-svg')); })",
        arg=1 if charts else 0, timeout=30_000)
    page.wait_for_timeout(300)


def no_exception(page) -> None:
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, boxes.first.inner_text()


def metric_value(page, label: str) -> str:
    card = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return card.locator("[data-testid='stMetricValue']").inner_text()


def shoot(page, name: str) -> None:
    """Save a screenshot of the whole page: Streamlit scrolls inside its main area, so
    grow the viewport to the content's height first (charts redraw at the new size)."""
    size = page.viewport_size
    height = page.evaluate(
        "document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, 600), 9000)})
    page.wait_for_timeout(800)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    page.set_viewport_size(size)


@pytest.mark.parametrize("key", BUILT)
def test_every_page_loads_in_both_languages(page, server, key):
    """Each page in English, then switched to Vietnamese in the same tab (the switch a
    student makes; a second page load cost as much again)."""
    path = "" if key == "home" else key  # the default page lives at "/", not "/home"
    page.goto(f"{server}/{path}?lang=en")
    for lang in ("en", "vi"):
        if lang == "vi":
            page.get_by_role("radio", name="Tiếng Việt", exact=True).click()
        settle(page, charts=key != "quiz")  # the Quiz's first view is a question, no chart
        assert page.get_by_text("Page not found").count() == 0
        no_exception(page)
        title = catalogue(lang)[f"nav.{key}" if key != "home" else "home.title"]
        if key in ("uniform", "calibration", "formats", "nonuniform", "granularity", "matmul"):
            title = catalogue(lang)[f"{key[0]}.title"]
        page.wait_for_function("t => document.querySelector('[data-testid=\"stMain\"] h1')"
                               "?.innerText.trim() === t", arg=title, timeout=30_000)
        if key != "quiz":
            assert page.locator(".js-plotly-plot").count() >= 1
        shoot(page, f"{key}-{lang}")


def test_slider_changes_sqnr(page, server):
    page.goto(f"{server}/uniform")
    settle(page)
    before = metric_value(page, EN["u.metric.sqnr"])
    bits = page.locator("[data-testid='stSlider']").filter(has_text=EN["u.bits"])
    thumb = bits.get_by_role("slider")
    thumb.focus()
    for _ in range(3):
        thumb.press("ArrowRight")
    settle(page)
    no_exception(page)
    after = metric_value(page, EN["u.metric.sqnr"])
    assert float(after.split()[0]) > float(before.split()[0]) + 12, (before, after)
    assert "u_bits=7" in page.url  # the lesson link follows the slider
    shoot(page, "uniform-slider-7-bits")


def _upload(page, name: str, data: bytes) -> None:
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("radio", name=EN["ws.source.upload"], exact=True).click()
    settle(page)
    sidebar.locator("input[type='file']").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])
    settle(page)


def test_upload_npy_on_the_workspace(page, server):
    page.goto(f"{server}/uniform")
    settle(page)
    buf = io.BytesIO()
    np.save(buf, np.random.default_rng(0).laplace(size=(32, 48)).astype(np.float32))
    _upload(page, "laplace.npy", buf.getvalue())
    no_exception(page)
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "laplace.npy" in sidebar and "32 × 48" in sidebar
    shoot(page, "uniform-uploaded-npy")


def test_pickle_upload_is_refused_politely(page, server):
    page.goto(f"{server}/uniform")
    settle(page)
    _upload(page, "model.pt", b"\x80\x04not really a pickle")
    no_exception(page)
    alert = page.locator("[data-testid='stSidebar'] [data-testid='stAlert']").first.inner_text()
    assert "pickle" in alert.lower()
    assert page.locator("[data-testid='stMetric']").count() > 0  # the page still works
    shoot(page, "uniform-refused-pickle")


def test_seed_preset_in_the_browser(page, server):
    page.goto(f"{server}/uniform?u_preset=seed003_affine_half_even&lang=vi")
    settle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == VI["u.title"]
    expected = str(list(ql.SEED_EXAMPLES["seed003_affine_half_even"].expected_q))
    alerts = page.locator("[data-testid='stMain'] [data-testid='stAlert']").all_inner_texts()
    assert any(expected in text for text in alerts), alerts
    shoot(page, "uniform-seed003-vi")


def test_language_switch_keeps_the_settings_and_every_control_works(page, server):
    """A Mistral link with a Laplace workspace: switch to Vietnamese, then use a
    selectbox and the + of a number input; nothing crashes and nothing resets."""
    page.goto(f"{server}/?h_model=Mistral%207B&ws_kind=laplace")
    settle(page)
    page.get_by_role("radio", name="Tiếng Việt", exact=True).click()
    settle(page)
    no_exception(page)
    main = page.locator("[data-testid='stMain']")
    assert "Mistral 7B" in main.inner_text()  # the seed note names the model
    plus = main.locator("[data-testid='stNumberInputStepUp']").first
    plus.click()
    settle(page)
    no_exception(page)
    assert "h_model=Mistral" in page.url and "ws_kind=laplace" in page.url
    assert "Mistral 7B" in main.inner_text() and "GPT-3" not in main.inner_text()
    page.goto(f"{server}/uniform?lang=vi")
    settle(page)
    mode = page.get_by_role("radio", name=VI["u.mode.scale"], exact=True)
    mode.click()
    settle(page)
    no_exception(page)
    assert "u_mode=scale" in page.url
    shoot(page, "uniform-vi-after-switch")


def test_hostile_file_names_are_shown_as_text(page, server):
    page.goto(f"{server}/uniform")
    settle(page)
    name = "** [click me](http://evil.example) :red[RED] $x^2$ www.evil.example.npy"
    _upload(page, name, b"\x93NUMPY not really")
    no_exception(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    links = sidebar.locator("a").evaluate_all("els => els.map(e => e.href)")
    assert not [h for h in links if "evil" in h], links
    assert sidebar.locator(".katex").count() == 0  # no formula rendered from the name
    assert "[click me](http" in sidebar.inner_text().replace("\u2060", "")
    _upload(page, "[x](http://evil.example).pt", b"\x80\x04")
    links = sidebar.locator("a").evaluate_all("els => els.map(e => e.href)")
    assert not [h for h in links if "evil" in h], links
    shoot(page, "uniform-hostile-name")


@pytest.mark.parametrize("query", [
    "u_bits=64&ws_rows=inf&u_gran=group&u_grp_axis=9&u_focus=1e9",
    "u_range=manual&u_lo=-1e-320&u_hi=1e-320",
    "u_range=manual&u_lo=-1e308&u_hi=1e308",
    "ws_kind=student_t&ws_student_t_df=0.5&u_group=3&u_gran=banana&lang=xx",
], ids=["clamped", "tiny-range", "huge-range", "bad-options"])
def test_hostile_links_render_with_notices(page, server, query):
    page.goto(f"{server}/uniform?{query}")
    settle(page)
    no_exception(page)
    assert page.locator("[data-testid='stMetric']").count() > 0
    # Charts mount lazily, lower ones last: wait for all four to be drawn.
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4",
                           timeout=30_000)
    shoot(page, f"uniform-hostile-{query.split('=')[0]}-{len(query)}")


def test_calibration_next_batch(page, server):
    """The Calibration page's outlier example: "Next batch" moves "Batches fed" (from the
    last batch back to the first) and the lesson link follows."""
    page.goto(f"{server}/calibration?c_preset=laplace_outliers")
    settle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == EN["c.title"]
    fed = page.locator("[data-testid='stSlider']").filter(has_text=EN["c.step"])
    shown = fed.get_by_test_id("stSliderThumbValue")
    before = shown.inner_text().strip()
    assert before == "8"  # every batch fed, by default
    summary = EN["c.batch.summary"].split("{k}")[0]
    assert page.get_by_text(f"{summary}8 of 8", exact=False).count() == 1
    page.get_by_role("button", name=EN["c.batch.next"]).click()
    settle(page)
    no_exception(page)
    page.wait_for_function("window.location.search.includes('c_step=1')", timeout=30_000)
    after = shown.inner_text().strip()
    assert after == "1", (before, after)  # wrapped round to the first batch
    assert "c_preset=laplace_outliers" in page.url
    assert page.get_by_text(f"{summary}1 of 8", exact=False).count() == 1
    shoot(page, "calibration-next-batch")
    # "Play all" draws every batch (about 3 s), then the slider and the link show the end.
    page.get_by_role("button", name=EN["c.batch.play"]).click()
    page.wait_for_function("!window.location.search.includes('c_step=')", timeout=30_000)
    settle(page)
    no_exception(page)
    assert shown.inner_text().strip() == "8"
    assert page.get_by_text(f"{summary}8 of 8", exact=False).count() == 1


def test_clicking_a_code_loads_it_into_the_bit_editor(page, server):
    """Number formats: a click on a cell of the code grid (E4M3's 0100 1000, the value 4)
    loads that code into the bit editor, outlines it, and the lesson link follows."""
    page.goto(f"{server}/formats?f_grid=fp4_e2m1")
    settle(page)
    no_exception(page)
    grid = page.locator("[data-testid='stPlotlyChart']").filter(
        has=page.locator(".heatmaplayer")).first
    grid.scroll_into_view_if_needed()
    cells = grid.locator(".scatterlayer .trace").first.locator("path.point")
    assert cells.count() == 16  # every FP4 code
    box = cells.nth(0b0110).bounding_box()  # 0 11 0: 2^(3-1) x 1.0 = 4
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("window.location.search.includes('f_code=6')", timeout=30_000)
    settle(page)
    no_exception(page)
    assert "f_bits_fmt=fp4_e2m1" in page.url
    marked = EN["f.grid.marked"].split("**")[0].strip()
    text = page.get_by_text(marked, exact=False).first.inner_text()
    assert "0110" in text and "= 4" in text, text
    shoot(page, "formats-clicked-code")
