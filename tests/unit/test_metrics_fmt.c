/* Unit tests: the metrics exposition and the statistics records, counters in, text out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"
#include "metrics_fmt.h"

static char out[65536];

static const char *
exposition(const struct mx_values *m)
{
	size_t n = metrics_format(m, out, sizeof(out));

	assert_true(n < sizeof(out));
	assert_int_equal(strlen(out), n);
	return out;
}

static void
test_every_metric_has_help_and_type_before_its_samples(void **state)
{
	struct mx_values m = { { 0 } };
	const char *p = exposition(&m);
	char name[128] = "";

	(void)state;
	/* Each sample's metric name (up to '{' or ' ', less _bucket/_sum/_count
	 * for the histogram) was announced by the TYPE line before it. */
	for (const char *line = p; *line != '\0'; line = strchr(line, '\n') + 1) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			size_t len = strcspn(line + 7, " ");

			assert_true(len < sizeof(name));
			memcpy(name, line + 7, len);
			name[len] = '\0';
		} else if (line[0] != '#') {
			assert_true(name[0] != '\0');
			assert_int_equal(strncmp(line, name, strlen(name)), 0);
		}
	}
	assert_non_null(strstr(p, "# HELP logserver_messages_total "));
	assert_non_null(strstr(p, "# TYPE logserver_messages_total counter\n"));
	assert_non_null(strstr(p, "# TYPE logserver_file_size_bytes gauge\n"));
	assert_non_null(strstr(p, "# TYPE logserver_fsync_duration_seconds histogram\n"));
}

static void
test_counters_appear_with_their_labels_and_values(void **state)
{
	struct mx_values m = { { 0 } };
	const char *p;

	(void)state;
	m.v[MX_MESSAGES + MX_RELP_TLS] = 12345678901234ULL;
	m.v[MX_ACCEPTED + MX_TCP] = 3;
	m.v[MX_REFUSED + MX_QUERY * MX_NREFUSAL + MX_RF_PER_IP] = 2;
	m.v[MX_TLS_FAILS + MX_TF_PLAINTEXT] = 4;
	m.v[MX_UDP_KDROPS + 0] = 5;
	m.v[MX_UDP_KDROPS + 3] = 6;
	m.v[MX_PACED_MS] = 1234005;
	m.v[MX_CHILDREN + MX_CH_UDP] = 2;
	p = exposition(&m);
	assert_non_null(strstr(p, "\nlogserver_messages_total{transport=\"relp-tls\"} "
	    "12345678901234\n"));
	assert_non_null(strstr(p, "\nlogserver_connections_accepted_total{transport=\"tcp\"} 3\n"));
	assert_non_null(strstr(p, "\nlogserver_connections_refused_total{transport=\"query\","
	    "reason=\"max-per-ip\"} 2\n"));
	assert_non_null(strstr(p, "\nlogserver_tls_handshake_failures_total{reason=\"plaintext\"} 4\n"));
	assert_non_null(strstr(p, "\nlogserver_udp_kernel_drops_total 11\n"));
	assert_non_null(strstr(p, "\nlogserver_children{kind=\"udp\"} 2\n"));
	assert_non_null(strstr(p, "\nlogserver_paced_seconds_total 1234.005\n"));
	/* UDP has no connections, the query service no messages. */
	assert_null(strstr(p, "connections_accepted_total{transport=\"udp\"}"));
	assert_null(strstr(p, "messages_total{transport=\"query\"}"));
}

