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
	while (n &&
	       (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\r' || in[n - 1] == '\n'))
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
		*why = rc == IDN2_TOO_BIG_DOMAIN || rc == IDN2_TOO_BIG_LABEL
			   ? "not valid IDNA2008: name or label too long"
		       : rc == IDN2_ENCODING_ERROR ? "not valid UTF-8"
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

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool dd_name_is_url(const char *in, char *host, size_t host_size)
{
	if (!in)
		return false;
	while (is_space(*in))
		in++;
	/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://". */
	const char *p = in;
	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return false;
	p += 3;
	size_t auth = strcspn(p, "/?#");
	/* user:password@ goes; the host is what follows the last '@' of the authority. */
	for (size_t i = auth; i > 0; i--)
		if (p[i - 1] == '@') {
			p += i;
			auth -= i;
			break;
		}
	size_t hl;
	if (*p == '[') {
		const char *close = memchr(p, ']', auth);
		hl = close ? (size_t)(close - p) + 1 : auth;
	} else {
		hl = strcspn(p, ":/?#");
		if (hl > auth)
			hl = auth;
	}
	while (hl && is_space(p[hl - 1]))
		hl--;
	if (host_size) {
		if (hl >= host_size)
			hl = host_size - 1;
		memcpy(host, p, hl);
		host[hl] = '\0';
	}
	return true;
}

bool dd_name_has_space(const char *in)
{
	if (!in)
		return false;
	while (is_space(*in))
		in++;
	size_t n = strlen(in);
	while (n && is_space(in[n - 1]))
		n--;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)in[i] <= 0x20 || in[i] == 0x7f)
			return true;
	return false;
}
