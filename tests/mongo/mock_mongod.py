#!/usr/bin/python3
"""A scripted MongoDB server for the source-mongo tests: a MOCK, not MongoDB.

No MongoDB server can be installed on this machine (PROTOCOL-FACTS 3.4), so
the tests run libmongoc (sluice) and pymongo (mg.py, writing the tests' data)
against this script, which speaks the wire protocol
(OP_QUERY for the legacy handshake, OP_MSG for everything else) and plays a
one-member replica set (or a standalone server) holding the documents of a
state file. It answers what source-mongo sends: hello / isMaster, ping,
buildInfo, listDatabases, listCollections, count, find / getMore / killCursors
(filter on _id ranges, $in and $and, sort on _id or $natural, skip, limit,
projection of _id), aggregate with $collStats (count; storageStats computed
from the documents' BSON sizes) and with $changeStream (resumeAfter,
startAfter, startAtOperationTime) and getMore returning the change events of
an events file, endSessions. It also takes writes as a client such as
pymongo sends them (mock_writes.py): insert, update ($set, $unset, $inc, $pop
of the last element, a replacement), delete, drop, renameCollection, create,
and multi-document transactions (startTransaction, commitTransaction,
abortTransaction); they change the documents and append the change events a
real server's change stream returns. Every command is logged as one JSON
line, so tests can check what the client sent.

  mock_mongod.py serve STATE EVENTS PORTFILE LOG   listen on a free port, write it to PORTFILE
  mock_mongod.py event EVENTS JSON                 append a change event (Extended JSON, without
                                                   _id and clusterTime: those are made here)

STATE (Extended JSON): {"setName": "rs0" or null, "version": "7.0.2" (buildInfo's),
  "dbs": {"db": {"coll": [documents]}} (an oplog: "local": {"oplog.rs": [{"ts": ...}]}),
  "fail": {"commandName": {"code": 13, "codeName": "Unauthorized", "errmsg": "...",
           optional "stage": "$changeStream" (only aggregates of that first stage),
           optional "ns": "db.coll" (only commands on that collection)}}}
Each write, transaction or scripted event commits at the next second after the last event:
clusterTime Timestamp(t, 1), t from BASE_T + 1 on; the events of one transaction share it.
An event's resume token _data starts, as the server's do, with 82, then t and i in hex,
then the event's index in its transaction (0 outside one), so tokens order as events do.
A resume token not in the events file gets error 286 ChangeStreamHistoryLost.
An update event is stored without fullDocument; a stream that asked for
fullDocument "updateLookup" gets the document as it is when the event is read
(null if gone), as from a server. Scripted events are returned as written.
"""
import copy
import datetime
import hashlib
import os
import socketserver
import struct
import sys
import threading
import time

import bson
from bson import json_util
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from bson.int64 import Int64
from bson.timestamp import Timestamp

import mock_writes
from mock_query import matches, value_key

BASE_T = 1700001000
OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
LOCK = threading.Lock()
# UUIDs (a session's lsid) stay BSON subtype 4 on the wire and in the events file
CODEC = CodecOptions(uuid_representation=UuidRepresentation.STANDARD)
JSON = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL,
                             uuid_representation=UuidRepresentation.STANDARD)
LOG_JSON = json_util.JSONOptions(uuid_representation=UuidRepresentation.STANDARD)
# a session's uid is the SHA-256 of its user name; the tests log in as no one
ANONYMOUS_UID = hashlib.sha256(b"").digest()


def token(t, i, op_index=0):
    return {"_data": "82%08X%08X2B02%04X29296E04" % (t, i, op_index)}


def load_events(path):
    events = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    events.append(json_util.loads(line, json_options=JSON))
    return events


def last_time(events):
    return events[-1]["clusterTime"] if events else Timestamp(BASE_T, 0)


def commit_events(path, events, session=None):
    """Appends the events of one commit (a write, a transaction, a scripted
    event) at the next cluster time; a transaction's carry its session
    (lsid, txnNumber) as a server's do."""
    with LOCK:
        t = last_time(load_events(path)).time + 1
        with open(path, "a") as f:
            for k, ev in enumerate(events):
                full = {"_id": token(t, 1, k)}
                full.update(ev)
                full["clusterTime"] = Timestamp(t, 1)
                full.setdefault("wallTime", datetime.datetime.fromtimestamp(t, datetime.timezone.utc))
                if session:
                    full.update(session)
                f.write(json_util.dumps(full, json_options=JSON) + "\n")


