"""`make package`'s size goal (infra/bootstrap_sizes.py): a bootstrap one
byte over it fails the run, one at it passes."""

import contextlib
import io
import os
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import bootstrap_sizes  # noqa: E402


def bootstrap_zip(directory, name, size):
    path = os.path.join(directory, f"{name}.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bootstrap", b"\0" * size)
    return path


class GoalTest(unittest.TestCase):
    def run_main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = bootstrap_sizes.main(list(args))
        return code, out.getvalue(), err.getvalue()

    def test_at_the_goal_passes_and_one_byte_over_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            at = bootstrap_zip(tmp, "at", bootstrap_sizes.GOAL_BYTES)
            over = bootstrap_zip(tmp, "over", bootstrap_sizes.GOAL_BYTES + 1)
            code, out, _ = self.run_main(f"payments={at}")
            self.assertEqual(code, 0)
            self.assertIn("| payments | 8.00 MB (8,000,000 bytes) |", out)
            code, out, err = self.run_main(f"payments={at}", f"export-api={over}")
            self.assertEqual(code, 1)
            self.assertIn("| export-api | 8.00 MB (8,000,001 bytes) (over the 8,000,000-byte goal) |", out)
            self.assertIn("export-api", err)
            self.assertNotIn("payments", err)

    def test_the_goal_is_a_setting(self):
        with tempfile.TemporaryDirectory() as tmp:
            small = bootstrap_zip(tmp, "small", 1000)
            self.assertEqual(self.run_main("--goal", "999", f"rollup={small}")[0], 1)
            self.assertEqual(self.run_main("--goal", "1000", f"rollup={small}")[0], 0)

    def test_a_missing_zip_is_an_error_not_a_pass(self):
        code, _, err = self.run_main("rollup=/nonexistent/bootstrap.zip")
        self.assertEqual(code, 2)
        self.assertIn("bootstrap_sizes:", err)


if __name__ == "__main__":
    unittest.main()
