"""The dialog's device chooser and the procedure's `device` argument: the entries made from the
daemon's device list (the golden `GET /v1/devices` answer), the argument's range, and the
device reaching the job's and the estimate's query on a live stand-in, which refuses a device
it does not list with DEVICE_UNKNOWN."""

import unittest

import support
import portrait_upscale_client as pu
from fake_daemon import FakeDaemon


class DeviceChoicesTest(unittest.TestCase):
    def test_the_chooser_lists_the_golden_devices_after_the_daemons_default(self):
        devices = support.fixture("devices-response.ok.json")["devices"]
        entries = pu.device_entries(devices)
        self.assertEqual([(nick, label) for nick, label, _ in entries],
                         [("default", "The daemon's default"), ("device-0", "NVIDIA GeForce RTX 4090 · 24 GB (default)"), ("device-1", "NVIDIA RTX A4000 · 16 GB")])
        self.assertEqual([pu.device_from_choice(nick) for nick, _, _ in entries], [-1, 0, 1])
        self.assertEqual(pu.device_from_choice(None), -1)
        self.assertEqual(pu.device_from_choice("device-x"), -1)

    def test_the_chooser_is_left_out_with_fewer_than_two_devices(self):
        self.assertEqual(pu.device_entries([{"id": 0, "provider": "cpu", "name": "CPU", "default": True}]), [])
        self.assertEqual(pu.device_entries([]), [])
        self.assertEqual(pu.device_entries([{"id": "0"}, {"id": True}, "gpu"]), [])

    def test_the_argument_is_the_daemons_default_when_negative_and_sent_otherwise(self):
        self.assertIsNone(pu.JobOptions.from_arguments("", 0, -1, -1, -1).device)
        self.assertEqual(pu.JobOptions.from_arguments("", 0, -1, -1, -1, device=-1).query(), [])
        self.assertEqual(pu.JobOptions.from_arguments("fast-preview", 0, -1, -1, -1, device=1).query(), [("preset", "fast-preview"), ("device", "1")])
        with self.assertRaises(pu.BridgeError) as caught:
            pu.JobOptions.from_arguments("", 0, -1, -1, -1, device=65)
        self.assertEqual(caught.exception.code, "INVALID_OPTION")
        self.assertEqual(caught.exception.data, {"name": "device"})


class DevicesFromDaemonTest(unittest.TestCase):
    def setUp(self):
        self.daemon = FakeDaemon().start()
        self.daemon.devices = support.fixture("devices-response.ok.json")["devices"]
        self.client = pu.DaemonClient(self.daemon.url, self.daemon.token)

    def tearDown(self):
        self.daemon.stop()

    def test_the_client_reads_the_device_list_and_an_older_daemon_has_none(self):
        self.assertEqual([device["id"] for device in self.client.devices()], [0, 1])
        self.daemon.devices = None
        self.assertEqual(self.client.devices(), [])

    def test_the_job_and_its_estimate_carry_the_chosen_device(self):
        options = pu.JobOptions(preset="portrait-natural", device=1)
        self.client.estimate(options, 100, 50)
        self.assertEqual(self.daemon.requests[-1]["query"]["device"], "1")
        job_id = self.client.submit(pu.RawImage(2, 1, 3, 8, b"\x01\x02\x03\x04\x05\x06"), options)
        self.assertTrue(job_id.startswith("j_"))
        self.assertEqual(self.daemon.requests[-1]["query"]["device"], "1")

    def test_a_device_the_daemon_does_not_list_is_refused_in_words(self):
        with self.assertRaises(pu.BridgeError) as caught:
            self.client.submit(pu.RawImage(2, 1, 3, 8, b"\x01\x02\x03\x04\x05\x06"), pu.JobOptions(device=7))
        self.assertEqual(caught.exception.code, "DEVICE_UNKNOWN")
        self.assertTrue(caught.exception.user_message().startswith("The device chosen for the daemon is not on its machine."), caught.exception.user_message())
        self.assertTrue(caught.exception.user_message().endswith("[DEVICE_UNKNOWN]"))
        self.assertEqual(len(self.daemon.jobs), 0)


if __name__ == "__main__":
    unittest.main()
