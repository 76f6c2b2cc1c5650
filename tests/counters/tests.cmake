# Counting events: encodings per CPU model (libpfm4 forced to the model),
# the generic rows against the kernel's table, decoding/scaling/agreement,
# and a PMU injected through the syscall table for a whole profile.
nl_add_c_test(test_counters_unit ${CMAKE_CURRENT_LIST_DIR}/test_counters.c LABELS unit ARGS unit)
add_test(NAME test_counters_generic COMMAND test_counters_unit generic)
add_test(NAME test_counters_inject COMMAND test_counters_unit inject)
add_test(NAME test_counters_inject_zen COMMAND test_counters_unit inject-zen)
add_test(NAME test_counters_kernel COMMAND test_counters_unit kernel)
set_tests_properties(test_counters_generic test_counters_inject test_counters_inject_zen
                     test_counters_kernel PROPERTIES
                     SKIP_RETURN_CODE 77 LABELS "unit;live" TIMEOUT 60
                     ENVIRONMENT "${NL_TEST_ENV}")
foreach(pmu amd64_fam17h_zen2 amd64_fam19h_zen3 amd64_fam19h_zen4 skx icx spr hsw_ep)
  add_test(NAME test_counters_encode_${pmu} COMMAND test_counters_unit encode ${pmu})
  set_tests_properties(test_counters_encode_${pmu} PROPERTIES LABELS unit)
endforeach()
add_test(NAME test_counters_encode_raw COMMAND test_counters_unit encode-raw)
set_tests_properties(test_counters_encode_raw PROPERTIES LABELS unit)
# On this machine: the one-line notice without a PMU; --counters-only exits
# cleanly with it (and with the command's status); the JSON validates.
nl_add_sh_test(counters_profile ${CMAKE_CURRENT_LIST_DIR}/profile_counters.sh LABELS live TIMEOUT 120)
