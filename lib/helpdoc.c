/*
 * helpdoc.c - see strata/helpdoc.h.
 */
#include "strata/helpdoc.h"
#include "strata/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 79   /* --help text wraps before this column */
#define OPT_COL 26 /* where option descriptions start */

/* ---- plain text ---- */

/* Length of an option's own name: "--verbose" of "--verbose,-v"; the alias follows a comma. */
static size_t name_len(const char *name)
{
	return strcspn(name, ",");
}

/* The option's names as shown: "-v, --verbose", "--wait[=DURATION]", "--at TIME". */
static void opt_label(struct buf *b, const struct help_opt *o)
{
	size_t n = name_len(o->name);
	if (o->name[n]) {
		buf_adds(b, o->name + n + 1);
		buf_adds(b, ", ");
	}
	buf_add(b, o->name, n);
	if (o->arg == HELP_ARG_REQUIRED)
		buf_addf(b, " %s", o->value);
	else if (o->arg == HELP_ARG_OPTIONAL)
		buf_addf(b, "[=%s]", o->value);
}

/* Write text without `code` backticks. */
static void put_plain(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '`')
			fputc(s[i], f);
}

static size_t plain_len(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] != '`';
	return k;
}

/*
 * Print marked-up text rewrapped to WIDTH, each line indented by indent;
 * used: columns already taken on the current line (an option's label).
 */
static void wrap(FILE *f, const char *text, int indent, int used)
{
	const char *p = text;
	int col = used;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0) {
			/* a blank line ends a paragraph */
			if (col > 0)
				fputc('\n', f);
			fputc('\n', f);
			col = 0;
		} else if (n >= 2 && p[0] == ' ' && p[1] == ' ') {
			/* preformatted: as it is, on its own line */
			if (col > 0)
				fputc('\n', f);
			fprintf(f, "%*s", indent, "");
			put_plain(f, p, n);
			fputc('\n', f);
			col = 0;
		} else {
			for (const char *w = p; w < p + n;) {
				while (w < p + n && *w == ' ')
					w++;
				const char *we = w;
				while (we < p + n && *we != ' ')
					we++;
				if (we == w)
					break;
				int len = (int)plain_len(w, (size_t)(we - w));
				if (col <= indent) {
					fprintf(f, "%*s", indent - col, "");
					col = indent;
				} else if (col + 1 + len > WIDTH) {
					fprintf(f, "\n%*s", indent, "");
					col = indent;
				} else {
					fputc(' ', f);
					col++;
				}
				put_plain(f, w, (size_t)(we - w));
				col += len;
				w = we;
			}
		}
		p += n + (e ? 1 : 0);
	}
	if (col > 0)
		fputc('\n', f);
}

static void synopsis(FILE *f, const struct help_page *p, const struct help_cmd *c)
{
	fprintf(f, "%s", p->prog);
	if (c->name)
		fprintf(f, " %s", c->name);
	if (c->args && *c->args)
		fprintf(f, " %s", c->args);
	if (c->opts && c->opts[0].name)
		fputs(" [OPTIONS]", f);
	fputc('\n', f);
}

void helpdoc_overview(FILE *f, const struct help_page *p)
{
	fprintf(f, "%s - %s\n\nusage:\n", p->prog, p->summary);
	for (const struct help_cmd *c = p->cmds; c->summary; c++) {
		fputs("  ", f);
		synopsis(f, p, c);
	}
	if (p->cmds[0].name) {
		fputs("\ncommands:\n", f);
		for (const struct help_cmd *c = p->cmds; c->summary; c++)
			fprintf(f, "  %-10s %s\n", c->name, c->summary);
		fprintf(f, "\nRun '%s help COMMAND' or '%s COMMAND --help' for a command's options,\n"
			   "'%s --version' for the version and 'man %s' for the whole manual.\n",
			p->prog, p->prog, p->prog, p->prog);
	}
}

static void options(FILE *f, const struct help_opt *opts)
{
	struct buf b = BUF_INIT;
	for (const struct help_opt *o = opts; o && o->name; o++) {
		buf_reset(&b);
		opt_label(&b, o);
		fprintf(f, "  %s", (char *)b.data);
		int col = 2 + (int)b.len;
		if (col >= OPT_COL - 1) {
			fputc('\n', f);
			col = 0;
		}
		wrap(f, o->text, OPT_COL, col);
	}
	buf_release(&b);
}

