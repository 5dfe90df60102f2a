# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Turns "#define __NR_read 0" lines of the architecture's unistd header into
# "{0, "read"}," initializers. Run with -DHEADER=... -DOUTPUT=...
file(STRINGS "${HEADER}" lines REGEX "^#define __NR_[a-z0-9_]+ [0-9]+$")
set(body "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^#define __NR_([a-z0-9_]+) ([0-9]+)$" "{\\2, \"\\1\"}," entry "${line}")
  string(APPEND body "${entry}\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "${body}")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
