import json
import unittest

import support
import portrait_upscale_client as pu


def line(value):
    return (json.dumps(value) + "\n").encode("utf-8")


class EventParsingTest(unittest.TestCase):
    def test_every_golden_job_event_parses(self):
        names = support.fixture_names("job-event.")
        self.assertGreaterEqual(len(names), 4)
        for name in names:
            golden = support.fixture(name)
            with self.subTest(name=name):
                self.assertEqual(pu.parse_event_line(line(golden)), golden)

    def test_golden_daemon_progress_messages_parse_as_events(self):
        for name in support.fixture_names("daemon.progress"):
            golden = support.fixture(name)
            with self.subTest(name=name):
                self.assertEqual(pu.parse_event_line(line(golden))["fraction"], golden["fraction"])

    def test_invalid_golden_events_are_refused(self):
        names = support.fixture_names("invalid.job-event.") + support.fixture_names("invalid.daemon.progress")
        self.assertGreaterEqual(len(names), 2)
        for name in names:
            example = support.fixture(name)
            with self.subTest(name=name):
                with self.assertRaises(pu.BridgeError) as caught:
                    pu.parse_event_line(line(example["value"]))
                self.assertEqual(caught.exception.code, "DAEMON_BAD_RESPONSE")

    def test_blank_lines_and_unknown_types_are_skipped(self):
        self.assertIsNone(pu.parse_event_line(b"\n"))
        self.assertIsNone(pu.parse_event_line(line({"type": "heartbeat"})))

    def test_broken_json_is_a_bad_response(self):
        with self.assertRaises(pu.BridgeError) as caught:
            pu.parse_event_line(b"{not json\n")
        self.assertEqual(caught.exception.code, "DAEMON_BAD_RESPONSE")

    def test_progress_text_names_stage_tile_and_time_left(self):
        golden = support.fixture("job-event.progress.json")
        self.assertEqual(pu.progress_text(golden), "Portrait Upscale: Finding faces…")
        upscale = dict(golden, stage="upscale", tile=2, tiles=8, etaSeconds=75.4)
        self.assertEqual(pu.progress_text(upscale), "Portrait Upscale: Upscaling (tile 3 of 8, about 1 min 15 s left)")


class FinalEventTest(unittest.TestCase):
    def test_failed_event_raises_its_code(self):
        for name, code in (("job-event.failed.json", "CANCELLED"),):
            with self.assertRaises(pu.BridgeError) as caught:
                pu._final(support.fixture(name), "j_7f3a")
            self.assertEqual(caught.exception.code, code)

    def test_cancelled_event_raises_cancelled(self):
        with self.assertRaises(pu.BridgeError) as caught:
            pu._final(support.fixture("job-event.cancelled.json"), "j_7f3a")
        self.assertEqual(caught.exception.code, "CANCELLED")

    def test_done_event_is_returned(self):
        golden = support.fixture("job-event.done.json")
        self.assertEqual(pu._final(golden, "j_7f3a")["result"]["width"], 2560)


if __name__ == "__main__":
    unittest.main()


class ResultNotesTest(unittest.TestCase):
    def test_golden_notes_in_words_from_the_status_and_the_done_event(self):
        for name in ("job-status.done-with-notes.json", "job-event.done-with-notes.json"):
            result = support.fixture(name)["result"]
            with self.subTest(name=name):
                self.assertEqual(
                    pu.note_lines(result),
                    [pu.NOTE_WORDS["SMALL_FACE"], pu.NOTE_WORDS["SPECULATIVE_SCALE"]],
                )
                message = pu.result_message(result)
                self.assertTrue(message.startswith("Portrait Upscale: done. Please note:\n• The face is small in the source"))
                self.assertEqual(message.count("\n• "), 2)

    def test_done_event_with_notes_parses_and_keeps_them(self):
        golden = support.fixture("job-event.done-with-notes.json")
        self.assertEqual(pu.parse_event_line(line(golden))["result"]["notes"], golden["result"]["notes"])

    def test_no_message_without_notes_or_from_a_daemon_that_predates_them(self):
        self.assertNotIn("notes", support.fixture("job-status.done.json")["result"])
        self.assertIsNone(pu.result_message(support.fixture("job-status.done.json")["result"]))
        self.assertIsNone(pu.result_message(dict(support.fixture("job-event.done.json")["result"], notes=[])))
        self.assertIsNone(pu.result_message(None))

    def test_unknown_codes_show_the_daemons_words_and_every_known_code_has_words(self):
        result = {"notes": [{"code": "NOTICE", "message": "The GPU ran out of memory; the CPU finished the job."}, "not a note"]}
        self.assertEqual(pu.note_lines(result), ["The GPU ran out of memory; the CPU finished the job."])
        for code in ("NO_FACE", "SMALL_FACE", "SPECULATIVE_SCALE", "FIDELITY_ONLY", "GRAIN_KEPT", "CLEANED", "FACES_RESTORED", "MESH_FALLBACK", "HAIRLINE_FALLBACK"):
            self.assertGreater(len(pu.NOTE_WORDS[code]), 20)
