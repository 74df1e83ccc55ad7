/*
 * engine.c — asynchronous DNS queries over UDP and TCP on a libevent loop.
 *
 * Life of a query: engine_query() only validates, builds nothing on the
 * wire and appends it to the engine's queue, then activates the engine's
 * "kick" event. The kick handler (run by the loop) moves queued queries onto
 * the wire while fewer than max_inflight are active. This keeps callbacks
 * out of engine_query() entirely: every completion happens in a loop
 * callback (I/O, timer, kick, deadline) or in engine_free().
 *
 * UDP: one connect()ed socket per server address and check (the kernel then
 * accepts datagrams only from that address and port, and reports ICMP port
 * unreachable as ECONNREFUSED), shared by every query to that address; each
 * try gets a fresh random ID, unique among the socket's outstanding and
 * recently finished queries. Answers are matched by ID and question. A late
 * answer to an earlier try is accepted; a late duplicate of a finished query
 * is ignored; anything else that matches no query is counted as dropped on
 * every query waiting on that socket.
 * TCP: one non-blocking connection, 2-byte length prefix, one exchange,
 * bounded as a whole by tcp_timeout_ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "common/coro.h"
#include "common/dd.h"
#include "common/wire.h"
#include "engine/engine.h"

#define DNS_HDR_LEN 12
#define DNS_CLASS_IN 1
#define DNS_TYPE_OPT 41
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_CD 0x0010
#define EDNS_DO 0x8000
#define DNS_OPCODE_MASK 0x7800
/* header + name + type/class + OPT (root, type, class, ttl, rdlen) */
#define QUERY_MAX (DNS_HDR_LEN + 255 + 4 + 11)
#define UDP_MAX 65536
#define RX_BATCH 8 /* datagrams read per recvmmsg() */

enum qstate { Q_QUEUED, Q_UDP, Q_TCP, Q_DEFERRED };

#define USOCK_RECENT 64			     /* IDs of finished tries remembered per socket */
#define USOCK_IDLE_KEEP 16		     /* idle UDP sockets kept open per engine */
#define POOL_MAX 64			     /* sockets a thread keeps between its checks */
#define POOL_CHECKS 8			     /* checks one socket serves, at most */
#define POOL_IDLE_NS (1000ull * 1000 * 1000) /* a socket idle this long is closed */

struct query;
TAILQ_HEAD(query_list, query);

/* One connected UDP socket to one server address, for the engine's lifetime. */
struct usock {
	LIST_ENTRY(usock) link;
	engine_t *e;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	struct event *ev;
	struct query_list waiting; /* queries with a try on the wire here */
	unsigned answers;	   /* answers received (the address is alive) */
	uint16_t recent[USOCK_RECENT];
	unsigned n_recent;	/* total ever remembered; the ring holds the last USOCK_RECENT */
	unsigned n_unsent;	/* tries prepared in this kick, sent together by flush_sends() */
	unsigned checks;	/* engines (checks) it has served: see the thread's pool */
	bool faulted;		/* a send or receive error: never pooled */
	uint64_t idle_since_ns; /* in the pool: when it went there */
};

struct query {
	engine_t *e;
	TAILQ_ENTRY(query) all;	  /* every outstanding query */
	TAILQ_ENTRY(query) queue; /* in e->queue while Q_QUEUED, in e->deferred while Q_DEFERRED */
	enum qstate state;

	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint8_t qname[255];
	size_t qname_len;
	uint16_t qtype;
	unsigned flags;
	engine_cb cb;
	void *arg;

	int fd;		     /* TCP only */
	struct event *ev_io; /* TCP only */
	struct event *ev_timer;
	struct usock *us;	 /* UDP: the socket the current try waits on */
	TAILQ_ENTRY(query) wait; /* in us->waiting */
	uint16_t id;
	uint16_t prev_id; /* the previous try's ID (tries > 1) */
	uint64_t prev_try_start_ns;
	bool answered_prev;	    /* the answer came to the previous try's ID */
	bool unsent;		    /* in us->waiting, its datagram not yet handed to the kernel */
	uint8_t pkt[2 + QUERY_MAX]; /* 2-byte TCP length prefix, then the query */
	size_t pkt_len;		    /* without the prefix */

	/* TCP progress */
	size_t tcp_sent;   /* octets of prefix + query written */
	uint8_t *tcp_in;   /* 2 + response */
	size_t tcp_in_len; /* octets read so far */
	size_t tcp_want;   /* 2 + announced length once known, else 2 */

	uint64_t start_ns;     /* engine_query() time */
	uint64_t try_start_ns; /* current UDP try or TCP connection */
	unsigned tries;
	unsigned dropped;
	const char *drop_why;
	bool udp_truncated;
	bool udp_oversized;
	bool tcp;
};

LIST_HEAD(usock_list, usock);

struct engine {
	struct event_base *base;
	engine_cfg_t cfg;
	struct query_list all;
	struct query_list queue;
	struct query_list deferred; /* ENGINE_F_IF_SILENT queries still waiting to decide */
	unsigned n_outstanding;	    /* queued + active */
	unsigned n_active;	    /* on the wire */
	unsigned n_queries;	    /* accepted engine_query() calls */
	uint64_t start_ns;
	struct event *ev_kick;
	struct event *ev_deadline;
	bool deadline_passed;
	bool freeing;
	bool on_thread_loop; /* counted in thread_engines */
	bool batching;	     /* in kick_cb: UDP tries are sent per socket with sendmmsg */
	struct usock_list usocks;
	unsigned n_usocks;
	uint8_t idpool[128]; /* random bytes for query IDs, drawn in batches */
	size_t idpool_left;
	unsigned max_rtt_ms; /* slowest UDP answer so far (adaptive timeouts) */
	bool have_rtt;
};

