/* privdrop: from root to --user/--group, once and for good. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

int
privdrop_resolve(const char *user, const char *group, struct privdrop *pd, char *err,
    size_t errlen)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	int rc;

	memset(pd, 0, sizeof(*pd));
	if (user[0] == '\0') {
		if (group[0] != '\0') {
			snprintf(err, errlen, "--group %s needs --user as well", group);
			return -1;
		}
		return 0;
	}
	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &pwp);
	if (pwp == NULL) {
		snprintf(err, errlen, "--user %s: %s", user, rc != 0 ? strerror(rc) :
		    "no such user (create it, or name another with --user)");
		return -1;
	}
	pd->uid = pw.pw_uid;
	pd->gid = pw.pw_gid;
	if (group[0] != '\0') {
		rc = getgrnam_r(group, &gr, buf, sizeof(buf), &grp);
		if (grp == NULL) {
			snprintf(err, errlen, "--group %s: %s", group, rc != 0 ? strerror(rc) :
			    "no such group (create it, or name another with --group)");
			return -1;
		}
		pd->gid = gr.gr_gid;
	}
	if (geteuid() != 0 && (geteuid() != pd->uid || getegid() != pd->gid)) {
		snprintf(err, errlen, "--user %s: only root can change its user (run as root, "
		    "or without --user)", user);
		return -1;
	}
	snprintf(pd->user, sizeof(pd->user), "%s", user);
	if (group[0] != '\0')
		snprintf(pd->group, sizeof(pd->group), "%s", group);
	else if (getgrgid_r(pd->gid, &gr, buf, sizeof(buf), &grp) == 0 && grp != NULL)
		snprintf(pd->group, sizeof(pd->group), "%s", gr.gr_name);
	else
		snprintf(pd->group, sizeof(pd->group), "%ld", (long)pd->gid);
	pd->active = 1;
	return 0;
}

int
privdrop_prepare_dir(const struct privdrop *pd, const char *dir, char *err, size_t errlen)
{
	if (!pd->active || geteuid() != 0)
		return 0;
	/* Created here and now (no one else can have put anything in it), it
	 * belongs to the user the server runs as. Any other mkdir failure
	 * (it exists, parents missing, ...) is left to the store's own error. */
	if (mkdir(dir, 0750) == 0 && chown(dir, pd->uid, pd->gid) == -1) {
		snprintf(err, errlen, "cannot give log directory %s to --user %s: %s", dir,
		    pd->user, strerror(errno));
		return -1;
	}
	return 0;
}

int
privdrop_apply(const struct privdrop *pd, const char *dir, char *err, size_t errlen)
{
	if (!pd->active)
		return 0;
	if (geteuid() == 0 && (setgroups(1, &pd->gid) == -1 || setgid(pd->gid) == -1 ||
	    setuid(pd->uid) == -1)) {
		snprintf(err, errlen, "--user %s --group %s: cannot change to them: %s", pd->user,
		    pd->group, strerror(errno));
		return -1;
	}
	if (pd->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "--user %s: root could be regained after the change; "
		    "refusing to run", pd->user);
		return -1;
	}
	if (getuid() != pd->uid || geteuid() != pd->uid || getgid() != pd->gid ||
	    getegid() != pd->gid) {
		snprintf(err, errlen, "--user %s: the change did not take effect", pd->user);
		return -1;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "log directory %s is not writable by --user %s (%s); "
		    "give it to that user (chown %s:%s %s) or choose another with --dir", dir,
		    pd->user, strerror(errno), pd->user, pd->group, dir);
		return -1;
	}
	return 0;
}
