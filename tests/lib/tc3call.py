#!/usr/bin/env python3
"""One signed Tencent Cloud API 3.0 call (TC3-HMAC-SHA256), for tests that
change the emulator's world the way a person in the console would.

    tc3call.py SERVICE VERSION ACTION REGION 'JSON-PARAMS'

Endpoint and credentials come from DCFORM_TENCENTCLOUD_ENDPOINT,
TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY.  Prints the response
body; exits 1 when it holds an Error."""
import hashlib, hmac, json, os, sys, time, urllib.request

service, version, action, region, params = sys.argv[1:6]
endpoint = os.environ["DCFORM_TENCENTCLOUD_ENDPOINT"]
sid, skey = os.environ["TENCENTCLOUD_SECRET_ID"], os.environ["TENCENTCLOUD_SECRET_KEY"]
host = endpoint.split("://", 1)[1].split("/", 1)[0]
body = json.dumps(json.loads(params), separators=(",", ":"))
ts = int(time.time())
date = time.strftime("%Y-%m-%d", time.gmtime(ts))
ct = "application/json; charset=utf-8"
canon = "POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s" % (
    ct, host, hashlib.sha256(body.encode()).hexdigest())
scope = "%s/%s/tc3_request" % (date, service)
sts = "TC3-HMAC-SHA256\n%d\n%s\n%s" % (ts, scope, hashlib.sha256(canon.encode()).hexdigest())
def h(k, m): return hmac.new(k, m.encode(), hashlib.sha256).digest()
k = h(h(h(("TC3" + skey).encode(), date), service), "tc3_request")
sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(endpoint.rstrip("/") + "/", data=body.encode(), method="POST", headers={
    "Authorization": "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s" % (sid, scope, sig),
    "Content-Type": ct, "Host": host, "X-TC-Action": action, "X-TC-Version": version,
    "X-TC-Timestamp": str(ts), "X-TC-Region": region})
out = urllib.request.urlopen(req).read().decode()
print(out)
sys.exit(1 if "Error" in json.loads(out).get("Response", {}) else 0)
