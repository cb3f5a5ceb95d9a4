#!/usr/bin/env python3
"""dcform benchmarks (make bench).

For each N in BENCH_SIZES: N existing objects in the emulator (which adds
BENCH_LATENCY_MS to every cloud call), half DCDB instances in two Tencent
regions, half Direct Connections in two JD Cloud regions, then

  plan        refresh of N objects, no changes
  plan-drift  the same with 1 % of the objects renamed behind dcform's back
  baseline    plan with --refresh-batch-size 1 --parallelism 10 (one read
              per object, ten at a time: how Terraform refreshes)
  apply       N postpaid creates (N capped at BENCH_APPLY_MAX, 1000)
  history     state history and state diff after 1000 state versions

measuring wall time, CPU time and peak RSS of the dcform process, API calls
by action (the emulator's stats) and the state repository's size.  The
physical limit of a plan is ceil(N/100) list calls per type and region
times the latency, over the parallelism, bounded below by each list
action's rate limit (DescribeDCDBInstances 200/s, JD 20/s).  Writes
build/bench/results.json and prints a table.
"""
import hashlib, hmac, http.client, json, math, os, shutil, subprocess
import sys, tempfile, time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
O = os.environ.get("O", "build")
DCFORM = os.path.join(SRC, O, "dcform")
MEASURE = os.path.join(SRC, O, "bench", "measure")
EMU = os.path.join(SRC, O, "dcform-emulator")
SIZES = [int(x) for x in os.environ.get("BENCH_SIZES", "100 1000 10000").split()]
LATENCY = int(os.environ.get("BENCH_LATENCY_MS", "20"))
APPLY_MAX = int(os.environ.get("BENCH_APPLY_MAX", "1000"))
HISTORY_VERSIONS = int(os.environ.get("BENCH_HISTORY_VERSIONS", "1000"))
PARALLELISM = 10
SCENARIOS = os.environ.get("BENCH_SCENARIOS", "plan plan-drift apply history state").split()
STATE_N = int(os.environ.get("BENCH_STATE_N", "10000"))
STATE_VERSIONS = int(os.environ.get("BENCH_STATE_VERSIONS", "96"))
REGIONS = ["ap-guangzhou", "ap-shanghai"]
JD_REGIONS = {"cn-north-1": "BJ-HD", "cn-east-2": "SH-JA"}  # access points
JD_RATE = 20.0  # requests a second per JD operation (dcform's own limit)
ZONES = {"ap-guangzhou": "ap-guangzhou-4", "ap-shanghai": "ap-shanghai-2"}
RATE = 200.0  # DescribeDCDBInstances per second
OUT = os.path.join(SRC, O, "bench")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Emulator:
    def __init__(self, work, latency, world):
        self.work = work
        cfg = {"tencent": {"limits": {"max_count": 100}},
               "jdcloud": {"quotas": {"connections_per_region": 1000000}},
               "delays": {"tc_create": 100, "tc_init": 100, "tc_flow": 50,
                          "tc_delivery": 50, "jd_review": 100,
                          "jd_construction": 100}}
        with open(os.path.join(work, "emu.json"), "w") as f:
            json.dump(cfg, f)
        env_file = os.path.join(work, "emu.env")
        if os.path.exists(env_file):
            os.unlink(env_file)
        args = [EMU, "--listen", "127.0.0.1:0", "--config",
                os.path.join(work, "emu.json"), "--env-file", env_file,
                "--state-file", world]
        if latency:
            args += ["--latency", str(latency)]
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(work, "emu.log"), "a"))
        for _ in range(200):
            if os.path.exists(env_file) and os.path.getsize(env_file):
                break
            time.sleep(0.05)
        self.env = {}
        for line in open(env_file):
            if line.startswith("export "):
                k, v = line[7:].strip().split("=", 1)
                self.env[k] = v.strip("'")
        self.url = self.env["DCFORM_TENCENTCLOUD_ENDPOINT"]
        self.host = self.url.split("://")[1]

    def admin(self, method, path, body=None):
        c = http.client.HTTPConnection(self.host)
        c.request(method, path, body=json.dumps(body) if body is not None else None)
        r = c.getresponse().read()
        c.close()
        return json.loads(r) if r else None

    def stop(self):
        self.p.terminate()
        self.p.wait()


