/*
 * test_engine.c — the query engine against a scripted fake DNS server.
 *
 * The server runs in a thread on 127.0.0.1 (or ::1) on an ephemeral port,
 * UDP and (optionally) TCP on the same port number, and misbehaves in the
 * way the test selects. No fork: runs under ASan/UBSan.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "common/coro.h"
#include "common/dd.h"
#include "common/wire.h"
#include "engine/engine.h"

/* ---- the fake server ----------------------------------------------------- */

enum srv_mode {
	M_NORMAL,	  /* answer every question with one A record */
	M_WRONG_ID_FIRST, /* UDP: a reply with the wrong ID, then the right one */
	M_OTHER_QUESTION, /* UDP: a reply for another QTYPE, nothing else */
	M_TC,		  /* UDP: header + question with TC=1; TCP: full answer */
	M_TC_CUT,	  /* UDP: TC=1 and a record cut in the middle; TCP: full answer */
	M_SILENT,	  /* never answer (TCP: accept, read, hold) */
	M_TCP_CLOSE,	  /* TCP: accept, read, close without answering */
	M_OVERSIZE,	  /* UDP: 100 A records (1600+ octets), over the 1232 advertised */
	M_SLOW_NS,	  /* UDP: NS questions answered after 300 ms, others at once */
};

struct srv {
	int family;
	int udp, tcp;
	uint16_t port;
	enum srv_mode mode;
	pthread_t th;
	atomic_bool stop;
	atomic_uint n_udp, n_tcp;
	pthread_mutex_t mu;
	dd_wire_summary_t last; /* last query seen (under mu) */
	uint16_t last_port;	/* its source port (under mu) */
	int held[16];		/* TCP connections held open in M_SILENT */
	unsigned n_held;
};

static size_t build_answer(const dd_wire_summary_t *q, uint16_t id, uint16_t qtype, bool tc,
			   bool cut, uint8_t *out)
{
	size_t n = 0;
	uint16_t fl = 0x8400 | (q->flags & 0x0100) | (tc ? 0x0200 : 0);
	uint16_t an = tc && !cut ? 0 : 1;
	uint8_t hdr[12] = {(uint8_t)(id >> 8),
			   (uint8_t)id,
			   (uint8_t)(fl >> 8),
			   (uint8_t)fl,
			   0,
			   1,
			   0,
			   (uint8_t)an,
			   0,
			   0,
			   0,
			   0};
	memcpy(out, hdr, 12);
	n = 12;
	memcpy(out + n, q->qname, q->qname_len);
	n += q->qname_len;
	out[n++] = (uint8_t)(qtype >> 8);
	out[n++] = (uint8_t)qtype;
	out[n++] = 0;
	out[n++] = 1;
	if (an) {
		static const uint8_t rr[] = {0xC0, 0x0C, 0, 1, 0,   1, 0, 0,
					     1,	   44,	 0, 4, 192, 0, 2, 1};
		memcpy(out + n, rr, sizeof(rr));
		n += cut ? 7 : sizeof(rr);
	}
	return n;
}

static bool read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void srv_udp(struct srv *s)
{
	uint8_t buf[4096], out[4096];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(s->udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n <= 0)
		return;
	atomic_fetch_add(&s->n_udp, 1);
	dd_wire_summary_t q;
	if (dd_wire_check(buf, (size_t)n, &q, NULL) != 0)
		return;
	pthread_mutex_lock(&s->mu);
	s->last = q;
	s->last_port = from.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&from)->sin_port)
						 : ntohs(((struct sockaddr_in6 *)&from)->sin6_port);
	pthread_mutex_unlock(&s->mu);
	size_t len;
	switch (s->mode) {
	case M_SLOW_NS:
		if (q.qtype == 2)
			usleep(300 * 1000);
		len = build_answer(&q, q.id, q.qtype, false, false, out);
		break;
	case M_NORMAL:
	case M_TCP_CLOSE:
		len = build_answer(&q, q.id, q.qtype, false, false, out);
		break;
	case M_WRONG_ID_FIRST:
		len = build_answer(&q, (uint16_t)(q.id + 1), q.qtype, false, false, out);
		sendto(s->udp, out, len, 0, (struct sockaddr *)&from, fl);
		len = build_answer(&q, q.id, q.qtype, false, false, out);
		break;
	case M_OTHER_QUESTION:
		len = build_answer(&q, q.id, (uint16_t)(q.qtype + 1), false, false, out);
		break;
	case M_TC:
		len = build_answer(&q, q.id, q.qtype, true, false, out);
		break;
	case M_TC_CUT:
		len = build_answer(&q, q.id, q.qtype, true, true, out);
		break;
	case M_OVERSIZE: /* the one A record, 99 more times (ANCOUNT 100) */
		len = build_answer(&q, q.id, q.qtype, false, false, out);
		for (int i = 0; i < 99 && len + 16 <= sizeof(out); i++, len += 16)
			memcpy(out + len, out + len - 16, 16);
		out[7] = 100;
		break;
	default:
		return;
	}
	sendto(s->udp, out, len, 0, (struct sockaddr *)&from, fl);
}

