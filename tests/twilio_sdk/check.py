"""The official twilio Python SDK against smsgate's Twilio-compatible API.

Run by tests/it/twilio_compat.rs (only when `import twilio` works). Environment:
SMSGATE_URL (http://127.0.0.1:PORT), ACCOUNT_SID, AUTH_TOKEN, TO (a number the simulator
delivers to). Creates a message with a StatusCallback pointing at a receiver started here,
fetches it, lists with paging, and validates the captured callback with the SDK's
RequestValidator. Prints "OK" and exits 0 when every check passed.
"""

import http.server
import os
import sys
import threading
import time
import urllib.parse

from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

BASE = os.environ["SMSGATE_URL"]
SID = os.environ["ACCOUNT_SID"]
TOKEN = os.environ["AUTH_TOKEN"]
TO = os.environ["TO"]

captured = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        # Header names are case-insensitive here (reqwest sends them in lower case).
        captured.append((self.path, self.headers.get("X-Twilio-Signature", ""), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
callback_url = "http://127.0.0.1:%d/twilio/status?tenant=7" % server.server_address[1]

client = Client(SID, TOKEN)
client.api.base_url = BASE

msg = client.messages.create(to=TO, from_="+15005550006", body="Hello from the SDK + friends",
                             status_callback=callback_url)
check(msg.sid.startswith("SM") and len(msg.sid) == 34, "sid %r" % msg.sid)
check(msg.status == "queued", "initial status %r" % msg.status)
check(msg.body == "Hello from the SDK + friends", "body %r" % msg.body)
check(msg.to == TO, "to %r" % msg.to)
check(msg.num_segments == "1", "num_segments %r" % msg.num_segments)
check(msg.date_created is not None, "date_created parsed")

fetched = client.messages(msg.sid).fetch()
check(fetched.sid == msg.sid, "fetch sid")

for i in range(4):
    client.messages.create(to=TO, from_="+15005550006", body="page filler %d" % i)
listed = client.messages.list(page_size=2)
sids = [m.sid for m in listed]
check(len(sids) == len(set(sids)) and len(sids) >= 5, "list followed the pages: %r" % sids)
check(msg.sid in sids, "the first message is listed")
limited = client.messages.list(limit=3, page_size=2)
check(len(limited) == 3, "limit across pages: %d" % len(limited))

try:
    client.messages("SM" + "0" * 32).fetch()
    check(False, "an unknown sid was found")
except TwilioRestException as e:
    check(e.status == 404 and e.code == 20404, "unknown sid: %s %s" % (e.status, e.code))

bad = Client(SID, "wrong-token-wrong-token")
bad.api.base_url = BASE
try:
    bad.messages(msg.sid).fetch()
    check(False, "a wrong token was accepted")
except TwilioRestException as e:
    check(e.status == 401 and e.code == 20003, "wrong token: %s %s" % (e.status, e.code))
try:
    bad.messages.create(to=TO, from_="+15005550006", body="refused")
    check(False, "a create with a wrong token was accepted")
except TwilioRestException as e:
    check(e.status == 401 and e.code == 20003, "wrong token on create: %s %s" % (e.status, e.code))

deadline = time.time() + 30
validator = RequestValidator(TOKEN)
statuses = []
while time.time() < deadline:
    statuses = []
    for path, sig, body in list(captured):
        params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        url = "http://127.0.0.1:%d%s" % (server.server_address[1], path)
        check(validator.validate(url, params, sig), "RequestValidator accepts %r" % params)
        tampered = dict(params, MessageStatus="failed" if params["MessageStatus"] != "failed" else "sent")
        check(not validator.validate(url, tampered, sig), "a tampered callback is refused")
        check(params["MessageSid"] == msg.sid and params["SmsSid"] == msg.sid, "callback sid")
        check(params["AccountSid"] == SID and params["To"] == TO, "callback account and to")
        check(params["From"] == "+15005550006" and params["ApiVersion"] == "2010-04-01", "from, version")
        statuses.append(params["MessageStatus"])
    if "delivered" in statuses:
        break
    time.sleep(0.1)
check("delivered" in statuses, "a delivered callback arrived: %r" % statuses)
check(client.messages(msg.sid).fetch().status == "delivered", "fetch shows delivered")
print("OK", msg.sid, statuses)
