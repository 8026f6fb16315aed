import unittest
from urllib.parse import parse_qsl, urlsplit

import support
import portrait_upscale_client as pu


class JobRequestTest(unittest.TestCase):
    def test_raw_pixel_query_matches_the_golden_example(self):
        golden = support.fixture("job-query.raw-pixels.json")
        width, height, channels, bit_depth = int(golden["width"]), int(golden["height"]), int(golden["channels"]), int(golden["bitDepth"])
        data = bytes(range(256)) * (width * height * channels * 2 // 256)
        image = pu.RawImage(width, height, channels, bit_depth, data)
        request = pu.build_job_request("tok-123", pu.JobOptions(preset=golden["preset"]), image, color_profile=golden["colorProfile"])

        self.assertEqual(request.method, "POST")
        parts = urlsplit(request.path)
        self.assertEqual(parts.path, "/v1/jobs")
        sent = parse_qsl(parts.query)
        # Same keys in the same order as the golden example; the checksum is the body's own.
        self.assertEqual([key for key, _ in sent], list(golden.keys()))
        expected = dict(golden, crc32=pu.crc32_hex(data))
        self.assertEqual(dict(sent), expected)
        self.assertRegex(dict(sent)["crc32"], r"^[0-9a-f]{8}$")

    def test_headers_carry_the_token_and_the_body_is_the_pixels(self):
        image = pu.RawImage(2, 1, 3, 8, b"\x01\x02\x03\x04\x05\x06")
        request = pu.build_job_request("secret-token", pu.JobOptions(), image, prefix="/base")
        self.assertEqual(request.headers["Authorization"], "Bearer secret-token")
        self.assertEqual(request.headers["Content-Type"], "application/octet-stream")
        self.assertEqual(request.headers["Content-Length"], "6")
        self.assertEqual(request.body, b"\x01\x02\x03\x04\x05\x06")
        self.assertTrue(request.path.startswith("/base/v1/jobs?width=2&height=1&channels=3&bitDepth=8&crc32="))
        self.assertNotIn("preset=", request.path)

    def test_options_follow_the_file_query_example_spelling(self):
        golden = support.fixture("job-query.file.json")
        options = pu.JobOptions(preset=golden["preset"], creativity=0.25000000000000006)
        self.assertEqual(options.query(), [("preset", golden["preset"]), ("creativity", golden["creativity"])])

    def test_procedure_arguments_map_negative_and_zero_to_the_preset(self):
        options = pu.JobOptions.from_arguments("", 0, -1.0, -1.0, -1.0)
        self.assertEqual(options.query(), [])
        options = pu.JobOptions.from_arguments(" portrait-natural ", 4, 0.35000000000000003, 1.0, 0.0)
        self.assertEqual(options.query(), [("preset", "portrait-natural"), ("scale", "4"), ("creativity", "0.35"), ("resemblance", "1"), ("denoise", "0")])

    def test_face_restore_arguments_become_the_query_the_daemon_reads(self):
        options = pu.JobOptions.from_arguments("", 0, -1, -1, -1, "user:faces", 0.35000000000000003)
        self.assertEqual(options.query(), [("faceRestore", "user:faces"), ("faceRestoreStrength", "0.35")])
        self.assertEqual(pu.JobOptions.from_arguments("", 0, -1, -1, -1, "off", -1).query(), [("faceRestore", "off")])
        self.assertEqual(pu.JobOptions.from_arguments("", 0, -1, -1, -1).query(), [])

    def test_face_restore_arguments_are_checked_before_sending(self):
        with self.assertRaises(pu.BridgeError) as caught:
            pu.JobOptions.from_arguments("", 0, -1, -1, -1, "User Faces!", -1)
        self.assertEqual(caught.exception.code, "INVALID_OPTION")
        with self.assertRaises(pu.BridgeError) as caught:
            pu.JobOptions.from_arguments("", 0, -1, -1, -1, "faces", 1.5)
        self.assertEqual(caught.exception.code, "INVALID_OPTION")

    def test_procedure_arguments_refuse_scales_the_daemon_lacks(self):
        with self.assertRaises(pu.BridgeError) as caught:
            pu.JobOptions.from_arguments("", 5, -1, -1, -1)
        self.assertEqual(caught.exception.code, "INVALID_OPTION")
        self.assertEqual(caught.exception.message, "Expected one of 2, 3, 4, 6, 8 (or 0 for the preset's scale) for scale but received 5")

    def test_raw_image_checks_its_length(self):
        with self.assertRaises(pu.BridgeError):
            pu.RawImage(2, 2, 4, 16, b"\x00" * 31)

    def test_daemon_url_must_be_http(self):
        with self.assertRaises(pu.BridgeError) as caught:
            pu.DaemonClient("ftp://127.0.0.1:7421")
        self.assertEqual(caught.exception.code, "INVALID_OPTION")
        client = pu.DaemonClient("http://localhost:9000/")
        self.assertEqual((client.host, client.port, client.prefix), ("localhost", 9000, ""))

    def test_u16_samples_go_out_little_endian(self):
        import sys
        native = (258).to_bytes(2, sys.byteorder) + (65535).to_bytes(2, sys.byteorder)
        self.assertEqual(pu.u16_native_to_little_endian(native), b"\x02\x01\xff\xff")


class RawResultTest(unittest.TestCase):
    def test_reads_the_headers_and_checks_the_crc(self):
        body = bytes(range(24))
        headers = {"X-Image-Width": "2", "X-Image-Height": "2", "X-Image-Channels": "3", "X-Image-Bit-Depth": "16", "X-Image-Crc32": pu.crc32_hex(body)}
        image = pu.raw_result(headers, body)
        self.assertEqual((image.width, image.height, image.channels, image.bit_depth, image.data), (2, 2, 3, 16, body))

    def test_a_wrong_crc_is_checksum_mismatch(self):
        body = bytes(12)
        headers = {"x-image-width": "2", "x-image-height": "2", "x-image-channels": "3", "x-image-bit-depth": "8", "x-image-crc32": "00000000"}
        with self.assertRaises(pu.BridgeError) as caught:
            pu.raw_result(headers, body)
        self.assertEqual(caught.exception.code, "CHECKSUM_MISMATCH")


if __name__ == "__main__":
    unittest.main()
