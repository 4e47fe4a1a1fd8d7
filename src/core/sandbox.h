/*
 * sandbox: what a child that handles untrusted bytes may still do.
 *
 * Every session, RELP, query, UDP and metrics child calls sandbox_enter()
 * once its set-up is done (descriptors closed, signals installed). From then on:
 * no_new_privs is set, and a seccomp filter allows only the system calls
 * that kind of child needs (docs/SECURITY.md lists them and why). A call
 * outside the list raises SIGSYS; the handler notes the process and the
 * call in a page shared with the supervisor and the child leaves with
 * SANDBOX_EXIT, so the supervisor can record which child made which call.
 * Only that child ends; the supervisor and the other children go on.
 *
 * Where the kernel has Landlock, the child's file system is also cut down
 * to the log directory (read, write, create and remove files in it);
 * nothing else can be opened, not even for reading.
 *
 * sandbox_prepare() runs once in the supervisor before the first fork (it
 * maps the shared report page); sandbox_lookup() is for the supervisor
 * when it reaps a child that left with SANDBOX_EXIT.
 */
#ifndef LOGSERVER_SANDBOX_H
#define LOGSERVER_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/* Exit status of a child killed by its sandbox (128 + SIGSYS, as a shell shows it). */
#define SANDBOX_EXIT 159

enum sandbox_kind { SANDBOX_SESSION, SANDBOX_RELP, SANDBOX_QUERY, SANDBOX_UDP, SANDBOX_METRICS,
	SANDBOX_HOLDER };

/* Maps the report page. Returns 0, or -1 with err filled. */
int sandbox_prepare(char *err, size_t errlen);

/* Child: no_new_privs, Landlock on dirfd (when the kernel has it), then the
 * filter for kind. Returns 0, or -1 with err filled (the child must then
 * leave: it would otherwise run without its sandbox). */
int sandbox_enter(enum sandbox_kind kind, int dirfd, char *err, size_t errlen);

/* Supervisor: the forbidden call that killed pid, as "name (number)".
 * Returns 0, or -1 when pid left no report. */
int sandbox_lookup(pid_t pid, char *out, size_t cap);

/* Supervisor, at start-up: tries the sandbox in a child that leaves at
 * once, so a kernel that cannot run it stops start-up with one clear line
 * instead of every child failing later. note gets what is in force
 * ("seccomp+landlock", "seccomp", and whether the sanitizer build widened
 * the filter). Returns 0, or -1 with err filled. */
int sandbox_probe(int dirfd, char *note, size_t notecap, char *err, size_t errlen);

#endif
