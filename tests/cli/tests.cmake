# cli: the one option parser (profiler/cli/cli.c) and every command's table.
nl_add_c_test(cli_parser ${CMAKE_CURRENT_LIST_DIR}/test_cli.c LABELS cli unit)
