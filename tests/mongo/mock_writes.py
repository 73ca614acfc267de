"""The write commands of the MOCK MongoDB server (mock_mongod.py): each one
changes the documents of a dbs dict ({"db": {"coll": [documents]}}) and
returns the reply and the change events a real server's change stream would
return for it (the shapes of the server's "Change Events" documentation, 5.0
and later; _id, clusterTime and wallTime are added when they are committed).

Only what the tests send is played; anything else is an error that says
"mock server", never a silent no-op.
"""
import bson
from bson.int64 import Int64
from bson.objectid import ObjectId

from mock_query import matches, same_value, value_key


class Unsupported(Exception):
    """A write the mock does not play: the reply says so."""


def event(op, db, coll, **fields):
    ev = {"operationType": op, "ns": {"db": db, "coll": coll}}
    ev.update(fields)
    return ev


def error(code, name, msg):
    return {"ok": 0.0, "errmsg": msg, "code": code, "codeName": name}


def insert(dbs, db, cmd):
    name = cmd["insert"]
    docs = dbs.setdefault(db, {}).setdefault(name, [])  # a write creates its collection
    events = []
    for k, doc in enumerate(cmd.get("documents", [])):
        if "_id" not in doc:  # drivers add one; the server would too
            doc = dict([("_id", ObjectId())] + list(doc.items()))
        if any(value_key(d["_id"]) == value_key(doc["_id"]) for d in docs):
            return {"n": k, "writeErrors": [{"index": k, "code": 11000, "errmsg":
                    "E11000 duplicate key error collection: %s.%s index: _id_ (mock server)"
                    % (db, name)}], "ok": 1.0}, events
        docs.append(doc)
        events.append(event("insert", db, name, fullDocument=doc,
                            documentKey={"_id": doc["_id"]}))
    return {"n": len(events), "ok": 1.0}, events


def modify(doc, spec):
    """doc after the update operators of spec, and the updateDescription a
    server of 5.0 or later reports for them (its $v:2 oplog diff)."""
    new = dict(doc)
    updated, removed, truncated = {}, [], []
    for op, fields in spec.items():
        for field, arg in fields.items():
            if "." in field:
                raise Unsupported("dotted path %r" % field)
            if op == "$set":
                if field not in doc or not same_value(doc[field], arg):
                    new[field] = updated[field] = arg
            elif op == "$unset":
                if field in new:
                    del new[field]
                    removed.append(field)
            elif op == "$inc":
                new[field] = updated[field] = add(doc.get(field, 0), arg)
            elif op == "$pop" and arg == 1 and isinstance(doc.get(field), list) and doc[field]:
                new[field] = doc[field][:-1]
                truncated.append({"field": field, "newSize": len(new[field])})
            else:
                raise Unsupported("%s of %r" % (op, field))
    return new, {"updatedFields": updated, "removedFields": removed, "truncatedArrays": truncated}


def add(a, b):
    """$inc: a double if either is one, else a long if either is one or the sum needs it."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a + b)
    if isinstance(a, Int64) or isinstance(b, Int64) or not -2**31 <= a + b < 2**31:
        return Int64(a + b)
    return a + b


def update(dbs, db, cmd):
    name = cmd["update"]
    docs = dbs.get(db, {}).get(name, [])
    matched = modified = 0
    events = []
    for u in cmd.get("updates", []):
        if u.get("upsert"):
            raise Unsupported("upsert")
        spec = u["u"]
        for k, doc in enumerate(docs):
            if not matches(doc, u.get("q", {})):
                continue
            matched += 1
            if any(f.startswith("$") for f in spec):
                new, desc = modify(doc, spec)
                ev = event("update", db, name, documentKey={"_id": doc["_id"]},
                           updateDescription=desc)
            else:  # a replacement keeps the _id
                new = dict([("_id", doc["_id"])] + [(f, v) for f, v in spec.items() if f != "_id"])
                ev = event("replace", db, name, fullDocument=new, documentKey={"_id": doc["_id"]})
            if bson.encode(new) != bson.encode(doc):  # a no-op writes nothing, so no event
                docs[k] = new
                modified += 1
                events.append(ev)
            if not u.get("multi"):
                break
    return {"n": matched, "nModified": modified, "ok": 1.0}, events


def delete(dbs, db, cmd):
    name = cmd["delete"]
    docs = dbs.get(db, {}).get(name, [])
    events = []
    for d in cmd.get("deletes", []):
        gone = [doc for doc in docs if matches(doc, d.get("q", {}))]
        if d.get("limit"):
            gone = gone[:1]
        for doc in gone:
            docs.remove(doc)
            events.append(event("delete", db, name, documentKey={"_id": doc["_id"]}))
    return {"n": len(events), "ok": 1.0}, events


def drop(dbs, db, cmd):
    name = cmd["drop"]
    if name not in dbs.get(db, {}):
        return error(26, "NamespaceNotFound", "ns not found"), []
    del dbs[db][name]
    if not dbs[db]:  # a database without collections is gone
        del dbs[db]
    return {"ns": "%s.%s" % (db, name), "nIndexesWas": 1, "ok": 1.0}, [event("drop", db, name)]


def rename(dbs, db, cmd):
    (fdb, fcoll), (tdb, tcoll) = (ns.split(".", 1) for ns in (cmd["renameCollection"], cmd["to"]))
    if fcoll not in dbs.get(fdb, {}):
        return error(26, "NamespaceNotFound", "Source collection %s does not exist"
                     % cmd["renameCollection"]), []
    if tcoll in dbs.get(tdb, {}) and not cmd.get("dropTarget"):
        return error(48, "NamespaceExists", "target namespace exists"), []
    dbs.setdefault(tdb, {})[tcoll] = dbs[fdb].pop(fcoll)
    if not dbs[fdb]:
        del dbs[fdb]
    return {"ok": 1.0}, [event("rename", fdb, fcoll, to={"db": tdb, "coll": tcoll})]


def create(dbs, db, cmd):
    """No event: a stream without showExpandedEvents (source-mongo's) sees none."""
    if cmd["create"] in dbs.get(db, {}):
        return error(48, "NamespaceExists", "Collection %s.%s already exists."
                     % (db, cmd["create"])), []
    dbs.setdefault(db, {})[cmd["create"]] = []
    return {"ok": 1.0}, []


WRITES = {"insert": insert, "update": update, "delete": delete, "drop": drop,
          "renameCollection": rename, "create": create}
