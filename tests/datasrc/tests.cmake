# datasrc: data_src decoding (profiler/datasrc.c), table-driven, no fixtures.
nl_add_c_test(test_datasrc ${CMAKE_CURRENT_LIST_DIR}/test_datasrc.c LABELS unit)
