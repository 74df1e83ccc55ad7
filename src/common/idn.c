#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "common/dd.h"
#include "common/idn.h"

int dd_name_idn(const char *in, char *out, size_t out_size, const char **why)
{
	*why = NULL;
	if (!in || out_size == 0) {
		*why = "empty name";
		return DD_EINVAL;
	}
	while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')
		in++;
	size_t n = strlen(in);
	while (n && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\r' || in[n - 1] == '\n'))
		n--;
	if (!n) {
		*why = "empty name";
		return DD_EINVAL;
	}
	if (n > 1024 || n >= out_size) {
		*why = "longer than 1024 characters";
		return DD_EINVAL;
	}
	bool ascii = true;
	for (size_t i = 0; i < n; i++)
		ascii &= (unsigned char)in[i] < 0x80;
	if (ascii) {
		for (size_t i = 0; i < n; i++)
			out[i] = (char)tolower((unsigned char)in[i]);
		out[n] = '\0';
		return 0;
	}
	/* libidn2 wants the name without the root label's dot. */
	bool dot = in[n - 1] == '.';
	char *u = strndup(in, dot ? n - 1 : n);
	if (!u)
		return DD_ENOMEM;
	char *a = NULL;
	int rc = idn2_to_ascii_8z(u, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	free(u);
	if (rc != IDN2_OK || !a) {
		*why = rc == IDN2_TOO_BIG_DOMAIN || rc == IDN2_TOO_BIG_LABEL ? "not valid IDNA2008: name or label too long"
		       : rc == IDN2_ENCODING_ERROR				      ? "not valid UTF-8"
										      : "not valid IDNA2008 (RFC 5891)";
		idn2_free(a);
		return DD_EINVAL;
	}
	size_t an = strlen(a);
	if (an + (dot ? 2 : 1) > out_size) {
		idn2_free(a);
		*why = "longer than 1024 characters";
		return DD_EINVAL;
	}
	for (size_t i = 0; i < an; i++)
		out[i] = (char)tolower((unsigned char)a[i]);
	if (dot)
		out[an++] = '.';
	out[an] = '\0';
	idn2_free(a);
	return 0;
}
