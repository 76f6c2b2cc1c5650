/*
 * cli.c - the option parser and the help generator.  See cli.h.
 *
 * One pass over argv.  Operands met before the options end are kept as a
 * block that the option words are rotated in front of (getopt's
 * permutation), so at the end the operands are argv's tail, in order.
 */
#include "profiler/cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/diag.h"

/* --- values ---------------------------------------------------------------- */

/* A whole decimal number in [1, max], or -1 when text is not one. */
static long long parse_positive(const char *text, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v <= 0 || v > max)
		return -1;
	return v;
}

static int parse_double(const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	return errno || end == text || *end || !isfinite(*out) ? -1 : 0;
}

/* Stores v (already within the row's max) into an integer field of size bytes. */
static void store_integer(void *field, size_t size, long long v)
{
	uint64_t u64 = (uint64_t)v;
	uint32_t u32 = (uint32_t)v;
	uint16_t u16 = (uint16_t)v;
	uint8_t u8 = (uint8_t)v;

	switch (size) {
	case sizeof(u64):
		memcpy(field, &u64, sizeof(u64));
		break;
	case sizeof(u32):
		memcpy(field, &u32, sizeof(u32));
		break;
	case sizeof(u16):
		memcpy(field, &u16, sizeof(u16));
		break;
	default:
		memcpy(field, &u8, sizeof(u8));
		break;
	}
}

/* Whether the n bytes at key are one of the comma-separated choices. */
static bool is_choice(const char *choices, const char *key, size_t n)
{
	for (const char *c = choices; *c;) {
		size_t len = strcspn(c, ",");

		if (len == n && !strncmp(c, key, n))
			return true;
		c += len + (c[len] == ',');
	}
	return false;
}

/* "k1,k2": each key one of choices, none twice, none empty. */
static int check_keys(const char *choices, const char *text)
{
	for (const char *k = text;;) {
		size_t n = strcspn(k, ",");

		if (!n || !is_choice(choices, k, n))
			return -1;
		for (const char *prev = text; prev < k; prev += strcspn(prev, ",") + 1)
			if (strcspn(prev, ",") == n && !strncmp(prev, k, n))
				return -1;
		if (!k[n])
			return 0;
		k += n + 1;
	}
}

/* Stores text as o's value into env.  0, or -1 when it is not one. */
static int store(const struct cli_option *o, const char *text, void *env)
{
	char *field = (char *)env + o->offset;
	long long v;
	double d;

	switch (o->type) {
	case CLI_STRING:
		memcpy(field, &text, sizeof(text));
		return *text ? 0 : -1;
	case CLI_KEYS:
		memcpy(field, &text, sizeof(text));
		return o->choices && !check_keys(o->choices, text) ? 0 : -1;
	case CLI_STRINGS: {
		struct cli_strings *list = (struct cli_strings *)(void *)field;

		if (!*text || list->n == CLI_MAX_STRINGS)
			return -1;
		list->v[list->n++] = text;
		return 0;
	}
	case CLI_ID:
		v = parse_positive(text, INT_MAX);
		break;
	case CLI_COUNT:
		v = parse_positive(text, o->max);
		break;
	case CLI_SECONDS:
		if (parse_double(text, &d) || !(d > 0))
			return -1;
		memcpy(field, &d, sizeof(d));
		return 0;
	case CLI_POINTS:
		if (parse_double(text, &d) || d < 0 || d > 100)
			return -1;
		d /= 100;
		memcpy(field, &d, sizeof(d));
		return 0;
	default:
		return -1;
	}
	if (v < 0)
		return -1;
	store_integer(field, o->size, v);
	return 0;
}

/* --- lookup ------------------------------------------------------------------ */

static const struct cli_option *by_letter(const struct cli_command *cmd, char c)
{
	for (const struct cli_option *o = cmd->options; o->name; o++)
		if (o->letter && o->letter == c)
			return o;
	return NULL;
}

/* The option named name[0..len), exactly or by a unique prefix; *ambiguous
   says a prefix matched several. */
