# cli: the one option parser (profiler/cli/cli.c) and every command's table.
nl_add_c_test(cli_parser ${CMAKE_CURRENT_LIST_DIR}/test_cli.c LABELS cli unit)
nl_add_sh_test(cli_options ${CMAKE_CURRENT_LIST_DIR}/options.sh LABELS cli TIMEOUT 120)
