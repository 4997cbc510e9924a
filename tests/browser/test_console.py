"""The web console in a real browser: what a test author sees while debugging, and who may see it."""
import http.server
import os
import re
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import expect

from conftest import NARROW, WIDE
from sagemaker_images import Server

CONSOLE = "/_sagemaker-images/console/"
ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerRole"
BASE_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/pytorch-kernel:2.3"
TRANSITIONING_OPERATIONS = ["CreateImage", "UpdateImage", "DeleteImage", "CreateImageVersion", "DeleteImageVersion"]
ADMIN_KEY = ("ADMINKEY", "admin-secret-only-for-signing-8c1d")


def instant(server):
    """Makes this server's transitions instant, for a test that does not watch them."""
    server.control.set_transition_delays({op: "0s" for op in TRANSITIONING_OPERATIONS})


def open_console(page, url, view=""):
    page.goto(url + CONSOLE + view)
    expect(page.locator("main h1").first).to_be_visible()


def image_row(page, name):
    return page.locator("tbody tr", has=page.get_by_role("link", name=name, exact=True))


def create_image(client, name, **extra):
    client.create_image(
        ImageName=name,
        RoleArn=ROLE_ARN,
        DisplayName=extra.pop("DisplayName", name.replace("-", " ").title()),
        Description=extra.pop("Description", f"The {name} image of the data science team."),
        Tags=extra.pop("Tags", [{"Key": "team", "Value": "data-science"}, {"Key": "cost-center", "Value": "ml-42"}]),
        **extra,
    )


def test_an_image_appears_and_moves_to_created_without_a_reload(server, page, shoot):
    client = server.client()
    open_console(page, server.url)
    page.evaluate("window.notReloaded = true")
    create_image(client, "pytorch-kernel")
    row = image_row(page, "pytorch-kernel")
    expect(row.locator(".status")).to_have_text("CREATING", timeout=5000)
    expect(row.locator(".status")).to_have_text("CREATED", timeout=10000)
    expect(row).to_contain_text(ROLE_ARN)
    expect(row).to_contain_text("team=data-science")
    assert page.evaluate("window.notReloaded") is True
    for name in ["tensorflow-gpu", "r-studio"]:
        create_image(client, name)
    expect(image_row(page, "r-studio").locator(".status")).to_have_text("CREATED", timeout=10000)
    shoot(page, "catalog")
    page.get_by_label("Filter images").fill("tensor")
    page.get_by_label("Filter images").press("Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(image_row(page, "tensorflow-gpu")).to_have_count(1)


def test_an_images_page_shows_its_versions_with_aliases_and_base_image(server, page, shoot):
    client = server.client()
    create_image(client, "pytorch-kernel")
    open_console(page, server.url)
    expect(image_row(page, "pytorch-kernel").locator(".status")).to_have_text("CREATED", timeout=10000)
    client.create_image_version(ImageName="pytorch-kernel", BaseImage=BASE_IMAGE, Aliases=["stable"])
    page.get_by_role("link", name="pytorch-kernel", exact=True).click()
    expect(page.locator("main h1")).to_have_text("pytorch-kernel")
    versions = page.locator("table", has=page.locator("caption", has_text="Versions"))
    version = versions.locator("tbody tr").first
    expect(version).to_contain_text("stable")
    expect(version).to_contain_text(BASE_IMAGE)
    expect(version.locator(".status")).to_have_text("CREATING")
    expect(version.locator(".status")).to_have_text("CREATED", timeout=10000)
    expect(page.locator("dl.facts")).to_contain_text("arn:aws:sagemaker:us-east-1:000000000000:image/pytorch-kernel")
    client.create_image_version(ImageName="pytorch-kernel", BaseImage=BASE_IMAGE.replace("2.3", "2.4"), Aliases=["latest"])
    expect(versions.locator("tbody tr")).to_have_count(2, timeout=10000)
    expect(versions.locator("tbody tr").first.locator(".status")).to_have_text("CREATED", timeout=10000)
    shoot(page, "image")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.get_by_role("button", name="Copy the image ARN").click()
    expect(page.locator("#notice")).to_contain_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == "arn:aws:sagemaker:us-east-1:000000000000:image/pytorch-kernel"


def test_a_forced_failure_shows_its_reason(server, page):
    open_console(page, server.url, "#/controls")
    page.get_by_label("Operation").select_option("CreateImage")
    page.get_by_label("Image name").fill("broken")
    page.get_by_label("Failure reason").fill("The base image could not be pulled.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Force this outcome…").click()
    expect(page.locator("table", has_text="Rules, oldest first")).to_contain_text("broken")
    create_image(server.client(), "broken")
    page.get_by_role("link", name="Images", exact=True).click()
    page.get_by_role("link", name="broken", exact=True).click()
    expect(page.locator("dl.facts .status")).to_have_text("CREATE_FAILED", timeout=10000)
    expect(page.locator("dl.facts")).to_contain_text("The base image could not be pulled.")


def test_the_request_log_filters_to_errors_and_shows_the_refused_update(server, page, shoot):
    client = server.client()
    create_image(client, "pytorch-kernel")
    client.list_images()
    with pytest.raises(ClientError):
        client.update_image(ImageName="no-such-image", Description="new description")
    open_console(page, server.url, "#/requests")
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text="ListImages")).to_have_count(1)
    page.get_by_label("Errors only").check()
    expect(rows).to_have_count(1)
    refused = rows.first
    expect(refused).to_contain_text("UpdateImage")
    expect(refused).to_contain_text("ResourceNotFound")
    expect(refused).to_contain_text("Image no-such-image does not exist.")
    refused.get_by_role("button").click()
    detail = page.locator("#request-detail")
    expect(detail).to_contain_text('"ImageName": "no-such-image"')
    expect(detail).to_contain_text('"__type": "ResourceNotFound"')
    page.get_by_label("Errors only").uncheck()
    page.get_by_label("Operation").select_option("CreateImage")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("200")
    page.get_by_label("Operation").select_option("")
    page.get_by_label("Errors only").check()
    rows.first.get_by_role("button").click()
    expect(detail).to_contain_text('"__type": "ResourceNotFound"')
    page.get_by_label("Errors only").uncheck()
    expect(rows).to_have_count(3)
    expect(detail).to_contain_text('"__type": "ResourceNotFound"')
    shoot(page, "requests")


