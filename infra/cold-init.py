#!/usr/bin/env python3
"""Cold init of each function's release binary: the time from starting the
process to its first poll of the Lambda Runtime API
(`GET /2018-06-01/runtime/invocation/next`), i.e. Lambda's Init phase.

    cargo build --release -p dashboard -p orders -p invoices -p payments -p rollup -p export -p alerts
    python3 infra/cold-init.py [--runs N] [--bin-dir DIR] [FUNCTION...]

or the arm64 bootstraps `make package` zipped, under qemu's user-mode
emulator (Debian: qemu-user, libc6-arm64-cross); emulated, so compare
them with each other, not with the native figures:

    python3 infra/cold-init.py --lambda-dir target/lambda [FUNCTION...]

A minimal Runtime API on 127.0.0.1 records when each process first polls
(it never hands out an event, so the function waits there), and the
process is killed. The functions get the environment they get on Lambda
(SALES_ENV=aws, tables, bucket, JWKS URL, issuer, audience, cursor secret,
credentials and region from the environment): their init reads the
configuration and builds the SDK clients, as in AWS; nothing in init
reaches the network. Prints the median and the worst of N runs per
function, in milliseconds.
"""

import argparse
import http.server
import os
import statistics
import subprocess
import tempfile
import threading
import time
import zipfile

FUNCTIONS = [
    "dashboard",
    "orders",
    "invoices",
    "payments",
    "rollup",
    "report-scheduler",
    "export-api",
    "export-worker",
    "digest-scheduler",
    "digest-feedback",
    "alerts",
    "alert-evaluator",
    "alert-deliverer",
]


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    first_poll = None
    polled = threading.Event()

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path.endswith("/runtime/invocation/next"):
            if RuntimeApi.first_poll is None:
                RuntimeApi.first_poll = time.perf_counter()
                RuntimeApi.polled.set()
            # Hold the poll open; the process is killed meanwhile.
            time.sleep(5)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    parser.add_argument("--bin-dir", default=os.path.join(target, "release"))
    parser.add_argument("--lambda-dir", help="run DIR/<function>/bootstrap.zip under qemu-aarch64 instead")
    parser.add_argument("functions", nargs="*", metavar="FUNCTION", help=f"default: all of {', '.join(FUNCTIONS)}")
    args = parser.parse_args()
    unknown = sorted(set(args.functions) - set(FUNCTIONS))
    if unknown:
        parser.error(f"unknown function(s) {', '.join(unknown)}: one of {', '.join(FUNCTIONS)}")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "cold-init",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIDCOLDINIT",
        "AWS_SECRET_ACCESS_KEY": "cold-init-secret",
        "AWS_SESSION_TOKEN": "cold-init-session",
        "SALES_ENV": "aws",
        "SALES_SOURCE_TABLE": "sales-source",
        "SALES_AGGREGATES_TABLE": "sales-aggregates",
        "SALES_EXPORTS_BUCKET": "sales-exports",
        "SALES_JWT_JWKS_URL": "https://id.example.com/.well-known/jwks.json",
        "SALES_JWT_ISSUER": "https://id.example.com/",
        "SALES_JWT_AUDIENCE": "sales-analytics",
        "SALES_CURSOR_SECRET": "cold-init-cursor-secret",
        "SALES_REPORT_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/reports",
        "SALES_ALERTS_TABLE": "sales-alerts",
        "SALES_ALERTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:kpi-alerts",
        "RUST_LOG": "warn",
    }
    print("| function | cold init, median | worst | runs |")
    print("|---|---|---|---|")
    unpacked = tempfile.TemporaryDirectory()
    for name in args.functions or FUNCTIONS:
        command = [os.path.join(args.bin_dir, name)]
        if args.lambda_dir:
            archive = os.path.join(args.lambda_dir, name, "bootstrap.zip")
            if not os.path.exists(archive):
                raise SystemExit(f"{archive} is missing: make package")
            zipfile.ZipFile(archive).extract("bootstrap", os.path.join(unpacked.name, name))
            command = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", os.path.join(unpacked.name, name, "bootstrap")]
            os.chmod(command[-1], 0o755)
        binary = command[-1]
        if not os.path.exists(binary):
            raise SystemExit(f"{binary} is missing: cargo build --release -p {name}")
        times = []
        for _ in range(args.runs):
            RuntimeApi.first_poll = None
            RuntimeApi.polled.clear()
            started = time.perf_counter()
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if not RuntimeApi.polled.wait(10):
                process.kill()
                raise SystemExit(f"{name} never polled: {process.stderr.read().decode()[-2000:]}")
            times.append((RuntimeApi.first_poll - started) * 1000)
            process.kill()
            process.wait()
        print(f"| {name} | {statistics.median(times):.1f} ms | {max(times):.1f} ms | {args.runs} |")
    server.shutdown()
    unpacked.cleanup()


if __name__ == "__main__":
    main()