def tc3(conn, host, env, action, region, params):
    """One signed call; waits and retries while the emulator answers
    RequestLimitExceeded (the documented per-second limits)."""
    while True:
        try:
            return tc3_once(conn, host, env, action, region, params)
        except RateLimited:
            time.sleep(0.2)


class RateLimited(Exception):
    pass


def tc3_once(conn, host, env, action, region, params):
    body = json.dumps(params, separators=(",", ":"))
    ts = int(time.time())
    date = time.strftime("%Y-%m-%d", time.gmtime(ts))
    ct = "application/json; charset=utf-8"
    canon = "POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s" % (
        ct, host, hashlib.sha256(body.encode()).hexdigest())
    scope = "%s/dcdb/tc3_request" % date
    sts = "TC3-HMAC-SHA256\n%d\n%s\n%s" % (ts, scope, hashlib.sha256(canon.encode()).hexdigest())
    h = lambda k, m: hmac.new(k, m.encode(), hashlib.sha256).digest()
    k = h(h(h(("TC3" + env["TENCENTCLOUD_SECRET_KEY"]).encode(), date), "dcdb"), "tc3_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    conn.request("POST", "/", body=body, headers={
        "Authorization": "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s"
        % (env["TENCENTCLOUD_SECRET_ID"], scope, sig),
        "Content-Type": ct, "Host": host, "X-TC-Action": action,
        "X-TC-Version": "2018-04-11", "X-TC-Timestamp": str(ts), "X-TC-Region": region})
    r = json.loads(conn.getresponse().read())["Response"]
    if "Error" in r:
        if r["Error"].get("Code") == "RequestLimitExceeded":
            raise RateLimited()
        raise RuntimeError("%s: %s" % (action, r["Error"]))
    return r


SPEC = {"ShardMemory": 4, "ShardStorage": 50, "ShardNodeCount": 2, "ShardCount": 2}


