/*
 * dd.h — the project's public basics: error codes and their text.
 *
 * Functions that can fail return int: 0 on success, a negative DD_E* code
 * otherwise. Results go through out-parameters.
 */
#pragma once

#define DD_VERSION_STRING "0.1.0"

/* X-macro: code, name, message. One table; dd_strerror() walks it. */
#define DD_ERRORS(X)                                                        \
	X(DD_OK, 0, "success")                                              \
	X(DD_ENOMEM, -1, "out of memory")                                   \
	X(DD_EINVAL, -2, "invalid argument")                                \
	X(DD_EMALFORMED, -3, "malformed DNS message")                       \
	X(DD_ETIMEOUT, -4, "no answer before the timeout")                  \
	X(DD_ENETWORK, -5, "network error")                                 \
	X(DD_ELIMIT, -6, "query limit for this check reached")              \
	X(DD_EDEADLINE, -7, "check deadline reached")                       \
	X(DD_ECANCELLED, -8, "cancelled")                                   \
	X(DD_EIO, -9, "input/output error")                                 \
	X(DD_EOFFLINE, -10, "refused: DNSSEC_DOCTOR_OFFLINE is set and no explicit server was given") \
	X(DD_EPARSE, -11, "parse error")                                    \
	X(DD_ENOTFOUND, -12, "not found")                                   \
	X(DD_ETCP, -13, "TCP connection failed or closed early")            \
	X(DD_ETRUNCATED, -14, "answer truncated and TCP gave none")         \
	X(DD_EREFUSEDADDR, -15, "address not allowed")

enum dd_error {
#define DD_ERR_ENUM(sym, val, msg) sym = (val),
	DD_ERRORS(DD_ERR_ENUM)
#undef DD_ERR_ENUM
};

/* Text for a DD_E* code; never NULL, static storage. */
const char *dd_strerror(int err);

/* Short stable token for a DD_E* code ("timeout", "network", ...), for JSON. */
const char *dd_errtoken(int err);

/* Raise this process's open-file limit to the hard limit: many checks at
 * once (scan, serve) hold a socket per server address they ask. */
void dd_raise_fd_limit(void);

#define DD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* strdup that passes NULL through; returns NULL for NULL or out of memory. */
char *dd_strdup(const char *s);

/* printf into a new string (caller frees); NULL on out of memory. */
char *dd_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
