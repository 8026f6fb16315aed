"""The estimate the dialog and the progress text show: the words (the same table as the CLI's
and the panel's), the daemon's answer checked, and the dialog's line against a live stand-in."""

import json
import os
import tempfile
import unittest

import support
import portrait_upscale_client as pu
from fake_daemon import FakeDaemon


class DescribeDurationTest(unittest.TestCase):
    def test_the_same_words_as_the_cli_and_the_panel(self):
        # The table of helper-daemon/src/cost/cost-model.test.ts (shared/src/duration.ts).
        for seconds, words in ((3, "a few seconds"), (42, "about 40 s"), (170, "about 3 min"), (3600, "about 1 h"), (4800, "about 1 h 20 min"), (47.5, "about 50 s")):
            with self.subTest(seconds=seconds):
                self.assertEqual(pu.describe_duration(seconds), words)


class EstimateAnswerTest(unittest.TestCase):
    def test_the_golden_estimate_parses_and_reads_as_words(self):
        golden = support.fixture("estimate.ok.json")
        estimate = pu.parse_estimate(golden)
        self.assertEqual(estimate, golden)
        self.assertEqual(pu.estimate_text(estimate), "about 3 min on CPU")
        self.assertEqual(pu.estimate_text(dict(estimate, calibrated=False)), "about 3 min on CPU (uncalibrated)")

    def test_a_malformed_answer_is_a_bad_response(self):
        for broken in ({"seconds": -1, "provider": "cpu", "calibrated": True}, {"seconds": 3, "provider": "", "calibrated": True}, {"seconds": 3, "provider": "cpu"}):
            with self.subTest(broken=broken):
                with self.assertRaises(pu.BridgeError) as caught:
                    pu.parse_estimate(broken)
                self.assertEqual(caught.exception.code, "DAEMON_BAD_RESPONSE")


class ProgressWithEstimateTest(unittest.TestCase):
    def test_a_progress_without_tiles_shows_the_time_left_from_the_estimate(self):
        golden = support.fixture("daemon.progress-with-estimate.json")
        self.assertNotIn("tiles", golden)
        self.assertEqual(pu.parse_event_line((json.dumps(golden) + "\n").encode()), golden)
        self.assertEqual(pu.progress_text(golden), "Portrait Upscale: Finding faces (about 2 min 31 s left)")


class EstimateFromDaemonTest(unittest.TestCase):
    def setUp(self):
        self.daemon = FakeDaemon().start()
        self.folder = tempfile.TemporaryDirectory()
        self.token_file = os.path.join(self.folder.name, "token")
        with open(self.token_file, "w") as handle:
            handle.write(self.daemon.token)

    def tearDown(self):
        self.daemon.stop()
        self.folder.cleanup()

    def test_the_client_asks_with_the_jobs_parameters_and_the_layers_size(self):
        client = pu.DaemonClient(self.daemon.url, self.daemon.token)
        estimate = client.estimate(pu.JobOptions(preset="portrait-natural", scale=4, creativity=0.35), 1000, 500)
        self.assertEqual(estimate["seconds"], 120)
        request = self.daemon.requests[-1]
        self.assertEqual(request["path"], "/v1/estimate")
        self.assertEqual(request["query"], {"preset": "portrait-natural", "scale": "4", "creativity": "0.35", "width": "1000", "height": "500"})

    def test_the_dialogs_line_follows_the_settings(self):
        line = pu.estimate_line(self.daemon.url, pu.JobOptions(scale=2), 1000, 500, self.token_file)
        self.assertEqual(line, "Estimate: about 1 min on CPU (uncalibrated)")
        self.assertEqual(pu.estimate_line(self.daemon.url, pu.JobOptions(scale=8), 1000, 500, self.token_file), "Estimate: about 4 min on CPU (uncalibrated)")

    def test_the_dialogs_line_says_why_there_is_no_estimate_and_never_raises(self):
        locked = pu.estimate_line(self.daemon.url, pu.JobOptions(preset="studio-house-look", scale=4), 10, 10, self.token_file)
        self.assertTrue(locked.startswith("Estimate unavailable: "), locked)
        self.assertIn("locked", locked)
        self.daemon.stop()
        gone = pu.estimate_line(self.daemon.url, pu.JobOptions(scale=2), 10, 10, self.token_file)
        self.assertTrue(gone.startswith("Estimate unavailable: "), gone)


if __name__ == "__main__":
    unittest.main()
