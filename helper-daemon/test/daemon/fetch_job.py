#!/usr/bin/env python3
"""Runs one job against the daemon with nothing but Python's standard library, the way the
GIMP plug-in does: POST the image, read the NDJSON event stream line by line, fetch the result.

Usage: fetch_job.py BASE_URL TOKEN INPUT OUTPUT QUERY
Prints one JSON object: the number of progress lines seen and the final event.
"""
import json
import sys
import urllib.request


def main() -> int:
    base, token, source, target, query = sys.argv[1:6]
    auth = {"Authorization": "Bearer " + token}
    with open(source, "rb") as handle:
        body = handle.read()
    request = urllib.request.Request(
        base + "/v1/jobs?" + query, data=body, method="POST", headers={**auth, "Content-Type": "image/png"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        job = json.load(response)["id"]
    progress = 0
    final = None
    with urllib.request.urlopen(urllib.request.Request(base + "/v1/jobs/" + job + "/events", headers=auth), timeout=120) as stream:
        for line in stream:
            event = json.loads(line)
            if event["type"] == "progress":
                progress += 1
            else:
                final = event
    with urllib.request.urlopen(urllib.request.Request(base + "/v1/jobs/" + job + "/result", headers=auth), timeout=120) as response:
        with open(target, "wb") as handle:
            handle.write(response.read())
    print(json.dumps({"job": job, "progress": progress, "final": final}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
