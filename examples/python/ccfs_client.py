#!/usr/bin/env python3
"""A reference client for a CC-FS file server (uploadFile, downloadFile,
deleteFile), signed with auth-v2. Python 3.8 or later, standard library only.

It is meant to be read and copied: sign() is the whole signing algorithm,
step by step, as docs/signing.md states it; the three request functions
show what goes on the wire and how each answer reads.

    python3 ccfs_client.py vectors
    python3 ccfs_client.py --url https://127.0.0.1:28443 --ak AK --sk SK \\
        --vdn 1 --ca tls-cert.pem upload prompt.wav
    python3 ccfs_client.py ... download Y:/3rdfile/1/thirdvoicebotfile/x.wav out.wav
    python3 ccfs_client.py ... delete Y:/3rdfile/1/thirdvoicebotfile/x.wav
    python3 ccfs_client.py ... selftest

The secret key may also come from the CCFS_SK environment variable.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import ssl
import struct
import sys
import time
import urllib.parse

UPLOAD_PATH = "/CCFS/resource/ccfs/ivr/uploadFile"
DELETE_PATH = "/CCFS/resource/ccfs/ivr/deleteFile"
DOWNLOAD_PATH = "/CCFS/resource/ccfs/ivr/downloadFile"
JSON_TYPE = "application/json;charset=UTF-8"

# ---------------------------------------------------------------- signing

# The bytes norm() leaves as they are; every other byte becomes %XX.
UNRESERVED = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)


def norm(data):
    """Percent-encode text or bytes: A-Z a-z 0-9 - . _ ~ stay, every other
    byte (of the UTF-8 encoding) becomes % and two upper-case hex digits."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return "".join(chr(b) if b in UNRESERVED else "%%%02X" % b for b in data)


def hmac_hex(key, message):
    """HMAC-SHA256 of message keyed with key (both text), in lower-case hex."""
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def canonical_query(query):
    """The query line: each parameter decoded, then norm(name)=norm(value),
    the strings sorted, joined with '&'."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    return "&".join(sorted(norm(name) + "=" + norm(value) for name, value in pairs))


def sign(ak, sk, method, url, headers, body, timestamp):
    """Sign one request. headers maps each header to sign (any case) to its
    value exactly as it will be sent; it must hold Host. Returns a dict of
    every intermediate value; its "authorization" is the header's value."""
    parts = urllib.parse.urlsplit(url)
    signed = {name.lower(): value for name, value in headers.items()}
    names = sorted(signed)
    signed_headers = ";".join(names)

    # Step 1: the auth string prefix.
    prefix = "auth-v2/" + ak + "/" + timestamp + "/" + signed_headers
    # Step 2: the signing key, as 64 hex characters.
    signing_key = hmac_hex(sk, prefix)
    # Step 3: the canonical request.
    lines = [method, parts.path or "/"]
    if parts.query:
        lines.append(canonical_query(parts.query))
    lines.append(signed_headers)
    lines.extend(sorted(norm(name) + ":" + norm(signed[name]) for name in names))
    canonical = "\n".join(lines) + "\n" + norm(body)
    # Step 4: the signature, keyed with the hex text of the signing key.
    signature = hmac_hex(signing_key, canonical)
    return {
        "prefix": prefix,
        "signing_key": signing_key,
        "canonical": canonical,
        "signature": signature,
        "authorization": prefix + "/" + signature,
    }


_last_ms = 0


def timestamp_now():
    """The signing time, UTC with milliseconds. Never the same twice in one
    process: the server refuses a second use of a signature (0300012), so
    two requests signed in one millisecond must not carry one timestamp."""
    global _last_ms
    ms = max(int(time.time() * 1000), _last_ms + 1)
    _last_ms = ms
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


# ----------------------------------------------------------------- client


class ServerError(Exception):
    """The server answered with a resultCode other than "0"."""

    def __init__(self, status, answer):
        self.status = status
        self.answer = answer
        self.code = answer.get("resultCode")
        super().__init__(
            "HTTP %d, resultCode %s: %s" % (status, self.code, answer.get("resultDesc"))
        )


