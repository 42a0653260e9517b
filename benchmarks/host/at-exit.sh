#!/usr/bin/env bash
# Runs a command and prints its stdout only when it exits.  The benchmark kit
# then times the run as wall time minus the null image's wall time ("net-wall")
# instead of by the arrival of the BENCH start/done lines; see README.md.
out=$("$@"; rc=$?; echo x; exit $rc)
rc=$?
printf '%s' "${out%x}"
exit $rc
