/* conn_setup: a sender connection's set-up before its first read. */
#include "conn_setup.h"

#include "net.h"

void
conn_setup(int fd, const struct server_config *cfg, struct conn_timeouts *to,
    struct pace *pace, struct rec_clock *clk)
{
	(void)net_set_nonblock(fd);
	(void)net_keepalive(fd, NET_KEEPALIVE_IDLE);
	ct_init(to, cfg->idle_timeout, cfg->frame_timeout);
	pace_init(pace, cfg->max_rate, ct_now_ms());
	rec_clock_update(clk);
}