class Client:
    """One access key's client for one server."""

    def __init__(self, base_url, ak, sk, cafile=None, insecure=False, timeout=60):
        base = urllib.parse.urlsplit(base_url)
        if base.scheme not in ("https", "http"):
            raise ValueError("the URL must start with https:// or http://: %r" % base_url)
        self.scheme, self.host = base.scheme, base.netloc  # netloc is sent as Host
        self.base_path = base.path.rstrip("/")
        self.ak, self.sk, self.timeout = ak, sk, timeout
        self.context = None
        if self.scheme == "https":
            self.context = ssl.create_default_context(cafile=cafile)
            if insecure:
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE

    def _post(self, path, body):
        """Sign and send one POST; return (status, headers, body bytes)."""
        target = self.base_path + path
        headers = {
            "Host": self.host,
            "Content-Type": JSON_TYPE,
            "Content-Length": str(len(body)),
        }
        # The vendor's sample signs these three; signing only Host is enough
        # for the server, since the body is signed whatever the list.
        s = sign(self.ak, self.sk, "POST", target, headers, body, timestamp_now())
        headers["Authorization"] = s["authorization"]
        host = urllib.parse.urlsplit("//" + self.host)
        if self.scheme == "https":
            conn = http.client.HTTPSConnection(
                host.hostname, host.port or 443, timeout=self.timeout, context=self.context
            )
        else:
            conn = http.client.HTTPConnection(host.hostname, host.port or 80, timeout=self.timeout)
        try:
            # With Host in headers, http.client sends ours: the signed one.
            conn.request("POST", target, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    @staticmethod
    def _envelope(msg_body):
        return json.dumps(
            {"request": {"version": "2.0"}, "msgBody": msg_body}, separators=(",", ":")
        ).encode("utf-8")

    def _json_answer(self, status, body):
        answer = json.loads(body.decode("utf-8"))
        if answer.get("resultCode") != "0":
            raise ServerError(status, answer)
        return answer

    def upload(self, vdn, wav):
        """Upload a WAV file's bytes for a VDN; return the stored fileName
        (such as Y:/3rdfile/1/thirdvoicebotfile/8fSsBaEb_1631869974029.wav)."""
        body = self._envelope({"data": base64.b64encode(wav).decode("ascii")})
        status, _, answer = self._post(UPLOAD_PATH + "?vdnId=%d" % vdn, body)
        return self._json_answer(status, answer)["resultData"]["fileName"]

    def download(self, file_path, folder=False):
        """Download a file (or, with folder=True, the one file in a folder);
        return its bytes. Success is the file itself; a failure is JSON."""
        msg = {"filePath": file_path}
        if folder:
            msg["mode"] = 1
        status, headers, body = self._post(DOWNLOAD_PATH, self._envelope(msg))
        content_type = headers.get("Content-Type", "").lower()
        if status == 200 and content_type.startswith("application/octet-stream"):
            length = headers.get("Content-Length")
            if length is not None and int(length) != len(body):
                raise IOError("the download ended early: %d of %s bytes" % (len(body), length))
            return body
        self._json_answer(status, body)  # raises ServerError
        raise IOError("the server answered success without a file")

    def delete(self, file_name, location_id=None):
        """Delete an uploaded file, by the fileName upload returned."""
        msg = {"fileName": file_name}
        if location_id is not None:
            msg["locationId"] = location_id
        status, _, answer = self._post(DELETE_PATH, self._envelope(msg))
        self._json_answer(status, answer)


# --------------------------------------------------------------- selftest


def alaw_wav(seconds=0.5):
    """A small WAV the server accepts: A-law, 8000 Hz, mono, 8 bits."""
    frames = bytes([0xD5, 0x55] * int(8000 * seconds / 2))
    fmt = struct.pack("<HHIIHH", 6, 1, 8000, 8000, 1, 8)  # 6: A-law
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"data" + struct.pack("<I", len(frames)) + frames
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def selftest(client, vdn):
    """Upload, download and compare, delete, and check the file is gone."""
    wav = alaw_wav()
    name = client.upload(vdn, wav)
    print("uploaded  %s (%d bytes)" % (name, len(wav)))
    got = client.download(name)
    if got != wav:
        raise AssertionError("downloaded %d bytes that differ from the %d uploaded" % (len(got), len(wav)))
    print("downloaded the same %d bytes" % len(got))
    client.delete(name)
    print("deleted   %s" % name)
    try:
        client.download(name)
    except ServerError as e:
        if e.code != "0300021":
            raise
        print("download after delete refused: %s" % e)
    else:
        raise AssertionError("the deleted file could still be downloaded")
    print("selftest passed")


# ---------------------------------------------------------------- vectors

# The worked examples of docs/signing.md: inputs, then what must come out.
SK_AB = "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p"
VECTORS = [
    {
        "name": "A", "ak": "globalaktest", "sk": SK_AB,
        "timestamp": "2021-08-31T09:38:50.872Z",
        "url": "https://10.22.26.181:28080/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53",
        "headers": {"Host": "10.22.26.181:28080",
                    "Content-Type": "application/json;charset=UTF-8",
                    "Content-Length": "59"},
        "body": '{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}',
        "signing_key": "2ed89f017b07e2c29adc75db70cefdd3d3a009991a5d078c2a7bf4b62b35f802",
        "authorization": "auth-v2/globalaktest/2021-08-31T09:38:50.872Z/content-length;content-type;host/"
                         "0512454550f487e6f7d92417aecef7b3a2e3453768ebe70b98948e5f29e33503",
    },
    {
        "name": "B", "ak": "globalaktest", "sk": SK_AB,
        "timestamp": "2021-08-31T09:38:50Z",
        "url": "https://10.22.26.181/CCFS/resource/ccfs/ivr/deleteFile",
        "headers": {"Host": "10.22.26.181"},
        "body": '{"request":{"version":"2.0"},"msgBody":{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/a.wav"}}',
        "signing_key": "be0f19ee433bdf443933810fe362a3a7572aa5f47827cc178daf6e7673851e23",
        "authorization": "auth-v2/globalaktest/2021-08-31T09:38:50Z/host/"
                         "10bacb1471218b1b3f97143f2002d44aad29e82e0aa9e387976b88678e87df09",
    },
    {
        "name": "C", "ak": "ak-vdn53", "sk": "s3cr3t/+=SK",
        "timestamp": "2026-11-23T19:00:00.000Z",
        "url": "https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53",
        "headers": {"Host": "127.0.0.1:28443",
                    "Content-Type": "application/json; charset=UTF-8",
                    "Content-Length": "123"},
        "body": '{"request":{"version":"2.0"},"msgBody":{"data":'
                '"UklGRiwAAABXQVZFZm10IBAAAAAGAAEAQB8AAEAfAAABAAgAZGF0YQgAAADVVdVVKqoqqg=="}}',
        "signing_key": "6f0560d42379cb9045e82b0364de4e66fec12b7d3f44ee4a81c431bd3f811a90",
        "authorization": "auth-v2/ak-vdn53/2026-11-23T19:00:00.000Z/content-length;content-type;host/"
                         "e149e23b537c92b4ecb43c7a03d896db2e90faac94a5645c5dd15e53c59c2b1f",
    },
]


def check_vectors():
    """Sign each vector and compare; print every step. True if all agree."""
    ok = True
    for v in VECTORS:
        s = sign(v["ak"], v["sk"], "POST", v["url"], v["headers"], v["body"].encode("utf-8"), v["timestamp"])
        good = s["signing_key"] == v["signing_key"] and s["authorization"] == v["authorization"]
        ok = ok and good
        print("vector %s: %s" % (v["name"], "agrees" if good else "DIFFERS"))
        print("  authStringPrefix  %s" % s["prefix"])
        print("  signingKey        %s" % s["signing_key"])
        print("  canonicalRequest\n    " + s["canonical"].replace("\n", "\n    "))
        print("  Authorization: %s" % s["authorization"])
        if not good:
            print("  want signingKey   %s" % v["signing_key"])
            print("  want Authorization: %s" % v["authorization"])
    return ok


# -------------------------------------------------------------------- CLI


def main(argv=None):
    p = argparse.ArgumentParser(description="CC-FS reference client (auth-v2 signing).")
    p.add_argument("--url", help="server base URL, such as https://127.0.0.1:28443")
    p.add_argument("--ak", help="access key")
    p.add_argument("--sk", help="secret key (default: $CCFS_SK)")
    p.add_argument("--vdn", type=int, help="VDN to upload to (upload, selftest)")
    p.add_argument("--ca", help="CA certificate (PEM) to verify the server with")
    p.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("vectors", help="reproduce the worked examples of docs/signing.md")
    up = sub.add_parser("upload", help="upload a WAV file; prints the fileName")
    up.add_argument("file")
    down = sub.add_parser("download", help="download a file to OUT")
    down.add_argument("path")
    down.add_argument("out")
    down.add_argument("--folder", action="store_true", help="PATH is a folder holding one file (mode 1)")
    rm = sub.add_parser("delete", help="delete an uploaded file")
    rm.add_argument("name")
    sub.add_parser("selftest", help="upload, download and compare, delete, download again (refused)")
    args = p.parse_args(argv)

    if args.command == "vectors":
        return 0 if check_vectors() else 1
    sk = args.sk or os.environ.get("CCFS_SK")
    if not (args.url and args.ak and sk):
        p.error("need --url, --ak and --sk")
    if args.command in ("upload", "selftest") and not args.vdn:
        p.error("need --vdn")
    client = Client(args.url, args.ak, sk, cafile=args.ca, insecure=args.insecure)
    try:
        if args.command == "upload":
            with open(args.file, "rb") as f:
                print(client.upload(args.vdn, f.read()))
        elif args.command == "download":
            data = client.download(args.path, folder=args.folder)
            with open(args.out, "wb") as f:
                f.write(data)
            print("%d bytes to %s" % (len(data), args.out))
        elif args.command == "delete":
            client.delete(args.name)
            print("deleted")
        else:
            selftest(client, args.vdn)
    except ServerError as e:
        print("ccfs_client: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
