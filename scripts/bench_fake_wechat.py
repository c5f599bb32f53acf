"""A fake api.weixin.qq.com on loopback for the benchmark: every js_code 'ok-<openid>' succeeds;
'slow-<ms>-<openid>' succeeds after <ms> milliseconds; 'trickle-…' sends its answer a byte every 2 s.

    python scripts/bench_fake_wechat.py --appid APPID --secret SECRET [--port 0]

Prints `READY <port>` on stdout once it listens, then serves until killed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def make_handler(appid: str, secret: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real service allows
        # Headers and body in one segment, sent at once: otherwise a kept-alive client waits for
        # Nagle's algorithm against its delayed ACK (about 40 ms an answer), which WeChat does not do.
        disable_nagle_algorithm = True
        wbufsize = 1 << 16

        def log_message(self, *args):
            pass

        def _send(self, status: int, body: dict | bytes, ctype: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _trickle(self, body: dict) -> None:
            data = json.dumps(body).encode()
            raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
                len(data), data)
            try:
                for i in range(len(raw)):
                    self.wfile.write(raw[i:i + 1])
                    self.wfile.flush()
                    time.sleep(2)
            except OSError:
                pass  # the app gave up at its deadline
            self.close_connection = True

        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path != "/sns/jscode2session":
                return self._send(404, {})
            if query.get("appid") != appid or query.get("secret") != secret:
                return self._send(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
            code = query.get("js_code", "")
            if code.startswith("trickle-"):
                return self._trickle({"openid": code, "session_key": "SK-trickle"})
            if code.startswith("slow-"):
                _, ms, rest = code.split("-", 2)
                time.sleep(int(ms) / 1000)
                code = "ok-" + rest
            if not code.startswith("ok-"):
                return self._send(200, {"errcode": 40029, "errmsg": "invalid code"})
            return self._send(200, {"openid": code[3:], "session_key": "SK-" + code[-16:]})

        def do_POST(self):
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if url.path == "/cgi-bin/stable_token":
                return self._send(200, {"access_token": "BENCH-ACCESS-TOKEN", "expires_in": 7200})
            if url.path == "/cgi-bin/message/subscribe/send":
                return self._send(200, {"errcode": 0, "errmsg": "ok"})
            return self._send(404, {})

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appid", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.appid, args.secret))
    httpd.daemon_threads = True
    print(f"READY {httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
