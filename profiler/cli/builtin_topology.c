/*
 * builtin_topology.c - `numalens topology`: print the NUMA and CPU topology
 * of this machine, or of a copied sysfs tree, as text or JSON.
 *
 * Linear: parse options, read the tree (topology__read_sysfs), render
 * (report/topology_render), report write errors.  Exit status as in
 * builtin.h: 0, 1 on a read/write error, 2 on a usage error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "profiler/cli/builtin.h"
#include "samplers/base/diag.h"
#include "samplers/base/topology.h"
#include "report/topology_render.h"

struct env {
	const char *root;       /* --sysfs-root, "/" by default */
	const char *json;       /* --json FILE ("-" = stdout), NULL for text */
};

static void usage(FILE *out)
{
	fprintf(out,
		"numalens topology - show NUMA nodes, CPUs, SMT siblings and node distances\n"
		"\n"
		"USAGE: numalens topology [--sysfs-root DIR] [--json [FILE]] [-h]\n"
		"\n"
		"  --sysfs-root DIR  read DIR/sys/devices/system instead of /sys\n"
		"                    (a copied tree, e.g. from hwloc-gather-topology)\n"
		"  --json [FILE]     print JSON instead of text, to FILE (- = stdout)\n"
		"  -h, --help        show this help\n"
		"\n"
		"EXAMPLES:\n"
		"  numalens topology                   # this machine, numactl -H style\n"
		"  numalens topology --json topo.json  # JSON into topo.json\n"
		"  numalens topology --sysfs-root /tmp/fsroot --json -\n");
}

/* Value of option opt at argv[*i] ("--opt V" or "--opt=V"); NULL if absent. */
static const char *option_value(int argc, char **argv, int *i, const char *opt,
				bool optional)
{
	size_t len = strlen(opt);
	const char *arg = argv[*i];

	if (arg[len] == '=')
		return arg + len + 1;
	if (*i + 1 < argc &&
	    (!optional || argv[*i + 1][0] != '-' || !strcmp(argv[*i + 1], "-")))
		return argv[++*i];
	return NULL;
}

static bool is_opt(const char *arg, const char *opt)
{
	size_t len = strlen(opt);

	return !strncmp(arg, opt, len) && (arg[len] == '\0' || arg[len] == '=');
}

/* Fills env from argv.  0, 1 for --help (exit 0), or NL_EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct env *env)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			usage(stdout);
			return 1;
		} else if (is_opt(arg, "--sysfs-root")) {
			env->root = option_value(argc, argv, &i, "--sysfs-root", false);
			if (!env->root || !*env->root) {
				diag__error("--sysfs-root", "missing directory",
					    "give the directory that holds sys/");
				return NL_EXIT_USAGE;
			}
		} else if (is_opt(arg, "--json")) {
			env->json = option_value(argc, argv, &i, "--json", true);
			if (!env->json || !*env->json)
				env->json = "-";
		} else {
			diag__errorf("topology: unknown argument '%s' - run 'numalens topology --help'",
				     arg);
			return NL_EXIT_USAGE;
		}
	}
	return 0;
}

/* Writes the JSON form to path ("-" = stdout).  0 or -errno. */
static int write_json(const struct nl_topology *topo, const char *path)
{
	cJSON *json = topology_render__json(topo);
	char *text = json ? cJSON_Print(json) : NULL;
	FILE *out = NULL;
	int err = 0;

	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	out = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!out) {
		err = -errno;
		goto out;
	}
	fprintf(out, "%s\n", text);
	if (out != stdout && fclose(out))
		err = -errno;
out:
	cJSON_free(text);
	cJSON_Delete(json);
	return err;
}

int cmd_topology(int argc, char **argv)
{
	struct env env = { .root = "/" };
	struct nl_topology *topo = NULL;
	char errbuf[600];
	int err, ret = parse_args(argc, argv, &env);

	if (ret)
		return ret == 1 ? NL_EXIT_OK : ret;
	topo = topology__read_sysfs(env.root, &err, errbuf, sizeof(errbuf));
	if (!topo) {
		diag__errorf("%s - check --sysfs-root (the directory that holds sys/devices/system/cpu)",
			     errbuf);
		return NL_EXIT_ERROR;
	}
	ret = NL_EXIT_OK;
	if (env.json) {
		err = write_json(topo, env.json);
		if (err) {
			diag__error(env.json, strerror(-err),
				    "check that the directory exists and is writable");
			ret = NL_EXIT_ERROR;
		}
	} else {
		topology_render__text(stdout, topo);
	}
	if (fflush(stdout) || ferror(stdout)) {
		diag__error("stdout", strerror(errno), "check the output pipe or disk");
		ret = NL_EXIT_ERROR;
	}
	topology__free(topo);
	return ret;
}
