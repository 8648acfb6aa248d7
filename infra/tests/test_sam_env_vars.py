"""`sam local`'s --env-vars file (infra/local/sam-env-vars.py): every
variable that template.yaml gives every function has a local value, and
the endpoints point at the host a container sees."""

import importlib.util
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import check_permissions  # noqa: E402

spec = importlib.util.spec_from_file_location("sam_env_vars", os.path.join(HERE, "..", "local", "sam-env-vars.py"))
sam_env_vars = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sam_env_vars)

TEMPLATE = check_permissions.load_template(os.path.join(HERE, "..", "..", "template.yaml"))


class SamEnvVarsTest(unittest.TestCase):
    def test_every_variable_of_every_function_is_named(self):
        document, missing = sam_env_vars.env_vars(TEMPLATE, {"SALES_DYNAMODB_PORT": "8000"}, "host.docker.internal")
        self.assertEqual(missing, [])
        functions = sam_env_vars.function_variables(TEMPLATE)
        self.assertGreaterEqual(len(functions), 11)
        for function, names in functions.items():
            self.assertEqual(sorted(document[function]), names, function)

    def test_endpoints_and_environment_are_local(self):
        document, _ = sam_env_vars.env_vars(TEMPLATE, {"SALES_DYNAMODB_PORT": "8123"}, "host.docker.internal")
        dashboard = document["DashboardFunction"]
        self.assertEqual(dashboard["SALES_ENV"], "local")
        self.assertEqual(dashboard["SALES_DYNAMODB_ENDPOINT"], "http://host.docker.internal:8123")
        self.assertEqual(dashboard["SALES_CURSOR_SECRET_ARN"], "")

    def test_values_are_config_shs_and_the_environment_wins(self):
        document, _ = sam_env_vars.env_vars(TEMPLATE, {"SALES_ALERTS_TABLE": "mine"}, "h")
        alerts = document["AlertsFunction"]
        self.assertEqual(alerts["SALES_ALERTS_TABLE"], "mine")
        with open(sam_env_vars.CONFIG_SH) as config:
            self.assertIn('SALES_SECRETS_KEY_ID:-' + alerts["SALES_SECRETS_KEY_ID"] + '}', config.read())

    def test_a_variable_without_a_local_value_is_reported(self):
        template = {"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {"Environment": {"Variables": {"SALES_NEW_SETTING": "x"}}}}}}
        _, missing = sam_env_vars.env_vars(template, {}, "h")
        self.assertEqual(missing, ["SALES_NEW_SETTING"])


if __name__ == "__main__":
    unittest.main()
