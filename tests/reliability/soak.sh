#!/bin/sh
# make soak: the long forms of the reliability suite against the plain
# build: the fault matrix (7 scenarios over 30 resources of both clouds)
# and the crash sweep at every side-effecting call of that configuration
# (apply and destroy).
set -u
here=$(cd "$(dirname "$0")" && pwd)
O=${O:-build}
export DCFORM="${DCFORM:-$PWD/$O/dcform}" DCFORM_EMULATOR="${DCFORM_EMULATOR:-$PWD/$O/dcform-emulator}"
export DCFORM_SRC="${DCFORM_SRC:-$PWD}"
rc=0
echo "== fault matrix"
sh "$here/fault_matrix.sh" || rc=1
echo "== crash sweep (small configuration, every write)"
SWEEP_EVERY=1 sh "$here/crash_sweep.sh" "$here/configs/dcdb" || rc=1
echo "== crash sweep (mixed configuration, every write)"
SWEEP_EVERY=1 sh "$here/crash_sweep.sh" "$here/configs/mixed" || rc=1
exit $rc
