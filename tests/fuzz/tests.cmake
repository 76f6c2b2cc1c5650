# Fuzzing (issue 14).  Every harness is built twice:
#   fuzz_replay_<h>  (every build): replays the kept crash inputs
#                    tests/fuzz/regress/<h>/ and the byte-built seeds; ctest
#                    fuzz_regress_<h> in the normal suite.
#   fuzz_<h>         (-DNUMALENS_FUZZ=ON, clang): the libFuzzer binary; ctest
#                    fuzz_smoke_<h> (label fuzz) runs it 10 s from its seeds.
# tests/fuzz/ci runs each for about 60 s in CI (.ci/run).
set(NL_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
set(NL_FUZZ_HARNESSES perfdata perfdata_pipe perf_record placement sysfs report_json symbols
    pyrecord allocdec pyframes)

add_executable(fuzz_seeds ${NL_FUZZ_DIR}/fuzz_seeds.c)
target_link_libraries(fuzz_seeds PRIVATE numalens_core)
target_include_directories(fuzz_seeds PRIVATE ${CMAKE_SOURCE_DIR}/tests)

foreach(h ${NL_FUZZ_HARNESSES})
  add_executable(fuzz_replay_${h} ${NL_FUZZ_DIR}/fuzz_${h}.c ${NL_FUZZ_DIR}/replay_main.c)
  target_link_libraries(fuzz_replay_${h} PRIVATE numalens_core)
  target_include_directories(fuzz_replay_${h} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  add_test(NAME fuzz_regress_${h}
           COMMAND bash -c "set -e; d=$(mktemp -d); trap 'rm -rf $d' EXIT; \"$0\" $d; \"$1\" \"$2\" $d/${h}"
                   $<TARGET_FILE:fuzz_seeds> $<TARGET_FILE:fuzz_replay_${h}>
                   ${NL_FUZZ_DIR}/regress/${h})
  set_tests_properties(fuzz_regress_${h} PROPERTIES SKIP_RETURN_CODE 77
                       ENVIRONMENT "${NL_TEST_ENV}" LABELS "fuzz-regress;unit")
  if(NUMALENS_FUZZ)
    add_executable(fuzz_${h} ${NL_FUZZ_DIR}/fuzz_${h}.c)
    target_link_libraries(fuzz_${h} PRIVATE numalens_core)
    target_include_directories(fuzz_${h} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
    target_link_options(fuzz_${h} PRIVATE -fsanitize=fuzzer)
    add_test(NAME fuzz_smoke_${h}
             COMMAND bash ${NL_FUZZ_DIR}/run ${h} 10)
    set_tests_properties(fuzz_smoke_${h} PROPERTIES SKIP_RETURN_CODE 77
                         ENVIRONMENT "${NL_TEST_ENV};NL_FUZZ_BIN=$<TARGET_FILE_DIR:fuzz_${h}>"
                         LABELS fuzz TIMEOUT 120)
  endif()
endforeach()