static void
test_fsync_histogram_buckets_are_cumulative(void **state)
{
	struct mx_values m = { { 0 } };
	const char *p;

	(void)state;
	m.v[MX_FSYNC_BUCKET + 0] = 1;			/* <= 100 us */
	m.v[MX_FSYNC_BUCKET + 3] = 2;			/* <= 5 ms */
	m.v[MX_FSYNC_BUCKET + MX_FSYNC_NBOUNDS] = 1;	/* > 5 s */
	m.v[MX_FSYNCS] = 4;
	m.v[MX_FSYNC_SUM_US] = 6001234;
	p = exposition(&m);
	assert_non_null(strstr(p, "logserver_fsync_duration_seconds_bucket{le=\"0.0001\"} 1\n"));
	assert_non_null(strstr(p, "logserver_fsync_duration_seconds_bucket{le=\"0.001\"} 1\n"));
	assert_non_null(strstr(p, "logserver_fsync_duration_seconds_bucket{le=\"0.005\"} 3\n"));
	assert_non_null(strstr(p, "logserver_fsync_duration_seconds_bucket{le=\"5\"} 3\n"));
	assert_non_null(strstr(p, "logserver_fsync_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(p, "logserver_fsync_duration_seconds_sum 6.001234\n"));
	assert_non_null(strstr(p, "logserver_fsync_duration_seconds_count 4\n"));
}

static void
test_a_short_buffer_gets_a_terminated_prefix_and_the_full_length(void **state)
{
	struct mx_values m = { { 0 } };
	char small[100];
	size_t full, n;

	(void)state;
	full = metrics_format(&m, out, sizeof(out));
	memset(small, 'x', sizeof(small));
	n = metrics_format(&m, small, sizeof(small));
	assert_int_equal(n, full);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, out, sizeof(small) - 1);
	assert_int_equal(metrics_format(&m, NULL, 0), full);
}

static void
test_stats_records_carry_one_transport_or_the_server(void **state)
{
	struct mx_values m = { { 0 } };
	char line[512];
	size_t n;

	(void)state;
	m.v[MX_ACCEPTED + MX_RELP] = 2;
	m.v[MX_REFUSED + MX_RELP * MX_NREFUSAL + MX_RF_ALLOW] = 1;
	m.v[MX_REFUSED + MX_RELP * MX_NREFUSAL + MX_RF_MAX_CLIENTS] = 2;
	m.v[MX_MESSAGES + MX_RELP] = 10;
	m.v[MX_BYTES + MX_RELP] = 400;
	m.v[MX_MESSAGES + MX_TCP] = 99;
	n = metrics_stats_record(&m, "periodic", MX_RELP, line, sizeof(line));
	assert_true(n < sizeof(line));
	assert_string_equal(line, "stats (periodic) relp: connections=2 refused=3 messages=10 "
	    "bytes=400 truncated=0");
	m.v[MX_UDP_DENIED] = 7;
	m.v[MX_UDP_KDROPS + 1] = 8;
	metrics_stats_record(&m, "shutdown", MX_UDP, line, sizeof(line));
	assert_string_equal(line, "stats (shutdown) udp: messages=0 bytes=0 truncated=0 denied=7 "
	    "over_rate=0 kernel_drops=8 records_lost=0");
	metrics_stats_record(&m, "shutdown", MX_QUERY, line, sizeof(line));
	assert_string_equal(line, "stats (shutdown) query: connections=0 refused=0");
	m.v[MX_ROTATIONS] = 1;
	m.v[MX_PACED_MS] = 2500;
	m.v[MX_TLS_FAILS + MX_TF_TIMEOUT] = 2;
	m.v[MX_CHILDREN + MX_CH_SENDER] = 3;
	m.v[MX_CHILDREN + MX_CH_METRICS] = 1;
	m.v[MX_FSYNCS] = 5;
	m.v[MX_FSYNC_SUM_US] = 1500;
	n = metrics_stats_record(&m, "periodic", MX_NTRANS, line, sizeof(line));
	assert_true(n < 500);	/* one event record holds 511 bytes of text */
	assert_string_equal(line, "stats (periodic) server: write_errors=0 tls_hostname_rejected=0 "
	    "paced_ms=2500 rotations=1 deletions=0 relp_frames=0 relp_acks=0 relp_naks=0 relp_duplicates=0 "
	    "tls_failures=2 file_size=0 children=4 fsyncs=5 fsync_seconds=0.001500");
}

static void
test_counters_do_nothing_before_init_and_sum_after(void **state)
{
	struct mx_values m;

	(void)state;
	mx_add(MX_ROTATIONS, 5);
	metrics_snapshot(&m);
	assert_int_equal(m.v[MX_ROTATIONS], 0);
	assert_int_equal(metrics_init(), 0);
	mx_add(MX_ROTATIONS, 5);
	mx_add(MX_ROTATIONS, 2);
	mx_add(MX_COUNT, 1);		/* out of range: ignored */
	mx_add(-1, 1);
	mx_fsync(700);			/* the 1 ms bucket */
	mx_fsync(10000000);		/* +Inf */
	mx_set(MX_FILE_SIZE, 42);
	metrics_snapshot(&m);
	assert_int_equal(m.v[MX_ROTATIONS], 7);
	assert_int_equal(m.v[MX_FSYNCS], 2);
	assert_int_equal(m.v[MX_FSYNC_BUCKET + 2], 1);
	assert_int_equal(m.v[MX_FSYNC_BUCKET + MX_FSYNC_NBOUNDS], 1);
	assert_int_equal(m.v[MX_FSYNC_SUM_US], 10000700);
	assert_int_equal(m.v[MX_FILE_SIZE], 42);
	assert_true(m.v[MX_UP_SINCE] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_metric_has_help_and_type_before_its_samples),
		cmocka_unit_test(test_counters_appear_with_their_labels_and_values),
		cmocka_unit_test(test_fsync_histogram_buckets_are_cumulative),
		cmocka_unit_test(test_a_short_buffer_gets_a_terminated_prefix_and_the_full_length),
		cmocka_unit_test(test_stats_records_carry_one_transport_or_the_server),
		cmocka_unit_test(test_counters_do_nothing_before_init_and_sum_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
