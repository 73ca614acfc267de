#!/usr/bin/env python3
"""Compare what the capture sink recorded with PostgreSQL's COPY text output.

  pgrows.py snapshot JOURNAL TABLE COPYFILE   S rows of TABLE == the COPY rows
  pgrows.py state REPLAYOUT TABLE COPYFILE    capture-replay's final rows == the COPY rows
  pgrows.py lastcommit JOURNAL                hex position of the last complete C record

Rows are compared as multisets of value tuples after undoing each format's
escapes (journal: tests/plugins/journal.h; COPY: PostgreSQL's text format), so
every byte of every value counts. Differences are printed column by column.
"""
import sys

JOURNAL_ESC = {'t': b'\t', 'n': b'\n', 'r': b'\r', '\\': b'\\', '0': b'\0'}
COPY_ESC = {'b': b'\b', 'f': b'\f', 'n': b'\n', 'r': b'\r', 't': b'\t', 'v': b'\v'}
UNCHANGED = 'UNCHANGED'


def journal_value(field):
    if field == b'\\N':
        return None
    if field == b'\\U':
        return UNCHANGED
    out, i = bytearray(), 0
    while i < len(field):
        c = field[i:i + 1]
        if c == b'\\' and i + 1 < len(field):
            e = field[i + 1:i + 2].decode('latin-1')
            if e not in JOURNAL_ESC:
                raise ValueError('bad journal escape \\%s in %r' % (e, field))
            out += JOURNAL_ESC[e]
            i += 2
        else:
            out += c
            i += 1
    return bytes(out)


def copy_value(field):
    if field == b'\\N':
        return None
    out, i = bytearray(), 0
    while i < len(field):
        c = field[i:i + 1]
        if c != b'\\' or i + 1 == len(field):
            out += c
            i += 1
            continue
        e = field[i + 1:i + 2]
        i += 2
        s = e.decode('latin-1')
        if s in COPY_ESC:
            out += COPY_ESC[s]
        elif s in '01234567':
            digits = s
            while len(digits) < 3 and i < len(field) and field[i:i + 1] in b'01234567':
                digits += field[i:i + 1].decode()
                i += 1
            out.append(int(digits, 8) & 0xff)
        elif s == 'x' and i < len(field) and field[i:i + 1] in b'0123456789abcdefABCDEF':
            digits = field[i:i + 1].decode()
            i += 1
            if i < len(field) and field[i:i + 1] in b'0123456789abcdefABCDEF':
                digits += field[i:i + 1].decode()
                i += 1
            out.append(int(digits, 16))
        else:
            out += e
    return bytes(out)


def lines(path):
    with open(path, 'rb') as f:
        data = f.read()
    if not data:
        return []
    return data.split(b'\n')[:-1] if data.endswith(b'\n') else data.split(b'\n')


def journal_rows(path, kind, table):
    rows = []
    for line in lines(path):
        f = line.split(b'\t')
        if f[0] == kind and len(f) >= 2 and f[1] == table:
            rows.append(tuple(journal_value(v) for v in f[2:]))
    return rows


def replay_rows(path, table):
    rows = []
    for line in lines(path):
        f = line.split(b'\t')
        if f[0] == table:
            rows.append(tuple(journal_value(v) for v in f[1:]))
    return rows


def copy_rows(path):
    return [tuple(copy_value(v) for v in line.split(b'\t')) for line in lines(path)]


def key(row):
    return tuple((0, b'') if v is None else (1, v if isinstance(v, bytes) else v.encode())
                 for v in row)


def compare(got, want, what):
    got, want = sorted(got, key=key), sorted(want, key=key)
    if got == want:
        print('%s: %d rows identical' % (what, len(got)))
        return 0
    print('%s: %d rows received, %d expected' % (what, len(got), len(want)), file=sys.stderr)
    shown = 0
    for g, w in zip(got, want):
        if g != w and shown < 5:
            shown += 1
            print('  row differs:', file=sys.stderr)
            for i in range(max(len(g), len(w))):
                gv = g[i] if i < len(g) else '(missing)'
                wv = w[i] if i < len(w) else '(missing)'
                if gv != wv:
                    print('    column %d: got %r, expected %r' % (i + 1, gv, wv), file=sys.stderr)
    extra = set(got) - set(want)
    missing = set(want) - set(got)
    for r in list(extra)[:3]:
        print('  unexpected row: %r' % (r,), file=sys.stderr)
    for r in list(missing)[:3]:
        print('  missing row: %r' % (r,), file=sys.stderr)
    return 1


def last_commit(path):
    pos = ''
    with open(path, 'rb') as f:
        data = f.read()
    complete = data[:data.rfind(b'\n') + 1]  # a torn last line is not a record yet
    for line in complete.split(b'\n'):
        f = line.split(b'\t')
        if f[0] == b'C' and len(f) >= 3:
            pos = f[2].decode()
    print(pos)
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == 'lastcommit':
        return last_commit(argv[2])
    if len(argv) != 5 or argv[1] not in ('snapshot', 'state'):
        print(__doc__, file=sys.stderr)
        return 2
    table = argv[3].encode()
    want = copy_rows(argv[4])
    if argv[1] == 'snapshot':
        got = journal_rows(argv[2], b'S', table)
    else:
        got = replay_rows(argv[2], table)
    return compare(got, want, argv[3])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
