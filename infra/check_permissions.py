#!/usr/bin/env python3
"""Every AWS operation a function's code can reach is allowed by its role.

    python3 infra/check_permissions.py [--template template.yaml] BINARY_DIR

For each `AWS::Serverless::Function` of the template, reads the binary its
`Metadata.BuildProperties.Binary` names in BINARY_DIR (a `cargo build
--workspace --bins` output: `target/debug`), lists the AWS SDK operations
linked into it (`nm -C`: `aws_sdk_<service>::operation::<op>`; the linker
drops what nothing calls) and the IAM actions each needs, and checks them
against the actions its `Policies` grant (inline statements and the SAM
policy templates used here). Exits 1 naming every function and action
missing, so a call that works locally (where nothing checks IAM) cannot
reach AWS without its permission (docs/operations.md, "Permissions").
Resources are not compared: each statement's resource is reviewed with the
template; the check is about actions.
"""

import argparse
import fnmatch
import os
import re
import subprocess
import sys

# Operations the SDKs link that our code never sends: credential providers
# (Lambda hands credentials in the environment) and S3 Express sessions
# (only for directory buckets; the exports bucket is a general one).
SDK_INTERNAL = {
    ("sts", "assume_role"),
    ("sts", "assume_role_with_web_identity"),
    ("sso", "get_role_credentials"),
    ("ssooidc", "create_token"),
    ("s3", "create_session"),
}

# Operations whose IAM action is not their own name.
ACTION_OF = {
    ("s3", "create_multipart_upload"): ["s3:PutObject"],
    ("s3", "upload_part"): ["s3:PutObject"],
    ("s3", "complete_multipart_upload"): ["s3:PutObject"],
    ("s3", "list_objects_v2"): ["s3:ListBucket"],
    ("sqs", "send_message_batch"): ["sqs:SendMessage"],
    ("sqs", "delete_message_batch"): ["sqs:DeleteMessage"],
    ("sqs", "change_message_visibility_batch"): ["sqs:ChangeMessageVisibility"],
    ("dynamodb", "transact_get_items"): ["dynamodb:GetItem"],
}

# TransactWriteItems has no action of its own: IAM checks each item's
# (PutItem, UpdateItem, DeleteItem, ConditionCheckItem); which ones is in
# the code, so any of them granted passes here.
ANY_OF = {
    ("dynamodb", "transact_write_items"): [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    ],
}

# The SAM policy templates this template may use, by the actions they grant.
SAM_POLICY_TEMPLATES = {
    "SQSSendMessagePolicy": ["sqs:SendMessage*"],
    "SNSPublishMessagePolicy": ["sns:Publish"],
    "DynamoDBReadPolicy": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem"],
    "DynamoDBCrudPolicy": [
        "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan",
        "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem",
        "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem",
    ],
    "KMSDecryptPolicy": ["kms:Decrypt"],
    "AWSSecretsManagerGetSecretValuePolicy": ["secretsmanager:GetSecretValue"],
}

OPERATION = re.compile(r"aws_sdk_([a-z0-9]+)::operation::([a-z0-9_]+)::")


def pascal(snake):
    return "".join(part.capitalize() for part in snake.split("_"))


def actions_needed(operations):
    """{operation: [actions, any of which allows it]} for the operations
    (service, op) that are sent on the code's own behalf."""
    needed = {}
    for service, op in sorted(operations):
        if (service, op) in SDK_INTERNAL:
            continue
        key = (service, op)
        needed[key] = ANY_OF.get(key) or ACTION_OF.get(key) or [f"{service}:{pascal(op)}"]
    return needed


def granted_actions(policies):
    """The actions a function's `Policies` allow (its `Allow` statements)."""
    granted = []
    for policy in policies or []:
        if isinstance(policy, str):
            granted.extend(SAM_POLICY_TEMPLATES.get(policy, []))
            continue
        for name, _ in policy.items():
            if name in SAM_POLICY_TEMPLATES:
                granted.extend(SAM_POLICY_TEMPLATES[name])
        for statement in policy.get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            action = statement.get("Action", [])
            granted.extend([action] if isinstance(action, str) else action)
    return granted


def allowed(action, granted):
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in granted)


def missing(needed, granted):
    """[(operation, actions)] the grants do not cover."""
    return [
        (operation, actions)
        for operation, actions in needed.items()
        if not any(allowed(action, granted) for action in actions)
    ]


def linked_operations(binary):
    """{(service, op)} of the SDK operations linked into `binary`."""
    symbols = subprocess.run(
        ["nm", "-C", binary], check=True, capture_output=True, text=True
    ).stdout
    return set(OPERATION.findall(symbols))


class _Tagged(str):
    """A CloudFormation intrinsic (`!Ref`, `!GetAtt`...): kept as text."""


def load_template(path):
    import yaml  # only when a template is read: the unit tests need none

    class Loader(yaml.SafeLoader):
        pass

    def construct(loader, _suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return _Tagged(loader.construct_scalar(node))
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    Loader.add_multi_constructor("!", construct)
    with open(path, encoding="utf-8") as file:
        return yaml.load(file, Loader=Loader)


def functions_of(template):
    """[(logical id, binary name, policies)] of the template's functions."""
    out = []
    for name, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        binary = (resource.get("Metadata") or {}).get("BuildProperties", {}).get("Binary")
        out.append((name, binary, (resource.get("Properties") or {}).get("Policies")))
    return out


def check(template, binary_dir, operations_of=linked_operations):
    """Lines describing each problem; none when every function is covered."""
    problems = []
    for name, binary, policies in functions_of(template):
        if not binary:
            problems.append(f"{name}: no Metadata.BuildProperties.Binary")
            continue
        path = os.path.join(binary_dir, binary)
        if not os.path.exists(path):
            problems.append(f"{name}: {path} not built (cargo build --workspace --bins)")
            continue
        granted = granted_actions(policies)
        for (service, op), actions in missing(actions_needed(operations_of(path)), granted):
            problems.append(
                f"{name} ({binary}) calls {service} {op} but its policies allow none of {', '.join(actions)}"
            )
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary_dir")
    parser.add_argument("--template", default="template.yaml")
    args = parser.parse_args(argv)
    template = load_template(args.template)
    problems = check(template, args.binary_dir)
    functions = functions_of(template)
    if problems:
        for line in problems:
            print(f"check-permissions: {line}", file=sys.stderr)
        return 1
    print(f"check-permissions: the {len(functions)} functions' AWS calls are all allowed by their roles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
