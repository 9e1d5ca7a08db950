#!/usr/bin/env python3
"""A receiver for the events ccfs serve delivers to a --webhook URL.
Python 3.8 or later, standard library only.

It verifies each delivery's Standard Webhooks signature, drops an event it
has already seen (delivery is at least once), answers 204 and prints one
line per new event:

    prompt.uploaded 53 Y:/3rdfile/53/thirdvoicebotfile/8fSsBaEb_1631869974029.wav

    python3 webhook_receiver.py --addr 127.0.0.1:8080 --secret-file receiver.secret

The secrets (whsec_..., one a line, as in ccfs serve's
--webhook-secret-file: a delivery signed with any of them is taken, so
that a rotation needs no hurry) are read from the file, or from the
WEBHOOK_SECRET environment variable without --secret-file. It is a sample to copy from:
docs/events.md says what a receiver must do.
"""

import argparse
import base64
import binascii
import collections
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time

MAX_BODY = 64 << 10  # an event is well under 1 KiB
TOLERANCE = 5 * 60  # seconds between webhook-timestamp and now, either way


def parse_secrets(text):
    """The keys of one or more whsec_ secrets, one a line (blank lines and
    # comments skipped): during a rotation the receiver accepts either."""
    keys = []
    for n, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(parse_secret(line))
        except ValueError as e:
            raise ValueError("line %d: %s" % (n, e)) from None
    if not keys:
        raise ValueError("no secret: want whsec_... (ccfs events new-secret makes one) "
                         "in --secret-file FILE or $WEBHOOK_SECRET")
    return keys


def parse_secret(text):
    """The key of a whsec_ secret: whsec_ and standard base64 (padded)."""
    text = text.strip()
    if not text.startswith("whsec_"):
        raise ValueError("the secret does not begin with whsec_")
    try:
        key = base64.b64decode(text[len("whsec_"):], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the secret after whsec_ is not standard base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError("the secret's key is %d bytes, not 24 to 64" % len(key))
    return key


def verify(key, headers, body, now):
    """Why the delivery is refused, or None if it is signed with key at a
    time within TOLERANCE of now: the signed content is webhook-id "."
    webhook-timestamp "." body, and one of the space-separated v1
    signatures must match."""
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and timestamp and signatures):
        return "a webhook header is missing"
    if "." in msg_id:
        return "webhook-id holds a '.'"
    if not (timestamp.isascii() and timestamp.isdigit()) or timestamp != str(int(timestamp)):
        return "webhook-timestamp is not Unix seconds"
    if abs(now - int(timestamp)) > TOLERANCE:
        return "webhook-timestamp is more than 5 minutes from now (a replay, or a clock off)"
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    for signature in signatures.split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return None
    return "no v1 signature matches"


class SeenIDs:
    """The last n event ids handled, the least recently seen forgotten
    first. It is in memory, so it is lost on a restart and holds only so
    many: in production, use a table, keyed by the id, whose rows are kept
    for longer than ccfs's --webhook-retry-for, and record the id in the
    same transaction as the work the event causes."""

    def __init__(self, n):
        self.n = n
        self.ids = collections.OrderedDict()

    def has(self, event_id):
        if event_id in self.ids:
            self.ids.move_to_end(event_id)
            return True
        return False

    def add(self, event_id):
        self.ids[event_id] = True
        if len(self.ids) > self.n:
            self.ids.popitem(last=False)


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers a delivery: 204 once it is handled (or was before), 401 if
    its signature or timestamp is refused, 4xx if it is malformed."""

    protocol_version = "HTTP/1.1"  # keep-alive: ccfs reuses its connections
    timeout = 30  # seconds a connection may be silent
    keys = []
    seen = SeenIDs(100000)
    lock = threading.Lock()  # held to handle an event: one at a time

    def do_POST(self):
        length = self.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_BODY:
            self.close_connection = True  # the body is not read
            return self.answer(413, "a body of a known length up to 64 KiB")
        body = self.rfile.read(int(length))
        refused = None
        for key in self.keys:  # any of them: a rotation
            refused = verify(key, self.headers, body, time.time())
            if not refused:
                break
        if refused:
            print("refused a delivery:", refused, file=sys.stderr, flush=True)
            return self.answer(401, "signature refused")
        try:
            event = json.loads(body)
            if event["id"] != self.headers["webhook-id"]:
                raise ValueError("not the webhook-id's event")
        except (ValueError, KeyError, TypeError):
            return self.answer(400, "not an event")
        with self.lock:
            if self.seen.has(event["id"]):
                return self.answer(204)  # a repeat: handled before
            # The work. An event type this program does not know is
            # acknowledged all the same: refused, it would be retried,
            # then set aside.
            print(event.get("type"), event.get("vdn"), event.get("fileName"), flush=True)
            self.seen.add(event["id"])  # only once handled
            return self.answer(204)

    def answer(self, status, text=""):
        body = text.encode()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # one line per event on stdout is the log


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addr", default="127.0.0.1:8080", help="HOST:PORT to listen on")
    parser.add_argument("--secret-file", help="file holding the whsec_ secrets, one a line (default: $WEBHOOK_SECRET)")
    parser.add_argument("--remember", type=int, default=100000, help="how many event ids to remember")
    args = parser.parse_args()
    source = args.secret_file or "$WEBHOOK_SECRET"
    try:
        if args.secret_file:
            with open(args.secret_file) as f:
                text = f.read()
        else:
            text = os.environ.get("WEBHOOK_SECRET", "")
        Receiver.keys = parse_secrets(text)  # its errors never show a secret
    except (OSError, ValueError) as e:
        sys.exit("webhook_receiver: %s: %s" % (source, e))
    Receiver.seen = SeenIDs(max(args.remember, 1))
    host, _, port = args.addr.rpartition(":")
    try:
        server = http.server.ThreadingHTTPServer((host, int(port)), Receiver)
    except (OSError, ValueError) as e:
        sys.exit("webhook_receiver: --addr %s: %s" % (args.addr, e))
    print("listening on %s:%d" % server.server_address[:2], file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