void helpdoc_command(FILE *f, const struct help_page *p, const struct help_cmd *c)
{
	fputs("usage: ", f);
	synopsis(f, p, c);
	fputc('\n', f);
	wrap(f, c->summary, 0, 0);
	if (c->text) {
		fputc('\n', f);
		wrap(f, c->text, 0, 0);
	}
	fputs("\noptions:\n", f);
	options(f, c->opts);
	static const struct help_opt help_opt[] = {
		{ "--help,-h", HELP_ARG_NONE, NULL, "show this help and exit", false },
		{ 0 },
	};
	options(f, help_opt);
}

const struct help_cmd *helpdoc_find(const struct help_page *p, const char *name)
{
	for (const struct help_cmd *c = p->cmds; c->summary; c++)
		if (c->name && !strcmp(c->name, name))
			return c;
	return NULL;
}

/* ---- roff ---- */

/* Escape for roff: backslash, hyphens (as \-), `code` in bold. */
static void roff_text(FILE *f, const char *s, size_t n, bool *bold)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '`') {
			fputs(*bold ? "\\fR" : "\\fB", f);
			*bold = !*bold;
		} else if (c == '\\') {
			fputs("\\e", f);
		} else if (c == '-') {
			fputs("\\-", f);
		} else {
			fputc(c, f);
		}
	}
}

/* One roff line: a leading '.' or '\'' would be read as a request. */
static void roff_line(FILE *f, const char *s, size_t n, bool *bold)
{
	if (n && (s[0] == '.' || s[0] == '\''))
		fputs("\\&", f);
	roff_text(f, s, n, bold);
	fputc('\n', f);
}

static void roff_body(FILE *f, const char *text)
{
	const char *p = text;
	bool bold = false, pre = false, need_pp = false;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0) {
			need_pp = true;
		} else if (n >= 2 && p[0] == ' ' && p[1] == ' ') {
			if (!pre)
				fputs(".PP\n.nf\n.RS 4\n", f);
			pre = true;
			need_pp = false;
			roff_line(f, p + 2, n - 2, &bold);
		} else {
			if (pre) {
				fputs(".RE\n.fi\n", f);
				pre = false;
				need_pp = true;
			}
			if (need_pp)
				fputs(".PP\n", f);
			need_pp = false;
			roff_line(f, p, n, &bold);
		}
		p += n + (e ? 1 : 0);
	}
	if (pre)
		fputs(".RE\n.fi\n", f);
	if (bold)
		fputs("\\fR\n", f);
}

static void roff_upper(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(toupper((unsigned char)*s), f);
}

static void roff_synopsis(FILE *f, const struct help_page *p, const struct help_cmd *c)
{
	bool bold = false;
	fprintf(f, "\\fB%s", p->prog);
	if (c->name)
		fprintf(f, " %s", c->name);
	fputs("\\fR", f);
	if (c->args && *c->args) {
		fputc(' ', f);
		roff_text(f, c->args, strlen(c->args), &bold);
	}
	if (c->opts && c->opts[0].name)
		fputs(" [\\fIoptions\\fR]", f);
	fputc('\n', f);
}

void helpdoc_roff(FILE *f, const struct help_page *p, const char *version)
{
	bool bold = false;
	struct buf b = BUF_INIT;
	fputs(".TH ", f);
	roff_upper(f, p->prog);
	fprintf(f, " %d \"\" \"%s %s\" \"%s\"\n", p->man_section, p->prog, version,
		p->man_section == 8 ? "System Administration" : "User Commands");
	fprintf(f, ".SH NAME\n%s \\- ", p->prog);
	roff_line(f, p->summary, strlen(p->summary), &bold);
	fputs(".SH SYNOPSIS\n", f);
	for (const struct help_cmd *c = p->cmds; c->summary; c++) {
		fputs(".br\n", f);
		roff_synopsis(f, p, c);
	}
	fputs(".SH DESCRIPTION\n", f);
	roff_body(f, p->text);
	fputs(p->cmds[0].name ? ".SH COMMANDS\n" : ".SH OPTIONS\n", f);
	for (const struct help_cmd *c = p->cmds; c->summary; c++) {
		if (c->name) {
			fputs(".SS ", f);
			roff_synopsis(f, p, c);
			roff_body(f, c->summary);
			if (c->text) {
				fputs(".PP\n", f);
				roff_body(f, c->text);
			}
		}
		for (const struct help_opt *o = c->opts; o && o->name; o++) {
			buf_reset(&b);
			opt_label(&b, o);
			fputs(".TP\n", f);
			fputs("\\fB", f);
			roff_text(f, (char *)b.data, b.len, &bold);
			fputs("\\fR\n", f);
			roff_body(f, o->text);
		}
	}
	for (const struct help_section *s = p->sections; s && s->title; s++) {
		fprintf(f, ".SH %s\n", s->title);
		roff_body(f, s->text);
	}
	buf_release(&b);
}

