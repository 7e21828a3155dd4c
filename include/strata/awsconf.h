/*
 * awsconf.h - AWS's shared files, as the CLI and SDKs read them: the
 * credentials file (~/.aws/credentials, or AWS_SHARED_CREDENTIALS_FILE;
 * sections named after the profile) and the config file (~/.aws/config, or
 * AWS_CONFIG_FILE; sections "[default]" and "[profile NAME]").  INI text:
 * "[section]" lines, "key = value" lines, '#' and ';' comments; spaces
 * around names and values do not count.
 */
#ifndef STRATA_AWSCONF_H
#define STRATA_AWSCONF_H

#include <stddef.h>

/*
 * The value of key in [section] of the n bytes of text (the last one when
 * it is given twice).  0 with *val malloc'ed; -ENOENT none; -EINVAL a
 * section line without its ']' or a NUL in the value.
 */
int aws_ini_get(const char *text, size_t n, const char *section, const char *key, char **val);

#endif
