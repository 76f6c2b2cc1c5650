# HT contention engine on synthetic switch streams and topologies.
nl_add_c_test(smt_engine ${CMAKE_CURRENT_LIST_DIR}/test_smt.c LABELS unit)