def populate(emu, n):
    """n running postpaid instances named bench, split over the regions;
    returns {region: [ids]}."""
    conn = http.client.HTTPConnection(emu.host)
    ids = {r: [] for r in REGIONS}
    per = {REGIONS[0]: n - n // 2, REGIONS[1]: n // 2}
    for region, cnt in per.items():
        while len(ids[region]) < cnt:
            k = min(100, cnt - len(ids[region]))
            r = tc3(conn, emu.host, emu.env, "CreateHourDCDBInstance", region,
                    dict(SPEC, Zones=[ZONES[region]], Count=k, InstanceName="bench",
                         DbVersionId="5.7"))
            ids[region] += r["InstanceIds"]
    emu.admin("POST", "/_emulator/time/advance", {"ms": 600000})
    for region in REGIONS:
        for i in range(0, len(ids[region]), 100):
            tc3(conn, emu.host, emu.env, "InitDCDBInstances", region,
                {"InstanceIds": ids[region][i:i + 100],
                 "Params": [{"Param": "character_set_server", "Value": "utf8mb4"},
                            {"Param": "lower_case_table_names", "Value": "0"}]})
    emu.admin("POST", "/_emulator/time/advance", {"ms": 600000})
    conn.close()
    return ids


JD_PROPS = """      name: bench
      type: jcloud
      location: { code: %s, port_spec_code: 1000Base-T, isp_code: CT }
      rental: { unit: month, span: 1 }
      idc_address: bench
      contact_name: bench
      phone_number: "13800138000"
"""


def jd_template(work):
    """One Active JD connection per region, bought through dcform from a
    scratch emulator: {region: (world record, state entry)}.  The bench
    world gets copies of the record under new ids."""
    d = os.path.join(work, "jd-template")
    os.makedirs(os.path.join(d, "cfg"))
    emu = Emulator(d, 0, os.path.join(d, "world.json"))
    try:
        env = dict(os.environ, **emu.env, NO_COLOR="1")
        cfg = os.path.join(d, "cfg")
        with open(os.path.join(cfg, "main.yaml"), "w") as f:
            f.write("providers:\n  jdcloud:\n    region: cn-north-1\nresources:\n")
            for region, loc in JD_REGIONS.items():
                f.write("  line_%s:\n    type: jdcloud_dc_connection\n    region: %s\n"
                        "    properties:\n%s" % (region.split("-")[1], region, JD_PROPS % loc))
        run(["apply", "--auto-approve"], cfg, env)
        _, out = run(["state", "pull"], cfg, env)
        state = json.loads(out)
        world = emu.admin("GET", "/_emulator/world")["jdcloud"]["connections"]
    finally:
        emu.stop()
    out = {}
    for region in JD_REGIONS:
        ent = state["resources"]["line_" + region.split("-")[1]]
        out[region] = (world[ent["id"]], ent)
    return out


def populate_jd(world_path, tmpl, counts):
    """Copies of the template connections in the stored world (the
    emulator is stopped): {region: [ids]}."""
    with open(world_path) as f:
        world = json.load(f)
    conns = world.setdefault("jdcloud", {}).setdefault("connections", {})
    ids = {}
    seq = 0
    for region, cnt in counts.items():
        rec = tmpl[region][0]
        ids[region] = []
        for _ in range(cnt):
            seq += 1
            cid = "dc-b%07d" % seq
            r = json.loads(json.dumps(rec))
            r["connectionId"] = cid
            r["resourceIdInitial"] = cid + "-initial"
            r["resourceIdPTenancy"] = cid + "-tenancy"
            conns[cid] = r
            ids[region].append(cid)
    with open(world_path, "w") as f:
        json.dump(world, f)
    return ids


def manifest(d, keys_by_region, name_of=lambda k: "bench", jd_keys=None):
    lines = ["providers:\n  tencentcloud:\n    region: %s\n" % REGIONS[0]]
    if jd_keys:
        lines.append("  jdcloud:\n    region: cn-north-1\n")
    lines.append("resources:\n")
    for region, keys in (jd_keys or {}).items():
        if keys:
            lines.append("  line_%s:\n    type: jdcloud_dc_connection\n    region: %s\n"
                         "    for_each: [%s]\n    properties:\n%s"
                         % (region.split("-")[1], region, ", ".join(keys),
                            JD_PROPS % JD_REGIONS[region]))
    for region, keys in keys_by_region.items():
        if not keys:
            continue
        lines.append("""  db_%s:
    type: tencentcloud_dcdb_instance
    region: %s
    for_each: [%s]
    properties:
      name: bench
      zones: [%s]
      billing: { mode: postpaid }
      shard: { memory_gb: 4, storage_gb: 50, node_count: 2, count: 2 }
      db_version: "5.7"
      init: { character_set_server: utf8mb4, lower_case_table_names: 0 }
""" % (region.split("-")[1], region, ", ".join(keys), ZONES[region]))
    with open(os.path.join(d, "main.yaml"), "w") as f:
        f.write("".join(lines))


def state_fixture(path, ids, jd_ids=None, jd_tmpl=None):
    res = {}
    for region, lst in (jd_ids or {}).items():
        ent = jd_tmpl[region][1]
        for i, cid in enumerate(lst):
            e = json.loads(json.dumps(ent))
            e["id"] = cid
            e["attributes"]["id"] = cid
            res["line_%s[j%d]" % (region.split("-")[1], i)] = e
    for region, lst in ids.items():
        for i, iid in enumerate(lst):
            res["db_%s[k%d]" % (region.split("-")[1], i)] = {
                "type": "tencentcloud_dcdb_instance", "provider": "tencentcloud",
                "region": region, "id": iid, "dependencies": [],
                # The manifest's properties (zones are not read back:
                # DCDB reports one Zone only); as_applied adds what the
                # cloud reports, as an apply records it.
                "attributes": {"id": iid, "name": "bench", "zones": [ZONES[region]],
                               "billing": {"mode": "postpaid"},
                               "shard": {"memory_gb": 4, "storage_gb": 50,
                                         "node_count": 2, "count": 2},
                               "db_version": "5.7", "project_id": 0, "tags": {},
                               "init": {"character_set_server": "utf8mb4",
                                        "lower_case_table_names": 0}},
                "generation": 1, "sensitive_digests": {}}
    with open(path, "w") as f:
        json.dump({"format_version": 1, "lineage": "bench", "serial": 1,
                   "tool_version": "bench", "resources": res, "outputs": {}}, f)


def as_applied(path, cfg, env):
    """Rewrite the state fixture as an apply leaves it: every attribute the
    cloud reports recorded (an apply writes what it asked for overlaid by
    what the cloud says; `apply --refresh-only` does the same).  Taken from
    dcform's own plan, whose "before" is exactly that overlay."""
    out = subprocess.run([DCFORM, "plan", "--state", path, "--json"], cwd=cfg,
                         env=env, stdout=subprocess.PIPE, check=True).stdout
    before = {c["address"]: c["before"] for c in json.loads(out)["resource_changes"]}
    with open(path) as f:
        doc = json.load(f)
    for addr, ent in doc["resources"].items():
        if isinstance(before.get(addr), dict):
            ent["attributes"] = before[addr]
    with open(path, "w") as f:
        json.dump(doc, f)


def run(args, cwd, env, ok=(0,)):
    """Run dcform; wall, cpu and peak RSS of that process, taken by
    bench/measure (a fork of this process would count this process's
    resident pages in dcform's peak RSS)."""
    # Files, not pipes: a full stderr pipe would block dcform while we
    # read stdout.
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe, \
            tempfile.NamedTemporaryFile(suffix=".json") as fm:
        p = subprocess.run([MEASURE, fm.name, "--", DCFORM] + args, cwd=cwd,
                           env=env, stdout=fo, stderr=fe)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
        code = p.returncode
        if code not in ok:
            raise RuntimeError("dcform %s exited %d: %s%s" % (" ".join(args), code, out.decode()[-3000:], err.decode()[-2000:]))
        m = json.load(open(fm.name))
    return {"wall_s": round(m["wall_s"], 3), "cpu_s": round(m["cpu_s"], 3),
            "peak_rss_mb": round(m["peak_rss_kb"] / 1024.0, 1)}, out


LIMITED = {}


def calls(emu):
    """API calls by action since the last call; the requests answered
    RequestLimitExceeded meanwhile go to LIMITED."""
    st = emu.admin("GET", "/_emulator/stats")
    emu.admin("POST", "/_emulator/stats/reset")
    LIMITED.clear()
    LIMITED.update(st.get("rate_limited", {}))
    return st["requests"]


def limit_s(per_region_counts, jd_counts=()):
    """ceil(N/100) list calls per type and region, PARALLELISM at a time,
    and never faster than each action's rate limit."""
    tc = sum(math.ceil(c / 100) for c in per_region_counts if c)
    jd = sum(math.ceil(c / 100) for c in jd_counts if c)
    lat = LATENCY / 1000.0

    def paced(k, rate):
        # k calls at `rate` a second (in any one-second window): the
        # last one leaves ceil(k/rate) - 1 seconds after the first.
        return (math.ceil(k / rate) - 1) + lat if k else 0

    return round(max(math.ceil((tc + jd) / PARALLELISM) * lat,
                     paced(tc, RATE), paced(jd, JD_RATE)), 3)


def dir_size(d):
    return sum(os.path.getsize(os.path.join(a, f)) for a, _, fs in os.walk(d) for f in fs)


def main():
    os.makedirs(OUT, exist_ok=True)
    records = []
    for n in SIZES:
        work = tempfile.mkdtemp(prefix="dcform-bench-")
        try:
            world = os.path.join(work, "world.json")
            log("N=%d: populating the emulator" % n)
            # Half DCDB instances (two Tencent regions), half Direct
            # Connections (two JD regions).
            n_jd = n // 2
            jd_tmpl = jd_template(work)
            emu = Emulator(work, 0, world)
            ids = populate(emu, n - n_jd)
            emu.stop()
            jd_regions = list(JD_REGIONS)
            jd_ids = populate_jd(world, jd_tmpl, {jd_regions[0]: n_jd - n_jd // 2,
                                                  jd_regions[1]: n_jd // 2})
            emu = Emulator(work, LATENCY, world)
            env = dict(os.environ, **emu.env, NO_COLOR="1")
            cfg = os.path.join(work, "cfg")
            os.makedirs(cfg)
            manifest(cfg, {r: ["k%d" % i for i in range(len(ids[r]))] for r in REGIONS},
                     jd_keys={r: ["j%d" % i for i in range(len(jd_ids[r]))] for r in jd_regions})
            st = os.path.join(work, "state.json")
            state_fixture(st, ids, jd_ids, jd_tmpl)
            as_applied(st, cfg, env)
            per_region = [len(ids[r]) for r in REGIONS]
            lim = limit_s(per_region, [len(jd_ids[r]) for r in jd_regions])
            mix = dict({"tencentcloud_dcdb_instance " + r: len(ids[r]) for r in REGIONS},
                       **{"jdcloud_dc_connection " + r: len(jd_ids[r]) for r in jd_regions})
            calls(emu)

            log("N=%d: plan" % n)
            m, _ = run(["plan", "--state", st, "--detailed-exitcode"], cfg, env)
            c_plan = calls(emu)
            log("N=%d: baseline" % n)
            b, _ = run(["plan", "--state", st, "--detailed-exitcode",
                        "--refresh-batch-size", "1", "--parallelism", "10"], cfg, env)
            c_base = calls(emu)
            records.append(dict(scenario="plan", n=n, api_calls=c_plan, mix=mix,
                                baseline_wall_s=b["wall_s"], limit_s=lim,
                                baseline_api_calls=sum(c_base.values()), **m))

            if "plan-drift" not in SCENARIOS and "apply" not in SCENARIOS:
                continue
            log("N=%d: plan with 1 %% drift" % n)
            drifted = 0
            for r in REGIONS:
                for iid in ids[r][: max(1, len(ids[r]) // 100)]:
                    emu.admin("POST", "/_emulator/tencent/instances/" + iid,
                              {"InstanceName": "renamed"})
                    drifted += 1
            for r in jd_regions:
                for cid in jd_ids[r][: max(1, len(jd_ids[r]) // 100)]:
                    emu.admin("POST", "/_emulator/jdcloud/connections/" + cid,
                              {"connectionName": "renamed"})
                    drifted += 1
            calls(emu)
            m, out = run(["plan", "--state", st, "--detailed-exitcode"], cfg, env, ok=(2,))
            c = calls(emu)
            records.append(dict(scenario="plan-drift", n=n, api_calls=c, drifted=drifted, mix=mix,
                                limit_s=lim, baseline_wall_s=None, **m))

            if "apply" not in SCENARIOS:
                continue
            na = min(n, APPLY_MAX)
            log("N=%d: apply of %d postpaid creates" % (n, na))
            acfg = os.path.join(work, "apply")
            os.makedirs(acfg)
            manifest(acfg, {REGIONS[0]: ["a%d" % i for i in range(na)]})
            m, _ = run(["apply", "--auto-approve"], acfg, env)
            c = calls(emu)
            creates = c.get("dcdb.CreateHourDCDBInstance", 0)
            records.append(dict(scenario="apply", n=na, api_calls=c, limit_s=round(na / 20.0, 3),
                                baseline_wall_s=None,
                                creates_per_s=round(creates / m["wall_s"], 2),
                                rate_limited=dict(LIMITED),
                                state_repo_bytes=dir_size(os.path.join(acfg, ".dcform")), **m))
            emu.stop()
        finally:
            try:
                emu.stop()
            except Exception:
                pass
            if os.environ.get("BENCH_KEEP"):
                log("kept " + work)
            else:
                shutil.rmtree(work, ignore_errors=True)

    # State history and diff after HISTORY_VERSIONS versions (no cloud).
    work = tempfile.mkdtemp(prefix="dcform-bench-")
    try:
        if "history" not in SCENARIOS:
            raise StopIteration
        cfg = os.path.join(work, "cfg")
        os.makedirs(cfg)
        with open(os.path.join(cfg, "main.yaml"), "w") as f:
            f.write("resources: {}\n")
        st = os.path.join(work, "state.json")
        ids = {"ap-guangzhou": ["dcdbt-%08d" % i for i in range(100)], "ap-shanghai": []}
        state_fixture(st, ids)
        env = dict(os.environ, NO_COLOR="1")
        log("history: writing %d versions" % HISTORY_VERSIONS)
        # The first version, then renames back and forth (each a commit).
        subprocess.run([sys.executable, "-c", IMPORT_STATE, cfg, st], check=True)
        a, b = "db_guangzhou[k0]", "moved"
        for i in range(HISTORY_VERSIONS - 1):
            run(["state", "mv", "-C", cfg, a, b], cfg, env)
            a, b = b, a
        m, _ = run(["state", "history", "-C", cfg], cfg, env)
        records.append(dict(scenario="state-history", n=HISTORY_VERSIONS, api_calls={},
                            baseline_wall_s=None, limit_s=None,
                            state_repo_bytes=dir_size(os.path.join(cfg, ".dcform")), **m))
        m, _ = run(["state", "diff", "-C", cfg, "HEAD~%d" % (HISTORY_VERSIONS - 1), "HEAD"], cfg, env)
        records.append(dict(scenario="state-diff", n=HISTORY_VERSIONS, api_calls={},
                            baseline_wall_s=None, limit_s=None, **m))
    except StopIteration:
        pass
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # One state version of STATE_N resources, 1 % changed each time
    # (bench/state_commit.c: state_store_write timed alone).
    if "state" in SCENARIOS:
        work = tempfile.mkdtemp(prefix="dcform-bench-")
        try:
            log("state: %d versions of %d resources" % (STATE_VERSIONS, STATE_N))
            t0 = time.monotonic()
            p = subprocess.run([os.path.join(SRC, O, "bench", "state_commit"), work,
                                str(STATE_N), str(STATE_VERSIONS)],
                               check=True, capture_output=True)
            r = json.loads(p.stdout)
            records.append(dict(scenario="state-commit", n=STATE_N, api_calls={},
                                baseline_wall_s=None, limit_s=None,
                                wall_s=round(r["commit_ms_median"] / 1000.0, 3),
                                cpu_s=None, peak_rss_mb=None,
                                commit_ms_median=r["commit_ms_median"],
                                commit_ms_max=r["commit_ms_max"],
                                close_ms_max=r["close_ms_max"],
                                versions=STATE_VERSIONS,
                                state_bytes=r["state_bytes"], repo_bytes=r["repo_bytes"],
                                growth_pct_per_version=r["growth_pct_per_version"],
                                total_s=round(time.monotonic() - t0, 1)))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    name = os.environ.get("BENCH_OUT", "results.json")
    with open(os.path.join(OUT, name), "w") as f:
        json.dump({"latency_ms": LATENCY, "parallelism": PARALLELISM,
                   "machine": machine(), "records": records}, f, indent=1)
    print_table(records)


IMPORT_STATE = r"""
import subprocess, sys
cfg, st = sys.argv[1], sys.argv[2]
git = cfg + "/.dcform/state.git"
subprocess.run(["git", "init", "-q", "--bare", git], check=True)
blob = subprocess.run(["git", "--git-dir", git, "hash-object", "-w", st],
                      capture_output=True, text=True, check=True).stdout.strip()
tree = subprocess.run(["git", "--git-dir", git, "mktree"], input="100644 blob %s\tstate.json\n" % blob,
                      capture_output=True, text=True, check=True).stdout.strip()
commit = subprocess.run(["git", "--git-dir", git, "-c", "user.name=bench", "-c", "user.email=bench@localhost",
                         "commit-tree", tree, "-m", "bench: initial state"],
                        capture_output=True, text=True, check=True).stdout.strip()
subprocess.run(["git", "--git-dir", git, "update-ref", "refs/heads/default", commit], check=True)
"""


def machine():
    model = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"cpus": os.cpu_count(), "model": model}


def print_table(records):
    print("%-14s %6s %9s %9s %9s %8s %8s %8s %7s" % (
        "scenario", "N", "dcform_s", "baseline", "limit_s", "x_base", "x_limit", "cpu_s", "rss_mb"))
    for r in records:
        base = r.get("baseline_wall_s")
        lim = r.get("limit_s")
        if r["scenario"] == "state-commit":
            print("%-14s %6d  commit %.0f ms median, %.0f ms at most (%d versions), "
                  "packing on close %.0f ms at most; "
                  "state %.1f MB, repository %.1f MB, growth %.2f %% of the state "
                  "per version" % (r["scenario"], r["n"], r["commit_ms_median"],
                                  r["commit_ms_max"], r["versions"], r["close_ms_max"],
                                  r["state_bytes"] / 1e6, r["repo_bytes"] / 1e6,
                                  r["growth_pct_per_version"]))
            continue
        print("%-14s %6d %9.3f %9s %9s %8s %8s %8.3f %7.1f" % (
            r["scenario"], r["n"], r["wall_s"],
            "%.3f" % base if base else "-", "%.3f" % lim if lim else "-",
            "%.1f" % (base / r["wall_s"]) if base else "-",
            "%.2f" % (r["wall_s"] / lim) if lim else "-",
            r["cpu_s"], r["peak_rss_mb"]))
        if r["api_calls"]:
            print("%22s api calls: %s" % ("", ", ".join("%s %d" % kv for kv in sorted(r["api_calls"].items()))))
            if "rate_limited" in r:
                print("%22s answered RequestLimitExceeded: %s" % ("", ", ".join(
                    "%s %d" % kv for kv in sorted(r["rate_limited"].items())) or "none"))


if __name__ == "__main__":
    main()