static void srv_tcp(struct srv *s)
{
	int c = accept(s->tcp, NULL, NULL);
	if (c < 0)
		return;
	atomic_fetch_add(&s->n_tcp, 1);
	struct timeval tv = {1, 0};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	uint8_t lenb[2], buf[4096], out[4098];
	dd_wire_summary_t q;
	if (!read_full(c, lenb, 2))
		goto done;
	size_t qlen = ((size_t)lenb[0] << 8) | lenb[1];
	if (qlen > sizeof(buf) || !read_full(c, buf, qlen) || dd_wire_check(buf, qlen, &q, NULL))
		goto done;
	pthread_mutex_lock(&s->mu);
	s->last = q;
	pthread_mutex_unlock(&s->mu);
	if (s->mode == M_SILENT && s->n_held < DD_ARRAY_LEN(s->held)) {
		s->held[s->n_held++] = c;
		return;
	}
	if (s->mode == M_TCP_CLOSE || s->mode == M_SILENT)
		goto done;
	size_t len = build_answer(&q, q.id, q.qtype, false, false, out + 2);
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	send(c, out, len + 2, MSG_NOSIGNAL);
done:
	close(c);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p[2] = {{s->udp, POLLIN, 0}, {s->tcp, POLLIN, 0}};
		int np = s->tcp >= 0 ? 2 : 1;
		if (poll(p, (nfds_t)np, 20) <= 0)
			continue;
		if (p[0].revents & POLLIN)
			srv_udp(s);
		if (np == 2 && (p[1].revents & POLLIN))
			srv_tcp(s);
	}
	return NULL;
}

static socklen_t srv_addr(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s4->sin_port = htons(port);
	return sizeof(*s4);
}

/* Start a server; false if the family is unavailable here. */
static bool srv_start(struct srv *s, int family, enum srv_mode mode, bool with_tcp)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	s->mode = mode;
	s->tcp = -1;
	pthread_mutex_init(&s->mu, NULL);
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_storage ss;
		socklen_t sl = srv_addr(family, 0, &ss);
		s->udp = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s->udp < 0)
			return false;
		if (bind(s->udp, (struct sockaddr *)&ss, sl) < 0) {
			close(s->udp);
			return false;
		}
		getsockname(s->udp, (struct sockaddr *)&ss, &sl);
		s->port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
		if (!with_tcp)
			break;
		s->tcp = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(s->tcp >= 0);
		int one = 1;
		setsockopt(s->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s->tcp, (struct sockaddr *)&ss, sl) == 0 && listen(s->tcp, 16) == 0)
			break;
		close(s->tcp);
		close(s->udp);
		s->tcp = -1;
		s->udp = -1;
	}
	assert_true(s->udp >= 0);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	return true;
}

static void srv_stop(struct srv *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->th, NULL);
	close(s->udp);
	if (s->tcp >= 0)
		close(s->tcp);
	for (unsigned i = 0; i < s->n_held; i++)
		close(s->held[i]);
	pthread_mutex_destroy(&s->mu);
}

/* ---- the client side ------------------------------------------------------ */

struct got {
	unsigned calls;
	int err;
	const char *why, *drop_why;
	unsigned tries, dropped, rtt_ms;
	bool tcp, udp_truncated, udp_oversized, not_needed;
	size_t wire_len;
	uint16_t ancount;
};

static bool in_engine_query; /* callbacks must never run inside engine_query */

static void record_cb(const engine_result_t *r, void *arg)
{
	struct got *g = arg;
	assert_false(in_engine_query);
	g->calls++;
	g->err = r->err;
	g->why = r->why;
	g->tries = r->tries;
	g->dropped = r->dropped;
	g->drop_why = r->drop_why;
	g->udp_oversized = r->udp_oversized;
	g->rtt_ms = r->rtt_ms;
	g->tcp = r->tcp;
	g->udp_truncated = r->udp_truncated;
	g->wire_len = r->wire_len;
	g->not_needed = r->not_needed;
	if (r->err == 0) {
		dd_wire_summary_t s;
		assert_non_null(r->wire);
		assert_int_equal(dd_wire_check(r->wire, r->wire_len, &s, NULL), 0);
		g->ancount = s.ancount;
	} else {
		assert_null(r->wire);
	}
}

