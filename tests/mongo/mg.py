#!/usr/bin/python3
"""Writes to the tests' MongoDB server, mock or real, as a user would: through
pymongo (Debian's python3-pymongo 3.11). Documents, filters and updates are
Extended JSON.

  mg.py URI ping                     exits 0 once the server answers
  mg.py URI initiate                 replSetInitiate of a one-member replica set rs0 (a real
                                     mongod --replSet rs0), then waits until it is primary
  mg.py URI load STATE               the documents of a state file (mock_mongod.py's format;
                                     its "local" database, "fail" and "version" are the mock's)
  mg.py URI insert DB COLL DOC       insert_one
  mg.py URI update DB COLL FILTER UPDATE    update_one with update operators
  mg.py URI replace DB COLL FILTER DOC      replace_one
  mg.py URI delete DB COLL FILTER    delete_one
  mg.py URI drop DB COLL             drop_collection
  mg.py URI rename DB COLL NEWNAME   renameCollection within DB
  mg.py URI create DB COLL           create_collection
  mg.py URI txn [--abort]            one transaction of the operations on stdin, one a line
                                     ("insert DB COLL DOC", ...), committed (or aborted)
"""
import json
import sys
import time

import pymongo
from bson import json_util
from bson.binary import UuidRepresentation

JSON = json_util.JSONOptions(uuid_representation=UuidRepresentation.STANDARD)


def run(client, op, db, coll, *args, session=None):
    c = client[db][coll]
    doc = [json_util.loads(a, json_options=JSON) for a in args if op != "rename"]
    if op == "insert":
        c.insert_one(doc[0], session=session)
    elif op == "update":
        c.update_one(doc[0], doc[1], session=session)
    elif op == "replace":
        c.replace_one(doc[0], doc[1], session=session)
    elif op == "delete":
        c.delete_one(doc[0], session=session)
    elif op == "drop":
        client[db].drop_collection(coll, session=session)
    elif op == "rename":
        c.rename(args[0], session=session)
    elif op == "create":
        client[db].create_collection(coll, session=session)
    else:
        sys.exit("mg.py: unknown operation %r" % op)


def split_line(line):
    """"OP DB COLL" then JSON values, as separate arguments."""
    op, db, coll, rest = (line.split(None, 3) + [""])[:4]
    args, dec = [], json.JSONDecoder()
    rest = rest.strip()
    while rest:
        _, end = dec.raw_decode(rest)
        args.append(rest[:end])
        rest = rest[end:].strip()
    return [op, db, coll] + args


def load(client, path):
    with open(path) as f:
        state = json_util.loads(f.read(), json_options=JSON)
    for db, colls in state.get("dbs", {}).items():
        if db == "local":
            continue
        for coll, docs in colls.items():
            if docs:
                client[db][coll].insert_many(docs)
            else:
                client[db].create_collection(coll)


def initiate(client, uri):
    host = uri.split("//", 1)[1].split("/", 1)[0]
    client.admin.command("replSetInitiate", {"_id": "rs0", "members": [{"_id": 0, "host": host}]})
    for _ in range(600):
        if client.admin.command("isMaster").get("ismaster"):
            return
        time.sleep(0.1)
    sys.exit("mg.py: no primary after 60 s")


def main():
    uri, op = sys.argv[1], sys.argv[2]
    client = pymongo.MongoClient(uri, document_class=dict,
                                 uuidRepresentation="standard")
    if op == "ping":
        client.admin.command("ping")
    elif op == "initiate":
        initiate(client, uri)
    elif op == "load":
        load(client, sys.argv[3])
    elif op == "txn":
        ops = [split_line(l) for l in sys.stdin if l.strip()]
        with client.start_session() as s:
            s.start_transaction()
            for args in ops:
                run(client, *args, session=s)
            if "--abort" in sys.argv[3:]:
                s.abort_transaction()
            else:
                s.commit_transaction()
    else:
        run(client, op, *sys.argv[3:])
    client.close()


if __name__ == "__main__":
    main()
