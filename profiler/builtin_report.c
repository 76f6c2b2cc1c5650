/* placeholder until the perf.data source lands (this session) */
#include "profiler/builtin.h"
int cmd_report(int argc, char **argv) { (void)argc; (void)argv; return NL_EXIT_ERROR; }
/* placeholders until their modules land */
int cmd_profile(int argc, char **argv) { (void)argc; (void)argv; return NL_EXIT_ERROR; }
int cmd_topology(int argc, char **argv) { (void)argc; (void)argv; return NL_EXIT_ERROR; }
int cmd_diff(int argc, char **argv) { (void)argc; (void)argv; return NL_EXIT_ERROR; }
