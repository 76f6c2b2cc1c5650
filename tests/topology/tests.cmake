# Topology: the sysfs reader, the builder API, the renderers and the CLI.
set(NL_TOPO_TESTS ${CMAKE_CURRENT_LIST_DIR})
nl_add_c_test(topology_cpuset ${NL_TOPO_TESTS}/test_cpuset.c LABELS topology unit)
nl_add_c_test(topology_builder ${NL_TOPO_TESTS}/test_builder.c LABELS topology unit)
nl_add_c_test(topology_synthetic ${NL_TOPO_TESTS}/test_synthetic.c LABELS topology unit)
nl_add_c_test(topology_fixtures ${NL_TOPO_TESTS}/test_fixtures.c LABELS topology fixtures)
nl_add_c_test(topology_this_machine ${NL_TOPO_TESTS}/test_this_machine.c LABELS topology)
nl_add_sh_test(topology_cli ${NL_TOPO_TESTS}/test_cli.sh LABELS topology TIMEOUT 120)
nl_add_c_test(topology_inject ${NL_TOPO_TESTS}/test_inject.c LABELS topology unit)
