# The advice engine: CPU plans on the real sysfs fixtures, HT and placement
# advice, the worker_init_fn snippet run in python3, command lines.
nl_add_c_test(advice_engine ${CMAKE_CURRENT_LIST_DIR}/test_advice.c LABELS unit fixtures)
