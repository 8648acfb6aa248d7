#!/usr/bin/env python3
"""A webhook receiver for trying KPI alerts locally (README, "Alerts").

    python3 infra/local/webhook-receiver.py --port 8765 --secret whsec_...

Prints every POST it gets with its body, and whether its `Sales-Signature`
(`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`) verifies with the
rule's secret and is at most five minutes old, and whether its event `id`
was seen before (delivery is at least once: a receiver drops repeats by
`id`). Answers 204 (or --status). Standard library only.
"""

import argparse
import hashlib
import hmac
import http.server
import json
import time


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--secret", help="the rule's signing secret (from the POST /alerts answer)")
    parser.add_argument("--status", type=int, default=204, help="the status to answer (5xx to see retries)")
    args = parser.parse_args()
    seen = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signature = self.headers.get("Sales-Signature", "")
            checked = "not checked (no --secret)"
            if args.secret:
                checked = "VERIFIED" if verify(args.secret, signature, body) else "INVALID"
            try:
                event_id = json.loads(body).get("id")
            except (ValueError, AttributeError):
                event_id = None
            repeat = event_id in seen
            seen.add(event_id)
            what = f"REPEAT of {event_id}: drop it" if repeat else f"event {event_id}"
            print(f"POST {self.path}  signature {checked}  {what}\n{body.decode(errors='replace')}\n", flush=True)
            self.send_response(args.status)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    print(f"listening on http://127.0.0.1:{args.port}/hook", flush=True)
    http.server.HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
