#!/usr/bin/python3
"""s3_sigv4_botocore: re-sign every request test_sigv4 captured (as the local
listener received it) with botocore's S3SigV4Auth, Debian's python3-botocore,
and require the same signature, the same signed headers, and a payload hash
that is the SHA-256 of the body received. s3rver does not check SigV4
signatures, so this is the proof that sink-s3's requests are signed right."""
import hashlib
import json
import re
import sys

try:
    import botocore
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:
    sys.exit("FAIL: python3-botocore is not installed (scripts/deps.sh installs it)")

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")

def verify(rec):
    method, target, _ = rec["line"].split(" ")
    headers = {k.lower(): v for k, v in rec["headers"]}
    body = bytes.fromhex(rec["body_hex"])
    m = AUTH_RE.match(headers["authorization"])
    if not m:
        return "Authorization header not understood: " + headers["authorization"]
    key_id, _, region, service, signed, signature = m.groups()
    if hashlib.sha256(body).hexdigest() != headers.get("x-amz-content-sha256"):
        return "x-amz-content-sha256 is not the SHA-256 of the body sent"
    if "x-amz-content-sha256" not in signed.split(";"):
        return "x-amz-content-sha256 is not signed"
    # botocore signs every header it is given: give it those libcurl signed.
    req = AWSRequest(method=method, url="http://" + headers["host"] + target, data=body,
                     headers={h: headers[h] for h in signed.split(";")})
    req.context["timestamp"] = headers["x-amz-date"]
    auth = S3SigV4Auth(Credentials(key_id, SECRET), service, region)
    theirs_signed = auth.signed_headers(auth.headers_to_sign(req))
    canonical = auth.canonical_request(req)
    theirs = auth.signature(auth.string_to_sign(req, canonical), req)
    if theirs_signed != signed:
        return "signed headers differ: libcurl %s, botocore %s" % (signed, theirs_signed)
    if theirs != signature:
        return "signature differs: libcurl %s, botocore %s\ncanonical request:\n%s" % (
            signature, theirs, canonical)
    return None

def main():
    records = [json.loads(line) for line in open(sys.argv[1])]
    if not records:
        sys.exit("FAIL: no captured requests")
    failed = 0
    for rec in records:
        problem = verify(rec)
        print("%s %s: %s" % ("FAIL" if problem else "ok", rec["name"],
                             problem or "botocore %s agrees" % botocore.__version__))
        failed += problem is not None
    print("%d passed, %d failed" % (len(records) - failed, failed))
    sys.exit(1 if failed else 0)

main()
