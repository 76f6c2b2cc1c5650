# Memory bandwidth from memory-controller PMUs: fake sysfs, fake PMU.
nl_add_c_test(bandwidth_uncore ${CMAKE_CURRENT_LIST_DIR}/test_uncore.c LABELS unit)
# Local vs remote bandwidth from RDT monitoring: fake resctrl and cache trees.
nl_add_c_test(bandwidth_resctrl ${CMAKE_CURRENT_LIST_DIR}/test_resctrl.c LABELS unit)
# Bandwidth estimated from sampled DRAM accesses x period x 64 B: byte-built perf.data.
nl_add_c_test(bandwidth_estimate ${CMAKE_CURRENT_LIST_DIR}/test_bwestimate.c LABELS unit)