static const struct cli_option *by_name(const struct cli_command *cmd, const char *name,
					size_t len, bool *ambiguous)
{
	const struct cli_option *found = NULL;
	int prefixes = 0;

	*ambiguous = false;
	for (const struct cli_option *o = cmd->options; o->name; o++) {
		if (strncmp(o->name, name, len))
			continue;
		if (!o->name[len])
			return o;
		found = o;
		prefixes++;
	}
	*ambiguous = prefixes > 1;
	return prefixes == 1 ? found : NULL;
}

/* --- errors ------------------------------------------------------------------ */

static int usage_error(struct nl_error *err, const struct cli_command *cmd, const char *object,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int usage_error(struct nl_error *err, const struct cli_command *cmd, const char *object,
		       const char *fmt, ...)
{
	char cause[192], fix[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	snprintf(fix, sizeof(fix), "run 'numalens %s --help'", cmd->name);
	return diag__usage(err, object, fix, "%s", cause);
}

/* "-p abc: not a process id - run 'numalens profile --help'" */
static int bad_value(struct nl_error *err, const struct cli_command *cmd, const char *spelled,
		     const char *value, const struct cli_option *o)
{
	char object[160];

	snprintf(object, sizeof(object), "%s %s", spelled, value);
	return usage_error(err, cmd, object, "not %s", o->what);
}

/* --- parse ------------------------------------------------------------------- */

struct parser {
	const struct cli_command *cmd;
	int argc;
	char **argv;
	int i;                  /* next word to read */
	int nr_operands;        /* operands block: argv[i - nr_operands, i) */
	void *env;
	struct nl_error *err;
};

/* Moves the k words at argv[i..i+k) in front of the operands block. */
static void take_words(struct parser *p, int k)
{
	for (int t = 0; t < k; t++) {
		int pos = p->i + t;
		char *word = p->argv[pos];

		memmove(&p->argv[pos - p->nr_operands + 1], &p->argv[pos - p->nr_operands],
			(size_t)p->nr_operands * sizeof(*p->argv));
		p->argv[pos - p->nr_operands] = word;
	}
	p->i += k;
}

/*
 * Applies option o, spelled as `spelled`.  inline_value: the text after
 * "=" or after the letter ("-p42"), NULL if none.  Returns the number of
 * argv words consumed after the current one (0 or 1), TOOK_HELP, or
 * -EINVAL with p->err filled.
 */
#define TOOK_HELP (1 << 8)
static int apply(struct parser *p, const struct cli_option *o, const char *spelled,
		 const char *inline_value)
{
	const char *value = inline_value;
	int used = 0;

	if (o->type == CLI_HELP || o->type == CLI_FLAG) {
		if (inline_value && *spelled == '-' && spelled[1] == '-')
			return usage_error(p->err, p->cmd, spelled, "takes no value");
		if (o->type == CLI_HELP)
			return TOOK_HELP;
		*(bool *)((char *)p->env + o->offset) = true;
		return 0;
	}
	if (!value && o->optional) {
		const char *next = p->i + 1 < p->argc ? p->argv[p->i + 1] : NULL;

		if (next && (next[0] != '-' || !strcmp(next, "-"))) {
			value = next;
			used = 1;
		}
	} else if (!value && p->i + 1 < p->argc) {
		value = p->argv[p->i + 1];
		used = 1;
	}
	if (o->optional && (!value || !*value))
		value = o->implicit;
	if (!value || (!*value && (o->type == CLI_STRING || o->type == CLI_STRINGS ||
			      o->type == CLI_KEYS)))
		return usage_error(p->err, p->cmd, spelled, "missing %s", o->what);
	if (store(o, value, p->env))
		return bad_value(p->err, p->cmd, spelled, value, o);
	return used;
}

/* One "--name[=value]" word.  Same returns as apply(). */
static int long_option(struct parser *p, const char *word)
{
	const char *name = word + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_option *o;
	char spelled[96];
	bool ambiguous;

	o = by_name(p->cmd, name, len, &ambiguous);
	if (!o)
		return usage_error(p->err, p->cmd, p->cmd->name, "%s option '%.*s'",
				   ambiguous ? "ambiguous" : "unknown", (int)(len + 2), word);
	snprintf(spelled, sizeof(spelled), "--%s", o->name);
	return apply(p, o, spelled, eq ? eq + 1 : NULL);
}

/* One "-abc" word: flags, then at most one option taking the rest or the next word. */
static int short_options(struct parser *p, const char *word)
{
	for (const char *c = word + 1; *c; c++) {
		const struct cli_option *o = by_letter(p->cmd, *c);
		char spelled[3] = { '-', *c, '\0' };
		int r;

		if (!o)
			return usage_error(p->err, p->cmd, p->cmd->name, "unknown option '%s'",
					   spelled);
		if (o->arg)
			return apply(p, o, spelled, c[1] ? c + 1 : NULL);
		r = apply(p, o, spelled, NULL);
		if (r)
			return r;
	}
	return 0;
}

int cli__parse(const struct cli_command *cmd, int argc, char **argv, void *env,
	       struct cli_operands *ops, struct nl_error *err)
{
	struct parser p = { .cmd = cmd, .argc = argc, .argv = argv, .i = 1, .env = env,
			    .err = err };

	while (p.i < argc) {
		const char *word = argv[p.i];
		int r;

		if (!strcmp(word, "--")) {
			take_words(&p, 1);
			break;
		}
		if (word[0] != '-' || !word[1]) {       /* an operand ("-" too) */
			if (cmd->operands_end_options)
				break;
			p.nr_operands++;
			p.i++;
			continue;
		}
		r = word[1] == '-' ? long_option(&p, word) : short_options(&p, word);
		if (r < 0)
			return r;
		if (r == TOOK_HELP) {
			cli__help(cmd, stdout);
			return 1;
		}
		take_words(&p, 1 + r);
	}
	/* Operands: the block before p.i, then everything from p.i on. */
	ops->argv = argv + p.i - p.nr_operands;
	ops->argc = argc - (p.i - p.nr_operands);
	return 0;
}

/* --- help -------------------------------------------------------------------- */

/* "  -p, --pid PID" / "      --json [FILE]" into buf. */
static int option_label(const struct cli_option *o, char *buf, size_t size)
{
	char arg[48] = "";

	if (o->arg)
		snprintf(arg, sizeof(arg), o->optional ? " [%s]" : " %s", o->arg);
	if (o->letter)
		return snprintf(buf, size, "  -%c, --%s%s", o->letter, o->name, arg);
	return snprintf(buf, size, "      --%s%s", o->name, arg);
}

/* Writes text from column indent on, wrapped at HELP_COLUMNS, then a newline. */
#define HELP_COLUMNS 80
static void wrap(FILE *out, const char *text, int indent)
{
	int room = HELP_COLUMNS - indent > 30 ? HELP_COLUMNS - indent : 30;

	for (bool first = true; *text; first = false) {
		int len = (int)strlen(text), cut = len;

		if (len > room) {
			for (cut = room; cut > 0 && text[cut] != ' '; cut--)
				;
			if (!cut)
				cut = room;
		}
		fprintf(out, "%*s%.*s\n", first ? 2 : indent, "", cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

void cli__help(const struct cli_command *cmd, FILE *out)
{
	char label[128];
	int width = 0;

	fprintf(out, "numalens %s - %s\n\n", cmd->name, cmd->purpose);
	for (int i = 0; cmd->usage[i]; i++)
		fprintf(out, "%s numalens %s %s\n", i ? "      " : "USAGE:", cmd->name,
			cmd->usage[i]);
	if (cmd->description)
		fprintf(out, "\n%s", cmd->description);
	for (const struct cli_option *o = cmd->options; o->name; o++) {
		int n = option_label(o, label, sizeof(label));

		width = n > width ? n : width;
	}
	fprintf(out, "\nOPTIONS:\n");
	for (const struct cli_option *o = cmd->options; o->name; o++) {
		option_label(o, label, sizeof(label));
		fprintf(out, "%-*s", width, label);
		wrap(out, o->help, width + 2);
	}
	fprintf(out, "\nEXAMPLES:\n");
	for (int i = 0; cmd->examples[i]; i++)
		fprintf(out, "  %s\n", cmd->examples[i]);
	if (cmd->exit_status)
		fprintf(out, "\nEXIT STATUS: %s\n", cmd->exit_status);
}
