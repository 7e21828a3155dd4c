/*
 * log.h - where the library's messages about served data go: one line each
 * (no newline in the format), said once by the code that found the
 * problem.  The mount sends them to stderr and syslog; the strata CLI to
 * stderr.  Thread-safe: a sink is set once, before any thread starts.
 */
#ifndef STRATA_LOG_H
#define STRATA_LOG_H

/* The sink receives the whole line, without a newline.  NULL: stderr. */
void log_set_sink(void (*sink)(const char *line));
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