static void udp_try(struct query *q);
static void tcp_start(struct query *q);

/* ---- small helpers ----------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned ms_since(uint64_t t0)
{
	uint64_t d = (mono_ns() - t0) / 1000000u;
	return d > UINT32_MAX ? UINT32_MAX : (unsigned)d;
}

static struct timeval ms_tv(unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000};
	return tv;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void engine_cfg_default(engine_cfg_t *cfg)
{
	cfg->timeout_ms = 800;
	cfg->timeout_floor_ms = 400;
	cfg->retries = 1;
	cfg->tcp_timeout_ms = 2000;
	cfg->max_inflight = 256;
	cfg->max_queries = 600;
	cfg->deadline_ms = 10000;
	cfg->edns_bufsize = 1232;
}

/* ---- completion -------------------------------------------------------- */

static void usock_remember(struct usock *us, uint16_t id)
{
	us->recent[us->n_recent++ % USOCK_RECENT] = id;
}

/* Stop I/O of the current try or connection; the query stays alive. */
static void close_io(struct query *q)
{
	if (q->us) {
		if (q->unsent) {
			q->unsent = false;
			q->us->n_unsent--;
		}
		TAILQ_REMOVE(&q->us->waiting, q, wait);
		usock_remember(q->us, q->id);
		if (q->tries > 1)
			usock_remember(q->us, q->prev_id);
		q->us = NULL;
	}
	if (q->ev_io) {
		event_free(q->ev_io);
		q->ev_io = NULL;
	}
	if (q->fd >= 0) {
		close(q->fd);
		q->fd = -1;
	}
	if (q->ev_timer)
		event_del(q->ev_timer);
}

static void query_destroy(struct query *q)
{
	close_io(q);
	if (q->ev_timer)
		event_free(q->ev_timer);
	free(q->tcp_in);
	free(q);
}

/*
 * Finish a query: unlink it, let queued work move up, call its callback,
 * free it. Always runs from a loop callback or engine_free(), so the
 * callback may call engine_query() (which only enqueues).
 */
static void finish_ex(struct query *q, int err, const char *why, const uint8_t *wire,
		      size_t wire_len, bool not_needed);

static void finish(struct query *q, int err, const char *why, const uint8_t *wire, size_t wire_len)
{
	finish_ex(q, err, why, wire, wire_len, false);
}

static void finish_ex(struct query *q, int err, const char *why, const uint8_t *wire,
		      size_t wire_len, bool not_needed)
{
	engine_t *e = q->e;
	engine_result_t res = {
	    .err = err,
	    .why = why,
	    .wire = err == 0 ? wire : NULL,
	    .wire_len = err == 0 ? wire_len : 0,
	    .tries = q->tries,
	    .tcp = q->tcp,
	    .udp_truncated = q->udp_truncated,
	    .dropped = q->dropped,
	    .drop_why = q->drop_why,
	    .udp_oversized = q->udp_oversized,
	    .not_needed = not_needed,
	};
	res.rtt_ms = err == 0 ? ms_since(q->try_start_ns) : ms_since(q->start_ns);
	if (err == 0 && q->answered_prev)
		res.rtt_ms = ms_since(q->prev_try_start_ns);
	if (err == 0 && !q->tcp && (!e->have_rtt || res.rtt_ms > e->max_rtt_ms)) {
		e->max_rtt_ms = res.rtt_ms;
		e->have_rtt = true;
	}

	if (q->state == Q_QUEUED)
		TAILQ_REMOVE(&e->queue, q, queue);
	else if (q->state == Q_DEFERRED)
		TAILQ_REMOVE(&e->deferred, q, queue);
	else
		e->n_active--;
	if (not_needed)
		e->n_queries--; /* never sent */
	TAILQ_REMOVE(&e->all, q, all);
	e->n_outstanding--;
	close_io(q);

	if (!TAILQ_EMPTY(&e->queue) && !e->deadline_passed && !e->freeing)
		event_active(e->ev_kick, EV_TIMEOUT, 1);

	q->cb(&res, q->arg);
	query_destroy(q);
}

/* ---- building and matching --------------------------------------------- */

/* A query ID from OpenSSL's CSPRNG, drawn 64 IDs at a time (one call per
 * ID cost more than the rest of sending a query). */
static int random_id(engine_t *e, uint16_t *id)
{
	if (e->idpool_left < 2) {
		if (RAND_bytes(e->idpool, sizeof(e->idpool)) != 1)
			return DD_EIO;
		e->idpool_left = sizeof(e->idpool);
	}
	const uint8_t *b = e->idpool + sizeof(e->idpool) - e->idpool_left;
	*id = (uint16_t)((b[0] << 8) | b[1]);
	e->idpool_left -= 2;
	return 0;
}

/* Is `id` in use on this socket (waiting, or finished recently)? */
/* Was `id` used by a try on this socket that has finished lately? */
static bool usock_recent(const struct usock *us, uint16_t id)
{
	unsigned n = us->n_recent < USOCK_RECENT ? us->n_recent : USOCK_RECENT;
	for (unsigned i = 0; i < n; i++)
		if (us->recent[i] == id)
			return true;
	return false;
}