/* "\3www\7example\3com\0" in mixed case: the server echoes it lower-cased. */
static const uint8_t QNAME[] = {3,   'W', 'w', 'W', 7,	 'e', 'x', 'a', 'm',
				'p', 'l', 'e', 3,   'c', 'o', 'm', 0};

struct fixture {
	struct event_base *base;
	engine_t *e;
	engine_cfg_t cfg;
	struct srv srv;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

static void fx_cfg(struct fixture *f, unsigned timeout_ms, unsigned retries)
{
	engine_cfg_default(&f->cfg);
	f->cfg.timeout_ms = timeout_ms;
	f->cfg.retries = retries;
	f->cfg.tcp_timeout_ms = 1000;
	f->cfg.deadline_ms = 20000;
}

/* Start server and engine. Returns false (test should skip) if the family is missing. */
static bool fx_start(struct fixture *f, int family, enum srv_mode mode, bool with_tcp)
{
	if (!srv_start(&f->srv, family, mode, with_tcp))
		return false;
	f->addrlen = srv_addr(family, f->srv.port, &f->addr);
	f->base = event_base_new();
	assert_non_null(f->base);
	assert_int_equal(engine_new(f->base, &f->cfg, &f->e), 0);
	return true;
}

static void fx_stop(struct fixture *f)
{
	engine_free(f->e);
	event_base_free(f->base);
	srv_stop(&f->srv);
}

static int fx_query(struct fixture *f, unsigned flags, struct got *g)
{
	in_engine_query = true;
	int r = engine_query(f->e, (struct sockaddr *)&f->addr, f->addrlen, QNAME, sizeof(QNAME), 1,
			     flags, record_cb, g);
	in_engine_query = false;
	return r;
}

static void one_query(int family, enum srv_mode mode, bool with_tcp, unsigned timeout_ms,
		      unsigned retries, unsigned flags, struct got *g, struct fixture *f)
{
	fx_cfg(f, timeout_ms, retries);
	if (!fx_start(f, family, mode, with_tcp))
		skip();
	memset(g, 0, sizeof(*g));
	assert_int_equal(fx_query(f, flags, g), 0);
	assert_int_equal(g->calls, 0); /* not called from inside engine_query */
	engine_wait(f->e);
	assert_int_equal(g->calls, 1);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_normal(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_NORMAL, true, 1000, 1, ENGINE_F_DO | ENGINE_F_CD, &g, &f);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.tries, 1);
	assert_int_equal(g.dropped, 0);
	assert_null(g.drop_why);
	assert_false(g.tcp);
	assert_false(g.udp_truncated);
	assert_false(g.udp_oversized);
	assert_int_equal(g.ancount, 1);
	assert_true(g.rtt_ms < 1000);
	/* what went on the wire */
	dd_wire_summary_t q = f.srv.last;
	assert_true(q.has_opt);
	assert_true(q.do_bit);
	assert_int_equal(q.udp_size, 1232);
	assert_int_equal(q.flags & 0x8000, 0);	    /* QR=0 */
	assert_int_equal(q.flags & 0x0100, 0);	    /* no RD */
	assert_int_equal(q.flags & 0x0010, 0x0010); /* CD */
	assert_int_equal(q.qtype, 1);
	assert_int_equal(q.qclass, 1);
	assert_int_equal(engine_queries_sent(f.e), 1);
	fx_stop(&f);
}

static void test_noedns_rd(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_NORMAL, true, 1000, 1, ENGINE_F_NOEDNS | ENGINE_F_RD, &g, &f);
	assert_int_equal(g.err, 0);
	assert_false(f.srv.last.has_opt);
	assert_int_equal(f.srv.last.flags & 0x0100, 0x0100);
	assert_int_equal(f.srv.last.flags & 0x0010, 0);
	fx_stop(&f);
}

static void test_ipv6(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET6, M_NORMAL, true, 1000, 1, ENGINE_F_DO, &g, &f);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.ancount, 1);
	fx_stop(&f);
}

static void test_wrong_id_first(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_WRONG_ID_FIRST, true, 1000, 1, ENGINE_F_DO, &g, &f);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.dropped, 1);
	assert_string_equal(g.drop_why, "wrong ID");
	assert_int_equal(g.tries, 1);
	fx_stop(&f);
}