class Server:
    def __init__(self, state_path, events_path, log_path):
        with open(state_path) as f:
            self.state = json_util.loads(f.read(), json_options=JSON)
        self.state.setdefault("dbs", {})
        self.events_path = events_path
        self.log = open(log_path, "a")
        self.cursors = {}
        self.txns = {}  # lsid id -> the open transaction of that session
        self.docs_lock = threading.Lock()  # a lookup never sees a write half done
        self.next_cursor = 1000
        self.port = 0

    def now(self):
        return last_time(load_events(self.events_path))

    def reply(self, body):
        body = dict(body)
        if self.state.get("setName"):
            body["operationTime"] = self.now()
        return body

    def error(self, code, name, msg, labels=None):
        e = {"ok": 0.0, "errmsg": msg, "code": code, "codeName": name}
        if labels:
            e["errorLabels"] = labels
        return self.reply(e)

    def hello(self):
        me = "127.0.0.1:%d" % self.port
        r = {"helloOk": True, "isWritablePrimary": True, "ismaster": True,
             "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000,
             "maxWriteBatchSize": 100000, "localTime": datetime.datetime.now(datetime.timezone.utc),
             "logicalSessionTimeoutMinutes": 30, "connectionId": 1, "minWireVersion": 0,
             "maxWireVersion": 17, "readOnly": False, "ok": 1.0}
        if self.state.get("setName"):
            r.update({"setName": self.state["setName"], "setVersion": 1, "hosts": [me],
                      "primary": me, "me": me, "secondary": False})
        return self.reply(r)

    def new_cursor(self, ns, kind, items, pos, batch):
        cid = self.next_cursor
        self.next_cursor += 1
        self.cursors[cid] = {"ns": ns, "kind": kind, "items": items, "pos": pos}
        return cid

    def docs_batch(self, cid, n, first):
        c = self.cursors[cid]
        items = c["items"][c["pos"]:c["pos"] + n]
        c["pos"] += len(items)
        done = c["pos"] >= len(c["items"])
        if done:
            del self.cursors[cid]
        key = "firstBatch" if first else "nextBatch"
        return self.reply({"cursor": {"id": Int64(0 if done else cid), "ns": c["ns"], key: items},
                           "ok": 1.0})

    def stream_batch(self, cid, n, first, wait_ms):
        c = self.cursors[cid]
        items = []
        if not first:
            deadline = time.time() + min(wait_ms, 300) / 1000.0
            while True:
                events = load_events(self.events_path)
                items = events[c["pos"]:c["pos"] + n]
                if items or time.time() >= deadline:
                    break
                time.sleep(0.05)
        c["pos"] += len(items)
        if c["spec"].get("fullDocument") == "updateLookup":
            for ev in items:
                self.look_up(ev)
        if items:
            pbrt = items[-1]["_id"]
        elif c["pos"] > 0:
            pbrt = load_events(self.events_path)[c["pos"] - 1]["_id"]
        else:
            pbrt = c["start_token"]
        key = "firstBatch" if first else "nextBatch"
        return self.reply({"cursor": {"id": Int64(cid), "ns": c["ns"], key: items,
                                      "postBatchResumeToken": pbrt}, "ok": 1.0})

    def look_up(self, ev):
        """An update event's document as it is now, as the server looks it up;
        scripted events keep the fullDocument they were written with."""
        if ev["operationType"] != "update" or "fullDocument" in ev:
            return
        with self.docs_lock:
            docs = self.state["dbs"].get(ev["ns"]["db"], {}).get(ev["ns"]["coll"], [])
            ev["fullDocument"] = next((d for d in docs if d["_id"] == ev["documentKey"]["_id"]),
                                      None)

    def change_stream(self, cmd, db, spec):
        events = load_events(self.events_path)
        pos = len(events)
        start = spec.get("resumeAfter") or spec.get("startAfter")
        if start is not None:
            found = [k for k, e in enumerate(events) if e["_id"] == start]
            if not found:
                return self.error(286, "ChangeStreamHistoryLost",
                                  "Executor error during aggregate command on namespace: "
                                  "admin.$cmd.aggregate :: caused by :: Resume of change stream "
                                  "was not possible, as the resume point may no longer be in "
                                  "the oplog.")
            pos = found[0] + 1
        elif "startAtOperationTime" in spec:
            at = spec["startAtOperationTime"]
            pos = next((k for k, e in enumerate(events) if e["clusterTime"] >= at), len(events))
        cid = self.new_cursor("%s.$cmd.aggregate" % db, "stream", None, pos, 0)
        self.cursors[cid]["spec"] = spec
        self.cursors[cid]["start_token"] = events[-1]["_id"] if events else token(BASE_T, 0)
        return self.stream_batch(cid, 0, True, 0)

    def command(self, cmd):
        name = next(iter(cmd))
        db = cmd.get("$db", "admin")
        fail = self.state.get("fail", {}).get(name)
        stages = cmd.get("pipeline") or [{}]
        if fail and fail.get("stage") and fail["stage"] not in stages[0]:
            fail = None  # this failure is for another aggregation stage
        if fail and fail.get("ns") and fail["ns"] != "%s.%s" % (db, cmd[name]):
            fail = None  # ... or another collection
        if fail:
            return self.error(fail["code"], fail.get("codeName", ""), fail.get("errmsg", ""))
        if name in mock_writes.WRITES or name in ("commitTransaction", "abortTransaction"):
            return self.write(name, db, cmd)
        dbs = self.transaction(cmd)["dbs"] if "txnNumber" in cmd and "autocommit" in cmd \
            else self.state["dbs"]
        lname = name.lower()
        if lname in ("hello", "ismaster"):
            return self.hello()
        if name in ("ping", "endSessions", "buildInfo", "buildinfo"):
            return self.reply({"ok": 1.0, "version": self.state.get("version", "7.0.0-mock")})
        if name == "listDatabases":
            return self.reply({"databases": [{"name": d, "sizeOnDisk": 1, "empty": False}
                                             for d in dbs], "ok": 1.0})
        if name == "listCollections":
            batch = [{"name": c, "type": "collection", "options": {}, "info": {"readOnly": False}}
                     for c in dbs.get(db, {})]
            return self.reply({"cursor": {"id": Int64(0), "ns": db + ".$cmd.listCollections",
                                          "firstBatch": batch}, "ok": 1.0})
        if name == "count":
            return self.reply({"n": len(dbs.get(db, {}).get(cmd["count"], [])), "ok": 1.0})
        if name == "find":
            docs = [d for d in dbs.get(db, {}).get(cmd["find"], [])
                    if matches(d, cmd.get("filter", {}))]
            sort = cmd.get("sort", {})
            if sort.get("$natural", 1) < 0:  # stored order is insertion order
                docs.reverse()
            if "_id" in sort:
                docs.sort(key=lambda d: value_key(d["_id"]), reverse=sort["_id"] < 0)
            docs = docs[cmd.get("skip", 0):]
            if cmd.get("limit"):
                docs = docs[:abs(cmd["limit"])]
            if cmd.get("projection") == {"_id": 1}:
                docs = [{"_id": d["_id"]} for d in docs]
            cid = self.new_cursor("%s.%s" % (db, cmd["find"]), "docs", docs, 0, 0)
            return self.docs_batch(cid, cmd.get("batchSize", 101), True)
        if name == "getMore":
            cid = int(cmd["getMore"])
            if cid not in self.cursors:
                return self.error(43, "CursorNotFound", "cursor id %d not found" % cid)
            n = cmd.get("batchSize", 1000)
            if self.cursors[cid]["kind"] == "stream":
                return self.stream_batch(cid, n, False, cmd.get("maxTimeMS", 1000))
            return self.docs_batch(cid, n, False)
        if name == "killCursors":
            for cid in cmd.get("cursors", []):
                self.cursors.pop(int(cid), None)
            return self.reply({"cursorsKilled": cmd.get("cursors", []), "ok": 1.0})
        if name == "aggregate":
            stages = cmd.get("pipeline", [])
            if stages and "$changeStream" in stages[0]:
                if not self.state.get("setName"):
                    return self.error(40573, "Location40573",
                                      "The $changeStream stage is only supported on replica sets")
                return self.change_stream(cmd, db, stages[0]["$changeStream"])
            if stages and "storageStats" in stages[0].get("$collStats", {}):
                docs = dbs.get(db, {}).get(cmd["aggregate"], [])
                size = sum(len(bson.encode(d)) for d in docs)
                stats = {"size": size, "count": len(docs), "storageSize": size // 2,
                         "avgObjSize": size // len(docs) if docs else 0}
                return self.reply({"cursor": {"id": Int64(0), "ns": db + "." + cmd["aggregate"],
                                              "firstBatch": [{"ns": db + "." + cmd["aggregate"],
                                                              "storageStats": stats}]},
                                   "ok": 1.0})
            if stages and "$collStats" in stages[0]:
                n = len(dbs.get(db, {}).get(cmd["aggregate"], []))
                return self.reply({"cursor": {"id": Int64(0), "ns": db + "." + cmd["aggregate"],
                                              "firstBatch": [{"_id": 1, "n": n}]}, "ok": 1.0})
        return self.error(59, "CommandNotFound", "no such command: '%s' (mock server)" % name)

    def transaction(self, cmd):
        """The session's transaction: a copy of the documents that its writes
        change, and their events; startTransaction opens a new one."""
        lsid = cmd["lsid"]["id"]
        if cmd.get("startTransaction"):
            self.txns[lsid] = {"txnNumber": cmd["txnNumber"], "events": [],
                               "dbs": copy.deepcopy(self.state["dbs"])}
        txn = self.txns.get(lsid)
        if not txn or txn["txnNumber"] != cmd["txnNumber"]:
            raise mock_writes.Unsupported("no open transaction %d for this session"
                                          % cmd["txnNumber"])
        return txn

    def write(self, name, db, cmd):
        """A write outside a transaction commits at once; inside one, it
        changes the transaction's copy, and commitTransaction makes the copy
        the documents (tests write one at a time) and commits the events,
        with the session's lsid and txnNumber; abortTransaction drops it."""
        try:
            with self.docs_lock:
                return self.write_locked(name, db, cmd)
        except mock_writes.Unsupported as e:
            return self.error(115, "CommandNotSupported",
                              "%s: %s is not played by the mock server" % (name, e))

    def write_locked(self, name, db, cmd):
        in_txn = "txnNumber" in cmd and "autocommit" in cmd
        if not in_txn:
            reply, events = mock_writes.WRITES[name](self.state["dbs"], db, cmd)
            if events:
                commit_events(self.events_path, events)
            return self.reply(reply)
        txn = self.transaction(cmd)
        if name == "commitTransaction":
            del self.txns[cmd["lsid"]["id"]]
            self.state["dbs"] = txn["dbs"]
            session = {"lsid": {"id": cmd["lsid"]["id"], "uid": ANONYMOUS_UID},
                       "txnNumber": Int64(cmd["txnNumber"])}
            if txn["events"]:
                commit_events(self.events_path, txn["events"], session)
            return self.reply({"ok": 1.0})
        if name == "abortTransaction":
            del self.txns[cmd["lsid"]["id"]]
            return self.reply({"ok": 1.0})
        reply, events = mock_writes.WRITES[name](txn["dbs"], db, cmd)
        txn["events"] += events
        return self.reply(reply)

    def handle(self, cmd):
        with LOCK:
            self.log.write(json_util.dumps(cmd, json_options=LOG_JSON) + "\n")
            self.log.flush()
        return self.command(cmd)


def cstring(data, off):
    end = data.index(b"\0", off)
    return data[off:end].decode(), end + 1


class Handler(socketserver.BaseRequestHandler):
    def read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def send(self, request_id, opcode, payload):
        head = struct.pack("<iiii", 16 + len(payload), request_id + 1, request_id, opcode)
        self.request.sendall(head + payload)

    def handle(self):
        srv = self.server.mock
        try:
            while True:
                length, request_id, _, opcode = struct.unpack("<iiii", self.read(16))
                data = self.read(length - 16)
                if opcode == OP_QUERY:
                    _, off = cstring(data, 4)
                    off += 8
                    size = struct.unpack_from("<i", data, off)[0]
                    cmd = bson.decode(data[off:off + size], CODEC)
                    if "$query" in cmd:
                        cmd = cmd["$query"]
                    body = bson.encode(srv.handle(cmd), codec_options=CODEC)
                    self.send(request_id, OP_REPLY, struct.pack("<iqii", 0, 0, 0, 1) + body)
                elif opcode == OP_MSG:
                    flags = struct.unpack_from("<I", data, 0)[0]
                    off, cmd, end = 4, None, len(data) - (4 if flags & 1 else 0)
                    while off < end:
                        kind = data[off]
                        off += 1
                        size = struct.unpack_from("<i", data, off)[0]
                        if kind == 0:
                            cmd = bson.decode(data[off:off + size], CODEC)
                        else:  # document sequence: identifier, documents
                            ident, doc_off = cstring(data, off + 4)
                            docs = []
                            while doc_off < off + size:
                                dsize = struct.unpack_from("<i", data, doc_off)[0]
                                docs.append(bson.decode(data[doc_off:doc_off + dsize], CODEC))
                                doc_off += dsize
                            cmd[ident] = docs
                        off += size
                    body = bson.encode(srv.handle(cmd), codec_options=CODEC)
                    if not flags & 2:  # moreToCome: no reply
                        self.send(request_id, OP_MSG, struct.pack("<IB", 0, 0) + body)
                else:
                    return
        except (EOFError, ConnectionError):
            return


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    if sys.argv[1] == "event":
        commit_events(sys.argv[2], [json_util.loads(sys.argv[3], json_options=JSON)])
        return
    _, _, state, events, portfile, log = sys.argv
    mock = Server(state, events, log)
    server = TCPServer(("127.0.0.1", 0), Handler)
    server.mock = mock
    mock.port = server.server_address[1]
    with open(portfile + ".tmp", "w") as f:
        f.write(str(mock.port))
    os.rename(portfile + ".tmp", portfile)
    print("mock MongoDB server (not MongoDB) listening on 127.0.0.1:%d" % mock.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
