/*
 * net: sockets for listening and connecting, and peer address text.
 *
 * Contract: functions return descriptors or -1 and fill err with one line
 * saying what failed and where; they never print. Descriptors are
 * close-on-exec.
 */
#ifndef LOGSERVER_NET_H
#define LOGSERVER_NET_H

#include <stddef.h>
#include <sys/socket.h>

#define NET_MAX_LISTEN 8

/*
 * Opens listening sockets of the given type (SOCK_STREAM or SOCK_DGRAM) for
 * port on bind (a host name or address; "" = every interface). With "" it
 * listens on [::] accepting IPv4 too; when the machine has no IPv6 it falls
 * back to 0.0.0.0 and says so in note. Returns the number of sockets put in
 * fds (at most NET_MAX_LISTEN), or -1 with err.
 */
int net_listen(const char *bind, int port, int type, int *fds, char *note, size_t notelen,
    char *err, size_t errlen);

/* Or'ed into net_listen()'s type: bind with SO_REUSEPORT, so that several
 * sets of sockets share the port (the kernel spreads the senders over them,
 * each sender always to the same one). */
#define NET_SHARED 0x40000000

/* Connects a TCP socket to host:port, trying every address, all within
 * timeout_ms (-1: no limit; a non-blocking connect() waited for with
 * poll()). Returns a blocking socket, or -1 with err ("no answer within N s"
 * when the time ran out), or NET_UNRESOLVED when the name does not resolve
 * ("cannot resolve HOST: ..."). */
#define NET_UNRESOLVED (-2)
int net_connect(const char *host, int port, long long timeout_ms, char *err, size_t errlen);

/* "1.2.3.4:5" or "[::1]:5"; IPv4-mapped IPv6 is written as IPv4.
 * Returns the length written (dst has cap >= 64). */
size_t net_format_peer(const struct sockaddr *sa, socklen_t len, char *dst, size_t cap);

/* Formats a socket's local address (for the start record). */
size_t net_format_local(int fd, char *dst, size_t cap);

/* The address without the port, as a key (4 bytes for IPv4, IPv4-mapped
 * IPv6 included; 16 for IPv6). Returns the length, 0 for other families. */
size_t net_addr_key(const struct sockaddr *sa, socklen_t len, unsigned char key[16]);

/* 1 when the address is a loopback one (127.0.0.0/8, ::1, or IPv4-mapped
 * 127.x). */
int net_is_loopback(const struct sockaddr *sa, socklen_t len);

#define NET_KEEPALIVE_IDLE 300	/* seconds of silence before TCP probes a peer */

/* TCP keepalive on a connected socket, so dead peers are found: probes after
 * idle seconds of silence. Returns 0 or -1. */
int net_keepalive(int fd, int idle);

/* Sets O_NONBLOCK. */
int net_set_nonblock(int fd);

#endif