static void test_other_question(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_OTHER_QUESTION, true, 100, 1, ENGINE_F_DO, &g, &f);
	assert_int_equal(g.err, DD_ETIMEOUT);
	assert_int_equal(g.tries, 2);
	assert_int_equal(g.dropped, 2); /* one per try */
	assert_string_equal(g.drop_why, "answers another question");
	fx_stop(&f);
}

/* An answer over the advertised buffer size is accepted, and flagged. */
static void test_oversize(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_OVERSIZE, true, 1000, 1, ENGINE_F_DO, &g, &f);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.ancount, 100);
	assert_true(g.wire_len > 1232);
	assert_true(g.udp_oversized);
	assert_false(g.tcp);
	fx_stop(&f);
}

static void test_tc_then_tcp(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_TC, true, 1000, 1, ENGINE_F_DO, &g, &f);
	assert_int_equal(g.err, 0);
	assert_true(g.tcp);
	assert_true(g.udp_truncated);
	assert_int_equal(g.tries, 1);
	assert_int_equal(g.ancount, 1);
	assert_int_equal(atomic_load(&f.srv.n_tcp), 1);
	fx_stop(&f);
}

static void test_tc_cut_then_tcp(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_TC_CUT, true, 1000, 1, ENGINE_F_DO, &g, &f);
	assert_int_equal(g.err, 0);
	assert_true(g.tcp);
	assert_true(g.udp_truncated);
	assert_int_equal(g.dropped, 0);
	fx_stop(&f);
}

static void test_tc_tcp_refused(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_TC, false, 1000, 1, ENGINE_F_DO, &g, &f);
	assert_int_equal(g.err, DD_ETCP);
	assert_string_equal(g.why, "refused");
	assert_true(g.udp_truncated);
	fx_stop(&f);
}

static void test_tcp_flag(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_NORMAL, true, 1000, 1, ENGINE_F_TCP | ENGINE_F_DO, &g, &f);
	assert_int_equal(g.err, 0);
	assert_true(g.tcp);
	assert_false(g.udp_truncated);
	assert_int_equal(g.tries, 0);
	assert_int_equal(atomic_load(&f.srv.n_udp), 0);
	fx_stop(&f);
}

static void test_tcp_closed(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_TCP_CLOSE, true, 1000, 1, ENGINE_F_TCP, &g, &f);
	assert_int_equal(g.err, DD_ETCP);
	assert_string_equal(g.why, "closed");
	fx_stop(&f);
}

static void test_tcp_timeout(void **state)
{
	struct fixture f;
	struct got g;
	fx_cfg(&f, 1000, 1);
	f.cfg.tcp_timeout_ms = 150;
	assert_true(fx_start(&f, AF_INET, M_SILENT, true));
	memset(&g, 0, sizeof(g));
	assert_int_equal(fx_query(&f, ENGINE_F_TCP, &g), 0);
	engine_wait(f.e);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.err, DD_ETCP);
	assert_string_equal(g.why, "timeout");
	assert_true(g.rtt_ms >= 140 && g.rtt_ms < 1000);
	fx_stop(&f);
}

static void test_silent(void **state)
{
	struct fixture f;
	struct got g;
	one_query(AF_INET, M_SILENT, true, 100, 2, ENGINE_F_DO, &g, &f);
	assert_int_equal(g.err, DD_ETIMEOUT);
	assert_int_equal(g.tries, 3);
	assert_true(g.rtt_ms >= 290);
	/* the server saw three tries */
	for (int i = 0; i < 50 && atomic_load(&f.srv.n_udp) < 3; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&f.srv.n_udp), 3);
	assert_int_equal(engine_queries_sent(f.e), 1); /* retries do not count */
	fx_stop(&f);
}

/* A loopback UDP port nobody listens on (found free, then closed), and an
 * engine (2 s timeout) to ask it. */
static socklen_t closed_port(struct sockaddr_storage *ss, struct event_base **base, engine_t **e)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t sl = srv_addr(AF_INET, 0, ss);
	assert_int_equal(bind(s, (struct sockaddr *)ss, sl), 0);
	getsockname(s, (struct sockaddr *)ss, &sl);
	close(s);
	*base = event_base_new();
	engine_cfg_t cfg;
	engine_cfg_default(&cfg);
	cfg.timeout_ms = 2000;
	assert_int_equal(engine_new(*base, &cfg, e), 0);
	return sl;
}

static void test_closed_port(void **state)
{
	struct sockaddr_storage ss;
	struct event_base *base;
	engine_t *e;
	socklen_t sl = closed_port(&ss, &base, &e);
	struct got g = {0};
	assert_int_equal(
	    engine_query(e, (struct sockaddr *)&ss, sl, QNAME, sizeof(QNAME), 1, 0, record_cb, &g),
	    0);
	engine_wait(e);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.err, DD_ENETWORK);
	assert_string_equal(g.why, "connection refused");
	assert_int_equal(g.tries, 1);
	assert_true(engine_elapsed_ms(e) < 1000);
	engine_free(e);
	event_base_free(base);
}

