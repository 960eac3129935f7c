#!/usr/bin/env bash
# tools/run_tests.sh — `make test`'s ctest run, with its summary as the last line. ctest prints
# "N% tests passed, ..." and then the tests that did not run (every GPU test skips on a machine
# without one: dozens of "(Skipped)" lines) and those that failed, so the verdict scrolls away.
# Here the output streams as ctest writes it up to the summary; what follows is printed in this
# order: the label and time summary, the skipped tests as one wrapped list (each says why in its
# own output: `ctest -R NAME --output-on-failure -V`), the failed tests, and the summary line.
# Usage: tools/run_tests.sh BUILD [ctest options...]   Exit status: ctest's.
set -uo pipefail
BUILD=${1:?usage: tools/run_tests.sh BUILD [ctest options...]}
shift
cd "$BUILD" || exit 2
ctest --output-on-failure "$@" 2>&1 | awk '
  function flush_out() { fflush() }
  !tail && /^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+/ { tail = 1; summary = $0; next }
  !tail { print; flush_out(); next }
  /^The following tests did not run:/ { mode = "skip"; next }
  /^The following tests FAILED:/ { mode = "fail"; failed = failed $0 "\n"; next }
  /^Errors while running CTest/ { errors = $0; next }
  mode == "skip" && /^[ \t]*[0-9]+ - / {
    name = $0; sub(/^[ \t]*[0-9]+ - /, "", name); sub(/ \((Skipped|Disabled|Not Run)\)[ \t]*$/, "", name)
    skipped[++ns] = name; next
  }
  mode == "fail" && /^[ \t]*[0-9]+ - / { failed = failed $0 "\n"; next }
  mode == "" { rest = rest $0 "\n"; next }
  END {
    printf "%s", rest
    if (ns > 0) {
      printf "%d test(s) skipped, each saying why in its output (a GPU test without a GPU, data not found):\n", ns
      line = "  "
      for (i = 1; i <= ns; ++i) {
        item = skipped[i] (i < ns ? ", " : "")
        if (length(line) + length(item) > 110) { sub(/ +$/, "", line); print line; line = "  " }
        line = line item
      }
      print line
      print ""
    }
    if (failed != "") printf "%s\n", failed
    if (errors != "") print errors
    if (summary != "") print summary
  }'
exit "${PIPESTATUS[0]}"
