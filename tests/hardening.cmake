# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Builds the hardening tree that `Hardening.*` tests run: zctrace and its
# tests with ASan, UBSan and LSan, and the libFuzzer targets, with clang, in
# BINARY (configured on first use). Run by ctest as a fixture, so that
# `ctest --test-dir build` covers it and `.ci/setup` stays as fast as it was.
# The CLI tests trace the programs of the build in MEASURED (the main one).
#   cmake -DSOURCE=<source dir> -DBINARY=<dir> -DMEASURED=<build dir> -DCLANG=<clang> -DCLANGXX=<clang++> \
#         -P hardening.cmake
foreach(variable SOURCE BINARY MEASURED CLANG CLANGXX)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "hardening.cmake needs -D${variable}=...")
  endif()
endforeach()
# Ninja where there is one: given the dozen targets below, make builds them
# one after another, each ending on one long unity source on one core
# (753 s in CI, against 372 s with ninja on the same two cores).
find_program(NINJA ninja)
set(generator)
if(NINJA)
  set(generator -G Ninja)
endif()
if(NOT EXISTS "${BINARY}/CMakeCache.txt")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${SOURCE}" -B "${BINARY}" ${generator} -DCMAKE_C_COMPILER=${CLANG} -DCMAKE_CXX_COMPILER=${CLANGXX}
            # -O1 (at -O0 the sanitized zctrace ran slow enough to fail two
            # CLI tests and the fuzzers took 3.5 times as long) with line
            # tables only, so that reports still name file and line
            -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
            "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" -DZCTRACE_SANITIZE=address,undefined -DZCTRACE_FUZZ=ON
            -DBUILD_TESTING=ON -DZCTRACE_MEASURED_PROGRAMS_DIR=${MEASURED}
            # Eight sources per compiler run: each parses the JSON, CLI11 and
            # gtest headers once instead of eight times (as in .ci/setup)
            -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8
    RESULT_VARIABLE configured)
  if(NOT configured EQUAL 0)
    file(REMOVE "${BINARY}/CMakeCache.txt")
    message(FATAL_ERROR "cannot configure the hardening build in ${BINARY}")
  endif()
endif()
include(ProcessorCount)
ProcessorCount(cores)
execute_process(
  COMMAND "${CMAKE_COMMAND}" --build "${BINARY}" -j ${cores} --target
          fuzz_documents fuzz_ndjson fuzz_diff fuzz_export fuzz_summarize fuzz_units
          zctrace zctrace_base_tests zctrace_report_tests zctrace_analysis_tests
          zctrace_output_tests zctrace_cli_tests
  RESULT_VARIABLE built)
if(NOT built EQUAL 0)
  message(FATAL_ERROR "the hardening build failed")
endif()
