# base containers: the one map (samplers/base/map.c) and growable array.
nl_add_c_test(test_map ${CMAKE_CURRENT_LIST_DIR}/test_map.c LABELS unit)
nl_add_c_test(test_strtab ${CMAKE_CURRENT_LIST_DIR}/test_strtab.c LABELS unit)