static bool usock_id_taken(const struct usock *us, uint16_t id)
{
	const struct query *w;
	TAILQ_FOREACH(w, &us->waiting, wait)
	if (w->id == id || (w->tries > 1 && w->prev_id == id))
		return true;
	return usock_recent(us, id);
}

/* A fresh random ID; over UDP, one no other try on the socket uses. */
static int pick_id(struct query *q, const struct usock *us)
{
	for (int i = 0; i < 64; i++) {
		int err = random_id(q->e, &q->id);
		if (err || !us || !usock_id_taken(us, q->id))
			return err;
	}
	return DD_EIO; /* cannot happen: at most max_inflight + USOCK_RECENT of 65536 are taken */
}

static int build_query(struct query *q)
{

	uint8_t *p = q->pkt + 2;
	uint16_t fl = 0;
	if (q->flags & ENGINE_F_RD)
		fl |= DNS_FLAG_RD;
	if (q->flags & ENGINE_F_CD)
		fl |= DNS_FLAG_CD;
	bool edns = !(q->flags & ENGINE_F_NOEDNS);
	put16(p + 0, q->id);
	put16(p + 2, fl);
	put16(p + 4, 1);
	put16(p + 6, 0);
	put16(p + 8, 0);
	put16(p + 10, edns ? 1 : 0);
	size_t n = DNS_HDR_LEN;
	memcpy(p + n, q->qname, q->qname_len);
	n += q->qname_len;
	put16(p + n, q->qtype);
	put16(p + n + 2, DNS_CLASS_IN);
	n += 4;
	if (edns) {
		p[n++] = 0; /* root owner */
		put16(p + n, DNS_TYPE_OPT);
		put16(p + n + 2, q->e->cfg.edns_bufsize);
		/* TTL: extended rcode 0, version 0, flags */
		put16(p + n + 4, 0);
		put16(p + n + 6, (q->flags & ENGINE_F_DO) ? EDNS_DO : 0);
		put16(p + n + 8, 0); /* RDLENGTH */
		n += 10;
	}
	q->pkt_len = n;
	put16(q->pkt, (uint16_t)n);
	return 0;
}

/* Does a checked summary answer this query? */
static bool id_of_query(const struct query *q, uint16_t id)
{
	return id == q->id || (q->state == Q_UDP && q->tries > 1 && id == q->prev_id);
}

static bool answers_query(const struct query *q, const dd_wire_summary_t *s)
{
	return (s->flags & DNS_FLAG_QR) && id_of_query(q, s->id) && s->qdcount == 1 &&
	       s->qtype == q->qtype && s->qclass == DNS_CLASS_IN &&
	       dd_name_equal(s->qname, s->qname_len, q->qname, q->qname_len);
}

/* Why a well-formed message does not answer this query (static text). */
static const char *mismatch_why(const struct query *q, const dd_wire_summary_t *s)
{
	if (!(s->flags & DNS_FLAG_QR))
		return "not a response";
	if (!id_of_query(q, s->id))
		return "wrong ID";
	return "answers another question";
}

/*
 * A TC=1 answer may legitimately be cut anywhere after the question (RFC
 * 2181 §9 lets servers drop what does not fit). Accept it as "truncated"
 * when the header and question match, even if the rest fails the full check.
 */
static bool truncated_answer(const struct query *q, const uint8_t *msg, size_t len)
{
	dd_cursor_t c;
	dd_cursor_init(&c, msg, len);
	uint16_t id = dd_cursor_u16(&c);
	uint16_t fl = dd_cursor_u16(&c);
	uint16_t qd = dd_cursor_u16(&c);
	dd_cursor_skip(&c, 6);
	uint8_t name[255];
	size_t nlen = 0;
	dd_cursor_name(&c, name, &nlen);
	uint16_t qt = dd_cursor_u16(&c);
	uint16_t qc = dd_cursor_u16(&c);
	return !c.err && id_of_query(q, id) && (fl & DNS_FLAG_QR) && (fl & DNS_FLAG_TC) &&
	       qd == 1 && qt == q->qtype && qc == DNS_CLASS_IN &&
	       dd_name_equal(name, nlen, q->qname, q->qname_len);
}

/* ---- sockets ----------------------------------------------------------- */

#define LOCAL_SHORTAGE_WHY                                                                         \
	"no socket could be opened on this machine (open-file or buffer limit reached)"