/* Several queries in flight to one closed port share a socket; the kernel
 * reports the refusal once, yet every one of them ends refused at once. */
static void test_closed_port_many(void **state)
{
	struct sockaddr_storage ss;
	struct event_base *base;
	engine_t *e;
	socklen_t sl = closed_port(&ss, &base, &e);
	struct got g[8];
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 8; i++)
		assert_int_equal(engine_query(e, (struct sockaddr *)&ss, sl, QNAME, sizeof(QNAME),
					      1, i == 7 ? ENGINE_F_IF_SILENT : 0, record_cb, &g[i]),
				 0);
	engine_wait(e);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].err, DD_ENETWORK);
		assert_string_equal(g[i].why, "connection refused");
		assert_false(g[i].not_needed);
	}
	assert_true(engine_elapsed_ms(e) < 1000);
	engine_free(e);
	event_base_free(base);
}

/* ENGINE_F_IF_SILENT to a live address: never sent, ends with the first answer. */
static void test_if_silent_live(void **state)
{
	struct fixture f;
	fx_cfg(&f, 2000, 1);
	assert_true(fx_start(&f, AF_INET, M_NORMAL, true));
	struct got a = {0}, plain = {0}, later = {0};
	assert_int_equal(fx_query(&f, ENGINE_F_DO, &a), 0);
	assert_int_equal(fx_query(&f, ENGINE_F_NOEDNS | ENGINE_F_IF_SILENT, &plain), 0);
	assert_int_equal(engine_wait(f.e), 0);
	assert_int_equal(a.err, 0);
	assert_int_equal(plain.calls, 1);
	assert_true(plain.not_needed);
	assert_int_equal(plain.err, DD_ECANCELLED);
	assert_true(engine_elapsed_ms(f.e) < 1000); /* settled by the answer, not by a timer */
	/* Asked after the address answered: settled at once, from the loop. */
	assert_int_equal(fx_query(&f, ENGINE_F_NOEDNS | ENGINE_F_IF_SILENT, &later), 0);
	assert_int_equal(engine_wait(f.e), 0);
	assert_true(later.not_needed);
	assert_int_equal(atomic_load(&f.srv.n_udp), 1);
	assert_int_equal(engine_queries_sent(f.e), 1); /* what was never sent does not count */
	fx_stop(&f);
}

/* ENGINE_F_IF_SILENT to a silent address: sent after the first try's wait,
 * one try only, so it ends with the others' retry. */
static void test_if_silent_dead(void **state)
{
	struct fixture f;
	fx_cfg(&f, 200, 1);
	assert_true(fx_start(&f, AF_INET, M_SILENT, false));
	struct got a = {0}, plain = {0};
	assert_int_equal(fx_query(&f, ENGINE_F_DO, &a), 0);
	assert_int_equal(fx_query(&f, ENGINE_F_NOEDNS | ENGINE_F_IF_SILENT, &plain), 0);
	assert_int_equal(engine_wait(f.e), 0);
	assert_int_equal(a.err, DD_ETIMEOUT);
	assert_int_equal(a.tries, 2);
	assert_int_equal(plain.err, DD_ETIMEOUT);
	assert_false(plain.not_needed);
	assert_int_equal(plain.tries, 1);
	for (int i = 0; i < 50 && atomic_load(&f.srv.n_udp) < 3; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&f.srv.n_udp), 3); /* two tries, one plain query */
	assert_true(engine_elapsed_ms(f.e) < 550);	/* 200 + 200, not 200 + 200 + 200 */
	fx_stop(&f);
}

