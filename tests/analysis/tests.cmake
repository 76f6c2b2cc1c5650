# analysis: the aggregator through analysis__run on scripted record streams
# (script_source.h), every count known by construction.
nl_add_c_test(analysis_aggregate ${CMAKE_CURRENT_LIST_DIR}/test_aggregate.c LABELS analysis unit)
nl_add_c_test(analysis_timeline ${CMAKE_CURRENT_LIST_DIR}/test_timeline.c LABELS analysis unit)