/* A socket() failure that says nothing about the server. */
static bool local_shortage(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

static int open_socket(const struct query *q, int type)
{
	/* No bind(): connect() gives the socket an ephemeral local port, which
	 * the kernel picks at random. */
	return socket(q->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* ---- UDP --------------------------------------------------------------- */

static void usock_close(struct usock *us)
{
	if (us->ev)
		event_free(us->ev);
	if (us->fd >= 0)
		close(us->fd);
	free(us);
}

static void usock_free(struct usock *us)
{
	LIST_REMOVE(us, link);
	us->e->n_usocks--;
	usock_close(us);
}

/*
 * The thread's pool: when checks run one after another on a thread's
 * long-lived loop (scan), a socket whose address answered and that saw no
 * error outlives its check and serves the next check that asks the same
 * address, instead of being closed and opened again. It keeps its random
 * port for at most POOL_CHECKS checks and POOL_IDLE_NS of idleness, and its
 * ring of recent IDs: a late answer to an earlier check is recognised and
 * ignored, and the next check's IDs avoid those. While pooled, whatever
 * arrives is read and dropped.
 */
static __thread struct {
	struct usock_list socks;
	unsigned n;
} upool;

/* Engines alive on this thread's coroutine loop (engine_thread_busy). */
static __thread unsigned thread_engines;

static void pool_drop(struct usock *us)
{
	LIST_REMOVE(us, link);
	upool.n--;
	usock_close(us);
}

static void pool_expire(uint64_t now)
{
	struct usock *us, *next;
	for (us = LIST_FIRST(&upool.socks); us; us = next) {
		next = LIST_NEXT(us, link);
		if (us->faulted || now - us->idle_since_ns > POOL_IDLE_NS)
			pool_drop(us);
	}
}

/* An engine ends: keep this socket for the thread's next check? */
static bool pool_put(engine_t *e, struct usock *us)
{
	if (!e->base || e->base != coro_thread_base() || us->faulted || us->fd < 0 ||
	    !us->answers || !TAILQ_EMPTY(&us->waiting) || us->checks + 1 >= POOL_CHECKS ||
	    upool.n >= POOL_MAX)
		return false;
	/* Still watched: what arrives meanwhile is read and dropped (scan's
	 * workers wait on their loop only while engine_thread_busy()). */
	LIST_REMOVE(us, link);
	e->n_usocks--;
	us->e = NULL;
	us->idle_since_ns = mono_ns();
	LIST_INSERT_HEAD(&upool.socks, us, link);
	upool.n++;
	return true;
}

/* A pooled socket to q's address on the engine's loop, now the engine's. */
static struct usock *pool_take(engine_t *e, const struct query *q)
{
	if (!upool.n || e->base != coro_thread_base())
		return NULL;
	pool_expire(mono_ns());
	struct usock *us;
	LIST_FOREACH(us, &upool.socks, link)
	if (us->addrlen == q->addrlen && memcmp(&us->addr, &q->addr, q->addrlen) == 0 &&
	    event_get_base(us->ev) == e->base)
		break;
	if (!us)
		return NULL;
	LIST_REMOVE(us, link);
	upool.n--;
	us->e = e;
	us->answers = 0; /* "the address answered" is news for this check */
	us->checks++;
	LIST_INSERT_HEAD(&e->usocks, us, link);
	e->n_usocks++;
	return us;
}

unsigned engine_thread_busy(void)
{
	return thread_engines;
}

void engine_thread_release(void)
{
	while (!LIST_EMPTY(&upool.socks))
		pool_drop(LIST_FIRST(&upool.socks));
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg);

/*
 * The socket for q's address: found, or opened and connected. Idle sockets
 * beyond USOCK_IDLE_KEEP are closed first, so a check that asks many
 * addresses holds at most that many idle descriptors (plus one per address
 * with a try on the wire, which max_inflight bounds).
 */
static struct usock *usock_get(struct query *q, const char **why, int *err)
{
	*err = DD_ENETWORK;
	engine_t *e = q->e;
	struct usock *us;
	LIST_FOREACH(us, &e->usocks, link)
	if (us->addrlen == q->addrlen && memcmp(&us->addr, &q->addr, q->addrlen) == 0)
		return us;
	struct usock *next;
	for (us = LIST_FIRST(&e->usocks); us && e->n_usocks >= USOCK_IDLE_KEEP; us = next) {
		next = LIST_NEXT(us, link);
		if (TAILQ_EMPTY(&us->waiting))
			usock_free(us);
	}
	if ((us = pool_take(e, q)) != NULL)
		return us;
	us = calloc(1, sizeof(*us));
	if (!us) {
		*err = DD_EIO;
		*why = "out of memory";
		return NULL;
	}
	us->e = e;
	us->fd = -1;
	TAILQ_INIT(&us->waiting);
	memcpy(&us->addr, &q->addr, q->addrlen);
	us->addrlen = q->addrlen;
	LIST_INSERT_HEAD(&e->usocks, us, link);
	e->n_usocks++;
	us->fd = open_socket(q, SOCK_DGRAM);
	if (us->fd < 0) {
		/* Out of descriptors or buffers is this machine's failure, not the server's. */
		*err = local_shortage(errno) ? DD_EIO : DD_ENETWORK;
		*why = *err == DD_EIO ? LOCAL_SHORTAGE_WHY : "cannot open a UDP socket";
		usock_free(us);
		return NULL;
	}
	if (connect(us->fd, (struct sockaddr *)&q->addr, q->addrlen) < 0) {
		*why = "cannot reach the address";
		usock_free(us);
		return NULL;
	}
	us->ev = event_new(e->base, us->fd, EV_READ | EV_PERSIST, udp_read_cb, us);
	if (!us->ev || event_add(us->ev, NULL) < 0) {
		*err = DD_EIO;
		*why = "out of memory";
		usock_free(us);
		return NULL;
	}
	return us;
}

static bool same_addr(const struct query *q, const struct usock *us)
{
	return q->addrlen == us->addrlen && memcmp(&q->addr, &us->addr, us->addrlen) == 0;
}

/* Has q's address answered any query of this engine? */
static bool addr_answered(const engine_t *e, const struct query *q)
{
	const struct usock *us;
	LIST_FOREACH(us, &e->usocks, link)
	if (same_addr(q, us))
		return us->answers > 0;
	return false;
}

/* The address answered (err 0: not needed) or refused (err set): the
 * ENGINE_F_IF_SILENT queries waiting for it have their outcome. */
static void settle_deferred(struct usock *us, int err, const char *why)
{
	engine_t *e = us->e;
	for (;;) {
		struct query *q;
		TAILQ_FOREACH(q, &e->deferred, queue)
		if (same_addr(q, us))
			break;
		if (!q)
			return;
		if (err)
			finish(q, err, why, NULL, 0);
		else
			finish_ex(q, DD_ECANCELLED, "not needed: the address answered", NULL, 0,
				  true);
	}
}

/* Every query waiting on `us` ends with `err` (the address refused us). */
static void usock_fail_all(struct usock *us, int err, const char *why)
{
	us->faulted = true;
	struct query *q;
	while ((q = TAILQ_FIRST(&us->waiting)) != NULL)
		finish(q, err, why, NULL, 0);
	settle_deferred(us, err, why);
}

/* One datagram from the socket's address: an answer, or dropped. */
static void udp_datagram(struct usock *us, const uint8_t *msg, size_t len)
{
	engine_t *e = us->e;
	dd_wire_summary_t sum;
	const char *why = NULL;
	int bad = dd_wire_check(msg, len, &sum, &why);
	struct query *q;
	TAILQ_FOREACH(q, &us->waiting, wait)
	{
		if (!bad && answers_query(q, &sum)) {
			q->answered_prev = sum.id != q->id;
			us->answers++;
			if (sum.flags & DNS_FLAG_TC) {
				q->udp_truncated = true;
				tcp_start(q);
			} else {
				q->udp_oversized =
				    !(q->flags & ENGINE_F_NOEDNS) && len > e->cfg.edns_bufsize;
				finish(q, 0, NULL, msg, len);
			}
			if (!TAILQ_EMPTY(&e->deferred))
				settle_deferred(us, 0, NULL);
			return;
		}
		if (truncated_answer(q, msg, len)) {
			q->udp_truncated = true;
			tcp_start(q);
			return;
		}
	}
	/* A late duplicate of a finished try: the server is not at fault. */
	if (!bad && (sum.flags & DNS_FLAG_QR) && usock_recent(us, sum.id))
		return;
	/* With the ID of one waiting query, it is that query's; otherwise no
	 * query can be told apart, and each waiting one counts it. */
	struct query *owner = NULL;
	if (!bad)
		TAILQ_FOREACH(q, &us->waiting, wait)
	if (id_of_query(q, sum.id))
		owner = q;
	TAILQ_FOREACH(q, &us->waiting, wait)
	{
		if (owner && q != owner)
			continue;
		q->dropped++;
		q->drop_why = bad ? (why ? why : "malformed") : mismatch_why(q, &sum);
	}
}

/*
 * The receive buffers: RX_BATCH datagrams of up to UDP_MAX octets, one set
 * per thread (a thread's engines never read at the same time), made on first
 * use and freed when the thread ends. Not zeroed: only what the kernel wrote
 * is read.
 */
static pthread_key_t rx_key;
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;
static bool rx_key_ok;

static void rx_key_make(void)
{
	rx_key_ok = pthread_key_create(&rx_key, free) == 0;
}

static uint8_t *thread_rxbuf(void)
{
	pthread_once(&rx_once, rx_key_make);
	if (!rx_key_ok)
		return NULL;
	uint8_t *b = pthread_getspecific(rx_key);
	if (!b && (b = malloc((size_t)RX_BATCH * UDP_MAX)) != NULL &&
	    pthread_setspecific(rx_key, b) != 0) {
		free(b);
		b = NULL;
	}
	return b;
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct usock *us = arg;
	uint8_t *rxbuf = thread_rxbuf();
	if (!us->e || !rxbuf) {
		/* Drain what came (unread, it would wake the loop again), then give up. */
		uint8_t scrap[512];
		while (recv(fd, scrap, sizeof(scrap), MSG_DONTWAIT) >= 0 || errno == EINTR)
			;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			us->faulted = true; /* in the pool: closed when next looked at */
		if (us->e)
			usock_fail_all(us, DD_EIO, "out of memory");
		return;
	}
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];

	for (;;) {
		/* Every datagram waiting on the socket, up to RX_BATCH, in one call. */
		for (unsigned i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = rxbuf + (size_t)i * UDP_MAX;
			iov[i].iov_len = UDP_MAX;
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			if (errno == ECONNREFUSED) {
				usock_fail_all(us, DD_ENETWORK, "connection refused");
				return;
			}
			/* Other ICMP-reported errors (host/net unreachable):
			 * not a fact about the port; keep waiting for the timeout. */
			if (errno == EHOSTUNREACH || errno == ENETUNREACH) {
				us->faulted = true;
				continue;
			}
			usock_fail_all(us, DD_ENETWORK, "receive failed");
			return;
		}
		for (int i = 0; i < n; i++)
			if (!TAILQ_EMPTY(
				&us->waiting)) /* else nothing to answer: read and forget */
				udp_datagram(us, iov[i].iov_base, msgs[i].msg_len);
		if (n < RX_BATCH)
			return; /* drained: the loop calls again when more comes */
	}
}

static void udp_timeout(struct query *q)
{
	close_io(q);
	if (q->tries < ((q->flags & ENGINE_F_IF_SILENT) ? 1 : q->e->cfg.retries + 1)) {
		udp_try(q);
		return;
	}
	finish(q, DD_ETIMEOUT, "no answer", NULL, 0);
}

/* How long a first UDP try waits (see udp_try). */
static unsigned first_try_ms(const engine_t *e)
{
	unsigned wait = e->cfg.timeout_ms;
	if (e->have_rtt && e->cfg.timeout_floor_ms) {
		unsigned a = e->max_rtt_ms > 1000000 ? 4000000 : 4 * e->max_rtt_ms;
		if (a < e->cfg.timeout_floor_ms)
			a = e->cfg.timeout_floor_ms;
		if (a < wait)
			wait = a;
	}
	return wait;
}

/* A try could not be sent. The kernel reports an ICMP "port unreachable"
 * once, to whichever call comes first: here it may belong to a query already
 * waiting. A refusal is a fact about the address, so all of them end. */
static void send_failed(struct usock *us, struct query *q, int err)
{
	us->faulted = true;
	if (err == ECONNREFUSED) {
		finish(q, DD_ENETWORK, "connection refused", NULL, 0);
		usock_fail_all(us, DD_ENETWORK, "connection refused");
	} else {
		finish(q, DD_ENETWORK, "send failed", NULL, 0);
	}
}

#define SEND_BATCH 32

/*
 * Hand the tries prepared in one kick to the kernel, one sendmmsg() per
 * socket and batch: a server gets its questions together (NSD, for one,
 * reads them with one recvmmsg) rather than one wake-up each.
 */
static void flush_sends(engine_t *e)
{
	struct usock *us;
	LIST_FOREACH(us, &e->usocks, link)
	{
		while (us->n_unsent > 0) {
			struct query *batch[SEND_BATCH], *q;
			struct mmsghdr msgs[SEND_BATCH];
			struct iovec iov[SEND_BATCH];
			unsigned n = 0;
			TAILQ_FOREACH(q, &us->waiting, wait)
			{
				if (!q->unsent)
					continue;
				iov[n].iov_base = q->pkt + 2;
				iov[n].iov_len = q->pkt_len;
				memset(&msgs[n], 0, sizeof(msgs[n]));
				msgs[n].msg_hdr.msg_iov = &iov[n];
				msgs[n].msg_hdr.msg_iovlen = 1;
				batch[n++] = q;
				if (n == SEND_BATCH)
					break;
			}
			for (unsigned i = 0; i < n; i++) {
				batch[i]->unsent = false;
				us->n_unsent--;
			}
			unsigned done = 0;
			while (done < n) {
				int r = sendmmsg(us->fd, msgs + done, n - done, 0);
				if (r > 0) {
					done += (unsigned)r;
					continue;
				}
				int err = r < 0 ? errno : EIO;
				if (err == EINTR)
					continue;
				send_failed(us, batch[done], err);
				if (err == ECONNREFUSED)
					break; /* every query waiting here ended, the unsent ones
						  too */
				done++;
			}
		}
	}
}

static void udp_try(struct query *q)
{
	engine_t *e = q->e;
	const char *why = NULL;
	int uerr = 0;
	struct usock *us = usock_get(q, &why, &uerr);
	if (!us) {
		finish(q, uerr, why, NULL, 0);
		return;
	}
	if (q->tries > 0) {
		q->prev_id = q->id;
		q->prev_try_start_ns = q->try_start_ns;
	}
	int err = pick_id(q, us);
	if (!err)
		err = build_query(q);
	if (err < 0) {
		finish(q, err, "no random query ID", NULL, 0);
		return;
	}
	q->tries++;
	q->try_start_ns = mono_ns();
	q->answered_prev = false;
	if (e->batching) {
		/* Sent with the other tries to this address at the end of the kick. */
		q->unsent = true;
		us->n_unsent++;
	} else if (send(us->fd, q->pkt + 2, q->pkt_len, 0) != (ssize_t)q->pkt_len) {
		send_failed(us, q, errno);
		return;
	}
	q->us = us;
	TAILQ_INSERT_TAIL(&us->waiting, q, wait);
	/* Adaptive: once servers have answered, a first try waits four times the
	 * slowest answer seen, never less than the floor nor more than the
	 * configured timeout; the retry waits the full timeout, so a slow server
	 * is not called dead while a dead one costs floor + timeout. */
	unsigned wait = (q->tries == 1 && !(q->flags & ENGINE_F_IF_SILENT)) ? first_try_ms(e)
									    : e->cfg.timeout_ms;
	struct timeval tv = ms_tv(wait);
	event_add(q->ev_timer, &tv);
}

/* ---- TCP --------------------------------------------------------------- */

static const char *tcp_errno_why(int err)
{
	return err == ECONNREFUSED		     ? "refused"
	       : (err == ECONNRESET || err == EPIPE) ? "closed"
						     : "connect failed";
}

static void tcp_got_response(struct query *q)
{
	const uint8_t *msg = q->tcp_in + 2;
	size_t len = q->tcp_want - 2;
	dd_wire_summary_t sum;
	const char *why = NULL;
	if (dd_wire_check(msg, len, &sum, &why) < 0) {
		finish(q, DD_EMALFORMED, why, NULL, 0);
		return;
	}
	if (!answers_query(q, &sum)) {
		finish(q, DD_EMALFORMED, "TCP answer does not match the query", NULL, 0);
		return;
	}
	/* A TC=1 answer over TCP is accepted as it is. */
	finish(q, 0, NULL, msg, len);
}

static void tcp_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct query *q = arg;
	size_t total_out = 2 + q->pkt_len;

	if (q->tcp_sent < total_out) {
		if (!(what & EV_WRITE))
			return;
		if (q->tcp_sent == 0) {
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
				soerr = errno;
			if (soerr != 0) {
				finish(q, DD_ETCP, tcp_errno_why(soerr), NULL, 0);
				return;
			}
		}
		ssize_t n = send(fd, q->pkt + q->tcp_sent, total_out - q->tcp_sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			finish(q, DD_ETCP, tcp_errno_why(errno), NULL, 0);
			return;
		}
		q->tcp_sent += (size_t)n;
		if (q->tcp_sent < total_out)
			return;
		/* Everything written: from now on only read. */
		event_del(q->ev_io);
		event_assign(q->ev_io, q->e->base, fd, EV_READ | EV_PERSIST, tcp_io_cb, q);
		event_add(q->ev_io, NULL);
		return;
	}

	for (;;) {
		ssize_t n = recv(fd, q->tcp_in + q->tcp_in_len, q->tcp_want - q->tcp_in_len, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			finish(q, DD_ETCP, tcp_errno_why(errno), NULL, 0);
			return;
		}
		if (n == 0) {
			finish(q, DD_ETCP, "closed", NULL, 0);
			return;
		}
		q->tcp_in_len += (size_t)n;
		if (q->tcp_in_len < q->tcp_want)
			continue;
		if (q->tcp_want == 2) {
			size_t mlen = ((size_t)q->tcp_in[0] << 8) | q->tcp_in[1];
			if (mlen < DNS_HDR_LEN) {
				finish(q, DD_EMALFORMED, "TCP message shorter than a DNS header",
				       NULL, 0);
				return;
			}
			q->tcp_want = 2 + mlen;
			continue;
		}
		tcp_got_response(q);
		return;
	}
}

static void tcp_start(struct query *q)
{
	engine_t *e = q->e;
	close_io(q);
	q->tcp = true;
	q->state = Q_TCP;
	q->tcp_sent = 0;
	q->tcp_in_len = 0;
	q->tcp_want = 2;
	if (!q->tcp_in) {
		q->tcp_in = malloc(2 + 65535);
		if (!q->tcp_in) {
			finish(q, DD_ENOMEM, "out of memory", NULL, 0);
			return;
		}
	}
	int err = pick_id(q, NULL);
	if (!err)
		err = build_query(q);
	if (err < 0) {
		finish(q, err, "no random query ID", NULL, 0);
		return;
	}
	q->try_start_ns = mono_ns();
	q->fd = open_socket(q, SOCK_STREAM);
	if (q->fd < 0) {
		if (local_shortage(errno))
			finish(q, DD_EIO, LOCAL_SHORTAGE_WHY, NULL, 0);
		else
			finish(q, DD_ETCP, "cannot open a TCP socket", NULL, 0);
		return;
	}
	if (connect(q->fd, (struct sockaddr *)&q->addr, q->addrlen) < 0 && errno != EINPROGRESS) {
		finish(q, DD_ETCP, tcp_errno_why(errno), NULL, 0);
		return;
	}
	q->ev_io = event_new(e->base, q->fd, EV_WRITE | EV_PERSIST, tcp_io_cb, q);
	if (!q->ev_io) {
		finish(q, DD_ENOMEM, "out of memory", NULL, 0);
		return;
	}
	struct timeval tv = ms_tv(e->cfg.tcp_timeout_ms);
	event_add(q->ev_io, NULL);
	event_add(q->ev_timer, &tv);
}

/* ---- scheduling -------------------------------------------------------- */

/* One timer per query: a UDP try's timeout or the whole TCP exchange's. */
static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct query *q = arg;
	engine_t *e = q->e;
	if (q->state == Q_DEFERRED) {
		/* Decision time: sent if nothing has come from the address. */
		if (addr_answered(e, q)) {
			finish_ex(q, DD_ECANCELLED, "not needed: the address answered", NULL, 0,
				  true);
			return;
		}
		TAILQ_REMOVE(&e->deferred, q, queue);
		q->state = Q_QUEUED;
		TAILQ_INSERT_TAIL(&e->queue, q, queue);
		event_active(e->ev_kick, EV_TIMEOUT, 1);
	} else if (q->state == Q_TCP) {
		finish(q, DD_ETCP, "timeout", NULL, 0);
	} else {
		udp_timeout(q);
	}
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	engine_t *e = arg;
	e->batching = true;
	while (!e->deadline_passed && !e->freeing && e->n_active < e->cfg.max_inflight &&
	       !TAILQ_EMPTY(&e->queue)) {
		struct query *q = TAILQ_FIRST(&e->queue);
		TAILQ_REMOVE(&e->queue, q, queue);
		e->n_active++;
		if (q->flags & ENGINE_F_TCP) {
			tcp_start(q);
		} else {
			q->state = Q_UDP;
			udp_try(q);
		}
	}
	e->batching = false;
	flush_sends(e);
}

