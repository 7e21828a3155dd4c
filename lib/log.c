/* log.c - see log.h. */
#include "strata/log.h"
#include "strata/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void (*g_sink)(const char *line);

void log_set_sink(void (*sink)(const char *line))
{
	g_sink = sink;
}

void log_msg(const char *fmt, ...)
{
	va_list ap;
	char small[512], *line = small;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		line = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(line, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	if (g_sink)
		g_sink(line);
	else
		fprintf(stderr, "strata: %s\n", line);
	if (line != small)
		free(line);
}
