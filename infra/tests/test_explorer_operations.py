"""The explorer check's reading of a rendered Swagger UI page
(infra/local/explorer_operations.py): an operation without its block is
reported missing."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "local"))
import explorer_operations  # noqa: E402

OPENAPI = """paths:
  /api/v1/sales/dashboard:
    get:
      operationId: getDashboard
  /api/v1/sales/exports:
    post:
      operationId: "createExport"
"""


class ExplorerOperationsTest(unittest.TestCase):
    def test_reads_operation_ids(self):
        self.assertEqual(explorer_operations.operation_ids(OPENAPI), ["getDashboard", "createExport"])

    def test_every_block_listed_passes(self):
        html = '<div id="operations-Dashboard-getDashboard"></div><div id="operations-Export_jobs-createExport"></div>'
        self.assertEqual(explorer_operations.missing(OPENAPI, html), [])

    def test_a_missing_block_is_named(self):
        html = '<div id="operations-Dashboard-getDashboard"></div><p>createExport</p>'
        self.assertEqual(explorer_operations.missing(OPENAPI, html), ["createExport"])


if __name__ == "__main__":
    unittest.main()
