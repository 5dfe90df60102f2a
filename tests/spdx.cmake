# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Every source file says its license (LICENSE: GPL-2.0-only OR BSD-2-Clause)
# in an SPDX line near its top. Run as `cmake -DSOURCE_DIR=... -P spdx.cmake`;
# fails listing the files without one. JSON has no comments, the test
# inputs under tests/data are data, and packaging/debian holds files whose
# formats have no comment syntax (conffiles, changelog, DEP-5 copyright,
# which says the license itself).
cmake_minimum_required(VERSION 3.20)
set(expected "SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause")
file(GLOB_RECURSE sources RELATIVE "${SOURCE_DIR}"
  "${SOURCE_DIR}/bpf/*" "${SOURCE_DIR}/userspace/*" "${SOURCE_DIR}/workloads/*" "${SOURCE_DIR}/tests/*"
  "${SOURCE_DIR}/packaging/*" "${SOURCE_DIR}/.ci/*" "${SOURCE_DIR}/CMakeLists.txt")
set(missing "")
set(checked 0)
foreach(source IN LISTS sources)
  if(source MATCHES "^(tests/data|packaging/debian)/" OR source MATCHES "\\.(json|md)$")
    continue()
  endif()
  file(READ "${SOURCE_DIR}/${source}" head LIMIT 300)
  math(EXPR checked "${checked} + 1")
  string(FIND "${head}" "${expected}" at)
  if(at EQUAL -1)
    list(APPEND missing "${source}")
  endif()
endforeach()
if(missing)
  list(JOIN missing "\n  " listed)
  message(FATAL_ERROR "these files have no '${expected}' line in their first 300 bytes:\n  ${listed}")
endif()
message(STATUS "${checked} source files carry '${expected}'")
