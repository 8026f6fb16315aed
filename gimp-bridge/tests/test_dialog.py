import unittest

import support
import portrait_upscale_client as pu


class DialogChoicesTest(unittest.TestCase):
    def test_presets_from_the_golden_info_with_locked_ones_marked(self):
        info = support.fixture("info.ok.json")
        entries, selected = pu.preset_entries(info["presets"], info["defaultPreset"])
        self.assertEqual([(nick, label) for nick, label, _ in entries],
                         [("portrait-natural", "Portrait — Natural"), ("studio-catalogue", "Studio — Catalogue 4× (locked)")])
        self.assertEqual(selected, "portrait-natural")

    def test_an_unknown_default_selects_the_first_preset(self):
        presets = support.fixture("presets-response.ok.json")["presets"]
        self.assertEqual(pu.preset_entries(presets, "gone")[1], "portrait-natural")

    def test_no_daemon_offers_only_the_daemons_default(self):
        entries, selected = pu.preset_entries([], None)
        self.assertEqual(selected, "daemon-default")
        self.assertEqual(len(entries), 1)
        self.assertEqual(pu.preset_from_choice(selected), "")
        self.assertEqual(pu.preset_from_choice("studio-catalogue"), "studio-catalogue")

    def test_face_restore_chooser_lists_the_daemons_face_restore_models(self):
        info = support.fixture("info.ok.json")
        entries = pu.face_restore_entries(info["models"])
        self.assertEqual([(nick, label) for nick, label, _ in entries],
                         [("preset", "The preset's"), ("off", "None"), ("user-faces", "faces (the studio's)")])
        self.assertEqual([pu.face_restore_from_choice(nick) for nick, _, _ in entries], ["", "off", "user:faces"])

    def test_face_restore_chooser_is_left_out_when_the_daemon_has_no_face_restore_model(self):
        shipped = [m for m in support.fixture("info.ok.json")["models"] if not m["id"].startswith("user:")]
        self.assertEqual(pu.face_restore_entries(shipped), [])
        self.assertEqual(pu.face_restore_entries([{"id": "user:x2", "name": "x2", "scale": 2, "installed": True, "role": "detail"}]), [])

    def test_scale_choices_map_to_the_scale_argument(self):
        self.assertEqual([pu.scale_from_choice(nick) for nick, _, _ in pu.SCALE_CHOICES], [0, 2, 3, 4, 6, 8])
        self.assertEqual(pu.scale_from_choice("nonsense"), 0)


if __name__ == "__main__":
    unittest.main()


class LimitsTest(unittest.TestCase):
    def setUp(self):
        self.info = support.fixture("info.ok.json")

    def test_the_scale_comes_from_the_option_then_the_preset(self):
        self.assertEqual(pu.check_limits(self.info, 64, 64, pu.JobOptions()), 2)
        self.assertEqual(pu.check_limits(self.info, 64, 64, pu.JobOptions(preset="studio-catalogue")), 4)
        self.assertEqual(pu.check_limits(self.info, 64, 64, pu.JobOptions(scale=8)), 8)

    def test_too_many_input_pixels_are_refused_before_sending(self):
        limit = self.info["limits"]["maxInputPixels"]
        with self.assertRaises(pu.BridgeError) as caught:
            pu.check_limits(self.info, limit + 1, 1, pu.JobOptions())
        self.assertEqual(caught.exception.code, "INPUT_TOO_LARGE")

    def test_too_large_a_result_is_refused_before_sending(self):
        limit = self.info["limits"]["maxOutputPixels"]
        side = int((limit / 64) ** 0.5) + 1
        with self.assertRaises(pu.BridgeError) as caught:
            pu.check_limits(self.info, side, side, pu.JobOptions(scale=8))
        self.assertEqual(caught.exception.code, "OUTPUT_TOO_LARGE")

    def test_an_unknown_preset_is_named(self):
        with self.assertRaises(pu.BridgeError) as caught:
            pu.check_limits(self.info, 8, 8, pu.JobOptions(preset="nope"))
        self.assertEqual(caught.exception.code, "PRESET_UNKNOWN")
        self.assertIn("portrait-natural, studio-catalogue", caught.exception.message)
