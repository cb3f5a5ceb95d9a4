#!/bin/sh
# The CI recipes in examples/ci only use commands and options that exist:
# every `dcform CMD --opt` line is checked against `dcform CMD --help`.
set -u
: "${DCFORM:?}" "${DCFORM_SRC:?}"
python3 - "$DCFORM" "$DCFORM_SRC"/examples/ci/*.yml <<'PY'
import re, subprocess, sys
dcform, files = sys.argv[1], sys.argv[2:]
helps, bad, n = {}, [], 0
for f in files:
    for ln, line in enumerate(open(f), 1):
        if line.lstrip().startswith("#"):
            continue
        for m in re.finditer(r"(?<![/\w.-])dcform ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)((?: +[^|;&>]*)?)", line):
            words = m.group(1).split()
            cmd = words[0]
            if len(words) > 1 and cmd == "state":
                cmd = "state " + words[1]
            if cmd not in helps:
                p = subprocess.run([dcform] + cmd.split() + ["--help"], capture_output=True, text=True)
                if p.returncode != 0:
                    bad.append("%s:%d: no command 'dcform %s'" % (f, ln, cmd))
                    helps[cmd] = None
                    continue
                helps[cmd] = set(re.findall(r"--([a-z][a-z-]*)", p.stdout))
            if helps[cmd] is None:
                continue
            n += 1
            for opt in re.findall(r"(?<![\w-])(-{1,2}[a-z][a-z-]*)", m.group(2)):
                if not opt.startswith("--") or opt[2:] not in helps[cmd]:
                    bad.append("%s:%d: dcform %s has no option %s" % (f, ln, cmd, opt))
if bad:
    print("\n".join(bad))
    sys.exit(1)
assert n >= 6, "only %d dcform commands found in the recipes" % n
print("ci recipes: %d dcform commands checked" % n)
PY
