# symbols: functions, source lines and call stacks (profiler/symbols.c,
# addrspace.c, codeprofile.c) on a program built here with known functions
# at known lines, live (--call-graph fp) and offline (perf record), against
# perf report on the same file, and on the real fixtures (DSOs absent).
add_executable(nl_symprog ${CMAKE_CURRENT_LIST_DIR}/symprog.c)
add_library(nl_symlib SHARED ${CMAKE_CURRENT_LIST_DIR}/symlib.c)
foreach(t nl_symprog nl_symlib)
  # Known code at known lines: -g -O1, frame pointers, no sanitizers.
  target_compile_options(${t} PRIVATE -g -O1 -fno-omit-frame-pointer
                         -mno-omit-leaf-frame-pointer -fno-sanitize=all)
  target_link_options(${t} PRIVATE -fno-sanitize=all)
endforeach()
target_link_libraries(nl_symprog PRIVATE dl)
add_custom_command(TARGET nl_symprog POST_BUILD
                   COMMAND objcopy --strip-all $<TARGET_FILE:nl_symprog>
                           $<TARGET_FILE_DIR:nl_symprog>/nl_symprog.stripped)
add_test(NAME symbols_end_to_end
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_symbols.py
                 $<TARGET_FILE:nl_symprog> $<TARGET_FILE:nl_symlib>
                 ${CMAKE_CURRENT_LIST_DIR}/symprog.c ${CMAKE_CURRENT_LIST_DIR}/symlib.c)
set_tests_properties(symbols_end_to_end PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "${NL_TEST_ENV}" LABELS symbols)
nl_add_c_test(test_addrspace ${CMAKE_CURRENT_LIST_DIR}/test_addrspace.c LABELS symbols)
nl_add_c_test(test_callchains ${CMAKE_CURRENT_LIST_DIR}/test_callchains.c LABELS symbols)
nl_add_c_test(test_unwind ${CMAKE_CURRENT_LIST_DIR}/test_unwind.c LABELS symbols)
# A kernel sample of this kernel named from /proc/kallsyms read in its own thread.
nl_add_c_test(test_kernel_syms ${CMAKE_CURRENT_LIST_DIR}/test_kernel_syms.c LABELS symbols)
nl_add_c_test(test_symindex ${CMAKE_CURRENT_LIST_DIR}/test_symindex.c LABELS symbols)
# Compressed debug sections inflated for libdw (symbols_inflate.c): same lines.
nl_add_c_test(test_inflate ${CMAKE_CURRENT_LIST_DIR}/test_inflate.c LABELS symbols)
# Inline frames from the unit index equal dwarf_getscopes (symbols_inline.c).
nl_add_c_test(test_inline ${CMAKE_CURRENT_LIST_DIR}/test_inline.c LABELS symbols)
target_compile_options(test_inflate PRIVATE -g)
