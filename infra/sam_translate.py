#!/usr/bin/env python3
"""Runs the AWS SAM transform offline: SAM template (YAML) -> CloudFormation JSON.

    python3 infra/sam_translate.py template.yaml out.json

cfn-lint alone does not catch everything the transform rejects (bad event
properties, references to missing resources...), so infra/check-template.sh
translates first and lints the result. Local code paths (CodeUri) are replaced
by s3:// placeholders, as `sam package` would do; no AWS call is made.
Exits 1 with the transform's error messages if the template is invalid.

It also checks the contract with the local stack: the Rust code
(shared/src/schema.rs) reads SourceTable, AggregatesTable and ExportsBucket
out of this template to create them in DynamoDB Local and s3s-fs, so their
key schema, billing mode, stream and index settings must stay plain values.
"""

import json
import os
import sys

import yaml

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

# Imported after AWS_DEFAULT_REGION is set: the translator reads it.
from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402

PLACEHOLDER_BUCKET = "sam-translate-placeholder"


class CfnLoader(yaml.SafeLoader):
    """YAML loader that understands CloudFormation short-form tags (!Ref, !Sub...)."""


def _intrinsic(loader, tag_suffix, node):
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)  # !GetAtt A.B -> ["A", "B"]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


class NoPolicies:
    """Managed-policy loader that knows no policies (avoids an IAM API call)."""

    def load(self):
        return {}


# Local-path properties `sam package` would upload, per resource type.
LOCAL_URI_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


def replace_local_uris(template):
    """Points every local code path at an s3:// placeholder."""
    placeholder = "s3://" + PLACEHOLDER_BUCKET + "/{}.zip"
    for logical_id, resource in (template.get("Resources") or {}).items():
        prop = LOCAL_URI_PROPERTIES.get(resource.get("Type"))
        props = resource.get("Properties") or {}
        if not prop or "InlineCode" in props or props.get("PackageType") == "Image":
            continue
        value = props.get(prop)
        if value is None or (isinstance(value, str) and not value.startswith("s3://")):
            resource["Properties"] = {**props, prop: placeholder.format(logical_id)}
    function_globals = (template.get("Globals") or {}).get("Function") or {}
    if isinstance(function_globals.get("CodeUri"), str):
        function_globals["CodeUri"] = placeholder.format("globals")


# Logical ids and table properties the local stack reads (shared/src/schema.rs).
LOCAL_TABLES = ("SourceTable", "AggregatesTable")
LOCAL_BUCKETS = ("ExportsBucket",)
PLAIN_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "StreamSpecification",
    "BillingMode",
    "GlobalSecondaryIndexes",
)


def _intrinsics(value, path):
    """Yields the paths of CloudFormation intrinsic functions inside value."""
    if isinstance(value, dict):
        if any(k == "Ref" or k.startswith("Fn::") or k == "Condition" for k in value):
            yield path
            return
        for k, v in value.items():
            yield from _intrinsics(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _intrinsics(v, f"{path}[{i}]")


def local_contract_errors(template):
    errors = []
    resources = template.get("Resources") or {}
    for logical_id in LOCAL_TABLES:
        resource = resources.get(logical_id)
        if not resource or resource.get("Type") != "AWS::DynamoDB::Table":
            errors.append(f"{logical_id} must be an AWS::DynamoDB::Table (the local stack creates it)")
            continue
        props = resource.get("Properties") or {}
        for name in PLAIN_TABLE_PROPERTIES:
            for path in _intrinsics(props.get(name), f"{logical_id}.Properties.{name}"):
                errors.append(f"{path}: intrinsic function not allowed here (read as plain YAML by the local stack)")
        for name in ("AttributeDefinitions", "KeySchema"):
            if not isinstance(props.get(name), list):
                errors.append(f"{logical_id}.Properties.{name} must be a list")
        if props.get("BillingMode") != "PAY_PER_REQUEST":
            errors.append(f"{logical_id}.Properties.BillingMode must be PAY_PER_REQUEST (the local stack assumes it)")
    for logical_id in LOCAL_BUCKETS:
        resource = resources.get(logical_id)
        if not resource or resource.get("Type") != "AWS::S3::Bucket":
            errors.append(f"{logical_id} must be an AWS::S3::Bucket (the local stack creates it)")
    return errors


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    source = argv[1]
    with open(source, encoding="utf-8") as f:
        try:
            template = yaml.load(f, Loader=CfnLoader)  # noqa: S506 (SafeLoader subclass)
        except yaml.YAMLError as e:
            print(f"{source}: invalid YAML: {e}", file=sys.stderr)
            return 1
    if not isinstance(template, dict):
        print(f"{source}: not a template (top level is not a mapping)", file=sys.stderr)
        return 1
    contract_errors = local_contract_errors(template)
    if contract_errors:
        print(f"{source}: breaks the local stack contract:", file=sys.stderr)
        for error in contract_errors:
            print(f"  - {error}", file=sys.stderr)
        return 1
    replace_local_uris(template)
    try:
        output = transform(template, {}, NoPolicies())
    except InvalidDocumentException as e:
        print(f"{source}: SAM transform failed:", file=sys.stderr)
        for cause in e.causes:
            print(f"  - {cause.message}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - any translator crash is a failure too
        print(f"{source}: SAM transform crashed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    text = json.dumps(output, indent=2, sort_keys=False)
    if len(argv) == 3:
        with open(argv[2], "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
