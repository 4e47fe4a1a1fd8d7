/*
 * client_lines: logclient's standard input cut into messages (pure).
 *
 * Contract: the caller reads bytes into the space lines_space() gives and
 * reports them with lines_added(), or reports EOF with lines_eof();
 * lines_next() then returns one message at a time, pointing into the
 * buffer (valid until the next lines_space()). A message is a line without
 * its LF and without one CR before it; a line longer than LINES_MSG_MAX
 * bytes is cut into pieces of LINES_MSG_MAX bytes, each its own message.
 * In an interactive session (standard input a terminal) a whole line
 * "quit" ends the input (it and everything after it are not messages); a
 * last line without LF at EOF is a message too, unless it is "quit". From
 * a pipe or a file "quit" is an ordinary message. No I/O, no allocation.
 */
#ifndef LOGSERVER_CLIENT_LINES_H
#define LOGSERVER_CLIENT_LINES_H

#include <stddef.h>

#define LINES_MSG_MAX (64 * 1024)
/* Room for two longest lines with CR LF, so a read never has to be tiny. */
#define LINES_BUF (2 * (LINES_MSG_MAX + 2))

struct lines {
	char buf[LINES_BUF];
	size_t start;		/* first byte not yet returned */
	size_t len;		/* bytes in buf */
	int eof;		/* no more input will come */
	int interactive;	/* a line "quit" ends the input */
	int quit;		/* a line "quit" was seen */
	int cut;		/* the next message continues a cut line */
};

void lines_init(struct lines *ls, int interactive);

/* Where the next read goes (moves pending bytes to the front first);
 * *cap is 0 when the buffer holds a full piece already. */
char *lines_space(struct lines *ls, size_t *cap);
void lines_added(struct lines *ls, size_t n);
void lines_eof(struct lines *ls);

/* 1 with the next message in *msg, *len; 0 when more input is needed or the
 * input is over (lines_done()). */
int lines_next(struct lines *ls, const char **msg, size_t *len);

/* 1 when no message will come any more (EOF or "quit", all returned). */
int lines_done(const struct lines *ls);

/* 1 when bytes of an unfinished line are waiting (no prompt then). */
int lines_pending(const struct lines *ls);

#endif