def test_reset_asks_first_and_then_empties_the_catalog(server, page):
    create_image(server.client(), "pytorch-kernel")
    open_console(page, server.url)
    expect(image_row(page, "pytorch-kernel")).to_have_count(1, timeout=10000)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Reset…").click()
    expect(image_row(page, "pytorch-kernel")).to_have_count(1)
    assert len(server.client().list_images()["Images"]) == 1
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Reset…").click()
    expect(page.locator(".empty-state")).to_contain_text("holds nothing yet")
    assert "every image" in questions[0]
    assert server.client().list_images()["Images"] == []


ADMIN_CREDENTIALS = f"""
[[credentials]]
access_key_id = "{ADMIN_KEY[0]}"
secret_access_key = "{ADMIN_KEY[1]}"
account_id = "111111111111"
admin = true
"""


@pytest.fixture
def administered(tmp_path):
    credentials = tmp_path / "credentials.toml"
    credentials.write_text(ADMIN_CREDENTIALS)
    with Server(credentials=credentials) as started:
        yield started


def console_link(server, key):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=key[0], AWS_SECRET_ACCESS_KEY=key[1])
    done = subprocess.run(
        [os.environ["SAGEMAKER_IMAGES_BIN"], "console-link", "--endpoint", server.url],
        env=env, capture_output=True, text=True, timeout=30, check=True,
    )
    return done.stdout.strip()


@pytest.mark.console_errors_expected  # the refused session read is a 403 the browser logs
def test_with_a_credentials_file_a_browser_is_refused_until_it_opens_a_login_link(administered, page):
    create_image(administered.client(), "team-image")
    with pytest.raises(ClientError):
        administered.client().update_image(ImageName="missing", Description="x")
    open_console(page, administered.url)
    expect(page.locator("main h1")).to_have_text("Sign in to the console")
    expect(page.locator("main")).to_contain_text("console-link")
    expect(page.get_by_role("link", name="team-image")).to_have_count(0)

    link = console_link(administered, ADMIN_KEY)
    page.goto(link)
    expect(image_row(page, "team-image")).to_have_count(1)
    cookie = next(c for c in page.context.cookies() if c["name"] == "sagemaker_images_console")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/_sagemaker-images"
    assert cookie["expires"] > time.time()

    page.goto(link)  # a used link opens nothing
    expect(page.locator("body")).to_contain_text("was used already")

    # No secret in the page, the request log or any entry of it.
    page.goto(administered.url + CONSOLE + "#/requests")
    expect(page.locator("tbody tr").first).to_be_visible()
    seen = [page.content()]
    log = page.request.get(administered.url + CONSOLE + "api/requests").json()
    seen.append(str(log))
    for entry in log["requests"]:
        seen.append(page.request.get(f"{administered.url}{CONSOLE}api/requests/{entry['id']}").text())
    seen.append(page.request.get(administered.url + CONSOLE + "api/session").text())
    everything = "\n".join(seen)
    assert "UpdateImage" in everything
    for secret in [ADMIN_KEY[1], "AWS4-HMAC-SHA256", "Signature=", "Credential="]:
        assert secret not in everything


