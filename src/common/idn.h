/*
 * idn.h — international names to A-labels (IDNA2008 via libidn2).
 */
#pragma once

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
