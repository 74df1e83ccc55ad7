/*
 * idn.h — international names to A-labels (IDNA2008 via libidn2).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Normalise a name a person typed: trims surrounding white space, turns
 * U-labels into A-labels (IDNA2008, non-transitional, NFC), lower-cases, and
 * keeps the trailing dot as given. A name that is plain ASCII is copied as it
 * is (DNS names may hold any octet; callers that want host names check that
 * themselves). Returns 0, or DD_EINVAL with a static reason in `*why`
 * ("not valid IDNA2008: ...", "empty name", "longer than 1024 characters").
 */
int dd_name_idn(const char *in, char *out, size_t out_size, const char **why);

/*
 * Whether `in` (surrounding white space ignored) is a URL ("https://www.example.com/x")
 * rather than a name: returns true and writes its host part ("www.example.com", without
 * user, port or path; possibly empty) to `host`, truncated to `host_size`.
 */
bool dd_name_is_url(const char *in, char *host, size_t host_size);

/*
 * Whether `in` holds white space or a control character between its first and
 * last printable characters (a typo: "www example.com"). DNS labels may hold such
 * octets, but only written as escapes ("\032").
 */
bool dd_name_has_space(const char *in);
