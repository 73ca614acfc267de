#!/usr/bin/python3
"""Reads back what sink-s3 wrote to a bucket, through botocore's S3 client,
and prints the final rows of every table in generator-expect's format
("schema.table<TAB>values", COPY text escaping, NULL as \\N, tables in name
order, rows by their first column as an integer).

  s3_replay.py ENDPOINT BUCKET FOLDER [--format csv|jsonl] [--gzip] [--no-sup TEXT]
               [--header] [--load-op] [--ts]

LOAD files are read first, then change files in checkpoint order: each change
file's name carries (from, to) position hashes, and the rolls must chain from
the start to the checkpoint object's position, each range once. A gap, a fork
or a range written twice fails: that is the exactly-once check. An update's
column equal to --no-sup TEXT (csvNoSupValue) keeps the row's previous value.
CSV written with addColumnName (--header: each file's first line, which must
begin with Op in change files and, with --load-op, in LOAD files),
includeOpForFullLoad (--load-op: LOAD rows begin with I) or timestampColumnName
(--ts: the field after Op is yyyy-MM-dd HH:mm:ss.SSSSSS) is checked for those
and read without them. With --header, rows are matched by column name: a
table's files may have different column layouts (a column added or dropped
mid-stream; every row of a file must have its header's fields), and the table is
printed in the layout of its last file, a column a row never had as NULL. The
files of one table in one roll (one per layout, names ending -001, -002, ...)
are read in that order."""
import gzip
import hashlib
import json
import re
import sys

import botocore.session
from botocore.config import Config

args = sys.argv[1:]
endpoint, bucket, folder = args[0], args[1], args[2].strip("/")
fmt = args[args.index("--format") + 1] if "--format" in args else "csv"
use_gzip = "--gzip" in args
no_sup = args[args.index("--no-sup") + 1] if "--no-sup" in args else None
has_header, load_op, has_ts = "--header" in args, "--load-op" in args, "--ts" in args
TS_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
UNCHANGED = object()

def fail(msg):
    sys.exit("s3_replay: " + msg)

client = botocore.session.get_session().create_client(
    "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="S3RVER",
    aws_secret_access_key="S3RVER", config=Config(s3={"addressing_style": "path"}))

