"""The explorer page in a real browser: headless Chromium driven through chromedriver (Selenium 4).

Skipped only when Debian's ``chromium`` / ``chromium-driver`` are absent; CI (.ci/run) installs them.
Set EMBEDKIT_EXPLORE_SCREENSHOT=path to keep the screenshot (docs/explore.png is made that way),
and EMBEDKIT_EXPLORE_VECTORS=file to run the same checks on a vectors file instead of the
synthetic one.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from embedkit.explore import build_page, write_page
from embedkit.vectors import Vectors

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = [pytest.mark.slow,  # starts a headless browser
              pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                                 reason="chromium and chromium-driver are not installed")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1100,700", "--force-device-scale-factor=1"]


def synthetic_vectors():
    """3,000 words in 60 clusters of 50, 48 dimensions: neighbours come from the own cluster."""
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((60, 48))
    m = np.repeat(centers, 50, axis=0) + 0.6 * rng.standard_normal((3000, 48))
    words = [f"{s}{i}" for i, s in zip(range(3000), ["alpha", "beta", "gamma", "delta", "omega"] * 600)]
    return Vectors(words, m.astype(np.float32))


@pytest.fixture(scope="module")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for drivers online
    profile = tempfile.mkdtemp(prefix="embedkit-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield d
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)


def requests_sent(d):
    out = []
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            out.append(msg["params"]["request"]["url"])
    return out


def true_cosines(v, query, words):
    return v.unit[[v.index(w) for w in words]] @ query


def test_page_in_headless_chromium(driver, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    d = driver
    src = os.environ.get("EMBEDKIT_EXPLORE_VECTORS")
    v = Vectors.load(src, limit=5000) if src else synthetic_vectors()
    has = lambda *ws: all(w in v for w in ws)  # noqa: E731
    word = "france" if has("france") else v.words[123]
    a, b, c = ("king", "man", "woman") if has("king", "man", "woman") else v.words[200:203]
    pairs = None if src else [(v.words[0], v.words[60]), (v.words[1], v.words[61]), (v.words[2], v.words[62])]
    page = tmp_path / "page.html"
    title = f"{Path(src).name}: {len(v):,} words" if src else "embedkit explore test"
    write_page(build_page(v, n_words=len(v), clusters=8, pairs=pairs, title=title), page)

    # the network is off, and nothing may even try to leave the page
    d.get("about:blank")
    d.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    requests_sent(d)
    d.get(page.as_uri())
    WebDriverWait(d, 20).until(lambda d: d.execute_script("return document.documentElement.dataset.ready === '1'"))
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    assert "ready in" in d.find_element(By.ID, "ek-status").text

    # search: suggestions while typing, Enter selects and centres the word, the neighbours appear
    box = d.find_element(By.ID, "ek-search")
    box.send_keys(word[:3])
    WebDriverWait(d, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ek-suggest li"))
    suggested = [li.get_attribute("data-word") for li in d.find_elements(By.CSS_SELECTOR, "#ek-suggest li")]
    assert all(s.lower().startswith(word[:3].lower()) for s in suggested) and len(suggested) <= 8
    box.send_keys(word[3:], Keys.ENTER)
    WebDriverWait(d, 5).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ek-neighbours li")) == 10)
    items = d.find_elements(By.CSS_SELECTOR, "#ek-neighbours li")
    got = [(li.get_attribute("data-word"), float(li.get_attribute("data-score"))) for li in items]
    want = v.most_similar(word, topn=10)
    # equal up to the 8-bit quantization: each listed word's float cosine is the reference's cosine at
    # that rank (a swap of two words closer than the quantization error passes), the scores agree
    cos = true_cosines(v, v.unit[v.index(word)], [w for w, _ in got])
    np.testing.assert_allclose(cos, [s for _, s in want], atol=5e-3)
    np.testing.assert_allclose([s for _, s in got], cos, atol=5e-3)
    assert len({w for w, _ in got} & {w for w, _ in want}) >= 9
    assert word not in [w for w, _ in got]

    # hovering the centre of the map (where the search put the word) names it
    canvas = d.find_element(By.ID, "ek-canvas")
    ActionChains(d).move_to_element(canvas).perform()
    WebDriverWait(d, 5).until(lambda d: d.find_element(By.ID, "ek-tip").text == word)

    # zoom with the wheel: more labels appear, and none overlaps another (the page says how many it drew)
    labels_before = int(canvas.get_attribute("data-labels"))
    zoom_text = d.find_element(By.ID, "ek-axes").text
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin

    ActionChains(d).scroll_from_origin(ScrollOrigin.from_element(canvas), 0, -600).perform()
    WebDriverWait(d, 5).until(lambda d: d.find_element(By.ID, "ek-axes").text != zoom_text)
    assert labels_before > 5 and int(canvas.get_attribute("data-labels")) > 5

    # analogy a - b + c, the query words excluded
    for field, w in zip(["ek-a", "ek-b", "ek-c"], [a, b, c]):
        d.find_element(By.ID, field).send_keys(w)
    d.find_element(By.CSS_SELECTOR, "#ek-analogy button").click()
    WebDriverWait(d, 5).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ek-analogy-out li")) == 10)
    got = [li.get_attribute("data-word") for li in d.find_elements(By.CSS_SELECTOR, "#ek-analogy-out li")]
    want = v.analogy(a, b, c, topn=10)
    q = v.unit[v.index(a)] - v.unit[v.index(b)] + v.unit[v.index(c)]
    np.testing.assert_allclose(true_cosines(v, q, got), [s for _, s in want], atol=1.5e-2)
    assert not {a, b, c} & set(got) and got[0] == want[0][0]

    # pairs: arrows between the listed pairs, on their own PCA
    d.find_element(By.ID, "ek-pairs-draw").click()
    msg = d.find_element(By.ID, "ek-pairs-msg").text
    assert msg.split()[1] == "pairs" and int(msg.split()[0]) >= 3
    assert "PC1 of these" in d.find_element(By.ID, "ek-axes").text

    # the other theme: a different background, still drawn
    bg = d.execute_script("return getComputedStyle(document.body).backgroundColor")
    d.find_element(By.ID, "ek-theme").click()
    assert d.execute_script("return getComputedStyle(document.body).backgroundColor") != bg
    d.find_element(By.ID, "ek-theme").click()
    d.find_element(By.ID, "ek-pairs-clear").click()
    box.clear()
    box.send_keys(word, Keys.ENTER)

    shot = tmp_path / "explore.png"
    assert d.save_screenshot(str(shot))
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[0] > 300 and pixels.shape[1] > 600
    assert pixels.std() > 20 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # not blank
    canvas_pixels = pixels[60:-60, 60:600]
    assert len(np.unique(canvas_pixels.reshape(-1, 3), axis=0)) > 20  # the map itself is drawn
    assert not [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    sent = [u for u in requests_sent(d) if not u.startswith("data:")]
    assert sent == [page.as_uri()], sent
    keep = os.environ.get("EMBEDKIT_EXPLORE_SCREENSHOT")
    if keep:
        Image.open(shot).convert("RGB").quantize(colors=96).save(keep, optimize=True)  # a small PNG for the docs
