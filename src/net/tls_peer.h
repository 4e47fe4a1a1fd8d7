/*
 * tls_peer: who a TLS peer is, and whether it may talk to us (RFC 5425
 * section 5.2 for the names).
 *
 * Contract: the matching functions are pure (strings in, answer out). A
 * pattern is a DNS name, compared without regard to ASCII case; a leftmost
 * label "*" ("*.example.com") stands for exactly one label, never empty and
 * never more than one. A permitted list is names separated by commas
 * (white space around them ignored). A fingerprint is "sha256:" and 64 hex
 * digits, colons between the digit pairs allowed (rsyslog writes them so).
 * tls_peer_names() collects a certificate's names the RFC's way: every
 * subjectAltName dNSName, and only when there is none, the subject's CN.
 * Names are copied with every byte outside 0x21..0x7e (and '"', '\\')
 * replaced by '?', at most TLS_NAME_MAX bytes, so they are safe in a record.
 */
#ifndef LOGSERVER_TLS_PEER_H
#define LOGSERVER_TLS_PEER_H

#include <stddef.h>

#define TLS_NAME_MAX 128
#define TLS_NAMES_MAX 16	/* names of one certificate looked at, at most */
#define TLS_FPR_LEN (7 + 64)	/* "sha256:" + hex */

struct x509_st;

struct tls_names {
	char name[TLS_NAMES_MAX][TLS_NAME_MAX + 1];
	size_t n;
};

/* 1 when name matches pattern (see above). */
int tls_name_match(const char *pattern, const char *name);

/* The first entry of the comma-separated list that one of names matches,
 * as its index among names, or -1. */
int tls_names_permitted(const char *list, const struct tls_names *names);

/* 1 when the normalised fingerprint fpr ("sha256:" + 64 lower-case hex)
 * is in the comma-separated list. */
int tls_fpr_listed(const char *list, const char *fpr);

/* 0 when every entry of the list is a well-formed fingerprint; -1 and the
 * bad entry in err otherwise. */
int tls_fpr_list_check(const char *list, char *err, size_t errlen);

/* --tls-check-hostname: 1 when a message's HOSTNAME host[0..len) is one of
 * names (a name may be a pattern), or a short name that is the first label
 * of one of them ("web1" for "web1.example.com": devices often send their
 * short name). Case does not matter. */
int tls_names_match_host(const struct tls_names *names, const char *host, size_t len);

/* Fills names from the certificate (see above). */
void tls_peer_names(struct x509_st *cert, struct tls_names *names);

/* "sha256:" + 64 lower-case hex of the certificate's DER; -1 on failure. */
int tls_peer_fpr(struct x509_st *cert, char out[TLS_FPR_LEN + 1]);

#endif
