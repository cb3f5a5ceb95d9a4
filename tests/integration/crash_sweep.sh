#!/bin/sh
# The short form of the crash sweep (tests/reliability/crash_sweep.sh) on
# the small DCDB configuration: a SIGKILL after every second side-effecting
# call of apply and of destroy (every call in `make soak`), each followed by
# reruns; nothing bought twice,
# nothing orphaned, state = cloud. `make soak` runs the long forms.
# In the README test's nested run this already ran in the outer one.
[ -n "${DCFORM_README_NESTED:-}" ] && { echo "nested README run: skipped"; exit 0; }
SWEEP_EVERY=${SWEEP_EVERY:-2} exec sh "$DCFORM_SRC/tests/reliability/crash_sweep.sh" \
	"$DCFORM_SRC/tests/reliability/configs/dcdb"
