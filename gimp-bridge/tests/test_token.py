import os
import tempfile
import unittest

import support  # noqa: F401 - sets the import path
import portrait_upscale_client as pu


class ConfigDirTest(unittest.TestCase):
    def test_override_wins_everywhere(self):
        for platform in ("linux", "win32", "darwin"):
            self.assertEqual(pu.config_dir({"PORTRAIT_UPSCALE_CONFIG_DIR": "/x/y"}, platform, "/home/u"), "/x/y")

    def test_linux_uses_xdg_config_home_then_dot_config(self):
        self.assertEqual(pu.config_dir({}, "linux", "/home/u"), "/home/u/.config/portrait-upscale")
        self.assertEqual(pu.config_dir({"XDG_CONFIG_HOME": "/xdg"}, "linux", "/home/u"), "/xdg/portrait-upscale")
        self.assertEqual(pu.token_path({}, "linux", "/home/u"), "/home/u/.config/portrait-upscale/token")

    def test_windows_uses_appdata(self):
        self.assertEqual(pu.token_path({"APPDATA": r"C:\Users\u\AppData\Roaming"}, "win32", r"C:\Users\u"),
                         r"C:\Users\u\AppData\Roaming\portrait-upscale\token")
        self.assertEqual(pu.config_dir({}, "win32", r"C:\Users\u"), r"C:\Users\u\AppData\Roaming\portrait-upscale")

    def test_macos_uses_application_support(self):
        self.assertEqual(pu.config_dir({}, "darwin", "/Users/u"), "/Users/u/Library/Application Support/portrait-upscale")


class ReadTokenTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "token")

    def tearDown(self):
        self.dir.cleanup()

    def test_reads_and_trims_the_daemon_token_file(self):
        with open(self.path, "w", encoding="utf-8") as handle:
            handle.write("abcDEF_123-xyz\n")
        self.assertEqual(pu.read_token(self.path), "abcDEF_123-xyz")

    def test_missing_file_is_token_missing_with_the_path(self):
        with self.assertRaises(pu.BridgeError) as caught:
            pu.read_token(self.path)
        self.assertEqual(caught.exception.code, "TOKEN_MISSING")
        self.assertEqual(caught.exception.data["path"], self.path)
        words = caught.exception.user_message()
        self.assertIn("npx portrait-upscale serve", words)
        self.assertIn(self.path, words)

    def test_empty_file_is_token_missing(self):
        open(self.path, "w").close()
        with self.assertRaises(pu.BridgeError) as caught:
            pu.read_token(self.path)
        self.assertEqual(caught.exception.code, "TOKEN_MISSING")


if __name__ == "__main__":
    unittest.main()
