import json
import unittest

import support
import portrait_upscale_client as pu

BRIDGE_CODES = {"DAEMON_NOT_RUNNING", "DAEMON_INCOMPATIBLE", "DAEMON_BAD_RESPONSE", "TOKEN_MISSING", "IMAGE_UNSUPPORTED"}


class ErrorWordsTest(unittest.TestCase):
    def test_every_daemon_code_has_words_and_nothing_else_is_listed(self):
        codes = support.error_codes()
        self.assertIn("PRESET_LOCKED", codes)
        self.assertEqual(set(pu.ERROR_WORDS) - BRIDGE_CODES, set(codes))
        self.assertFalse(BRIDGE_CODES & set(codes), "a bridge-only code now exists in errors.ts; drop it here")

    def test_daemon_not_running_says_how_to_start_it(self):
        text = pu.describe_error("DAEMON_NOT_RUNNING", "Cannot connect", {"url": "http://127.0.0.1:7421"})
        self.assertEqual(text, "The Portrait Upscale daemon is not running at http://127.0.0.1:7421. "
                               "Start it with: npx portrait-upscale serve [DAEMON_NOT_RUNNING]")

    def test_daemon_messages_are_kept_after_the_words(self):
        text = pu.describe_error("INVALID_OPTION", "Expected one of 2, 3, 4, 6, 8 for query.scale but received 5")
        self.assertEqual(text, "An option has an invalid value. Expected one of 2, 3, 4, 6, 8 for query.scale but received 5. [INVALID_OPTION]")

    def test_unknown_codes_fall_back_to_the_message(self):
        self.assertEqual(pu.describe_error("SOMETHING_NEW", "A newer daemon's error."), "A newer daemon's error. [SOMETHING_NEW]")


class ErrorBodyTest(unittest.TestCase):
    def test_golden_error_body(self):
        golden = support.fixture("error-body.ok.json")
        error = pu.parse_error_body(409, json.dumps(golden).encode())
        self.assertEqual((error.code, error.message, error.data, error.status),
                         ("JOB_NOT_FINISHED", golden["error"]["message"], golden["error"]["data"], 409))

    def test_golden_failed_status_error(self):
        golden = support.fixture("job-status.failed.json")
        with self.assertRaises(pu.BridgeError) as caught:
            pu._final({"type": "failed", "error": golden["error"]}, golden["id"])
        self.assertEqual(caught.exception.code, "OUT_OF_MEMORY")
        self.assertEqual(caught.exception.data, {"tile": 64})

    def test_invalid_golden_error_bodies_are_bad_responses(self):
        for name in support.fixture_names("invalid.error-body."):
            example = support.fixture(name)
            with self.subTest(name=name):
                error = pu.parse_error_body(500, json.dumps(example["value"]).encode())
                self.assertEqual(error.code, "DAEMON_BAD_RESPONSE")

    def test_html_from_another_program_is_a_bad_response(self):
        error = pu.parse_error_body(502, b"<html>Bad gateway</html>")
        self.assertEqual(error.code, "DAEMON_BAD_RESPONSE")
        self.assertIn("HTTP 502", error.message)


if __name__ == "__main__":
    unittest.main()
