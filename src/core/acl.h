/*
 * acl: pure allow-lists of client networks ("127.0.0.0/8,::1,10.1.2.3").
 *
 * Contract: acl_parse() reads a comma-separated list of IPv4 or IPv6
 * addresses, each with an optional /PREFIX; the empty list allows everyone.
 * acl_allows() matches a socket address; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, as a dual-stack socket reports IPv4 clients) is matched
 * as the IPv4 address it carries. No allocation: at most ACL_MAX entries.
 */
#ifndef LOGSERVER_ACL_H
#define LOGSERVER_ACL_H

#include <stddef.h>
#include <sys/socket.h>

#define ACL_MAX 64

struct acl_entry {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;		/* bits that must match */
};

struct acl {
	size_t n;			/* 0: everyone is allowed */
	struct acl_entry e[ACL_MAX];
};

/* Returns 0, or -1 with a message naming the bad entry in err. */
int acl_parse(struct acl *acl, const char *list, char *err, size_t errlen);

/* 1 when sa may connect, else 0. */
int acl_allows(const struct acl *acl, const struct sockaddr *sa, socklen_t len);

/* 1 when the list admits every address of some family: the empty list, or
 * an entry with prefix 0 (0.0.0.0/0, ::/0). */
int acl_everyone(const struct acl *acl);

#endif