static unsigned open_fds(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Sockets are kept per address for the engine's life, but idle ones beyond
 * 16 are closed: 100 addresses asked one after the other hold at most 16. */
static void test_idle_sockets_bounded(void **state)
{
	struct sockaddr_storage ss;
	struct event_base *base;
	engine_t *e;
	socklen_t sl = closed_port(&ss, &base, &e);
	unsigned before = open_fds();
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	uint16_t port = ntohs(sin->sin_port);
	for (unsigned i = 0; i < 100; i++) {
		struct got g = {0};
		sin->sin_port =
		    htons((uint16_t)(port + i)); /* most are closed; any outcome will do */
		assert_int_equal(engine_query(e, (struct sockaddr *)&ss, sl, QNAME, sizeof(QNAME),
					      1, 0, record_cb, &g),
				 0);
		engine_wait(e);
		assert_int_equal(g.calls, 1);
	}
	unsigned during = open_fds();
	assert_true(during <= before + 16);
	assert_true(during >= before + 8); /* they are kept, not closed after each query */
	engine_free(e);
	assert_int_equal(open_fds(), before);
	event_base_free(base);
}

static uint16_t srv_last_port(struct srv *s)
{
	pthread_mutex_lock(&s->mu);
	uint16_t p = s->last_port;
	pthread_mutex_unlock(&s->mu);
	return p;
}

/* One check on a fresh engine of the fixture's loop: a query of `qtype`. */
static void check_once(struct fixture *f, uint16_t qtype, struct got *g)
{
	engine_t *e;
	assert_int_equal(engine_new(f->base, &f->cfg, &e), 0);
	assert_int_equal(engine_thread_busy(), f->base == coro_thread_base());
	memset(g, 0, sizeof(*g));
	assert_int_equal(engine_query(e, (struct sockaddr *)&f->addr, f->addrlen, QNAME,
				      sizeof(QNAME), qtype, 0, record_cb, g),
			 0);
	engine_wait(e);
	assert_int_equal(g->calls, 1);
	engine_free(e);
}

/* On a thread's coroutine loop, a socket whose address answered serves the
 * next engines (same source port) for at most 8 checks, then a fresh one is
 * opened; engine_thread_release closes what is kept. */
static void test_pool_reuse(void **state)
{
	struct fixture f;
	fx_cfg(&f, 1000, 1);
	unsigned before = open_fds();
	assert_true(fx_start(&f, AF_INET, M_NORMAL, false));
	unsigned with_srv = open_fds();
	coro_set_thread_base(f.base);
	uint16_t ports[20];
	for (unsigned i = 0; i < 20; i++) {
		struct got g;
		check_once(&f, 1, &g);
		assert_int_equal(g.err, 0);
		ports[i] = srv_last_port(&f.srv);
		assert_true(open_fds() <= with_srv + 1); /* kept: one socket, never more */
		/* ... and the thread has nothing to wait for (scan's workers then wait for lines).
		 */
		assert_int_equal(engine_thread_busy(), 0);
	}
	unsigned changes = 0, run = 1, longest = 1;
	for (unsigned i = 1; i < 20; i++) {
		if (ports[i] != ports[i - 1]) {
			changes++;
			run = 1;
		} else if (++run > longest) {
			longest = run;
		}
	}
	assert_true(changes >= 2); /* 20 checks: at least 3 sockets */
	assert_true(longest >= 2); /* ... and each served more than one check */
	assert_true(longest <= 8);
	engine_thread_release();
	assert_int_equal(open_fds(), with_srv);
	/* Off the coroutine loop nothing is kept. */
	coro_set_thread_base(NULL);
	struct got g;
	check_once(&f, 1, &g);
	assert_int_equal(open_fds(), with_srv);
	engine_thread_release();
	fx_stop(&f);
	assert_int_equal(open_fds(), before);
}

/* A late answer to a query of an earlier check, arriving on the kept socket
 * while the next check waits there, is recognised and ignored: the next
 * check counts no datagram dropped. */
static void test_pool_late_answer(void **state)
{
	struct fixture f;
	fx_cfg(&f, 2000, 0);
	assert_true(fx_start(&f, AF_INET, M_SLOW_NS, false));
	coro_set_thread_base(f.base);
	/* Check 1: A answered at once; NS still out when its deadline ends it. */
	engine_cfg_t c1 = f.cfg;
	c1.deadline_ms = 100;
	engine_t *e;
	assert_int_equal(engine_new(f.base, &c1, &e), 0);
	struct got a = {0}, ns = {0};
	assert_int_equal(engine_query(e, (struct sockaddr *)&f.addr, f.addrlen, QNAME,
				      sizeof(QNAME), 1, 0, record_cb, &a),
			 0);
	assert_int_equal(engine_query(e, (struct sockaddr *)&f.addr, f.addrlen, QNAME,
				      sizeof(QNAME), 2, 0, record_cb, &ns),
			 0);
	engine_wait(e);
	assert_int_equal(a.err, 0);
	assert_int_equal(ns.err, DD_EDEADLINE);
	uint16_t port1 = srv_last_port(&f.srv);
	engine_free(e);
	/* Check 2 on the same socket: check 1's NS answer comes first, then its own. */
	struct got g;
	check_once(&f, 2, &g);
	assert_int_equal(g.err, 0);
	assert_int_equal(srv_last_port(&f.srv), port1);
	assert_int_equal(g.dropped, 0);
	engine_thread_release();
	coro_set_thread_base(NULL);
	fx_stop(&f);
}

/* The answer to the first try, arriving after that try timed out and the
 * second went out, is accepted: the server is slow, not wrong. The time is
 * counted from the try it answers. */
static void test_late_answer_prev_try(void **state)
{
	struct fixture f;
	struct got g;
	fx_cfg(&f, 200, 2);
	assert_true(fx_start(&f, AF_INET, M_SLOW_NS, false));
	memset(&g, 0, sizeof(g));
	assert_int_equal(engine_query(f.e, (struct sockaddr *)&f.addr, f.addrlen, QNAME,
				      sizeof(QNAME), 2, 0, record_cb, &g),
			 0);
	engine_wait(f.e);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.tries, 2);
	assert_int_equal(g.dropped, 0);
	assert_true(g.rtt_ms >= 250);
	fx_stop(&f);
}

