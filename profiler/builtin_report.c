/* placeholder until the perf.data source lands (this session) */
#include "profiler/builtin.h"
int cmd_report(int argc, char **argv) { (void)argc; (void)argv; return NL_EXIT_ERROR; }
