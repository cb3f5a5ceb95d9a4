#!/bin/sh
# The short form of the fault matrix (tests/reliability/fault_matrix.sh):
# the 30-resource configuration of both clouds under rate limits,
# connection resets and responses cut in half; `make soak` runs all seven
# scenarios.
# In the README test's nested run this already ran in the outer one.
[ -n "${DCFORM_README_NESTED:-}" ] && { echo "nested README run: skipped"; exit 0; }
exec sh "$DCFORM_SRC/tests/reliability/fault_matrix.sh" ratelimit reset cut
