# The JSON report against its published schema.
nl_add_sh_test(report_schema ${CMAKE_CURRENT_LIST_DIR}/schema.sh LABELS report)
nl_add_sh_test(report_demo ${CMAKE_CURRENT_LIST_DIR}/demo.sh LABELS report)
# Reports of a recording with user stacks and registers carry none of their bytes.
nl_add_c_test(test_report_no_raw_bytes ${CMAKE_CURRENT_LIST_DIR}/test_no_raw_bytes.c LABELS report)
# The analysis on a synthetic stream: access-weighted exposure, the object
# finding and the first advice.
nl_add_c_test(test_exposure ${CMAKE_CURRENT_LIST_DIR}/test_exposure.c LABELS report unit)
# Folding quiet mapping rows and retiring an ended process early change no
# figure (profiler/mapfold.h, NL_REC_RETIRE).
nl_add_c_test(test_mapfold ${CMAKE_CURRENT_LIST_DIR}/test_mapfold.c LABELS report unit)
# Ended processes beyond NL_ENDED_KEEP summed into one row per role keep
# every total, a line per worker, and alike workers' exposure.
nl_add_c_test(test_rolefold ${CMAKE_CURRENT_LIST_DIR}/test_rolefold.c LABELS report unit)
# Page faults counted as runs of pages give each mapping its page-by-page
# count (aggregate_internal.h fault_runs).
nl_add_c_test(test_faultruns ${CMAKE_CURRENT_LIST_DIR}/test_faultruns.c LABELS report unit)
