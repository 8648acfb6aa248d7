"""infra/check_permissions.py: the SDK operations a function links, against
the actions its role grants."""

import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import check_permissions as cp  # noqa: E402

TEMPLATE = textwrap.dedent(
    """
    Resources:
      Table:
        Type: AWS::DynamoDB::Table
      ApiFunction:
        Type: AWS::Serverless::Function
        Metadata:
          BuildProperties:
            Binary: api
        Properties:
          Policies:
            - Statement:
                - Effect: Allow
                  Action: [dynamodb:GetItem, dynamodb:PutItem]
                  Resource: !GetAtt Table.Arn
                - Effect: Deny
                  Action: dynamodb:DeleteItem
                  Resource: !Sub "${Table.Arn}"
            - SQSSendMessagePolicy:
                QueueName: !GetAtt Queue.QueueName
    """
)


class CheckPermissionsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        with open(os.path.join(self.dir.name, "template.yaml"), "w") as f:
            f.write(TEMPLATE)
        open(os.path.join(self.dir.name, "api"), "w").close()
        self.template = cp.load_template(os.path.join(self.dir.name, "template.yaml"))

    def check(self, operations):
        return cp.check(self.template, self.dir.name, operations_of=lambda _path: operations)

    def test_operations_the_role_allows_pass(self):
        ops = {("dynamodb", "get_item"), ("dynamodb", "put_item"), ("sqs", "send_message_batch"),
               ("dynamodb", "transact_write_items"), ("sts", "assume_role"), ("s3", "create_session")}
        self.assertEqual(self.check(ops), [])

    def test_an_operation_without_its_action_is_named(self):
        problems = self.check({("dynamodb", "get_item"), ("dynamodb", "delete_item")})
        self.assertEqual(len(problems), 1)
        self.assertIn("ApiFunction (api) calls dynamodb delete_item", problems[0])
        self.assertIn("dynamodb:DeleteItem", problems[0])

    def test_a_deny_statement_grants_nothing(self):
        self.assertEqual(len(self.check({("dynamodb", "delete_item")})), 1)

    def test_actions_with_other_names(self):
        needed = cp.actions_needed({("s3", "upload_part"), ("s3", "list_objects_v2"), ("kms", "generate_data_key")})
        self.assertEqual(needed[("s3", "upload_part")], ["s3:PutObject"])
        self.assertEqual(needed[("s3", "list_objects_v2")], ["s3:ListBucket"])
        self.assertEqual(needed[("kms", "generate_data_key")], ["kms:GenerateDataKey"])

    def test_wildcards_in_grants(self):
        self.assertEqual(cp.missing(cp.actions_needed({("sqs", "send_message")}), ["sqs:*"]), [])
        self.assertEqual(len(cp.missing(cp.actions_needed({("sns", "publish")}), ["sqs:*"])), 1)

    def test_a_function_not_built_is_a_problem(self):
        os.remove(os.path.join(self.dir.name, "api"))
        self.assertIn("not built", self.check(set())[0])

    def test_symbols_are_read_from_demangled_names(self):
        text = "0000 T aws_sdk_dynamodb::operation::delete_item::DeleteItem::orchestrate\n"
        self.assertEqual(set(cp.OPERATION.findall(text)), {("dynamodb", "delete_item")})


if __name__ == "__main__":
    unittest.main()
