/*
 * privdrop: --user and --group. The supervisor binds its ports and reads
 * its secrets as root, then gives root up for good before the log store is
 * opened and before the first fork, so every file it creates belongs to
 * the user and no child ever holds root's power.
 *
 * privdrop_resolve() looks the names up (before anything else is done, so
 * a typo stops start-up at once); privdrop_prepare_dir() creates a missing
 * log directory owned by the user; privdrop_apply() calls setgroups,
 * setgid and setuid, checks that root cannot be regained, and that the
 * user can write the log directory. Each returns -1 with one clear line
 * in err (naming the option that fixes it).
 */
#ifndef LOGSERVER_PRIVDROP_H
#define LOGSERVER_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

struct privdrop {
	int active;		/* --user given */
	uid_t uid;
	gid_t gid;
	char user[64];
	char group[64];
};

int privdrop_resolve(const char *user, const char *group, struct privdrop *pd, char *err,
    size_t errlen);
int privdrop_prepare_dir(const struct privdrop *pd, const char *dir, char *err, size_t errlen);
int privdrop_apply(const struct privdrop *pd, const char *dir, char *err, size_t errlen);

#endif
