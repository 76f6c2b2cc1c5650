# live: the live source (samplers/live.c and its modules) on real process
# trees of this machine, injected failures through the syscall table, and
# the numalens profile command end to end (launch, signals, bad input,
# --record round trip).  The two-node checks of the same code run in the
# QEMU guest (tests/guest: profile_bind, profile_seed, profile_smt,
# balancing, torch).
find_package(Threads REQUIRED)
add_executable(nl_live_workload ${CMAKE_CURRENT_LIST_DIR}/workload.c)
target_link_libraries(nl_live_workload PRIVATE Threads::Threads)
# The workload forks from threads: under ASan a child can inherit a held
# allocator lock and hang, so it is never built with sanitizers.
target_compile_options(nl_live_workload PRIVATE -fno-sanitize=all)
target_link_options(nl_live_workload PRIVATE -fno-sanitize=all)

nl_add_c_test(test_live_tree ${CMAKE_CURRENT_LIST_DIR}/test_live_tree.c LABELS live
              ARGS $<TARGET_FILE:nl_live_workload>)
nl_add_c_test(test_live_inject ${CMAKE_CURRENT_LIST_DIR}/test_live_inject.c LABELS live)
nl_add_c_test(test_placement_exit ${CMAKE_CURRENT_LIST_DIR}/test_placement_exit.c LABELS live unit)
nl_add_c_test(test_access ${CMAKE_CURRENT_LIST_DIR}/test_access.c LABELS live)
set_tests_properties(test_live_tree test_live_inject test_access PROPERTIES TIMEOUT 120)

add_library(nl_live_deny SHARED ${CMAKE_CURRENT_LIST_DIR}/deny_perf.c)
target_link_libraries(nl_live_deny PRIVATE dl)
add_test(NAME live_profile_cli
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/profile_cli.sh
                 $<TARGET_FILE:nl_live_workload> $<TARGET_FILE:nl_live_deny>)
set_tests_properties(live_profile_cli PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS live)

# --record / --json files: 0600, FILE.old, links not followed, handed to the directory's owner.
nl_add_sh_test(live_record_private ${CMAKE_CURRENT_LIST_DIR}/record_private.sh LABELS live TIMEOUT 120)
nl_add_sh_test(live_record_full_disk ${CMAKE_CURRENT_LIST_DIR}/full_disk.sh LABELS live)
