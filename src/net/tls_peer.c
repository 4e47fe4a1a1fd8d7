/* tls_peer: certificate names and fingerprints, and matching them. */
#include "tls_peer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

int
tls_name_match(const char *pattern, const char *name)
{
	const char *dot;

	if (pattern[0] == '\0' || name[0] == '\0')
		return 0;
	if (pattern[0] != '*' || pattern[1] != '.')
		return strcasecmp(pattern, name) == 0;
	/* "*.rest": name is one non-empty label, then ".rest". */
	dot = strchr(name, '.');
	if (dot == NULL || dot == name || pattern[2] == '\0')
		return 0;
	return strcasecmp(pattern + 1, dot) == 0;
}

/* Copies the next comma-separated entry, trimmed, into out (cut to cap-1).
 * Returns the position after it, or NULL at the end of the list. */
static const char *
next_entry(const char *p, char *out, size_t cap)
{
	size_t len = 0;

	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	if (*p == '\0')
		return NULL;
	while (*p != '\0' && *p != ',') {
		if (len < cap - 1)
			out[len++] = *p;
		p++;
	}
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\t'))
		len--;
	out[len] = '\0';
	return p;
}

int
tls_names_permitted(const char *list, const struct tls_names *names)
{
	char pat[TLS_NAME_MAX + 1];
	const char *p = list;

	while ((p = next_entry(p, pat, sizeof(pat))) != NULL)
		for (size_t i = 0; i < names->n; i++)
			if (tls_name_match(pat, names->name[i]))
				return (int)i;
	return -1;
}

/* "sha256:" + hex, colons dropped, lower case; -1 when it is not one. */
static int
fpr_normalise(const char *in, char out[TLS_FPR_LEN + 1])
{
	size_t n = 0;

	if (strncasecmp(in, "sha256:", 7) != 0)
		return -1;
	memcpy(out, "sha256:", 7);
	for (const char *p = in + 7; *p != '\0'; p++) {
		char c = *p;

		if (c == ':')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n == 64)
			return -1;
		out[7 + n++] = c;
	}
	out[7 + n] = '\0';
	return n == 64 ? 0 : -1;
}

int
tls_fpr_listed(const char *list, const char *fpr)
{
	char ent[TLS_FPR_LEN + 64], norm[TLS_FPR_LEN + 1];
	const char *p = list;

	while ((p = next_entry(p, ent, sizeof(ent))) != NULL)
		if (fpr_normalise(ent, norm) == 0 && strcmp(norm, fpr) == 0)
			return 1;
	return 0;
}

int
tls_fpr_list_check(const char *list, char *err, size_t errlen)
{
	char ent[TLS_FPR_LEN + 64], norm[TLS_FPR_LEN + 1];
	const char *p = list;
	int n = 0;

	while ((p = next_entry(p, ent, sizeof(ent))) != NULL) {
		n++;
		if (fpr_normalise(ent, norm) == -1) {
			snprintf(err, errlen, "'%.80s' is not sha256: and 64 hex digits", ent);
			return -1;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "no fingerprint given");
		return -1;
	}
	return 0;
}

/* Copies a name, replacing what a record could not show as it is. */
static void
add_name(struct tls_names *names, const unsigned char *p, int len)
{
	char *d;
	size_t n = len > TLS_NAME_MAX ? TLS_NAME_MAX : (size_t)(len < 0 ? 0 : len);

	if (names->n == TLS_NAMES_MAX || n == 0)
		return;
	d = names->name[names->n++];
	for (size_t i = 0; i < n; i++)
		d[i] = p[i] > 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\' ? (char)p[i] : '?';
	d[n] = '\0';
}

int
tls_names_match_host(const struct tls_names *names, const char *host, size_t len)
{
	char h[TLS_NAME_MAX + 1];

	if (len == 0 || len > TLS_NAME_MAX || memchr(host, '\0', len) != NULL)
		return 0;
	memcpy(h, host, len);
	h[len] = '\0';
	for (size_t i = 0; i < names->n; i++) {
		const char *n = names->name[i];

		if (tls_name_match(n, h))
			return 1;
		if (memchr(h, '.', len) == NULL && strncasecmp(n, h, len) == 0 && n[len] == '.')
			return 1;
	}
	return 0;
}

void
tls_peer_names(X509 *cert, struct tls_names *names)
{
	GENERAL_NAMES *san;
	X509_NAME *subj;
	int i;

	names->n = 0;
	san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (san != NULL) {
		for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);

			if (g->type == GEN_DNS)
				add_name(names, ASN1_STRING_get0_data(g->d.dNSName),
				    ASN1_STRING_length(g->d.dNSName));
		}
		GENERAL_NAMES_free(san);
	}
	if (names->n > 0)
		return;
	/* RFC 5425 5.2: the CN only when there is no dNSName. */
	subj = X509_get_subject_name(cert);
	i = subj == NULL ? -1 : X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (i >= 0) {
		ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, cn);

		if (len > 0)
			add_name(names, utf8, len);
		OPENSSL_free(utf8);
	}
}

int
tls_peer_fpr(X509 *cert, char out[TLS_FPR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (X509_digest(cert, EVP_sha256(), md, &len) != 1 || len != 32)
		return -1;
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < len; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[TLS_FPR_LEN] = '\0';
	return 0;
}
