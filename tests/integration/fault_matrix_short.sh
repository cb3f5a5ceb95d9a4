#!/bin/sh
# The short form of the fault matrix (tests/reliability/fault_matrix.sh):
# the 30-resource configuration of both clouds under rate limits,
# connection resets and responses cut in half; `make soak` runs all seven
# scenarios.
exec sh "$DCFORM_SRC/tests/reliability/fault_matrix.sh" ratelimit reset cut
