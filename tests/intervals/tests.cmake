# intervals: profile --interval, --json-lines (numalens.interval/1),
# --openmetrics and the status line, end to end on this machine.
add_test(NAME intervals_profile
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/intervals.py $<TARGET_FILE:nl_live_workload>)
set_tests_properties(intervals_profile PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS "live;intervals")
nl_add_c_test(test_metrics ${CMAKE_CURRENT_LIST_DIR}/test_metrics.c LABELS intervals unit)
