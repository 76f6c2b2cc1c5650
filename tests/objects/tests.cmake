# objects: the data objects (profiler/objects.c) with allocation sites from
# uprobes (samplers/allocprobe.c), live on workloads whose allocation and
# first-touch sites are marked in their source, and recorded.
add_executable(nl_alloc_workload ${CMAKE_CURRENT_LIST_DIR}/alloc_workload.c)
# Sites are found by frame pointers and line tables, whatever the build type.
target_compile_options(nl_alloc_workload PRIVATE -O1 -g -fno-omit-frame-pointer
                       -fno-sanitize=all)
target_link_options(nl_alloc_workload PRIVATE -fno-sanitize=all)
add_test(NAME objects_alloc_sites
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/alloc_sites.sh
                 $<TARGET_FILE:nl_alloc_workload> ${CMAKE_CURRENT_LIST_DIR}/alloc_workload.c)
set_tests_properties(objects_alloc_sites PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS live)

add_executable(nl_touch_workload ${CMAKE_CURRENT_LIST_DIR}/touch_workload.c)
target_link_libraries(nl_touch_workload PRIVATE Threads::Threads)
target_compile_options(nl_touch_workload PRIVATE -O1 -g -fno-omit-frame-pointer
                       -fno-sanitize=all)
target_link_options(nl_touch_workload PRIVATE -fno-sanitize=all)
add_test(NAME objects_first_touch
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/first_touch.sh
                 $<TARGET_FILE:nl_touch_workload> ${CMAKE_CURRENT_LIST_DIR}/touch_workload.c)
set_tests_properties(objects_first_touch PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS live)

nl_add_c_test(test_allocprobe ${CMAKE_CURRENT_LIST_DIR}/test_allocprobe.c LABELS unit)
# The node of each new page as it lands (samplers/faultnode.c): raw
# tracepoint records, a fake tracefs and a fake two-node sysfs.
nl_add_c_test(test_faultnode ${CMAKE_CURRENT_LIST_DIR}/test_faultnode.c LABELS unit)

# A Python workload (tests/python/dataset_readers.py: a bytearray or file
# mmap dataset in the parent, forked readers) profiled by PID.
add_test(NAME objects_python
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/python_objects.py
                 ${CMAKE_SOURCE_DIR}/tests/python/dataset_readers.py /usr/bin/python3)
set_tests_properties(objects_python PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS "live;python")

# THP: one fault per 2 MiB, counted as the one page it hit (touch_workload thp).
add_test(NAME objects_thp_touch
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/thp_touch.sh
                 $<TARGET_FILE:nl_touch_workload> ${CMAKE_CURRENT_LIST_DIR}/touch_workload.c)
set_tests_properties(objects_thp_touch PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS live)

# Real PyTorch (python3-torch): the dataset tensor's object, by pid.
add_test(NAME objects_torch
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/torch_objects.py ${CMAKE_SOURCE_DIR}/tests/guest/train.py)
set_tests_properties(objects_torch PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS "live;torch")

# Retiring an ended worker (NL_REC_RETIRE) settles its pages and stacks
# early and changes no object figure (profiler/objects.h).
nl_add_c_test(test_objects_retire ${CMAKE_CURRENT_LIST_DIR}/test_objretire.c LABELS unit)
nl_add_c_test(test_objects_nested ${CMAKE_CURRENT_LIST_DIR}/test_objnested.c LABELS unit)

# The node of each new page as it lands (tracefs page_fault_user paired with
# mm_page_alloc): children that exit before move_pages can ask.
add_executable(nl_exit_workload ${CMAKE_CURRENT_LIST_DIR}/exit_workload.c)
target_compile_options(nl_exit_workload PRIVATE -O1 -g -fno-sanitize=all)
target_link_options(nl_exit_workload PRIVATE -fno-sanitize=all)
add_test(NAME objects_page_landing
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/page_landing.sh $<TARGET_FILE:nl_exit_workload>)
set_tests_properties(objects_page_landing PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS live)
# The first-touch page table: one entry per (process, page), guess or not.
nl_add_c_test(test_touch_pages ${CMAKE_CURRENT_LIST_DIR}/test_touch_pages.c LABELS unit)

# What ended workers leave behind, by count (address spaces, stacks,
# objects, pages, allocations, heap bytes): flat from 150 to 300 retired.
nl_add_c_test(test_retire_bounded ${CMAKE_CURRENT_LIST_DIR}/test_retire_bounded.c LABELS unit)