static void test_many_inflight(void **state)
{
	struct fixture f;
	fx_cfg(&f, 2000, 1);
	assert_true(fx_start(&f, AF_INET, M_NORMAL, true));
	struct got g[50];
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 50; i++)
		assert_int_equal(fx_query(&f, ENGINE_F_DO, &g[i]), 0);
	assert_int_equal(engine_wait(f.e), 0);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].err, 0);
	}
	assert_int_equal(atomic_load(&f.srv.n_udp), 50);
	fx_stop(&f);
}

static void test_queue(void **state)
{
	struct fixture f;
	fx_cfg(&f, 2000, 1);
	f.cfg.max_inflight = 3;
	assert_true(fx_start(&f, AF_INET, M_NORMAL, true));
	struct got g[20];
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 20; i++)
		assert_int_equal(fx_query(&f, i % 5 == 0 ? ENGINE_F_TCP : 0, &g[i]), 0);
	assert_int_equal(engine_wait(f.e), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].err, 0);
	}
	fx_stop(&f);
}

/* In-flight cap: 12 queries to a silent server, 3 at a time, 100 ms each,
 * take at least four rounds; every one still ends (with a timeout). */
static void test_inflight_cap(void **state)
{
	struct fixture f;
	fx_cfg(&f, 100, 0);
	f.cfg.max_inflight = 3;
	assert_true(fx_start(&f, AF_INET, M_SILENT, false));
	struct got g[12];
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 12; i++)
		assert_int_equal(fx_query(&f, 0, &g[i]), 0);
	assert_int_equal(engine_wait(f.e), 0);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].err, DD_ETIMEOUT);
	}
	assert_true(engine_elapsed_ms(f.e) >= 390);
	assert_int_equal(atomic_load(&f.srv.n_udp), 12);
	fx_stop(&f);
}

static void test_max_queries(void **state)
{
	struct fixture f;
	fx_cfg(&f, 1000, 1);
	f.cfg.max_queries = 3;
	assert_true(fx_start(&f, AF_INET, M_NORMAL, true));
	struct got g[4];
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 3; i++)
		assert_int_equal(fx_query(&f, 0, &g[i]), 0);
	assert_int_equal(fx_query(&f, 0, &g[3]), DD_ELIMIT);
	assert_int_equal(engine_wait(f.e), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(g[i].err, 0);
	assert_int_equal(g[3].calls, 0);
	assert_int_equal(engine_queries_sent(f.e), 3);
	assert_int_equal(fx_query(&f, 0, &g[3]), DD_ELIMIT);
	fx_stop(&f);
}

static void test_deadline(void **state)
{
	struct fixture f;
	fx_cfg(&f, 1000, 3);
	f.cfg.deadline_ms = 150;
	f.cfg.max_inflight = 2; /* some wait in the queue */
	assert_true(fx_start(&f, AF_INET, M_SILENT, true));
	struct got g[5];
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 5; i++)
		assert_int_equal(fx_query(&f, 0, &g[i]), 0);
	assert_int_equal(engine_wait(f.e), DD_EDEADLINE);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].err, DD_EDEADLINE);
	}
	assert_true(engine_elapsed_ms(f.e) >= 140 && engine_elapsed_ms(f.e) < 900);
	assert_true(engine_deadline_passed(f.e));
	assert_int_equal(fx_query(&f, 0, &g[0]), DD_EDEADLINE);
	fx_stop(&f);
}

/* A callback that asks again, three times in all. */
struct chain {
	struct fixture *f;
	unsigned done;
	int last_err;
};

