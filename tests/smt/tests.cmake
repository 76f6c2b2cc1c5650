# HT contention engine on synthetic switch streams and topologies.
nl_add_c_test(smt_engine ${CMAKE_CURRENT_LIST_DIR}/test_smt.c LABELS unit)
nl_add_c_test(smt_switch_records ${CMAKE_CURRENT_LIST_DIR}/test_switch_records.c LABELS unit perfdata)
target_include_directories(smt_switch_records PRIVATE ${CMAKE_SOURCE_DIR}/tests/perfdata)
nl_add_c_test(smt_ipc ${CMAKE_CURRENT_LIST_DIR}/test_ipc.c LABELS unit perfdata)
target_include_directories(smt_ipc PRIVATE ${CMAKE_SOURCE_DIR}/tests/perfdata)
nl_add_c_test(smt_ipc_live ${CMAKE_CURRENT_LIST_DIR}/test_ipc_live.c LABELS live)
set_tests_properties(smt_ipc_live PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
