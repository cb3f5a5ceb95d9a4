#!/usr/bin/env python3
"""One signed JD Cloud OpenAPI call (JDCLOUD2-HMAC-SHA256), for tests that
change the emulator's world the way a person in the console would.

    jdcall.py METHOD SERVICE REGION PATH ['JSON-BODY']
    e.g. jdcall.py PATCH bgw cn-north-1 /v1/regions/cn-north-1/connections/dc-1 '{"description":"x"}'

Endpoint and credentials come from DCFORM_JDCLOUD_ENDPOINT,
JDCLOUD_ACCESS_KEY and JDCLOUD_SECRET_KEY.  Prints the response body;
exits 1 on an HTTP error."""
import hashlib, hmac, json, os, sys, time, urllib.error, urllib.request, uuid

method, service, region, path = sys.argv[1:5]
body = sys.argv[5] if len(sys.argv) > 5 else ""
endpoint = os.environ["DCFORM_JDCLOUD_ENDPOINT"].rstrip("/")
ak, sk = os.environ["JDCLOUD_ACCESS_KEY"], os.environ["JDCLOUD_SECRET_KEY"]
host = endpoint.split("://", 1)[1].split("/", 1)[0]
now = time.gmtime()
date, date8, nonce = time.strftime("%Y%m%dT%H%M%SZ", now), time.strftime("%Y%m%d", now), str(uuid.uuid4())
ct = "application/json"
signed = "content-type;host;x-jdcloud-date;x-jdcloud-nonce"
canon = "\n".join([method, path.replace(":", "%3A"), "",
                   "content-type:%s\nhost:%s\nx-jdcloud-date:%s\nx-jdcloud-nonce:%s\n" % (ct, host, date, nonce),
                   signed, hashlib.sha256(body.encode()).hexdigest()])
scope = "%s/%s/%s/jdcloud2_request" % (date8, region, service)
sts = "JDCLOUD2-HMAC-SHA256\n%s\n%s\n%s" % (date, scope, hashlib.sha256(canon.encode()).hexdigest())
h = lambda k, m: hmac.new(k, m.encode(), hashlib.sha256).digest()
key = h(h(h(h(("JDCLOUD2" + sk).encode(), date8), region), service), "jdcloud2_request")
sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(endpoint + path.replace(":", "%3A"), data=body.encode() if body else None,
                             method=method, headers={
    "Authorization": "JDCLOUD2-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (ak, scope, signed, sig),
    "Content-Type": ct, "Host": host, "x-jdcloud-date": date, "x-jdcloud-nonce": nonce})
try:
    print(urllib.request.urlopen(req).read().decode())
except urllib.error.HTTPError as e:
    print(e.read().decode())
    sys.exit(1)
