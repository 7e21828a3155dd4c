/*
 * helpdoc.h - a command's documentation, written once and printed two ways:
 * as `--help` text for a terminal and as a roff man page (meson builds
 * strata.1 and stratafs.8 by running the programs with --man, so the page
 * cannot drift from --help).  The same option tables drive the argument
 * parsers (helpdoc_parse), so an option is documented if and only if it
 * is accepted.
 *
 * Text markup, the same for both outputs:
 *   - paragraphs are separated by a blank line; text is rewrapped;
 *   - a line that starts with two spaces is preformatted (examples);
 *   - `code` is set in bold in the man page and left as is in --help.
 * Everything here is static data; nothing is allocated but by
 * helpdoc_parse (released with helpdoc_args_release).
 */
#ifndef STRATA_HELPDOC_H
#define STRATA_HELPDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct help_args;

enum help_arg {
	HELP_ARG_NONE,     /* --flag */
	HELP_ARG_REQUIRED, /* --opt VALUE or --opt=VALUE */
	HELP_ARG_OPTIONAL, /* --opt or --opt=VALUE (never a separate word) */
};

struct help_opt {
	const char *name;  /* "--at"; a short alias after a comma: "--verbose,-v" */
	enum help_arg arg;
	const char *value; /* "TIME" (shown in help; NULL for flags) */
	const char *text;  /* what it does */
	bool repeat;       /* may be given more than once */
};

struct help_cmd {
	const char *name;     /* "backup"; NULL for a program without subcommands */
	const char *args;     /* positional arguments as shown: "REPO SOURCE.db" */
	const char *summary;  /* one line, lowercase, no full stop */
	const char *text;     /* description (markup above) */
	const struct help_opt *opts; /* ends with a zeroed entry; may be NULL */
	int (*run)(const struct help_args *a); /* the command itself (NULL: documentation only) */
};

struct help_section {
	const char *title; /* "EXIT STATUS" */
	const char *text;
};

struct help_page {
	const char *prog;    /* "strata" */
	int man_section;     /* 1 or 8 */
	const char *summary; /* NAME line: "browsable backups of SQLite databases" */
	const char *text;    /* DESCRIPTION (before the commands) */
	const struct help_cmd *cmds; /* ends with a zeroed entry */
	const struct help_section *sections; /* after the commands; ends with a zeroed entry */
};

/* `PROG --help` / `PROG help`: usage of every command and where to read more. */
void helpdoc_overview(FILE *f, const struct help_page *p);
/* `PROG COMMAND --help`: the command's synopsis, description and options. */
void helpdoc_command(FILE *f, const struct help_page *p, const struct help_cmd *c);
/* The whole page in roff (man(7) macros); version goes into the footer. */
void helpdoc_roff(FILE *f, const struct help_page *p, const char *version);
/* The command called name, or NULL. */
const struct help_cmd *helpdoc_find(const struct help_page *p, const char *name);

/* ---- parsing arguments against a command's option table ---- */

struct help_value {
	const struct help_opt *opt;
	const char *value; /* borrowed from argv; NULL for a flag or a bare optional */
};

struct help_args {
	const char **pos;          /* positional arguments, in order */
	size_t npos;
	struct help_value *v;      /* options, in the order given */
	size_t nv;
	bool help;                 /* -h or --help was given */
};

/*
 * Parse argv (the words after the command name) against c->opts; "--" ends
 * the options.  On a usage error returns -EINVAL and writes a one-line
 * reason (no prefix, no newline) into why.  a is released by
 * helpdoc_args_release whatever the result.
 */
int helpdoc_parse(const struct help_cmd *c, int argc, char **argv, struct help_args *a,
		  char *why, size_t whylen);
void helpdoc_args_release(struct help_args *a);
/* The last value given for name ("--at"), or NULL; *given says whether it appeared at all. */
const char *helpdoc_value(const struct help_args *a, const char *name, bool *given);
/* Whether a flag (or an option with any value) was given. */
bool helpdoc_flag(const struct help_args *a, const char *name);

#endif
