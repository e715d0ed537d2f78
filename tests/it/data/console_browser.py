"""Drives the smsgate web console in headless Chromium (selenium + Debian's chromedriver)
against a real `smsgate serve` whose two modems are a `smsgate simulate` process.

Run by tests/it/console.rs with the environment:
  SMSGATE_URL        http://127.0.0.1:PORT of the daemon
  SMSGATE_ADMIN_KEY  a key with scope admin;  SMSGATE_READ_KEY  a key with scope read only
  SMSGATE_CONTROL    host:port of the simulator's control API (to inject inbound SMS)
  SMSGATE_PERSON     the number the test writes to and gets replies from
  SMSGATE_SHOTS      the directory for screenshots (each page at 1280 px and 360 px)

Exits non-zero (an AssertionError or a timeout) when anything fails, including a JS error
or a Content-Security-Policy violation in the browser's log.
"""
import json
import os
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

URL = os.environ["SMSGATE_URL"]
ADMIN = os.environ["SMSGATE_ADMIN_KEY"]
READ = os.environ["SMSGATE_READ_KEY"]
CONTROL = os.environ["SMSGATE_CONTROL"]
PERSON = os.environ["SMSGATE_PERSON"]
SHOTS = os.environ["SMSGATE_SHOTS"]

XSS_IMG = "<img src=x onerror=window.__xss=1>"
XSS_SCRIPT = "</script><script>window.__xss=2</script>"

def log(*args):
    print(*args, flush=True)


def api(method, path, body=None, key=ADMIN, base=URL):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
        return json.loads(text) if text else None


def wait(what, f, timeout=30.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            value = f()
            if value:
                return value
        except Exception as e:  # a stale element while the page re-renders: try again
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last!r})")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + tempfile.mkdtemp(prefix="smsgate-chromium-"),
        "--window-size=1280,900",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


d = browser()
seen_log = []


def check_log():
    """Fails on a JS error or a CSP violation; network errors (the 401 of an unknown key,
    a 404 of an endpoint another version adds) are the API's answers, not bugs."""
    for entry in d.get_log("browser"):
        seen_log.append(entry)
        message = entry.get("message", "")
        if "Content Security Policy" in message or "Refused to" in message:
            raise AssertionError(f"CSP violation in the browser: {entry}")
        if entry.get("level") == "SEVERE" and entry.get("source") != "network":
            raise AssertionError(f"error in the browser: {entry}")


def no_xss():
    assert d.execute_script("return typeof window.__xss") == "undefined", "an injected script ran"
    assert d.execute_script("return document.querySelectorAll('img[onerror], script:not([src])').length") == 0, \
        "an injected element exists"
    check_log()


def go(hash_path):
    d.execute_script("location.hash = arguments[0]", hash_path)


def css(selector):
    return d.find_element(By.CSS_SELECTOR, selector)


def csss(selector):
    return d.find_elements(By.CSS_SELECTOR, selector)


def resize(width, height):
    """Resizes the window and waits until the page has the new width and has painted."""
    d.set_window_size(width, height)
    wait(f"the page at {width} px", lambda: abs(d.execute_script("return window.innerWidth") - width) <= 20)
    d.execute_async_script("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));")


def shot(name):
    """The page at 1280 px and at 360 px (where the navigation must collapse)."""
    resize(1280, 900)
    d.save_screenshot(os.path.join(SHOTS, f"{name}-1280.png"))
    resize(360, 780)
    assert css("button.menu").is_displayed(), "no menu button at 360 px"
    assert not css("#nav").is_displayed(), "the navigation is not collapsed at 360 px"
    width = d.execute_script("return document.documentElement.scrollWidth")
    assert width <= 380, f"{name}: the page is {width} px wide at 360 px"
    d.save_screenshot(os.path.join(SHOTS, f"{name}-360.png"))
    resize(1280, 900)


def login(key, remember=False):
    wait("the login page", lambda: csss("#api-key"))
    field = css("#api-key")
    field.clear()
    field.send_keys(key)
    if remember:
        css("#remember").click()
    field.send_keys(Keys.ENTER)  # the keyboard submits the form
    wait("logged in", lambda: csss("[data-testid=whoami]"))


