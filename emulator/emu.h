/*
 * emu.h: the emulator's core, shared by the Tencent (tc_*.c), JD (jd_*.c)
 * and admin (admin.c) handlers.
 *
 * The whole simulated world (accounts, instances, orders, connections, the
 * ledger) is one jansson document guarded by one mutex: handlers run with
 * e->lock held (the server takes it around each dispatch), so they never
 * lock themselves.  Everything in e->world persists to --state-file.
 *
 * Time is lazy: objects keep the millisecond timestamps of their
 * transitions and each handler first calls the cloud's "advance" function,
 * which moves every status whose delay has passed.  Delays come from the
 * config ("delays" object, milliseconds); with --manual, JD review and
 * construction wait for the admin API instead.
 *
 * World layout (keys of e->world):
 *   "accounts":  { NAME: account }  account = {
 *        "name", "uin" (string),
 *        "tencent": {"secret_id","secret_key","balance_fen":int,
 *                    "real_name_verified":bool},
 *        "jdcloud": {"access_key","secret_key","balance_fen":int,
 *                    "enterprise_verified":bool, "pin"} }
 *   "tencent":   owned by tc_*.c; instances live in "tencent"."instances"
 *                as { InstanceId: instance } (the admin API patches them)
 *   "jdcloud":   owned by jd_*.c
 *   "ledger":    [ entries appended by emu_ledger_add ]
 *   "seq":       int, for ids
 *   "ids":       { id: true } for every id emu_new_id handed out
 *   "time_offset_ms": int, the admin API's time shift (see emu_now_ms)
 *
 * Config layout (e->config, see config.c and docs/emulator.md):
 *   "accounts" (seed of world "accounts"), "delays" {name: ms},
 *   "tencent" {"regions", "shard_specs", "db_versions", "prices",
 *              "quotas", "max_skew_s"},
 *   "jdcloud" {"regions", "quotas", "prices", … (jd.c fills the rest)}.
 */
#ifndef DCFORM_EMU_H
#define DCFORM_EMU_H

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>

#include "core/util/buf.h"

struct emu_header {
	char *name;
	char *value;
};

struct emu_req {
	const char *method;   /* "GET", "POST", … */
	const char *raw_path; /* as sent, still percent-encoded, no query */
	char *path;	      /* percent-decoded raw_path */
	const char *query;    /* raw query string after '?', "" if none */
	struct emu_header *headers;
	size_t nheaders;
	const char *body; /* NUL-terminated; may contain NULs */
	size_t body_len;
	const char *host;   /* Host header as sent, "" if none */
	int64_t arrived_ms; /* monotonic: when the request was read in full */
};

/* Case-insensitive header lookup; NULL when absent. */
const char *emu_req_header(const struct emu_req *r, const char *name);
/* Value of query parameter `name` (percent-decoded, newly allocated), or
 * NULL when absent. */
char *emu_req_query(const struct emu_req *r, const char *name);

struct emu_resp {
	int status; /* HTTP status */
	struct buf body;
	const char *content_type; /* static string */
	char jd_request_id[40];	  /* sent as x-jdcloud-request-id when set */
	/* Fault effects, applied by the server after the handler: */
	int reset;	    /* close the connection without answering */
	int64_t hang_ms;    /* wait this long before answering */
	int64_t latency_ms; /* extra delay before answering */
	int cut_half;	    /* send only the first half of the body */
};

struct emu {
	pthread_mutex_t lock;
	json_t *world;	  /* persistent: see the layout above */
	json_t *config;	  /* regions, zones, specs, prices, delays, quotas */
	json_t *faults;	  /* array of fault rules (admin API) */
	json_t *stats;	  /* {"requests":{"svc.Action":N},"total":N} */
	json_t *rates;	  /* rate windows: key → [monotonic ms, …] */
	char *state_file; /* NULL: in memory only */
	int manual;	  /* JD review/construction only through admin API */
	int64_t default_latency_ms; /* --latency: added to every cloud call */
	int dirty;
	/* Added by the core (server, admin): */
	uint64_t rng; /* xorshift state: --seed makes ids and faults
		       * reproducible */
};

/* Milliseconds since the epoch (wall clock: timestamps are persisted). */
int64_t emu_now_ms(void);
/* A new random request id (UUID). */
void emu_request_id(char out[37]);
/* A new id "<prefix><8 lowercase alphanumerics>", unique in the world. */
char *emu_new_id(struct emu *e, const char *prefix);
/* Delay in ms for a named transition from config "delays", or def. */
int64_t emu_delay(struct emu *e, const char *name, int64_t def);

/* Borrowed account whose Tencent SecretId / JD AccessKey matches, or NULL. */
json_t *emu_account_by_tc_secret_id(struct emu *e, const char *secret_id);
json_t *emu_account_by_jd_access_key(struct emu *e, const char *ak);

/*
 * Append to the ledger.  entry is stolen; emu_ledger_add sets "time" (ms)
 * and "seq".  Entries: {"kind":"order"|"payment"|"refund", "cloud":
 * "tencent"|"jdcloud", "account", "order_id", "amount_fen", "resource_ids",
 * "product", "action", …}.
 */
void emu_ledger_add(struct emu *e, json_t *entry);

