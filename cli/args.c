/*
 * args.c — rag-ctl option parsing and argument validators.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag-ctl.h"

/* See rag-ctl.h. */
int usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rag-ctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: rag-ctl %s\n", usage);
	return EXIT_USAGE;
}

/* See rag-ctl.h. */
int not_implemented(const char *what)
{
	fprintf(stderr, "rag-ctl: '%s' is not implemented yet\n", what);
	return EXIT_REFUSED;
}

/* See rag-ctl.h. */
int parse_opts(const char *cmd, int argc, char **argv, const struct opt_spec *spec,
	       size_t nspec, struct opt_val *vals, const char **pos, size_t maxpos,
	       size_t *npos)
{
	bool opts_done = false;

	memset(vals, 0, nspec * sizeof(vals[0]));
	*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		size_t k, nlen;

		if (opts_done || a[0] != '-' || a[1] == '\0' ||
		    (a[1] != '-' && isdigit((unsigned char)a[1]))) {
			if (*npos >= maxpos) {
				fprintf(stderr, "rag-ctl: %s: unexpected argument '%s'\n", cmd, a);
				return -1;
			}
			pos[(*npos)++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
			continue;
		}
		if (a[1] != '-') {
			/* single-letter options ("-o FILE") are spec names of length 1 */
			if (a[2] != '\0') {
				fprintf(stderr, "rag-ctl: %s: unknown option '%s'\n", cmd, a);
				return -1;
			}
			a += 1;
		} else {
			a += 2;
		}
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		for (k = 0; k < nspec; k++)
			if (strlen(spec[k].name) == nlen && !strncmp(spec[k].name, a, nlen))
				break;
		if (k == nspec) {
			if (nlen == 8 && !strncmp(a, "password", 8))
				fprintf(stderr, "rag-ctl: %s: passwords are read only from standard "
					"input (--password-stdin), never from the command line\n", cmd);
			else
				fprintf(stderr, "rag-ctl: %s: unknown option '%s'\n", cmd, argv[i]);
			return -1;
		}
		if (spec[k].has_arg) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				fprintf(stderr, "rag-ctl: %s: option '%s' needs a value\n", cmd,
					argv[i]);
				return -1;
			}
		} else if (eq) {
			fprintf(stderr, "rag-ctl: %s: option '--%s' takes no value\n", cmd,
				spec[k].name);
			return -1;
		}
		if (vals[k].count && !spec[k].multi) {
			fprintf(stderr, "rag-ctl: %s: option '--%s' given twice\n", cmd,
				spec[k].name);
			return -1;
		}
		if (vals[k].count >= OPT_MAX_VALUES) {
			fprintf(stderr, "rag-ctl: %s: too many '--%s'\n", cmd, spec[k].name);
			return -1;
		}
		vals[k].val[vals[k].count++] = val ? val : "";
	}
	return 0;
}

/* See rag-ctl.h. */
bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._@-", s[i]))
			return false;
	return true;
}

/* Decimal in [min, max], digits only, overflow-safe. */
bool valid_uint(const char *s, unsigned long min, unsigned long max)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	return v >= min && v <= max;
}

/* See rag-ctl.h. */
bool valid_dn(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 512 || !strchr(s, '='))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

/* See rag-ctl.h: an IKE SA id as shown by 'sa list' (decimal or hex). */
bool valid_sa_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}
