/* sv_stats: the supervisor's side of the metrics: children gauges, statistics records. */
#include "supervisor_int.h"

#include <stdio.h>

#include "events.h"
#include "log.h"
#include "metrics.h"
#include "metrics_fmt.h"

int
sv_transport(enum listener kind)
{
	static const int map[L_NKINDS] = {
		[L_TCP] = MX_TCP, [L_TLS] = MX_TLS, [L_RELP] = MX_RELP,
		[L_RELP_TLS] = MX_RELP_TLS, [L_QUERY] = MX_QUERY,
	};

	return kind < L_NKINDS ? map[kind] : MX_TCP;
}

void
sv_count_children(const struct sv_state *st)
{
	int udp = 0;

	for (int w = 0; w < st->sv->udp_workers; w++)
		udp += st->udp[w].pid > 0;
	mx_set(MX_CHILDREN + MX_CH_SENDER, st->nkids - st->nquery);
	mx_set(MX_CHILDREN + MX_CH_QUERY, st->nquery);
	mx_set(MX_CHILDREN + MX_CH_UDP, (uint64_t)udp);
	mx_set(MX_CHILDREN + MX_CH_METRICS, st->metrics.pid > 0);
	mx_set(MX_CHILDREN + MX_CH_HOLDER, st->holder.pid > 0);
	mx_set(MX_WAITING, st->nwaiting);
}

void
sv_note_listeners(struct sv_state *st)
{
	const struct supervisor *sv = st->sv;

	st->listening = (sv->nlfds > 0 ? 1u << MX_TCP : 0) | (sv->nufds > 0 ? 1u << MX_UDP : 0) |
	    (sv->nrfds > 0 ? 1u << MX_RELP : 0) | (sv->ntfds > 0 ? 1u << MX_TLS : 0) |
	    (sv->nrtfds > 0 ? 1u << MX_RELP_TLS : 0) | (sv->nqfds > 0 ? 1u << MX_QUERY : 0);
}

/*
 * The statistics records: one per transport the server listens on and one
 * for the server, every counter summed over all children since the server
 * started (docs/METRICS.md). Like every server event they wait for the
 * lock only once the server is stopping; before, a busy lock queues them.
 */
void
sv_stats(struct sv_state *st, const char *when)
{
	const struct supervisor *sv = st->sv;
	struct mx_values v;
	char line[512];

	sv_count_children(st);
	metrics_snapshot(&v);
	for (int g = 0; g <= MX_NTRANS; g++) {
		if (g < MX_NTRANS && !(st->listening & (1u << g)))
			continue;
		(void)metrics_stats_record(&v, when, g, line, sizeof(line));
		if (event_write(sv->store, sv->cfg->format, RL_NONE, NULL, 0, st->stopping, "%s",
		    line) == -1)
			log_warn("cannot write the statistics record to %s", sv->cfg->dir);
	}
}