/* Mark the world changed; the server saves it after the request. */
void emu_dirty(struct emu *e);
/* Write e->world to e->state_file atomically (no-op without one). */
int emu_save(struct emu *e);

/* Count one request in stats ("<service>.<action>"). */
void emu_stats_count(struct emu *e, const char *service, const char *action);
/*
 * The clouds' per-second limits: whether a request under `key` (e.g.
 * "<account> dcdb.CreateDCDBInstance") arriving now would be more than
 * `limit` in the second before it arrived (`arrived_ms`, monotonic: the
 * time it was read, not the time the handler got the lock).  A sliding
 * window, so a client that stays under it stays under it however the
 * second is cut.  0 when allowed
 * (and counted); 1 when over the limit (not counted; *seen: how many the
 * window holds).  limit <= 0 means no limit.
 */
int emu_rate_exceeded(struct emu *e, const char *key, int limit,
		      int64_t arrived_ms, int *seen);

/*
 * Evaluate fault rules for (service, action).  Sets resp->latency_ms,
 * hang_ms, reset, cut_half as the matching rules say.  When a rule injects
 * an error, returns 1 and fills *code (Tencent code or JD status string)
 * and *http_status (JD; Tencent errors are always HTTP 200); the caller
 * answers in its cloud's envelope.  Returns 0 otherwise.
 */
int emu_faults_eval(struct emu *e, const char *service, const char *action,
		    struct emu_resp *resp, const char **code, int *http_status);

/* Handlers: each fills resp completely.  Called with e->lock held. */
void tc_handle(struct emu *e, const struct emu_req *req, struct emu_resp *resp);
void jd_handle(struct emu *e, const struct emu_req *req, struct emu_resp *resp);
void admin_handle(struct emu *e, const struct emu_req *req,
		  struct emu_resp *resp);

/* JD side hooks used by the admin API (jd_*.c implements them). */
/* op is "approve", "reject" or "complete"; returns HTTP status, message. */
int jd_admin_connection(struct emu *e, const char *id, const char *op,
			const char *reason, struct buf *msg);

/* Default config (regions, zones, specs, prices, delays, demo account). */
json_t *emu_default_config(void);

/* ------------------------------------------------------------------ */
/* Core additions (emu.c, config.c, server.c).                          */

/* Shift emu_now_ms() forward by ms (admin time/advance); offset in ms. */
void emu_time_advance(int64_t ms);
int64_t emu_time_offset(void);
void emu_time_set_offset(int64_t ms);

/* Next pseudo-random number from e->rng (seeded by --seed). */
uint64_t emu_rand(struct emu *e);

/*
 * DCDB price model (config "tencent"."prices", documented in
 * docs/emulator.md): fen per shard per month for one shard of node_count
 * nodes with memory_gb and storage_gb, and the hourly (postpaid) price of
 * that shard, rounded up to whole fen.
 */
int64_t emu_dcdb_shard_month_fen(struct emu *e, int64_t node_count,
				 int64_t memory_gb, int64_t storage_gb);
int64_t emu_dcdb_shard_hour_fen(struct emu *e, int64_t node_count,
				int64_t memory_gb, int64_t storage_gb);

/* Deep merge: objects merge key by key, a null value deletes the key,
 * anything else replaces.  over is borrowed. */
void emu_json_merge(json_t *base, const json_t *over);

/* Set up e with config (stolen); the world is seeded from config
 * "accounts".  seed 0 picks a random one. */
void emu_init(struct emu *e, json_t *config, uint64_t seed);
/* Free everything e holds. */
void emu_release(struct emu *e);
/* Load e->world from e->state_file when it exists.  Returns 0 or -1 with
 * a message. */
int emu_load(struct emu *e, struct buf *msg);
/* World back to the seed from config; faults, stats and the time offset
 * cleared. */
void emu_reset(struct emu *e);
/* A fresh world seeded from config "accounts" (new reference). */
json_t *emu_seed_world(struct emu *e);

/* Fault rules (admin API): add a validated rule (borrowed), putting its
 * id in *id (newly allocated).  Returns 0, or -1 with a message. */
int emu_fault_add(struct emu *e, const json_t *rule, char **id,
		  struct buf *msg);
/* Remove the rule with that id; returns 0 or -1 when there is none. */
int emu_fault_del(struct emu *e, const char *id);

/* Stop flag for long sleeps (set on SIGTERM); emu_sleep_ms returns early
 * once it is set. */
void emu_request_stop(void);
int emu_stopping(void);
void emu_sleep_ms(int64_t ms);

/*
 * The HTTP server (server.c, libmicrohttpd, one thread per connection).
 * emu_server_start listens on host:port (an IP literal; port 0 picks a
 * free one, returned in *bound_port) and dispatches every request to the
 * handlers under e->lock.  allow_remote also lets non-loopback clients
 * reach /_emulator/.  Returns 0, or -1 with a message.
 */
struct emu_server;
int emu_server_start(struct emu_server **out, struct emu *e, const char *host,
		     int port, int allow_remote, int *bound_port,
		     struct buf *msg);
/* Stop accepting, wait for the connection threads, free. */
void emu_server_stop(struct emu_server *s);
/* Largest request body accepted (larger ones get 413). */
#define EMU_MAX_BODY (10u * 1024 * 1024)

#endif