static void cancel_all(engine_t *e, int err, const char *why)
{
	struct query *q;
	while ((q = TAILQ_FIRST(&e->all)) != NULL)
		finish(q, err, why, NULL, 0);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	engine_t *e = arg;
	e->deadline_passed = true;
	cancel_all(e, DD_EDEADLINE, "check deadline reached");
}

/* ---- public ------------------------------------------------------------ */

int engine_new(struct event_base *base, const engine_cfg_t *cfg, engine_t **out)
{
	engine_cfg_t def;
	if (!out)
		return DD_EINVAL;
	*out = NULL;
	if (!base)
		return DD_EINVAL;
	if (!cfg) {
		engine_cfg_default(&def);
		cfg = &def;
	}
	if (cfg->timeout_ms == 0 || cfg->tcp_timeout_ms == 0 || cfg->max_inflight == 0)
		return DD_EINVAL;

	engine_t *e = calloc(1, sizeof(*e));
	if (!e)
		return DD_ENOMEM;
	e->base = base;
	e->cfg = *cfg;
	TAILQ_INIT(&e->all);
	TAILQ_INIT(&e->queue);
	TAILQ_INIT(&e->deferred);
	LIST_INIT(&e->usocks);
	e->start_ns = mono_ns();
	e->ev_kick = event_new(base, -1, 0, kick_cb, e);
	if (!e->ev_kick)
		goto nomem;
	if (cfg->deadline_ms) {
		e->ev_deadline = event_new(base, -1, 0, deadline_cb, e);
		if (!e->ev_deadline)
			goto nomem;
		struct timeval tv = ms_tv(cfg->deadline_ms);
		event_add(e->ev_deadline, &tv);
	}
	if (base == coro_thread_base()) {
		e->on_thread_loop = true;
		thread_engines++;
	}
	*out = e;
	return 0;
nomem:
	if (e->ev_kick)
		event_free(e->ev_kick);
	free(e);
	return DD_ENOMEM;
}

