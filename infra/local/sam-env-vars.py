#!/usr/bin/env python3
"""The `--env-vars` file of `sam local start-api` / `sam local invoke`
against the local stack: for every function of template.yaml, every
environment variable the template gives it, with the local stack's value as
a container sees it.

    eval "$(infra/local/stack.sh env)"
    infra/local/sam-env-vars.py > .local/sam-env.json                    # Docker Desktop
    infra/local/sam-env-vars.py --host 127.0.0.1 > .local/sam-env.json   # Linux, --docker-network host

SAM sets only variables the template declares, so the template declares the
local endpoints and the HS256 secret (empty in AWS). The values come from
the environment (`stack.sh env`: ports, tables, bucket, queue, secret);
SALES_ENV is `local`, and the AWS-only variables (JWKS, issuer, audience,
the cursor secret's ARN, the alerts' topic and queues) are empty, which the
functions read as unset. Exits 1 naming any variable it has no value for.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_permissions  # noqa: E402  (the template loader with CloudFormation tags)


CONFIG_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.sh")


def stack_values(env):
    """The local stack's variables: config.sh (the one place their local
    defaults are written) sourced over `env`, so a variable `env` sets wins."""
    base = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    out = subprocess.run(
        ["bash", "-c", 'source "$1" && env -0', "sam-env-vars", CONFIG_SH],
        env={**base, **env}, capture_output=True, check=True,
    ).stdout.decode()
    return dict(line.split("=", 1) for line in out.split("\0") if "=" in line)


def local_values(env, host):
    """{variable: value} of the local stack, endpoints as seen from `host`."""
    stack = stack_values(env)

    def at(port_var):
        return f"http://{host}:{stack[port_var]}"

    moto = at("SALES_MOTO_PORT")
    values = {name: stack[name] for name in (
        "SALES_ENV", "SALES_SOURCE_TABLE", "SALES_AGGREGATES_TABLE", "SALES_ALERTS_TABLE",
        "SALES_EXPORT_JOBS_TABLE", "SALES_EXPORTS_BUCKET", "SALES_EXPORT_LINK_TTL_SECONDS",
        "SALES_JWT_SECRET", "SALES_SECRETS_KEY_ID", "SALES_EXPORT_JOBS_PER_TENANT",
        "SALES_DIGEST_SENDER",
    )}
    return {
        **values,
        "SALES_DYNAMODB_ENDPOINT": at("SALES_DYNAMODB_PORT"),
        "SALES_S3_ENDPOINT": at("SALES_S3_PORT"),
        "SALES_SQS_ENDPOINT": moto,
        "SALES_SNS_ENDPOINT": moto,
        "SALES_KMS_ENDPOINT": moto,
        "SALES_SES_ENDPOINT": moto,
        "SALES_PUBLIC_API_URL": f"http://{host}:{stack['SALES_API_PORT']}",
        "SALES_EXPORT_QUEUE_URL": f"{moto}/123456789012/sales-export-jobs",
        # AWS only: empty is unset.
        "SALES_JWT_JWKS_URL": "",
        "SALES_JWT_ISSUER": "",
        "SALES_JWT_AUDIENCE": "",
        "SALES_CURSOR_SECRET_ARN": "",
        "SALES_CONFIG_GENERATION": "",
        "SALES_REPORT_QUEUE_URL": "",
        "SALES_ALERTS_TOPIC_ARN": "",
        "SALES_ALERT_DELIVERY_QUEUE_URL": "",
        "SALES_ALERT_EVALUATION_QUEUE_URL": "",
        "SALES_DIGEST_QUEUE_URL": "",
        "SALES_SES_CONFIGURATION_SET": "",
    }


def function_variables(template):
    """{logical id: [variable names]} of every function (Globals included)."""
    globals_ = (((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get("Variables") or {}
    out = {}
    for name, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        own = ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        out[name] = sorted(set(globals_) | set(own))
    return out


def env_vars(template, env, host):
    """The --env-vars document, and the variables without a value."""
    values = local_values(env, host)
    document, missing = {}, set()
    for function, names in function_variables(template).items():
        document[function] = {}
        for name in names:
            if name in values:
                document[function][name] = values[name]
            else:
                missing.add(name)
    return document, sorted(missing)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", default=os.path.join(os.path.dirname(__file__), "..", "..", "template.yaml"))
    parser.add_argument("--host", default="host.docker.internal", help="the host's address as a container sees it")
    args = parser.parse_args(argv)
    document, missing = env_vars(check_permissions.load_template(args.template), os.environ, args.host)
    if missing:
        print(f"no local value for {', '.join(missing)}: add it to local_values()", file=sys.stderr)
        return 1
    json.dump(document, sys.stdout, indent=2, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