class _ForeignPage(http.server.BaseHTTPRequestHandler):
    """A page of another origin that tries to reset the server behind the user's back, with a request a
    browser sends without asking the server first (no preflight). Its title becomes "sent" once done."""

    target = None
    script = """fetch("{target}/_sagemaker-images/reset", {{method: "POST", mode: "no-cors", credentials: "include"}})
  .finally(() => {{ document.title = "sent"; }});"""

    def do_GET(self):
        script = self.script.format(target=self.target)
        body = f"<!doctype html><title>elsewhere</title>\n<script>{script}</script>".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def visit_foreign_page(page, server, **handler):
    """Opens a page of another origin (localhost, where the server is 127.0.0.1) and waits until it is done."""
    handler = type("Handler", (_ForeignPage,), {"target": server.url, **handler})
    foreign = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://localhost:{foreign.server_address[1]}/")
        expect(page).to_have_title("sent", timeout=60000)
    finally:
        foreign.shutdown()


@pytest.mark.console_errors_expected  # the refused request is a 403 the browser logs
def test_a_page_of_another_origin_cannot_change_state(server, page):
    instant(server)
    create_image(server.client(), "kept")
    open_console(page, server.url)  # the browser holds a console session for the server
    statuses = []
    page.on("response", lambda r: r.url.endswith("/_sagemaker-images/reset") and statuses.append(r.status))
    visit_foreign_page(page, server)
    assert statuses == [403]
    assert [i["ImageName"] for i in server.client().list_images()["Images"]] == ["kept"]


# 1,100 images of the session endpoint: more than the 1,024 sessions the server keeps.
_SESSION_FLOOD = """let done = 0;
for (let i = 0; i < 1100; i++) {{
  const image = new Image();
  image.onload = image.onerror = () => {{ if (++done === 1100) document.title = "sent"; }};
  image.src = "{target}/_sagemaker-images/console/api/session?i=" + i;
}}"""


@pytest.mark.console_errors_expected  # the refused images are 403s the browser logs
def test_a_page_of_another_origin_cannot_crowd_out_the_users_session(server, page):
    instant(server)
    create_image(server.client(), "kept")
    open_console(page, server.url)
    cookie = next(c for c in page.context.cookies() if c["name"] == "sagemaker_images_console")
    sent = []
    page.on("request", lambda r: "/api/session" in r.url and sent.append(r.url))
    visit_foreign_page(page, server, script=_SESSION_FLOOD)
    # Every request reached the server (the browser then blocks each answer from the page: JSON is no image).
    assert len(sent) == 1100
    # No session was opened for them, so the user's is the one it was, and the console still shows the catalog.
    open_console(page, server.url)
    expect(image_row(page, "kept")).to_have_count(1)
    after = next(c for c in page.context.cookies() if c["name"] == "sagemaker_images_console")
    assert after["value"] == cookie["value"]


def test_a_stale_session_cookie_is_replaced_by_the_consoles_own_page(server, page):
    instant(server)
    create_image(server.client(), "kept")
    open_console(page, server.url)
    cookie = next(c for c in page.context.cookies() if c["name"] == "sagemaker_images_console")
    page.context.add_cookies([{**cookie, "value": "evicted-or-from-before-a-restart"}])
    open_console(page, server.url)
    expect(image_row(page, "kept")).to_have_count(1)
    after = next(c for c in page.context.cookies() if c["name"] == "sagemaker_images_console")
    assert after["value"] not in (cookie["value"], "evicted-or-from-before-a-restart")


