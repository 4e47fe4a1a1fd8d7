/* acl: CIDR allow-lists for the ingest and query ports. */
#include "acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "options.h"

int
acl_parse(struct acl *acl, const char *list, char *err, size_t errlen)
{
	const char *p = list;

	memset(acl, 0, sizeof(*acl));
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		const char *slash;
		char addr[64];
		size_t alen;
		struct acl_entry *e;
		long long prefix = -1;

		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0)
			goto next;
		if (acl->n == ACL_MAX) {
			snprintf(err, errlen, "more than %d networks in the list", ACL_MAX);
			return -1;
		}
		slash = memchr(p, '/', len);
		alen = slash != NULL ? (size_t)(slash - p) : len;
		if (alen >= sizeof(addr))
			goto bad;
		memcpy(addr, p, alen);
		addr[alen] = '\0';
		e = &acl->e[acl->n];
		if (inet_pton(AF_INET, addr, e->addr) == 1) {
			e->family = AF_INET;
			e->prefix = 32;
		} else if (inet_pton(AF_INET6, addr, e->addr) == 1) {
			e->family = AF_INET6;
			e->prefix = 128;
		} else {
			goto bad;
		}
		if (slash != NULL) {
			if (parse_ll(slash + 1, len - alen - 1, 0, e->prefix, &prefix) == -1)
				goto bad;
			e->prefix = (unsigned)prefix;
		}
		acl->n++;
next:
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
bad:
	{
		size_t len = strcspn(p, ",");
		snprintf(err, errlen, "'%.*s' is not an IPv4 or IPv6 address with an optional /prefix",
		    (int)(len > 64 ? 64 : len), p);
	}
	return -1;
}

static int
prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

int
acl_allows(const struct acl *acl, const struct sockaddr *sa, socklen_t len)
{
	const unsigned char *addr;
	int family;

	if (acl->n == 0)
		return 1;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		family = AF_INET;
		addr = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			addr = a6->s6_addr + 12;
		} else {
			family = AF_INET6;
			addr = a6->s6_addr;
		}
	} else {
		return 0;
	}
	for (size_t i = 0; i < acl->n; i++)
		if (acl->e[i].family == family && prefix_match(addr, acl->e[i].addr, acl->e[i].prefix))
			return 1;
	return 0;
}

int
acl_everyone(const struct acl *acl)
{
	if (acl->n == 0)
		return 1;
	for (size_t i = 0; i < acl->n; i++)
		if (acl->e[i].prefix == 0)
			return 1;
	return 0;
}
