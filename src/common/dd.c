#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/dd.h"

struct err_entry {
	int code;
	const char *sym;
	const char *msg;
};

static const struct err_entry err_table[] = {
#define DD_ERR_ROW(sym, val, msg) {val, #sym, msg},
    DD_ERRORS(DD_ERR_ROW)
#undef DD_ERR_ROW
};

const char *dd_strerror(int err)
{
	for (unsigned i = 0; i < DD_ARRAY_LEN(err_table); i++)
		if (err_table[i].code == err)
			return err_table[i].msg;
	return "unknown error";
}

const char *dd_errtoken(int err)
{
	static const struct {
		int code;
		const char *tok;
	} toks[] = {
	    {DD_OK, "ok"},
	    {DD_ENOMEM, "nomem"},
	    {DD_EINVAL, "invalid"},
	    {DD_EMALFORMED, "malformed"},
	    {DD_ETIMEOUT, "timeout"},
	    {DD_ENETWORK, "network"},
	    {DD_ELIMIT, "limit"},
	    {DD_EDEADLINE, "deadline"},
	    {DD_ECANCELLED, "cancelled"},
	    {DD_EIO, "io"},
	    {DD_EOFFLINE, "offline"},
	    {DD_EPARSE, "parse"},
	    {DD_ENOTFOUND, "notfound"},
	    {DD_ETCP, "tcp"},
	    {DD_ETRUNCATED, "truncated"},
	    {DD_EREFUSEDADDR, "refused-address"},
	    {DD_ENOSPACE, "nospace"},
	};
	for (unsigned i = 0; i < DD_ARRAY_LEN(toks); i++)
		if (toks[i].code == err)
			return toks[i].tok;
	return "error";
}

char *dd_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *dd_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

void dd_raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

bool dd_name_is_tld(const char *name)
{
	size_t n = strlen(name);
	if (n < 2 || name[n - 1] != '.')
		return false;
	for (size_t i = 0; i + 1 < n; i++) {
		if (name[i] == '\\' && i + 2 < n)
			i++; /* an escaped octet is not a label boundary */
		else if (name[i] == '.')
			return false;
	}
	return true;
}
