# The JSON report against its published schema.
nl_add_sh_test(report_schema ${CMAKE_CURRENT_LIST_DIR}/schema.sh LABELS report)
nl_add_sh_test(report_demo ${CMAKE_CURRENT_LIST_DIR}/demo.sh LABELS report)