void engine_free(engine_t *e)
{
	if (!e)
		return;
	e->freeing = true;
	if (e->on_thread_loop)
		thread_engines--;
	cancel_all(e, DD_ECANCELLED, "engine freed");
	while (!LIST_EMPTY(&e->usocks)) {
		struct usock *us = LIST_FIRST(&e->usocks);
		if (!pool_put(e, us))
			usock_free(us);
	}
	if (e->ev_deadline)
		event_free(e->ev_deadline);
	event_free(e->ev_kick);
	free(e);
}

/* A wire name the engine will send: uncompressed, well-formed, exact length. */
static bool qname_ok(const uint8_t *qname, size_t len)
{
	if (!qname || len == 0 || len > 255)
		return false;
	dd_cursor_t c;
	size_t got = 0;
	dd_cursor_init(&c, qname, len);
	dd_cursor_name(&c, NULL, &got);
	return c.err == 0 && got == len && c.pos == len;
}

int engine_query(engine_t *e, const struct sockaddr *addr, socklen_t addrlen, const uint8_t *qname,
		 size_t qname_len, uint16_t qtype, unsigned flags, engine_cb cb, void *arg)
{
	if (!e || !cb || !addr)
		return DD_EINVAL;
	if (e->freeing)
		return DD_ECANCELLED;
	if (engine_deadline_passed(e))
		return DD_EDEADLINE;
	if (!((addr->sa_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) ||
	      (addr->sa_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6))))
		return DD_EINVAL;
	if (!qname_ok(qname, qname_len))
		return DD_EINVAL;
	if (e->n_queries >= e->cfg.max_queries)
		return DD_ELIMIT;

	struct query *q = calloc(1, sizeof(*q));
	if (!q)
		return DD_ENOMEM;
	q->ev_timer = event_new(e->base, -1, 0, timer_cb, q);
	if (!q->ev_timer) {
		free(q);
		return DD_ENOMEM;
	}
	q->e = e;
	q->fd = -1;
	q->state = Q_QUEUED;
	q->addrlen =
	    addr->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	memcpy(&q->addr, addr, q->addrlen);
	memcpy(q->qname, qname, qname_len);
	q->qname_len = qname_len;
	q->qtype = qtype;
	q->flags = flags;
	q->cb = cb;
	q->arg = arg;
	q->start_ns = mono_ns();
	q->try_start_ns = q->start_ns;

	TAILQ_INSERT_TAIL(&e->all, q, all);
	e->n_outstanding++;
	e->n_queries++;
	if (flags & ENGINE_F_IF_SILENT) {
		/* Settled by the first answer from the address, else decided when
		 * a first try to it would have timed out (at once when it has
		 * answered already: the timer callback finishes it, never this call). */
		q->state = Q_DEFERRED;
		TAILQ_INSERT_TAIL(&e->deferred, q, queue);
		struct timeval tv = ms_tv(addr_answered(e, q) ? 0 : first_try_ms(e));
		event_add(q->ev_timer, &tv);
		return 0;
	}
	TAILQ_INSERT_TAIL(&e->queue, q, queue);
	event_active(e->ev_kick, EV_TIMEOUT, 1);
	return 0;
}