try:
    # ---- Login: `/` redirects to the console, which asks for a key; the key is kept for the
    # tab only (sessionStorage), never in the URL.
    d.get(URL + "/")
    wait("the redirect to /ui/", lambda: "/ui/" in d.current_url)
    wait("the login form", lambda: csss("#api-key"))
    d.save_screenshot(os.path.join(SHOTS, "login-1280.png"))
    login(ADMIN)
    assert css("[data-testid=whoami]").text == "ops", css("[data-testid=whoami]").text
    assert d.execute_script("return sessionStorage.getItem('smsgate.key')") == ADMIN
    assert d.execute_script("return localStorage.getItem('smsgate.key')") is None
    assert ADMIN not in d.current_url
    no_xss()
    log("ok: login")

    # ---- Modems: both simulated modems ready.
    go("#/modems")
    wait("both modems ready", lambda: len(csss("[data-modem] [data-testid=modem-state] [data-status=ready]")) == 2)
    names = [e.get_attribute("data-modem") for e in csss("article[data-modem]")]
    assert names == ["m0", "m1"], names
    shot("modems")
    log("ok: modems")

    # The modem's detail (GET /api/modems/{name}): identity, counters, the signal of the
    # last hour; an admin key disables and enables it from the page, and the daemon agrees.
    m0 = '[data-modem="m0"]'
    wait("the detail's fields", lambda: "IMEI" in css(m0).text and csss(m0 + " .uplot"))
    detail = api("GET", "/api/modems/m0")
    assert detail["identity"]["imei"] in css(m0).text, (detail["identity"], css(m0).text)
    assert [b.text for b in csss(m0 + " .actions button")] == ["Disable", "Reset"]
    [b for b in csss(m0 + " .actions button") if b.text == "Disable"][0].click()
    wait("out of rotation on the page", lambda: "Out of rotation" in css(m0).text)
    assert api("GET", "/api/modems/m0")["disabled"] is True
    shot("modem-detail")
    [b for b in csss(m0 + " .actions button") if b.text == "Enable"][0].click()
    wait("back in rotation", lambda: not csss(m0 + " [data-testid=held]"))
    assert api("GET", "/api/modems/m0")["disabled"] is False
    audit = api("GET", "/api/audit?action=modem.disable")
    assert any(e.get("target") == "m0" or "m0" in json.dumps(e) for e in audit.get("entries", audit.get("data", []))), audit
    log("ok: modem detail")

    # ---- Send from the form, with the live segment count of the server's calculator.
    go("#/send")
    wait("the send form", lambda: csss("#message"))
    css("#to").send_keys(PERSON)
    css("#message").send_keys("x" * 161)
    wait("the live count: 2 segments", lambda: css("[data-testid=count-segments]").text == "2")
    assert css("[data-testid=count-encoding]").text == "gsm7"
    css("#message").clear()
    css("#message").send_keys("Grüße 😀")
    wait("the live count: UCS-2", lambda: css("[data-testid=count-encoding]").text == "ucs2")
    counted = api("POST", "/api/sms/count", {"text": "Grüße 😀"})
    assert css("[data-testid=count-segments]").text == str(counted["segments"])
    css("#message").clear()
    text = "Hello from the console " + XSS_SCRIPT
    css("#message").send_keys(text)
    wait("the live count: 1 segment", lambda: css("[data-testid=count-segments]").text == "1"
         and css("[data-testid=count-encoding]").text == "gsm7")
    shot("send")
    d.execute_script("window.__sameDocument = true")
    css("#send").click()
    wait("the message's page", lambda: "#/messages/" in d.current_url)
    message_id = int(d.current_url.rsplit("/", 1)[1])
    # Delivered on its page, without a reload (the marker set before sending survives).
    wait("delivered on the message page", lambda: csss("[data-testid=message-status] [data-status=delivered]"), 60)
    assert d.execute_script("return window.__sameDocument") is True, "the page was reloaded"
    assert css("[data-testid=message-body]").text == text, css("[data-testid=message-body]").text
    events = [e.get_attribute("data-status") for e in csss("[data-testid=events] [data-status]")]
    assert events[0] == "queued" and events[-1] == "delivered", events
    no_xss()
    shot("message")
    log("ok: send → delivered", message_id)

    # ---- Attacker-controlled texts and names render as text.
    sent = api("POST", "/api/sms/send", {"to": [{"number": PERSON, "name": XSS_IMG}], "message": XSS_IMG})
    xss_id = sent["messages"][0]["id"]
    go(f"#/messages/{xss_id}")
    wait("the XSS message's page", lambda: css("[data-testid=message-body]").text == XSS_IMG)
    assert XSS_IMG in css("main").text
    no_xss()
    go("#/messages")
    wait("the list", lambda: len(csss("[data-testid=messages] tbody tr")) >= 2)
    shot("messages")
    log("ok: xss as text")

    # ---- An inbound reply, injected into the simulated modem that carried the message,
    # read in its conversation thread; a reply from the page; close.
    route = api("GET", f"/api/sms/{message_id}")["route"]
    index = ["m0", "m1"].index(route)
    reply_text = XSS_IMG + " yes please " + XSS_SCRIPT
    req = urllib.request.Request(f"http://{CONTROL}/modems/{index}/inbound",
                                 data=json.dumps({"from": PERSON, "text": reply_text}).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    urllib.request.urlopen(req, timeout=10).read()
    def replied_conversation():
        page = api("GET", "/api/sms/conversations?status=all")
        return [c["id"] for c in page["conversations"] if c["remote_number"] == PERSON and c["inbound_count"] >= 1]

    conversation = wait("the reply stored in a conversation", replied_conversation)[0]
    go("#/conversations")
    link = f'a.conv-link[href="#/conversations/{conversation}"]'
    wait("the conversation in the list", lambda: csss(link))
    css(link).click()
    wait("the inbound reply in the thread",
         lambda: [b for b in csss("[data-direction=inbound] .sms-body") if b.text == reply_text])
    no_xss()
    css("#reply").send_keys("Thanks, on its way")
    css(".reply button[type=submit]").click()
    wait("our reply in the thread",
         lambda: [b for b in csss("[data-direction=outbound] .sms-body") if b.text == "Thanks, on its way"])
    shot("conversation")
    [b for b in csss("button") if b.text == "Close conversation"][0].click()
    wait("closed", lambda: csss(".head-row [data-status=closed]"))
    go("#/conversations")
    wait("the list", lambda: csss("[data-testid=conversations]"))
    shot("conversations")
    log("ok: conversation")

    # ---- A template: create, edit (a new version), preview.
    go("#/templates")
    wait("the templates page", lambda: [b for b in csss("button") if b.text == "New template"])
    [b for b in csss("button") if b.text == "New template"][0].click()
    css("#new-id").send_keys("console_tpl")
    css("#new-name").send_keys(XSS_IMG)
    css("#new-content").send_keys("Hi {{name}}, your code is {{code}}")
    [b for b in csss("button") if b.text == "Create template"][0].click()
    wait("the template's page", lambda: d.current_url.endswith("#/templates/console_tpl"))
    wait("its content", lambda: css("[data-testid=template-content]").text == "Hi {{name}}, your code is {{code}}")
    assert api("GET", "/api/templates/console_tpl")["name"] == XSS_IMG
    [b for b in csss("button") if b.text == "Edit"][0].click()
    content = css("#edit-content")
    content.clear()
    content.send_keys("Hello {{name}}, code {{code}}")
    [b for b in csss("button") if b.text == "Save new version"][0].click()
    wait("version 2", lambda: api("GET", "/api/templates/console_tpl")["version"] == 2)
    wait("the earlier version listed", lambda: "v1" in css(".versions").text)
    css("#pv-name").send_keys("Ann")
    css("#pv-code").send_keys("4711")
    wait("the preview", lambda: css("[data-testid=preview-text]").text == "Hello Ann, code 4711")
    no_xss()
    shot("template")
    go("#/templates")
    wait("the list", lambda: csss("[data-testid=templates] tbody tr"))
    shot("templates")
    log("ok: template")

    # Send with the template from the form: its preview, then the rendered text on the
    # message's page.
    go("#/send")
    wait("the send form", lambda: csss("#to"))
    css("#to").send_keys(PERSON)
    [r for r in csss("input[name=mode]") if r.find_element(By.XPATH, "..").text.strip() == "Template"][0].click()
    wait("the template choice", lambda: [o for o in csss("#template option") if o.get_attribute("value") == "console_tpl"])
    Select(css("#template")).select_by_value("console_tpl")
    wait("its variables", lambda: csss("#var-name"))
    css("#var-name").send_keys("Bob")
    css("#var-code").send_keys("1234")
    wait("the preview", lambda: "Hello Bob, code 1234" in css(".preview").text)
    css("#send").click()
    wait("the message's page", lambda: "#/messages/" in d.current_url and csss("[data-testid=message-body]"))
    wait("the rendered text", lambda: css("[data-testid=message-body]").text == "Hello Bob, code 1234")
    log("ok: send with a template")

    # Cancel a scheduled message from its page.
    later = api("POST", "/api/sms/send", {"to": PERSON, "message": "for next year", "schedule_at": "2099-01-01T00:00:00Z"})
    go(f"#/messages/{later['messages'][0]['id']}")
    wait("the cancel button", lambda: [b for b in csss("button") if b.text == "Cancel message"])
    [b for b in csss("button") if b.text == "Cancel message"][0].click()
    wait("cancelled", lambda: csss("[data-testid=message-status] [data-status=cancelled]"))
    assert not [b for b in csss("button") if b.text == "Cancel message"]
    log("ok: cancel")

    # The keyboard alone, at 360 px: Tab to the menu, open it, Tab to a page, Enter.
    d.set_window_size(360, 780)
    go("#/")
    d.refresh()  # a fresh page: the keyboard starts at the top
    wait("the overview", lambda: csss("[data-stat=total]"))
    focused = lambda: d.execute_script("return document.activeElement.textContent.trim()")
    ActionChains(d).send_keys(Keys.TAB).perform()
    assert focused() == "Skip to content", focused()
    ActionChains(d).send_keys(Keys.TAB).send_keys(Keys.TAB).perform()
    assert focused() == "Menu", focused()
    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait("the navigation open", lambda: css("#nav").is_displayed())
    ActionChains(d).send_keys(Keys.TAB).send_keys(Keys.TAB).perform()
    assert focused() == "Messages", focused()
    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait("the messages page by keyboard", lambda: d.current_url.endswith("#/messages") and csss("[data-testid=messages]"))
    wait("the navigation closed again", lambda: not css("#nav").is_displayed())
    d.set_window_size(1280, 900)
    log("ok: keyboard")

    # ---- Overview: its numbers are the analytics API's.
    go("#/")
    fields = ["total", "sent", "delivered", "failed"]

    def overview_matches():
        stats = api("GET", "/api/analytics/stats")
        shown = {f: css(f"[data-stat={f}]").text for f in fields + ["delivery_rate"]}
        expected = {f: str(stats[f]) for f in fields}
        expected["delivery_rate"] = f"{stats['delivery_rate']}%"
        # JS prints 100.0 as 100: compare the numbers.
        same = all(shown[f] == expected[f] for f in fields) and \
            float(shown["delivery_rate"].rstrip("%")) == float(stats["delivery_rate"])
        return same and stats["total"] >= 3 and (shown, stats)

    shown, stats = wait("the overview equal to /api/analytics/stats", overview_matches, 30)
    log("ok: overview", shown)
    assert csss(".chart .uplot"), "no uPlot chart"
    assert len(csss("tr[data-modem]")) == 2
    no_xss()
    shot("overview")

    # ---- OTP and webhooks pages render.
    go("#/otp")
    wait("the OTP page", lambda: csss("[data-stat=otp_success_rate]"))
    shot("otp")
    go("#/webhooks")
    wait("the webhooks page", lambda: "Webhook subscriptions" in css("main").text)
    shot("webhooks")
    no_xss()

    # ---- A read-only key: no send button anywhere; remembered (localStorage) when asked.
    [b for b in csss("button") if b.text == "Log out"][0].click()
    login(READ, remember=True)
    assert css("[data-testid=whoami]").text == "wallboard"
    assert d.execute_script("return localStorage.getItem('smsgate.key')") == READ
    assert d.execute_script("return sessionStorage.getItem('smsgate.key')") is None
    go("#/messages")
    wait("the list", lambda: csss("[data-testid=messages] tbody tr"))
    assert not csss("[data-testid=new-message]"), "a send button for a read-only key"
    assert not [a for a in csss("#nav a") if a.text == "Send"], "a Send link for a read-only key"
    go("#/send")
    wait("the send page", lambda: "cannot send" in css("main").text)
    assert not csss("#send"), "a send button for a read-only key"
    go(f"#/messages/{message_id}")
    wait("the message page", lambda: csss("[data-testid=message-status]"))
    assert not [b for b in csss("button") if "Cancel" in b.text]
    go("#/conversations")
    wait("the conversations", lambda: csss("[data-testid=conversations]"))
    go("#/templates")
    wait("the templates", lambda: csss("[data-testid=templates]"))
    assert not [b for b in csss("button") if b.text == "New template"]
    go("#/modems")
    wait("the modem detail", lambda: "IMEI" in css('[data-modem="m0"]').text and csss('[data-modem="m0"] .uplot'))
    assert not csss(".actions button"), "modem actions for a read-only key"
    no_xss()
    log("ok: read-only key")

    # ---- A key the gateway refuses sends the user back to the login page.
    d.execute_script("localStorage.setItem('smsgate.key', 'sgk_revoked')")
    d.refresh()
    wait("back to login", lambda: csss("#api-key"))
    no_xss()
    log("ok: 401 → login")
    log("console browser test: all passed")
finally:
    try:
        for entry in d.get_log("browser"):
            seen_log.append(entry)
    except Exception:
        pass
    for entry in seen_log:
        log("browser log:", entry.get("level"), entry.get("source"), entry.get("message"))
    d.quit()
