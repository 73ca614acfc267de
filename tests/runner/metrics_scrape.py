#!/usr/bin/env python3
"""Scrapes a sluice /metrics endpoint and checks the exposition strictly.

usage: metrics_scrape.py URL OUT.json
Writes {"name{labels}": value, ...} (labels sorted) to OUT.json; exits 1 with the
offending line when the text breaks the Prometheus text format 0.0.4 as sluice
promises it: every family has HELP then TYPE before its samples, every sample
line is name{labels} value with a known family, label values escaped."""
import json
import re
import sys
import urllib.request

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(r'^(%s)\{((?:%s)(?:,%s)*)?\} (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)$'
                    % (NAME, LABEL, LABEL))


def fail(msg):
    print("metrics: " + msg, file=sys.stderr)
    sys.exit(1)


def parse(text):
    helped, typed, seen_samples, samples = set(), {}, set(), {}
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            if name in helped or name in seen_samples:
                fail("HELP repeated or after samples: " + line)
            helped.add(name)
        elif line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge"):
                fail("bad TYPE line: " + line)
            if parts[2] not in helped or parts[2] in typed:
                fail("TYPE without HELP before it, or repeated: " + line)
            typed[parts[2]] = parts[3]
        else:
            m = SAMPLE.match(line)
            if not m:
                fail("not a sample line: %r" % line)
            name = m.group(1)
            if name not in typed:
                fail("sample before its HELP and TYPE: " + line)
            if typed[name] == "counter" and not name.endswith("_total"):
                fail("counter without _total: " + line)
            if not name.startswith("sluice_"):
                fail("name without the sluice_ prefix: " + line)
            seen_samples.add(name)
            labels = re.findall(LABEL, m.group(2) or "")
            key = name + "{" + ",".join('%s="%s"' % kv for kv in sorted(labels)) + "}"
            if key in samples:
                fail("duplicate sample: " + line)
            samples[key] = float(m.group(m.lastindex))
    if not text.endswith("\n"):
        fail("the text does not end with a line feed")
    return samples, typed


def main():
    url, out = sys.argv[1], sys.argv[2]
    with urllib.request.urlopen(url, timeout=10) as r:
        ctype = r.headers.get("Content-Type", "")
        if not ctype.startswith("text/plain; version=0.0.4"):
            fail("Content-Type is %r" % ctype)
        text = r.read().decode("utf-8")
    samples, typed = parse(text)
    with open(out, "w") as f:
        json.dump({"samples": samples, "types": typed}, f)


main()