static bool engine_idle(void *arg)
{
	return ((engine_t *)arg)->n_outstanding == 0;
}

int engine_wait(engine_t *e)
{
	if (!e)
		return DD_EINVAL;
	/* A check running as a coroutine on a loop it shares: the thread's
	 * scheduler runs the loop and resumes the check when all is done. */
	if (coro_current() && e->base == coro_thread_base()) {
		coro_wait(engine_idle, e);
		return e->deadline_passed ? DD_EDEADLINE : 0;
	}
	while (e->n_outstanding > 0) {
		/* -1: error (e.g. called from inside the loop); 1: nothing
		 * pending, which cannot happen while queries are outstanding. */
		if (event_base_loop(e->base, EVLOOP_ONCE) != 0)
			return DD_EINVAL;
	}
	return e->deadline_passed ? DD_EDEADLINE : 0;
}

unsigned engine_queries_sent(const engine_t *e)
{
	return e ? e->n_queries : 0;
}

unsigned engine_elapsed_ms(const engine_t *e)
{
	return e ? ms_since(e->start_ns) : 0;
}

bool engine_deadline_passed(const engine_t *e)
{
	if (!e)
		return false;
	return e->deadline_passed ||
	       (e->cfg.deadline_ms && ms_since(e->start_ns) >= e->cfg.deadline_ms);
}