def list_keys(prefix):
    keys, token = [], None
    while True:
        kw = {"Bucket": bucket, "Prefix": prefix}
        if token:
            kw["ContinuationToken"] = token
        page = client.list_objects_v2(**kw)
        keys += [o["Key"] for o in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return keys
        token = page["NextContinuationToken"]

def read(key):
    data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    if use_gzip:
        if data[:2] != b"\x1f\x8b":
            fail("object %s is not gzip" % key)
        data = gzip.decompress(data)
    return data.decode("utf-8")

def parse_csv(text):
    """DMS CSV: ',' fields, quoted when needed; an unquoted empty field is NULL."""
    rows, row, i, n = [], [], 0, len(text)
    while i < n:
        if text[i] == '"':
            j, val = i + 1, []
            while True:
                k = text.index('"', j)
                val.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    val.append('"')
                    j = k + 2
                else:
                    i = k + 1
                    break
            value = "".join(val)
            if no_sup is not None and value == no_sup:
                value = UNCHANGED
        else:
            k = i
            while k < n and text[k] not in ",\n":
                k += 1
            value = text[i:k] if k > i else None
            if no_sup is not None and value == no_sup:
                value = UNCHANGED
            i = k
        row.append(value)
        if i >= n or text[i] == "\n":
            rows.append(row)
            row = []
        i += 1
    return rows

def strip_extras(rows, key, is_load, columns_of, table):
    """Checks and removes the header line, the LOAD files' Op and the timestamp;
    with a header, records the file's column names as the table's layout."""
    with_op = not is_load or load_op
    if has_header:
        if not rows:
            fail("%s: no header line" % key)
        head = rows.pop(0)
        if with_op and head[0] != "Op":
            fail("%s: header %r does not begin with Op" % (key, head))
        names = head[(1 if with_op else 0) + (1 if has_ts else 0):]
        columns_of[table] = names
        for row in rows:
            if len(row) != len(head):
                fail("%s: row %r has not the %d fields of header %r" % (key, row, len(head), head))
    out = []
    for row in rows:
        if is_load and load_op:
            if row[0] != "I":
                fail("%s: LOAD row %r does not begin with I" % (key, row))
            row = row[1:]
        if has_ts:
            at = 0 if is_load else 1  # LOAD rows: their Op is already gone
            if not isinstance(row[at], str) or not TS_RE.match(row[at]):
                fail("%s: no timestamp in field %d of %r" % (key, at + 1, row))
            row = row[:at] + row[at + 1:]
        out.append(row)
    return out

def parse(text, columns_of, table, key, is_load):
    if fmt == "csv":
        return strip_extras(parse_csv(text), key, is_load, columns_of, table)
    rows = []
    for line in text.splitlines():
        obj = json.loads(line)
        cols = columns_of.setdefault(table, [k for k in obj if k != "Op"])
        row = [obj["Op"]] if "Op" in obj else []
        for c in cols:
            v = obj.get(c, UNCHANGED)
            row.append(v if v is None or v is UNCHANGED else str(v))
        rows.append(row)
    return rows

ck_keys = [k for k in list_keys(folder + "/_sluice/") if k.endswith(".json")]
end = None  # a full load alone writes no checkpoint object
if len(ck_keys) > 1:
    fail("expected one checkpoint object, found %s" % ck_keys)
if ck_keys:
    ck = json.loads(client.get_object(Bucket=bucket, Key=ck_keys[0])["Body"].read())
    if ck.get("pending"):
        fail("checkpoint has pending objects %s" % ck["pending"])
    end = hashlib.sha256(bytes.fromhex(ck["position"])).hexdigest()[:16]

tables, loads, changes = {}, {}, {}
cdc_re = re.compile(r"(\d{8}-\d{10})-([0-9a-f]{16})-([0-9a-f]{16})(?:-(\d{3}))?\.")
for key in list_keys(folder + "/"):
    rel = key[len(folder) + 1:]
    if rel.startswith("_sluice/"):
        continue
    schema, table, rest = rel.split("/", 2)
    name = schema + "." + table
    base = rest.rsplit("/", 1)[-1]
    if base.startswith("LOAD"):
        loads.setdefault(name, []).append(key)
        continue
    m = cdc_re.match(base)
    if not m:
        fail("unexpected object %s" % key)
    changes.setdefault((m.group(2), m.group(3)), []).append((name, int(m.group(4) or 0), key))

# the rolls chain from the first "from" to the checkpoint, each range once
starts = {f for f, _ in changes}
ends = {t for _, t in changes}
order, cur = [], None
heads = starts - ends
if changes:
    if end is None:
        fail("change files but no checkpoint object")
    if len(heads) != 1:
        fail("change files do not form one chain (starts %s)" % sorted(heads))
    cur = heads.pop()
    nexts = {}
    for f, t in changes:
        if f in nexts:
            fail("two rolls start at %s: a range was written twice" % f)
        nexts[f] = t
    while cur in nexts:
        order.append((cur, nexts[cur]))
        cur = nexts[cur]
    if len(order) != len(changes):
        fail("change files that are not on the chain")
    if cur != end:
        fail("the last roll ends at %s, the checkpoint is at %s" % (cur, end))

columns_of = {}

def named(vals, name):
    """With --header a row is a dict by column name, else the list as it is."""
    if not has_header or fmt != "csv":
        return vals
    return dict(zip(columns_of[name], vals))

for name, keys in loads.items():
    t = tables.setdefault(name, {})
    for key in sorted(keys):
        for row in parse(read(key), columns_of, name, key, True):
            if int(row[0]) in t:
                fail("%s: id %s loaded twice" % (key, row[0]))
            t[int(row[0])] = named(row, name)
for rng in order:
    segments = {}
    for name, seg, key in sorted(changes[rng]):
        segments.setdefault(name, []).append(seg)
    for name, segs in segments.items():
        if segs != [0] and segs != list(range(1, len(segs) + 1)):
            fail("%s: files of one roll numbered %s, not 1, 2, ..." % (name, segs))
    for name, seg, key in sorted(changes[rng]):
        t = tables.setdefault(name, {})
        for row in parse(read(key), columns_of, name, key, False):
            op, vals = row[0], named(row[1:], name)
            rid = int(vals["id"] if isinstance(vals, dict) else vals[0])
            if op == "I":
                if rid in t:
                    fail("%s: insert of id %d twice" % (key, rid))
                t[rid] = vals
            elif op == "U":
                old = t.get(rid)
                if old is None:
                    fail("%s: update of missing id %d" % (key, rid))
                if isinstance(vals, dict):
                    t[rid] = {c: old.get(c) if v is UNCHANGED else v for c, v in vals.items()}
                else:
                    t[rid] = [o if v is UNCHANGED else v for v, o in zip(vals, old)]
            elif op == "D":
                if rid not in t:
                    fail("%s: delete of missing id %d" % (key, rid))
                del t[rid]
            else:
                fail("%s: unknown Op %r" % (key, op))

def esc(v):
    if v is None:
        return "\\N"
    return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

for name in sorted(tables):
    for rid in sorted(tables[name]):
        row = tables[name][rid]
        if isinstance(row, dict):  # in the table's last layout
            row = [row.get(c) for c in columns_of[name]]
        print(name + "\t" + "\t".join(esc(v) for v in row))
