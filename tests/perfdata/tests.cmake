# perf.data source: real fixtures against perf's own output, byte-built
# records for every sample_type field, and damaged files.
nl_add_c_test(test_perfdata_fixtures ${CMAKE_CURRENT_LIST_DIR}/test_fixtures.c LABELS perfdata)
nl_add_c_test(test_perfdata_records ${CMAKE_CURRENT_LIST_DIR}/test_records.c LABELS perfdata)
nl_add_c_test(test_perfdata_damage ${CMAKE_CURRENT_LIST_DIR}/test_damage.c LABELS perfdata)
nl_add_c_test(test_perfdata_page_nodes ${CMAKE_CURRENT_LIST_DIR}/test_page_nodes.c LABELS perfdata unit)
nl_add_sh_test(perfdata_pipe_stdin ${CMAKE_CURRENT_LIST_DIR}/pipe_stdin.sh LABELS perfdata)
nl_add_sh_test(perfdata_compressed ${CMAKE_CURRENT_LIST_DIR}/compressed.sh LABELS perfdata)
nl_add_sh_test(perfdata_killed ${CMAKE_CURRENT_LIST_DIR}/killed.sh LABELS perfdata)
nl_add_c_test(test_perfdata_sample_id ${CMAKE_CURRENT_LIST_DIR}/test_sample_id.c LABELS perfdata unit)
# One loss told twice (LOST + perf record's LOST_SAMPLES) is counted once, as perf report does.
nl_add_sh_test(perfdata_lost_once ${CMAKE_CURRENT_LIST_DIR}/lost.sh LABELS perfdata)
# A mapped perf.data truncated while it is read: a note, not SIGBUS.
nl_add_c_test(test_perfdata_shrink ${CMAKE_CURRENT_LIST_DIR}/test_shrink.c LABELS perfdata unit)
