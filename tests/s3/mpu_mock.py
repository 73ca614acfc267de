#!/usr/bin/python3
"""MOCK of the two multipart operations s3rver 3.7.1 lacks, in front of a real s3rver.

  mpu_mock.py LISTEN_PORT S3RVER_PORT S3RVER_DATA_DIR LOG_FILE

s3rver answers ListMultipartUploads (GET /bucket?uploads) with 501 NotImplemented
and AbortMultipartUpload (DELETE /bucket/key?uploadId=) with 405 MethodNotAllowed,
yet it keeps each unfinished upload on disk as DATA/<bucket>/._S3rver_uploads/<id>/
(a file "key" holding the object key, and the parts). This proxy answers those two
requests from that folder as S3 does (the listing honours prefix, the abort removes
the upload) and forwards every other request to s3rver unchanged. Each request line
goes to LOG_FILE, so a test can check what the sink asked for (s3_pending uses it
as that logging pass-through alone)."""
import html
import http.client
import os
import shutil
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

listen_port, s3_port, data_dir, log_file = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3],
                                            sys.argv[4])


def uploads_dir(bucket):
    return os.path.join(data_dir, bucket, "._S3rver_uploads")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", ctype="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        parts = url.path.lstrip("/").split("/", 1)
        bucket = urllib.parse.unquote(parts[0])
        key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with open(log_file, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))
        if self.command == "GET" and not key and "uploads" in query:
            return self.list_uploads(bucket, query.get("prefix", [""])[0])
        if self.command == "DELETE" and key and "uploadId" in query:
            return self.abort(bucket, key, query["uploadId"][0])
        conn = http.client.HTTPConnection("127.0.0.1", s3_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    def list_uploads(self, bucket, prefix):
        items = []
        d = uploads_dir(bucket)
        for uid in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, uid, "key")) as f:
                key = f.read()
            if key.startswith(prefix):
                items.append("<Upload><Key>%s</Key><UploadId>%s</UploadId></Upload>"
                             % (html.escape(key), uid))
        xml = ('<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult>'
               "<Bucket>%s</Bucket><Prefix>%s</Prefix><IsTruncated>false</IsTruncated>%s"
               "</ListMultipartUploadsResult>" % (bucket, html.escape(prefix), "".join(items)))
        self.reply(200, xml.encode())

    def abort(self, bucket, key, uid):
        d = os.path.join(uploads_dir(bucket), os.path.basename(uid))
        try:
            with open(os.path.join(d, "key")) as f:
                found = f.read() == key
        except OSError:
            found = False
        if not found:
            return self.reply(404, b"<Error><Code>NoSuchUpload</Code></Error>")
        shutil.rmtree(d)
        self.reply(204)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


ThreadingHTTPServer(("127.0.0.1", listen_port), Handler).serve_forever()