static void chain_cb(const engine_result_t *r, void *arg)
{
	struct chain *c = arg;
	assert_false(in_engine_query);
	c->done++;
	c->last_err = r->err;
	if (c->done < 3 && r->err == 0) {
		in_engine_query = true;
		int q = engine_query(c->f->e, (struct sockaddr *)&c->f->addr, c->f->addrlen, QNAME,
				     sizeof(QNAME), 28, 0, chain_cb, c);
		in_engine_query = false;
		assert_int_equal(q, 0);
	}
}

static void test_query_from_callback(void **state)
{
	struct fixture f;
	fx_cfg(&f, 1000, 1);
	assert_true(fx_start(&f, AF_INET, M_NORMAL, true));
	struct chain c = {&f, 0, -1};
	assert_int_equal(engine_query(f.e, (struct sockaddr *)&f.addr, f.addrlen, QNAME,
				      sizeof(QNAME), 1, 0, chain_cb, &c),
			 0);
	assert_int_equal(engine_wait(f.e), 0);
	assert_int_equal(c.done, 3);
	assert_int_equal(c.last_err, 0);
	assert_int_equal(engine_queries_sent(f.e), 3);
	fx_stop(&f);
}

static void test_free_cancels(void **state)
{
	struct fixture f;
	fx_cfg(&f, 1000, 1);
	f.cfg.max_inflight = 2;
	assert_true(fx_start(&f, AF_INET, M_SILENT, true));
	struct got g[4];
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 4; i++)
		assert_int_equal(fx_query(&f, i == 3 ? ENGINE_F_TCP : 0, &g[i]), 0);
	/* let some get onto the wire */
	event_base_loop(f.base, EVLOOP_NONBLOCK);
	engine_free(f.e);
	f.e = NULL;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].err, DD_ECANCELLED);
	}
	fx_stop(&f);
}

static void test_invalid(void **state)
{
	struct fixture f;
	fx_cfg(&f, 1000, 1);
	assert_true(fx_start(&f, AF_INET, M_NORMAL, true));
	struct got g = {0};
	const uint8_t bad1[] = {3, 'w', 'w'};	     /* cut short */
	const uint8_t bad2[] = {1, 'a', 0xC0, 0x00}; /* compressed */
	const uint8_t bad3[] = {1, 'a', 0, 0};	     /* trailing octet */
	const uint8_t *bad[] = {bad1, bad2, bad3};
	const size_t blen[] = {sizeof(bad1), sizeof(bad2), sizeof(bad3)};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(engine_query(f.e, (struct sockaddr *)&f.addr, f.addrlen, bad[i],
					      blen[i], 1, 0, record_cb, &g),
				 DD_EINVAL);
	struct sockaddr sa = {.sa_family = AF_UNIX};
	assert_int_equal(
	    engine_query(f.e, &sa, sizeof(sa), QNAME, sizeof(QNAME), 1, 0, record_cb, &g),
	    DD_EINVAL);
	assert_int_equal(engine_query(f.e, (struct sockaddr *)&f.addr, 4, QNAME, sizeof(QNAME), 1,
				      0, record_cb, &g),
			 DD_EINVAL);
	assert_int_equal(engine_queries_sent(f.e), 0);
	assert_int_equal(engine_wait(f.e), 0);
	assert_int_equal(g.calls, 0);
	fx_stop(&f);

	engine_t *e;
	assert_int_equal(engine_new(NULL, NULL, &e), DD_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normal),
	    cmocka_unit_test(test_noedns_rd),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_wrong_id_first),
	    cmocka_unit_test(test_other_question),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_tc_then_tcp),
	    cmocka_unit_test(test_tc_cut_then_tcp),
	    cmocka_unit_test(test_tc_tcp_refused),
	    cmocka_unit_test(test_closed_port_many),
	    cmocka_unit_test(test_idle_sockets_bounded),
	    cmocka_unit_test(test_pool_reuse),
	    cmocka_unit_test(test_pool_late_answer),
	    cmocka_unit_test(test_late_answer_prev_try),
	    cmocka_unit_test(test_if_silent_live),
	    cmocka_unit_test(test_if_silent_dead),
	    cmocka_unit_test(test_tcp_flag),
	    cmocka_unit_test(test_tcp_closed),
	    cmocka_unit_test(test_tcp_timeout),
	    cmocka_unit_test(test_silent),
	    cmocka_unit_test(test_closed_port),
	    cmocka_unit_test(test_many_inflight),
	    cmocka_unit_test(test_queue),
	    cmocka_unit_test(test_inflight_cap),
	    cmocka_unit_test(test_max_queries),
	    cmocka_unit_test(test_deadline),
	    cmocka_unit_test(test_query_from_callback),
	    cmocka_unit_test(test_free_cancels),
	    cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
