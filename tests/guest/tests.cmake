# Guest tests: a QEMU guest with 2 sockets x 2 cores x 2 threads and two NUMA
# nodes (distance 21) runs numalens on workloads whose placement is known by
# construction (see tests/guest/README.md).  Label "guest"; each test boots
# its own guest through tests/guest/run and exits 77 (skipped) when no guest
# can run here or the numalens command it checks does not exist yet.
set(NL_GUEST_DIR ${CMAKE_CURRENT_LIST_DIR})
set(NL_GUEST_BIN_DIR ${CMAKE_CURRENT_BINARY_DIR}/guest-bin)
set(NL_GUEST_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/guest-out)

find_package(Threads REQUIRED)
foreach(w bind seed smt)
  add_executable(nl_guest_${w} ${NL_GUEST_DIR}/workloads/${w}.c)
  target_link_libraries(nl_guest_${w} PRIVATE numa Threads::Threads)
  set_target_properties(nl_guest_${w} PROPERTIES
                        RUNTIME_OUTPUT_DIRECTORY ${NL_GUEST_BIN_DIR})
endforeach()

# nl_add_guest_test(scenario [TIMEOUT sec] [NEED pkg...]): boots one guest
# that runs tests/guest/scenarios/<scenario>.sh.  The guest's hard limit is
# TIMEOUT (seconds, boot included); ctest's is twice that (a guest kernel
# that locks up under TCG runs the scenario again with a fresh limit: see
# run) and 10 minutes more, to leave room for provisioning (a first run
# downloads the kernel and Debian packages).
function(nl_add_guest_test scenario)
  cmake_parse_arguments(G "" "TIMEOUT" "NEED" ${ARGN})
  if(NOT G_TIMEOUT)
    set(G_TIMEOUT 300)
  endif()
  set(need)
  foreach(p ${G_NEED})
    list(APPEND need --need ${p})
  endforeach()
  math(EXPR ctest_timeout "${G_TIMEOUT} * 2 + 600")
  add_test(NAME guest.${scenario}
           COMMAND bash ${NL_GUEST_DIR}/run --out ${NL_GUEST_OUT_DIR}/${scenario}
                   --timeout ${G_TIMEOUT} ${need}
                   -- bash ${NL_GUEST_DIR}/scenarios/${scenario}.sh)
  set_tests_properties(guest.${scenario} PROPERTIES
    SKIP_RETURN_CODE 77
    LABELS guest
    TIMEOUT ${ctest_timeout}
    # One guest at a time: each takes 8 vCPUs of TCG and up to 4 GiB.
    RESOURCE_LOCK numalens_guest
    ENVIRONMENT "${NL_TEST_ENV};NL_GUEST_BIN=${NL_GUEST_BIN_DIR}")
endfunction()

# The harness itself: exit codes, results share, timeout, skip.  Runs on the
# host and boots the guest several times.
add_test(NAME guest.harness COMMAND bash ${NL_GUEST_DIR}/harness-test.sh)
set_tests_properties(guest.harness PROPERTIES
  SKIP_RETURN_CODE 77 LABELS guest TIMEOUT 900 RESOURCE_LOCK numalens_guest
  ENVIRONMENT "${NL_TEST_ENV};NL_GUEST_BIN=${NL_GUEST_BIN_DIR};NL_GUEST_OUT_BASE=${NL_GUEST_OUT_DIR}/harness")

nl_add_guest_test(topology TIMEOUT 120)
nl_add_guest_test(report_bind TIMEOUT 180)
nl_add_guest_test(report_seed TIMEOUT 240)
nl_add_guest_test(report_smt TIMEOUT 180)
nl_add_guest_test(profile_bind TIMEOUT 180)
nl_add_guest_test(profile_seed TIMEOUT 300)
nl_add_guest_test(profile_smt TIMEOUT 180)
nl_add_guest_test(advice_apply TIMEOUT 360)
nl_add_guest_test(balancing TIMEOUT 300)
nl_add_guest_test(torch TIMEOUT 1080 NEED python3-torch)
# import torch under TCG: ~60 s alone, twice that on a busy 2-core host
# (a CI run beside other work timed out at 480 s with a 123 s import)
nl_add_guest_test(torch_balancing TIMEOUT 720 NEED python3-torch)
