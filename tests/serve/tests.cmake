# serve: the /metrics endpoint end to end (bad input, --match waiting and
# restarts, formats, Ctrl-C), and a real Prometheus scraping it.
add_test(NAME serve_cli
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/serve_cli.py $<TARGET_FILE:nl_live_workload>)
add_test(NAME serve_prometheus
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/serve_prometheus.py $<TARGET_FILE:nl_live_workload>)
set_tests_properties(serve_cli serve_prometheus PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS "live;serve" RUN_SERIAL TRUE)
# the bounds behind serve's memory (page cache cap, gone processes leave)
nl_add_c_test(test_serve_bounds ${CMAKE_CURRENT_LIST_DIR}/test_serve_bounds.c LABELS serve unit)
