nl_add_sh_test(diff_cli ${CMAKE_CURRENT_LIST_DIR}/diff.sh LABELS report)
