#!/bin/sh
# The short form of the crash sweep (tests/reliability/crash_sweep.sh) on
# the small DCDB configuration: a SIGKILL after every side-effecting call
# of apply and of destroy, each followed by reruns; nothing bought twice,
# nothing orphaned, state = cloud. `make soak` runs the long forms.
exec sh "$DCFORM_SRC/tests/reliability/crash_sweep.sh" "$DCFORM_SRC/tests/reliability/configs/dcdb"
