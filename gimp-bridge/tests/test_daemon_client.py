"""The client against a live stand-in daemon on 127.0.0.1: real sockets, real HTTP, real NDJSON."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

import support
import portrait_upscale_client as pu
from fake_daemon import FakeDaemon, nearest_neighbour


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gradient(width, height, channels, bit_depth):
    size = width * height * channels * (bit_depth // 8)
    return bytes((index * 37 + index // 7) % 256 for index in range(size))


class ClientRoundTripTest(unittest.TestCase):
    def setUp(self):
        self.daemon = FakeDaemon().start()
        self.client = pu.DaemonClient(self.daemon.url, self.daemon.token)

    def tearDown(self):
        self.daemon.stop()

    def run_job(self, image, options):
        seen = []
        job_id = self.client.submit(image, options)
        done = pu.wait_for_job(self.client, job_id, seen.append, poll_interval=0.05)
        return job_id, done, seen, self.client.result(job_id)

    def test_health_and_info(self):
        self.assertEqual(self.client.health()["protocol"], 1)
        self.assertEqual(self.client.info()["defaultPreset"], "portrait-natural")
        self.assertEqual([p["id"] for p in self.client.presets()], ["portrait-natural", "fast-preview", "studio-house-look"])

    def test_8_bit_rgba_round_trip_with_progress(self):
        data = gradient(5, 3, 4, 8)
        job_id, done, seen, result = self.run_job(pu.RawImage(5, 3, 4, 8, data), pu.JobOptions(scale=2))
        self.assertEqual(done["type"], "done")
        self.assertEqual([e["stage"] for e in seen], ["decode", "faces", "upscale", "upscale"])
        self.assertEqual((result.width, result.height, result.channels, result.bit_depth), (10, 6, 4, 8))
        self.assertEqual(result.data, nearest_neighbour(data, 5, 3, 4, 1, 2))
        sent = self.daemon.requests[0]
        self.assertEqual(sent["method"], "POST")
        self.assertEqual(sent["headers"]["Authorization"], "Bearer " + self.daemon.token)
        self.assertEqual(sent["query"]["scale"], "2")
        self.assertEqual(sent["body"], data)

    def test_16_bit_grey_round_trip(self):
        data = gradient(3, 2, 1, 16)
        _, _, _, result = self.run_job(pu.RawImage(3, 2, 1, 16, data), pu.JobOptions(scale=3))
        self.assertEqual((result.width, result.height, result.bit_depth), (9, 6, 16))
        self.assertEqual(result.data, nearest_neighbour(data, 3, 2, 1, 2, 3))

    def test_release_frees_the_finished_job(self):
        job_id, _, _, _ = self.run_job(pu.RawImage(1, 1, 3, 8, b"abc"), pu.JobOptions(scale=2))
        self.client.release(job_id)
        self.assertEqual(self.daemon.requests[-1]["method"], "DELETE")

    def test_polling_takes_over_when_the_event_stream_is_missing(self):
        self.daemon.no_events = True
        _, done, _, result = self.run_job(pu.RawImage(2, 2, 3, 8, gradient(2, 2, 3, 8)), pu.JobOptions(scale=2))
        self.assertEqual(done["type"], "done")
        self.assertEqual(result.width, 4)

    def test_wrong_token_is_auth_invalid(self):
        client = pu.DaemonClient(self.daemon.url, "not-the-token", token_file="/somewhere/token")
        with self.assertRaises(pu.BridgeError) as caught:
            client.info()
        self.assertEqual(caught.exception.code, "AUTH_INVALID")
        self.assertEqual(caught.exception.status, 401)
        self.assertIn("/somewhere/token", caught.exception.user_message())

    def test_locked_preset_refuses_overrides(self):
        with self.assertRaises(pu.BridgeError) as caught:
            self.client.submit(pu.RawImage(1, 1, 3, 8, b"abc"), pu.JobOptions(preset="studio-house-look", creativity=0.5))
        self.assertEqual(caught.exception.code, "PRESET_LOCKED")
        self.assertIn("locked", caught.exception.user_message())

    def test_daemon_error_codes_come_through(self):
        self.daemon.fail_with = (429, "TOO_MANY_JOBS", "Too many jobs are queued for this client.", {"limit": 4})
        with self.assertRaises(pu.BridgeError) as caught:
            self.client.submit(pu.RawImage(1, 1, 3, 8, b"abc"), pu.JobOptions())
        self.assertEqual((caught.exception.code, caught.exception.status, caught.exception.data), ("TOO_MANY_JOBS", 429, {"limit": 4}))

    def test_a_failed_job_raises_its_code(self):
        self.daemon.fail_job_with = {"code": "OUT_OF_MEMORY", "message": "Ran out of memory even with the smallest tile."}
        job_id = self.client.submit(pu.RawImage(1, 1, 3, 8, b"abc"), pu.JobOptions())
        with self.assertRaises(pu.BridgeError) as caught:
            pu.wait_for_job(self.client, job_id, lambda event: None)
        self.assertEqual(caught.exception.code, "OUT_OF_MEMORY")

    def test_a_damaged_result_is_checksum_mismatch(self):
        self.daemon.corrupt_result = True
        with self.assertRaises(pu.BridgeError) as caught:
            self.run_job(pu.RawImage(1, 1, 3, 8, b"abc"), pu.JobOptions(scale=2))
        self.assertEqual(caught.exception.code, "CHECKSUM_MISMATCH")

    def test_another_program_is_incompatible(self):
        self.daemon.protocol = 2
        with self.assertRaises(pu.BridgeError) as caught:
            self.client.health()
        self.assertEqual(caught.exception.code, "PROTOCOL_VERSION_MISMATCH")


class DaemonDownTest(unittest.TestCase):
    def test_nothing_listening_is_daemon_not_running(self):
        url = "http://127.0.0.1:%d" % free_port()
        with self.assertRaises(pu.BridgeError) as caught:
            pu.DaemonClient(url).health()
        self.assertEqual(caught.exception.code, "DAEMON_NOT_RUNNING")
        self.assertEqual(caught.exception.user_message(),
                         "The Portrait Upscale daemon is not running at %s. Start it with: npx portrait-upscale serve [DAEMON_NOT_RUNNING]" % url)


@unittest.skipIf(os.name == "nt", "SIGKILL is POSIX")
class CancelOnExitTest(unittest.TestCase):
    """GIMP's Cancel kills the plug-in; the watchdog must still cancel the job on the daemon."""

    def setUp(self):
        self.daemon = FakeDaemon().start()
        self.daemon.stall = True
        self.client = pu.DaemonClient(self.daemon.url, self.daemon.token)

    def tearDown(self):
        self.daemon.stop()

    def wait_for_state(self, job_id, state):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.daemon.jobs[job_id].state == state:
                return True
            time.sleep(0.05)
        return False

    def test_a_killed_plug_in_cancels_its_job(self):
        job_id = self.client.submit(pu.RawImage(1, 1, 3, 8, b"abc"), pu.JobOptions())
        script = (
            "import sys, time; sys.path.insert(0, %r)\n"
            "import portrait_upscale_client as pu\n"
            "guard = pu.CancelOnExit(pu.DaemonClient(%r, %r), %r)\n"
            "print('ready', guard.process is not None, flush=True)\n"
            "time.sleep(60)\n"
        ) % (support.PLUGIN_DIR, self.daemon.url, self.daemon.token, job_id)
        plug_in = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        self.assertEqual(plug_in.stdout.readline().strip(), b"ready True")
        plug_in.send_signal(signal.SIGKILL)
        plug_in.wait()
        plug_in.stdout.close()
        self.assertTrue(self.wait_for_state(job_id, "cancelled"), "the watchdog did not cancel the job")
        delete = [r for r in self.daemon.requests if r["method"] == "DELETE"]
        self.assertEqual(delete[0]["path"], "/v1/jobs/" + job_id)
        self.assertEqual(delete[0]["headers"]["Authorization"], "Bearer " + self.daemon.token)

    def test_a_released_guard_leaves_the_job_alone(self):
        job_id = self.client.submit(pu.RawImage(1, 1, 3, 8, b"abc"), pu.JobOptions())
        guard = pu.CancelOnExit(self.client, job_id)
        self.assertIsNotNone(guard.process)
        process = guard.process
        guard.release()
        self.assertEqual(process.returncode, 0)
        self.assertEqual([r for r in self.daemon.requests if r["method"] == "DELETE"], [])
        self.client.cancel(job_id)


if __name__ == "__main__":
    unittest.main()