def reachable_controls(page):
    """Tabs through the page: how many enabled controls it shows, which of them took the focus, and the
    outline style each had while focused."""
    total = page.evaluate(
        """() => {
            const all = [...document.querySelectorAll('a[href], button:not([disabled]), select, input')]
              .filter((e) => e.offsetParent !== null);
            all.forEach((e, i) => e.dataset.controlIndex = i);
            return all.length;
        }"""
    )
    page.locator("body").focus()
    focused = set()
    outlines = set()
    for _ in range(total * 2 + 5):
        page.keyboard.press("Tab")
        index, outline = page.evaluate(
            "() => [document.activeElement.dataset.controlIndex, getComputedStyle(document.activeElement).outlineStyle]"
        )
        if index is not None:
            focused.add(int(index))
            outlines.add(outline)
    return total, focused, outlines


@pytest.mark.parametrize("view", ["", "#/requests", "#/controls", "#/image/pytorch-kernel"])
def test_every_control_is_reachable_by_keyboard_with_a_visible_focus(server, page, view):
    instant(server)
    client = server.client()
    create_image(client, "pytorch-kernel")
    client.create_image_version(ImageName="pytorch-kernel", BaseImage=BASE_IMAGE)
    open_console(page, server.url, view)
    expect(page.locator("table").first).to_be_visible()
    time.sleep(0.3)
    total, focused, outlines = reachable_controls(page)
    assert total > 5
    assert focused == set(range(total))
    assert "none" not in outlines and outlines


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280px", "400px"])
def test_every_view_fits_the_window_without_scrolling_sideways(server, browser, viewport, shoot):
    instant(server)
    client = server.client()
    create_image(client, "a-rather-long-image-name-for-a-narrow-window")
    client.create_image_version(ImageName="a-rather-long-image-name-for-a-narrow-window", BaseImage=BASE_IMAGE)
    client.create_app_image_config(
        AppImageConfigName="pytorch-kernel-config",
        KernelGatewayImageConfig={
            "KernelSpecs": [{"Name": "python3", "DisplayName": "Python 3 (PyTorch)"}],
            "FileSystemConfig": {"MountPath": "/home/sagemaker-user", "DefaultUid": 1000, "DefaultGid": 100},
        },
    )
    with pytest.raises(ClientError):
        client.update_image(ImageName="missing", Description="x")
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        for view in ["", "#/image/a-rather-long-image-name-for-a-narrow-window", "#/app-image-configs", "#/requests", "#/controls"]:
            open_console(page, server.url, view)
            expect(page.locator("table").first).to_be_visible()
            time.sleep(0.2)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{view or 'catalog'} at {viewport['width']} px is {overflow} px too wide"
            if view == "#/app-image-configs":
                expect(page.locator("main")).to_contain_text("/home/sagemaker-user")
                expect(page.locator("main")).to_contain_text("Python 3 (PyTorch)")
        if viewport is NARROW:
            open_console(page, server.url)
            shoot(page, "catalog-narrow")
    finally:
        context.close()


def test_the_request_log_shows_each_calls_key_and_marks_what_its_policies_denied(tmp_path, page):
    reader = ("READERKEY", "reader-secret-for-the-console-test")
    credentials = tmp_path / "credentials.toml"
    credentials.write_text(
        ADMIN_CREDENTIALS
        + f"""
[[credentials]]
access_key_id = "{reader[0]}"
secret_access_key = "{reader[1]}"
account_id = "111111111111"
policy = '''{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Action": "sagemaker:List*", "Resource": "*"}}}}'''
"""
    )
    with Server(credentials=credentials) as server:
        client = server.client(aws_access_key_id=reader[0], aws_secret_access_key=reader[1])
        client.list_images()
        with pytest.raises(ClientError):
            client.create_image(ImageName="base", RoleArn=ROLE_ARN)
        page.goto(console_link(server, ADMIN_KEY))
        page.goto(server.url + CONSOLE + "#/requests")
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("CreateImage")
        expect(rows.first).to_contain_text(reader[0])
        expect(rows.first.locator(".denied")).to_have_text("denied")
        expect(rows.first).to_contain_text("AccessDeniedException")
        expect(rows.nth(1)).to_contain_text(reader[0])
        expect(rows.nth(1).locator(".denied")).to_have_count(0)
