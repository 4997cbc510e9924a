"""Fixtures of the console's browser tests: Debian's Chromium driven by Playwright (never a downloaded
browser), a server of the package's `Server` per test, and a page that fails its test on any browser console
error. `--screenshots DIR` saves the pictures the README shows (scripts/screenshots)."""
import os
import sys

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))
if not os.environ.get("SAGEMAKER_IMAGES_BIN"):
    os.environ["SAGEMAKER_IMAGES_BIN"] = os.path.join(REPO_ROOT, "target", "debug", "sagemaker-images")

from sagemaker_images import Server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE = {"width": 1280, "height": 860}
NARROW = {"width": 400, "height": 860}


def pytest_addoption(parser):
    parser.addoption("--screenshots", default=None, help="save the console's screenshots into this directory")


def pytest_configure(config):
    config.addinivalue_line("markers", "console_errors_expected: the test provokes errors the browser logs")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: scripts/test installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server():
    """A server whose transitions last four seconds, so that the page can be seen following them (it reads
    again at least every two)."""
    with Server(transition_delay="4s") as started:
        yield started


@pytest.fixture
def page(browser, request):
    """A page at 1280 px. Its browser console must stay free of errors, unless the test is marked."""
    context = browser.new_context(viewport=WIDE)
    opened = context.new_page()
    errors = []
    opened.on("console", lambda message: message.type == "error" and errors.append(message.text))
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    if not request.node.get_closest_marker("console_errors_expected"):
        assert errors == [], f"the browser console logged errors: {errors}"


@pytest.fixture
def shoot(request):
    """Saves a screenshot of the page under the given name when --screenshots is given."""
    directory = request.config.getoption("--screenshots")

    def save(page, name):
        if directory:
            os.makedirs(directory, exist_ok=True)
            page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=False)

    return save