/* ---- parsing ---- */

/* The option whose name or alias is the n bytes at word. */
static const struct help_opt *match(const struct help_opt *opts, const char *word, size_t n)
{
	for (const struct help_opt *o = opts; o && o->name; o++) {
		size_t ln = name_len(o->name);
		const char *alias = o->name[ln] ? o->name + ln + 1 : NULL;
		if (ln == n && !strncmp(o->name, word, n))
			return o;
		if (alias && strlen(alias) == n && !strncmp(alias, word, n))
			return o;
	}
	return NULL;
}

static void add_value(struct help_args *a, const struct help_opt *o, const char *v)
{
	a->v = xrealloc(a->v, (a->nv + 1) * sizeof(*a->v));
	a->v[a->nv].opt = o;
	a->v[a->nv].value = v;
	a->nv++;
}

int helpdoc_parse(const struct help_cmd *c, int argc, char **argv, struct help_args *a,
		  char *why, size_t whylen)
{
	bool opts_done = false;
	memset(a, 0, sizeof(*a));
	a->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		if (opts_done || w[0] != '-' || !w[1]) {
			a->pos[a->npos++] = w;
			continue;
		}
		if (!strcmp(w, "--")) {
			opts_done = true;
			continue;
		}
		if (!strcmp(w, "-h") || !strcmp(w, "--help")) {
			a->help = true;
			continue;
		}
		const char *eq = w[1] == '-' ? strchr(w, '=') : NULL;
		size_t n = eq ? (size_t)(eq - w) : strlen(w);
		const struct help_opt *o = match(c->opts, w, n);
		if (!o) {
			snprintf(why, whylen, "unknown option '%.*s'%s%s", (int)(n > 60 ? 60 : n), w,
				 c->name ? " to " : "", c->name ? c->name : "");
			return -EINVAL;
		}
		if (o->arg == HELP_ARG_NONE && eq) {
			snprintf(why, whylen, "%.*s takes no value", (int)n, w);
			return -EINVAL;
		}
		if (!o->repeat)
			for (size_t k = 0; k < a->nv; k++)
				if (a->v[k].opt == o) {
					snprintf(why, whylen, "%.*s is given twice", (int)n, w);
					return -EINVAL;
				}
		const char *v = NULL;
		if (eq) {
			v = eq + 1;
		} else if (o->arg == HELP_ARG_REQUIRED) {
			if (i + 1 >= argc) {
				snprintf(why, whylen, "%.*s needs a value (%s)", (int)n, w, o->value);
				return -EINVAL;
			}
			v = argv[++i];
		}
		add_value(a, o, v);
	}
	return 0;
}

void helpdoc_args_release(struct help_args *a)
{
	free(a->pos);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static bool same_opt(const struct help_opt *o, const char *name)
{
	size_t ln = name_len(o->name);
	return strlen(name) == ln && !strncmp(o->name, name, ln);
}

const char *helpdoc_value(const struct help_args *a, const char *name, bool *given)
{
	const char *v = NULL;
	bool g = false;
	for (size_t k = 0; k < a->nv; k++)
		if (same_opt(a->v[k].opt, name)) {
			v = a->v[k].value;
			g = true;
		}
	if (given)
		*given = g;
	return v;
}

bool helpdoc_flag(const struct help_args *a, const char *name)
{
	bool g;
	helpdoc_value(a, name, &g);
	return g;
}
