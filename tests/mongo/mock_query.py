"""How the MOCK MongoDB server (mock_mongod.py) compares and filters
documents: _id ranges, $in and $and, equality, as source-mongo's reads and
the tests' writes use them."""
import bson


def value_key(v):
    """Orders _id values of one type; numbers together, as MongoDB does."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v)
    return (1, str(type(v)), v)


def same_value(a, b):
    """Equal in value and BSON type: what makes a $set a no-op."""
    return bson.encode({"v": a}) == bson.encode({"v": b})


def matches(doc, flt):
    for field, cond in flt.items():
        if field == "$and":
            if not all(matches(doc, f) for f in cond):
                return False
            continue
        v = doc.get(field)
        if isinstance(cond, dict) and any(k.startswith("$") for k in cond):
            for op, arg in cond.items():
                if op == "$in":
                    if not any(value_key(v) == value_key(x) for x in arg):
                        return False
                    continue
                a, b = value_key(v), value_key(arg)
                if a[:-1] != b[:-1]:
                    return False  # type bracketing: ranges hold within one type
                ok = {"$gte": a >= b, "$gt": a > b, "$lt": a < b, "$lte": a <= b,
                      "$eq": a == b}.get(op, True)
                if not ok:
                    return False
        elif v != cond:
            return False
    return True
