/*
 * jd_bgw.c: JD Cloud Direct Connection (service "bgw") in the emulator
 * (../shared/api/jdcloud-dc.md §3, §5, §9): connections with their review,
 * payment and construction status machine, border gateways, private VIFs
 * with BGP, VPC attachments, BGW routes and the access points (locations
 * with port specs and ISPs).
 *
 * Connection status machine (§3.5):
 *   create → Ordering ─review→ Installation_Paying (installation order)
 *                     └──────→ Rejected (no enterprise verification, or
 *                                        the admin API said reject)
 *   installation order paid → Pending ─construction→ Confirming
 *   confirm (port rental order) paid → Active
 *   delete (no VIFs) → Deleting ─→ Deleted ─→ gone (404)
 *   (Ordering / Installation_Paying / Rejected are deleted at once.)
 * Review and construction take the "jd_review" / "jd_construction" delays;
 * with --manual only jd_admin_connection() moves them.  Private VIFs go
 * Pending ─"jd_vif"→ Active and Deleting ─"jd_vif_delete"→ gone.
 *
 * Time is lazy: jd_bgw_advance() runs at the start of every call and moves
 * each object as many steps as the elapsed time allows, each step at the
 * exact time it was due.
 */
#include "emulator/jd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/json.h"

#define D_REVIEW 3000
#define D_CONSTRUCTION 3000
#define D_VIF 1000
#define D_VIF_DELETE 1000
#define D_DELETION 2000
#define D_PURGE 60000

/* ---------------------------------------------------------------- */
/* Field access with the cloud's errors */

/* Borrowed object of `kind` owned by the caller in its region, or NULL
 * with 404 answered. */
static json_t *own(struct jd_call *c, const char *kind, const char *id,
		   const char *what)
{
	json_t *o = json_object_get(jd_world(c->e, kind), id);

	if (!o || strcmp(json_get_str(o, "_account", ""), c->account_name) ||
	    strcmp(json_get_str(o, "_region", ""), c->region)) {
		jd_error(c, 404, "NOT_FOUND", "%s '%s' does not exist", what,
			 id);
		return NULL;
	}
	return o;
}

/* Same check without answering. */
static json_t *own_quiet(struct jd_call *c, const char *kind, const char *id)
{
	json_t *o = json_object_get(jd_world(c->e, kind), id);

	if (!o || strcmp(json_get_str(o, "_account", ""), c->account_name) ||
	    strcmp(json_get_str(o, "_region", ""), c->region))
		return NULL;
	return o;
}

/* body[key] as an object with only `allowed` keys; NULL (answered) when
 * missing or wrong. */
static json_t *spec_obj(struct jd_call *c, const char *key,
			const char *const *allowed)
{
	json_t *o = json_object_get(c->body, key);

	if (!o) {
		jd_error(c, 400, "INVALID_ARGUMENT", "%s is required", key);
		return NULL;
	}
	if (jd_check_keys(c, o, key, allowed) < 0)
		return NULL;
	return o;
}

/* A string field: 0 with *out (NULL when absent and optional), -1
 * answered. */
static int get_str(struct jd_call *c, const json_t *obj, const char *what,
		   const char *key, int required, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "%s.%s is required", what, key);
			return -1;
		}
		return 0;
	}
	if (!json_is_string(v)) {
		jd_error(c, 400, "INVALID_ARGUMENT", "%s.%s must be a string",
			 what, key);
		return -1;
	}
	*out = json_string_value(v);
	if (required && !**out) {
		jd_error(c, 400, "INVALID_ARGUMENT", "%s.%s is required", what,
			 key);
		return -1;
	}
	return 0;
}

static int get_int(struct jd_call *c, const json_t *obj, const char *what,
		   const char *key, int required, int64_t min, int64_t max,
		   int64_t def, int64_t *out)
{
	json_t *v = json_object_get(obj, key);

	*out = def;
	if (!v || json_is_null(v)) {
		if (required) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "%s.%s is required", what, key);
			return -1;
		}
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "%s.%s must be an integer in [%lld,%lld]", what, key,
			 (long long)min, (long long)max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(struct jd_call *c, const json_t *obj, const char *what,
		    const char *key, int def, int *out)
{
	json_t *v = json_object_get(obj, key);

	*out = def;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		jd_error(c, 400, "INVALID_ARGUMENT", "%s.%s must be a boolean",
			 what, key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

static int check_name(struct jd_call *c, const char *what, const char *key,
		      const char *v)
{
	if (!jd_valid_name(v)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "%s.%s '%s' must be 1-32 Chinese characters, "
			 "letters, digits, '_' or '-'",
			 what, key, v);
		return -1;
	}
	return 0;
}

static int check_desc(struct jd_call *c, const char *what, const char *key,
		      const char *v)
{
	long n = v ? jd_utf8_len(v) : 0;

	if (n < 0 || n > 256) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "%s.%s must be valid UTF-8 of at most 256 characters",
			 what, key);
		return -1;
	}
	return 0;
}

static int one_of(const char *v, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (!strcmp(v, list[i]))
			return 1;
	return 0;
}

/* Remove string `id` from the array at obj[key] (obj itself when key is
 * NULL). */
static void array_remove_str(json_t *obj, const char *key, const char *id)
{
	json_t *arr = key ? json_object_get(obj, key) : obj;
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		if (!strcmp(json_string_value(json_array_get(arr, i)), id)) {
			json_array_remove(arr, i);
			return;
		}
	}
}

static void set_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, json_string(v));
}

/*
 * Lazy time without scanning the world on every call: the earliest time at
 * which some status is due to move (not persisted).  jd_bgw_advance scans
 * everything when that time has come, when the world object changed
 * (reset, load) and at least once a second, because the admin API may
 * patch statuses behind our back.
 */
static struct {
	const json_t *world;
	int64_t next_due;
	int64_t last_scan;
} due;

/* When the status of o (under status_key) is due to move, if ever. */
static void schedule(struct emu *e, const json_t *o, const char *status_key)
{
	const char *st = json_get_str(o, status_key, "");
	int64_t since = json_get_int(o, "_since_ms", 0), d = -1, t;

	if (!strcmp(status_key, "connectionStatus")) {
		if (!strcmp(st, "Ordering") && !e->manual)
			d = emu_delay(e, "jd_review", D_REVIEW);
		else if (!strcmp(st, "Pending") && !e->manual)
			d = emu_delay(e, "jd_construction", D_CONSTRUCTION);
		else if (!strcmp(st, "Deleting"))
			d = emu_delay(e, "jd_deletion", D_DELETION);
		else if (!strcmp(st, "Deleted"))
			d = emu_delay(e, "jd_purge", D_PURGE);
	} else {
		if (!strcmp(st, "Pending"))
			d = emu_delay(e, "jd_vif", D_VIF);
		else if (!strcmp(st, "Deleting"))
			d = emu_delay(e, "jd_vif_delete", D_VIF_DELETE);
	}
	if (d < 0)
		return;
	t = since + d;
	if (t < due.next_due)
		due.next_due = t;
}

static void mark(struct emu *e, json_t *o, const char *status_key,
		 const char *status, int64_t when)
{
	set_str(o, status_key, status);
	json_object_set_new(o, "_since_ms", json_integer(when));
	schedule(e, o, status_key);
}

/*
 * Owner index (not persisted): for each kind, account and region the ids
 * in creation order, so that an unfiltered page is cut from the list
 * without touching the rest of the store.  Every insertion and removal
 * goes through world_put / world_del; the index is rebuilt when the world
 * object changed (reset, load) or its object counts no longer match (the
 * admin API added or removed objects).
 */
static const char *const kinds[] = {"connections", "bgws", "vifs",
				    "attachments", "routes"};
static struct {
	const json_t *world;
	json_t *idx;   /* {"kind\naccount\nregion": [ids…]} */
	json_t *count; /* {kind: n} */
} oi;

static char *owner_key(const char *kind, const json_t *o)
{
	return xasprintf("%s\n%s\n%s", kind, json_get_str(o, "_account", ""),
			 json_get_str(o, "_region", ""));
}

static void oi_add(const char *kind, const char *id, const json_t *o)
{
	char *key = owner_key(kind, o);
	json_t *list = json_object_get(oi.idx, key);

	if (!list) {
		list = json_array();
		json_object_set_new(oi.idx, key, list);
	}
	json_array_append_new(list, json_string(id));
	json_object_set_new(oi.count, kind,
			    json_integer(json_get_int(oi.count, kind, 0) + 1));
	free(key);
}

static void oi_check(struct emu *e)
{
	size_t i;
	int stale = e->world != oi.world || !oi.idx;

	for (i = 0; !stale && i < ARRAY_SIZE(kinds); i++)
		stale = json_get_int(oi.count, kinds[i], 0) !=
			(int64_t)json_object_size(jd_world(e, kinds[i]));
	if (!stale)
		return;
	json_decref(oi.idx);
	json_decref(oi.count);
	oi.idx = json_object();
	oi.count = json_object();
	oi.world = e->world;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		const char *k;
		json_t *o;

		json_object_set_new(oi.count, kinds[i], json_integer(0));
		json_object_foreach (jd_world(e, kinds[i]), k, o)
			oi_add(kinds[i], k, o);
	}
}

static void world_put(struct emu *e, const char *kind, const char *id,
		      json_t *o)
{
	oi_check(e);
	json_object_set(jd_world(e, kind), id, o);
	oi_add(kind, id, o);
}

static void world_del(struct emu *e, const char *kind, const char *id)
{
	json_t *o = json_object_get(jd_world(e, kind), id);
	char *key;

	if (!o)
		return;
	oi_check(e);
	key = owner_key(kind, o);
	array_remove_str(json_object_get(oi.idx, key), NULL, id);
	json_object_set_new(oi.count, kind,
			    json_integer(json_get_int(oi.count, kind, 0) - 1));
	json_object_del(jd_world(e, kind), id);
	free(key);
}

/* Borrowed ids of the caller's objects of kind in creation order. */
static json_t *owner_ids(struct jd_call *c, const char *kind)
{
	char *key = xasprintf("%s\n%s\n%s", kind, c->account_name, c->region);
	json_t *list;

	oi_check(c->e);
	list = json_object_get(oi.idx, key);
	free(key);
	return list;
}

/* Objects of `kind` of the caller in its region, matching filter `fname`
 * on field `field` when given.  New array of borrowed (incref'd) items. */
static json_t *collect(struct jd_call *c, const char *kind,
		       const json_t *filters, const char *id_filter,
		       const char *id_field)
{
	json_t *world = jd_world(c->e, kind), *out = json_array(), *o, *f;
	const char *k;
	size_t i, j;
	json_t *v;

	/* With an id filter, look the ids up instead of scanning. */
	json_array_foreach (filters, i, f) {
		if (strcmp(json_get_str(f, "name", ""), id_filter))
			continue;
		json_array_foreach (json_object_get(f, "values"), j, v) {
			o = own_quiet(c, kind, json_string_value(v));
			if (o && !strcmp(json_get_str(o, id_field, ""),
					 json_string_value(v))) {
				size_t n;
				int dup = 0;

				for (n = 0; n < json_array_size(out); n++)
					if (json_array_get(out, n) == o)
						dup = 1;
				if (!dup)
					json_array_append(out, o);
			}
		}
		return out;
	}
	(void)k;
	json_array_foreach (owner_ids(c, kind), i, v) {
		o = json_object_get(world, json_string_value(v));
		if (o)
			json_array_append(out, o);
	}
	return out;
}

/*
 * Without filters a page is cut straight from the owner index: the cost
 * is the page's, not the store's.  Returns 1 when it answered.
 */
static int list_fast(struct jd_call *c, const char *kind, const char *key,
		     const json_t *filters, const struct jd_page *pg)
{
	json_t *ids, *world = jd_world(c->e, kind), *page;
	size_t total, i, start;
	int64_t pages, number = pg->number;

	if (json_array_size(filters))
		return 0;
	ids = owner_ids(c, kind);
	total = json_array_size(ids);
	pages = (int64_t)((total + (size_t)pg->size - 1) / (size_t)pg->size);
	if (pages > 0 && number > pages)
		number = pages;
	start = (size_t)((number - 1) * pg->size);
	page = json_array();
	for (i = start; i < total && i < start + (size_t)pg->size; i++) {
		json_t *o = json_object_get(
		    world, json_string_value(json_array_get(ids, i)));

		if (o)
			json_array_append_new(page, jd_public(o));
	}
	jd_ok(c, json_pack("{s:o, s:I}", key, page, "totalCount",
			   (json_int_t)total));
	return 1;
}

/* Keep only the items for which every named filter matches. */
static void filter_items(json_t *items, const json_t *filters,
			 const char *const *names, const char *const *fields)
{
	size_t i = 0, n;

	while (i < json_array_size(items)) {
		json_t *o = json_array_get(items, i);
		int keep = 1;

		for (n = 0; names[n]; n++) {
			json_t *fv = json_object_get(o, fields[n]);
			char num[32];
			const char *s = json_string_value(fv);

			if (json_is_integer(fv)) {
				snprintf(num, sizeof(num), "%lld",
					 (long long)json_integer_value(fv));
				s = num;
			}
			if (!jd_filter_match(filters, names[n], s))
				keep = 0;
		}
		if (keep)
			i++;
		else
			json_array_remove(items, i);
	}
}

static int list_common(struct jd_call *c, const char *const *fnames,
		       struct jd_page *pg, json_t **filters)
{
	if (jd_query_check(c, NULL, 1) < 0 || jd_page_parse(c, pg) < 0)
		return -1;
	*filters = jd_filters(c, fnames);
	return *filters ? 0 : -1;
}

static int no_query(struct jd_call *c, const char *const *allowed)
{
	return jd_query_check(c, allowed, 0);
}

/* ---------------------------------------------------------------- */
/* Locations */

static json_t *region_locations(struct jd_call *c)
{
	return json_object_get(json_object_get(jd_config(c->e), "locations"),
			       c->region);
}

static json_t *location_by(struct jd_call *c, const char *field, const char *v)
{
	size_t i;
	json_t *l;

	json_array_foreach (region_locations(c), i, l) {
		if (!strcmp(json_get_str(l, field, ""), v))
			return l;
	}
	return NULL;
}

static json_t *location_part(const json_t *loc, const char *list,
			     const char *field, const char *v)
{
	size_t i;
	json_t *p;

	json_array_foreach (json_object_get(loc, list), i, p) {
		if (!strcmp(json_get_str(p, field, ""), v))
			return p;
	}
	return NULL;
}

static void describe_locations(struct jd_call *c)
{
	static const char *const fn[] = {"locationCodes", "locationIds", NULL};
	static const char *const names[] = {"locationCodes", "locationIds",
					    NULL};
	static const char *const fields[] = {"locationCode", "locationId",
					     NULL};
	struct jd_page pg;
	json_t *filters, *items;
	size_t i;
	json_t *l;

	if (list_common(c, fn, &pg, &filters) < 0)
		return;
	items = json_array();
	json_array_foreach (region_locations(c), i, l)
		json_array_append(items, l);
	filter_items(items, filters, names, fields);
	jd_list_answer(c, "locations", items, &pg);
	json_decref(items);
	json_decref(filters);
}

static void describe_location(struct jd_call *c, const char *id)
{
	static const char *const q[] = {"locationId", NULL};
	json_t *l;

	if (no_query(c, q) < 0)
		return;
	l = location_by(c, "locationId", id);
	if (!l) {
		jd_error(c, 404, "NOT_FOUND", "location '%s' does not exist",
			 id);
		return;
	}
	jd_ok(c, json_pack("{s:o}", "location", json_deep_copy(l)));
}

/* ---------------------------------------------------------------- */
/* Connections: status machine */

static int64_t port_month_fen(struct emu *e, const char *spec)
{
	json_t *p = json_object_get(json_object_get(jd_config(e), "prices"),
				    "port_month_fen");

	return json_get_int(p, spec ? spec : "", 100000);
}

static const char *conn_port_spec(const json_t *conn)
{
	return json_get_str(json_object_get(json_object_get(conn, "location"),
					    "locationPortSpec"),
			    "portSpecCode", NULL);
}

/* Review passed at time `when`: the installation order. */
static void conn_approve(struct emu *e, json_t *conn, int64_t when)
{
	const char *id = json_get_str(conn, "connectionId", "");
	struct buf msg = BUF_INIT;
	json_t *order;

	order = jd_order_create(
	    e, json_get_str(conn, "_account", ""),
	    json_get_str(conn, "_region", ""),
	    jd_config_int(e, "prices", "installation_fen", 1500000), "NEW", id,
	    "installation", when);
	char *rid = xasprintf("%s-initial", id);

	mark(e, conn, "connectionStatus", "Installation_Paying", when);
	set_str(conn, "orderId", json_get_str(order, "orderNumber", ""));
	set_str(conn, "resourceIdInitial", rid);
	free(rid);
	emu_dirty(e);
	/* autoPay pays when the balance allows; otherwise the order waits
	 * for payOrder (jd_bgw_order_paid moves the connection). */
	if (json_get_bool(conn, "_auto_pay", 0))
		jd_order_pay(e, order, when, &msg);
	buf_release(&msg);
}

static void conn_reject(struct emu *e, json_t *conn, const char *reason,
			int64_t when)
{
	mark(e, conn, "connectionStatus", "Rejected", when);
	set_str(conn, "rejectedReason", reason);
	emu_dirty(e);
}

static void vif_remove(struct emu *e, const char *id);

void jd_bgw_advance(struct emu *e, int64_t now)
{
	json_t *conns = jd_world(e, "connections");
	json_t *vifs = jd_world(e, "vifs"), *o;
	int64_t review = emu_delay(e, "jd_review", D_REVIEW);
	int64_t build = emu_delay(e, "jd_construction", D_CONSTRUCTION);
	int64_t del = emu_delay(e, "jd_deletion", D_DELETION);
	int64_t purge = emu_delay(e, "jd_purge", D_PURGE);
	int64_t vif_up = emu_delay(e, "jd_vif", D_VIF);
	int64_t vif_del = emu_delay(e, "jd_vif_delete", D_VIF_DELETE);
	const char *k;
	void *tmp;

	if (e->world == due.world && now < due.next_due &&
	    now >= due.last_scan && now - due.last_scan < 1000)
		return;
	due.world = e->world;
	due.last_scan = now;
	due.next_due = INT64_MAX;
	json_object_foreach_safe (conns, tmp, k, o) {
		int steps;

		for (steps = 0; steps < 8; steps++) {
			const char *st =
			    json_get_str(o, "connectionStatus", "");
			int64_t since = json_get_int(o, "_since_ms", now);

			if (!strcmp(st, "Ordering") && !e->manual &&
			    now >= since + review) {
				json_t *acc = jd_account(
				    e, json_get_str(o, "_account", ""));

				if (json_get_bool(
					json_object_get(acc, "jdcloud"),
					"enterprise_verified", 0))
					conn_approve(e, o, since + review);
				else
					conn_reject(e, o,
						    "enterprise real-name "
						    "verification is required "
						    "for Direct Connection",
						    since + review);
			} else if (!strcmp(st, "Pending") && !e->manual &&
				   now >= since + build) {
				mark(e, o, "connectionStatus", "Confirming",
				     since + build);
				emu_dirty(e);
			} else if (!strcmp(st, "Deleting") &&
				   now >= since + del) {
				mark(e, o, "connectionStatus", "Deleted",
				     since + del);
				emu_dirty(e);
			} else if (!strcmp(st, "Deleted") &&
				   now >= since + purge) {
				world_del(e, "connections", k);
				emu_dirty(e);
				break;
			} else {
				schedule(e, o, "connectionStatus");
				break;
			}
		}
	}
	json_object_foreach_safe (vifs, tmp, k, o) {
		const char *st = json_get_str(o, "privateVifStatus", "");
		int64_t since = json_get_int(o, "_since_ms", now);

		if (!strcmp(st, "Pending") && now >= since + vif_up) {
			size_t i;
			json_t *p;

			mark(e, o, "privateVifStatus", "Active",
			     since + vif_up);
			json_array_foreach (json_object_get(o, "peers"), i, p)
				set_str(p, "peerBgpStatus", "Up");
			json_array_foreach (json_object_get(o, "bgpPeers"), i,
					    p)
				set_str(p, "bgpPeerStatus", "Up");
			emu_dirty(e);
		} else if (!strcmp(st, "Deleting") && now >= since + vif_del) {
			char *id = xstrdup(k);

			vif_remove(e, id);
			free(id);
		} else {
			schedule(e, o, "privateVifStatus");
		}
	}
}

void jd_bgw_order_paid(struct emu *e, json_t *order, int64_t now)
{
	const char *action = json_get_str(order, "_action", "");
	const char *num = json_get_str(order, "orderNumber", "");
	json_t *item =
	    json_array_get(json_object_get(order, "orderItemDetails"), 0);
	json_t *conn = json_object_get(jd_world(e, "connections"),
				       json_get_str(item, "itemId", ""));
	const char *st = json_get_str(conn, "connectionStatus", "");

	if (!conn)
		return;
	if (!strcmp(action, "installation") &&
	    !strcmp(st, "Installation_Paying") &&
	    !strcmp(json_get_str(conn, "orderId", ""), num)) {
		mark(e, conn, "connectionStatus", "Pending", now);
	} else if (!strcmp(action, "port_rental") &&
		   !strcmp(st, "Confirming")) {
		int64_t months = json_get_int(conn, "_rental_months", 1);
		char start[32], exp[32], retire[32];

		jd_time_iso(start, now);
		jd_time_iso(exp, now + months * 30LL * 24 * 3600 * 1000);
		jd_time_iso(retire,
			    now + (months * 30LL + 45) * 24 * 3600 * 1000);
		mark(e, conn, "connectionStatus", "Active", now);
		json_object_set_new(
		    conn, "charge",
		    json_pack("{s:s, s:s, s:s, s:s, s:s}", "chargeMode",
			      "prepaid_by_duration", "chargeStatus", "normal",
			      "chargeStartTime", start, "chargeExpiredTime",
			      exp, "chargeRetireTime", retire));
	} else if (!strcmp(action, "resize")) {
		json_t *spec = json_object_get(conn, "_resize_to");

		if (spec) {
			json_object_set(json_object_get(conn, "location"),
					"locationPortSpec", spec);
			json_object_set_new(
			    conn, "bandwidthMbps",
			    json_integer(
				1000 * json_get_int(spec, "bandwidthGbps", 1)));
			json_object_del(conn, "_resize_to");
		}
	} else {
		return;
	}
	emu_dirty(e);
}

int jd_admin_connection(struct emu *e, const char *id, const char *op,
			const char *reason, struct buf *msg)
{
	json_t *conn;
	const char *st;
	int64_t now = emu_now_ms();

	jd_config(e);
	jd_bgw_advance(e, now);
	conn = json_object_get(jd_world(e, "connections"), id ? id : "");
	if (!conn) {
		buf_printf(msg, "connection '%s' does not exist", id ? id : "");
		return 404;
	}
	st = json_get_str(conn, "connectionStatus", "");
	if (!strcmp(op, "approve") || !strcmp(op, "reject")) {
		if (strcmp(st, "Ordering")) {
			buf_printf(msg,
				   "connection '%s' is %s, not under review "
				   "(Ordering)",
				   id, st);
			return 409;
		}
		if (!strcmp(op, "approve"))
			conn_approve(e, conn, now);
		else
			conn_reject(e, conn,
				    reason && *reason
					? reason
					: "rejected by the reviewer",
				    now);
	} else if (!strcmp(op, "complete")) {
		if (strcmp(st, "Pending")) {
			buf_printf(msg,
				   "connection '%s' is %s, not under "
				   "construction (Pending)",
				   id, st);
			return 409;
		}
		mark(e, conn, "connectionStatus", "Confirming", now);
		emu_dirty(e);
	} else {
		buf_printf(msg,
			   "unknown operation '%s' (approve, reject, complete)",
			   op ? op : "");
		return 400;
	}
	buf_printf(msg, "connection '%s' is %s", id,
		   json_get_str(conn, "connectionStatus", ""));
	return 200;
}

/* ---------------------------------------------------------------- */
/* Connections: operations */

/* The caller's live (not Deleted or Rejected) objects of kind in its
 * region, counted up to `limit` (the quota: no need to count further). */
static int64_t count_live(struct jd_call *c, const char *kind,
			  const char *status_key, int64_t limit)
{
	json_t *world = jd_world(c->e, kind), *v;
	int64_t n = 0;
	size_t i;

	json_array_foreach (owner_ids(c, kind), i, v) {
		json_t *o = json_object_get(world, json_string_value(v));
		const char *st =
		    status_key ? json_get_str(o, status_key, "") : "";

		if (!o || !strcmp(st, "Deleted") || !strcmp(st, "Rejected"))
			continue;
		if (++n >= limit)
			break;
	}
	return n;
}

static int valid_phone(const char *s)
{
	size_t i;

	if (strlen(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9')
		return 0;
	for (i = 0; i < 11; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static void create_connection(struct jd_call *c)
{
	static const char *const keys[] = {
	    "connectionName", "type",	    "location",	   "partnerCode",
	    "description",    "idcAddress", "contactName", "phoneNumber",
	    "chargeDuration", "autoPay",    NULL};
	static const char *const loc_keys[] = {
	    "locationCode", "locationPortSpecCode", "locationISPCode", NULL};
	static const char *const types[] = {"jcloud", "jcloud_hosted",
					    "jcloud_partner", NULL};
	const char *name, *type, *desc, *idc, *contact, *phone, *pcode;
	const char *lcode = NULL, *pscode = NULL, *ispcode = NULL;
	json_t *spec, *lspec, *loc = NULL, *ps = NULL, *isp = NULL;
	json_t *partner = NULL, *conn, *locobj = json_null();
	int64_t duration, quota;
	int auto_pay;
	char *id, created[32];

	if (no_query(c, NULL) < 0)
		return;
	spec = spec_obj(c, "connectionSpec", keys);
	if (!spec)
		return;
	if (get_str(c, spec, "connectionSpec", "connectionName", 1, &name) ||
	    check_name(c, "connectionSpec", "connectionName", name) ||
	    get_str(c, spec, "connectionSpec", "type", 1, &type) ||
	    get_str(c, spec, "connectionSpec", "description", 0, &desc) ||
	    check_desc(c, "connectionSpec", "description", desc) ||
	    get_str(c, spec, "connectionSpec", "idcAddress", 0, &idc) ||
	    check_desc(c, "connectionSpec", "idcAddress", idc) ||
	    get_str(c, spec, "connectionSpec", "contactName", 0, &contact) ||
	    get_str(c, spec, "connectionSpec", "phoneNumber", 0, &phone) ||
	    get_str(c, spec, "connectionSpec", "partnerCode", 0, &pcode) ||
	    get_bool(c, spec, "connectionSpec", "autoPay", 0, &auto_pay))
		return;
	if (!one_of(type, types)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "connectionSpec.type '%s' must be jcloud, "
			 "jcloud_hosted or jcloud_partner",
			 type);
		return;
	}
	if (contact && check_name(c, "connectionSpec", "contactName", contact))
		return;
	if (phone && !valid_phone(phone)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "connectionSpec.phoneNumber '%s' must be 11 digits "
			 "starting with 13-19",
			 phone);
		return;
	}
	duration = 0;
	if (!strcmp(type, "jcloud_partner")) {
		static const int64_t ok[] = {1, 3, 6, 12, 24, 36};
		size_t i;
		int good = 0;
		json_t *p;

		if (get_int(c, spec, "connectionSpec", "chargeDuration", 0, 1,
			    36, 6, &duration))
			return;
		for (i = 0; i < ARRAY_SIZE(ok); i++)
			good |= ok[i] == duration;
		if (!good) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "connectionSpec.chargeDuration must be 1, 3, "
				 "6, 12, 24 or 36");
			return;
		}
		if (!pcode) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "connectionSpec.partnerCode is required for "
				 "jcloud_partner");
			return;
		}
		json_array_foreach (
		    json_object_get(jd_config(c->e), "partners"), i, p) {
			if (!strcmp(json_get_str(p, "partnerCode", ""), pcode))
				partner = p;
		}
		if (!partner) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "connectionSpec.partnerCode '%s' is not a "
				 "known partner",
				 pcode);
			return;
		}
	} else if (json_object_get(spec, "chargeDuration") || pcode) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "connectionSpec.chargeDuration and partnerCode are "
			 "for jcloud_partner connections only");
		return;
	}
	lspec = json_object_get(spec, "location");
	if (lspec) {
		if (jd_check_keys(c, lspec, "connectionSpec.location",
				  loc_keys) < 0 ||
		    get_str(c, lspec, "connectionSpec.location", "locationCode",
			    0, &lcode) ||
		    get_str(c, lspec, "connectionSpec.location",
			    "locationPortSpecCode", 0, &pscode) ||
		    get_str(c, lspec, "connectionSpec.location",
			    "locationISPCode", 0, &ispcode))
			return;
	}
	if (strcmp(type, "jcloud_partner")) {
		size_t i;
		json_t *l;

		if (!pscode) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "connectionSpec.location.locationPortSpecCode "
				 "is required for %s",
				 type);
			return;
		}
		if (!strcmp(type, "jcloud") && (!lcode || !ispcode)) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "connectionSpec.location.locationCode and "
				 "locationISPCode are required for jcloud");
			return;
		}
		if (lcode) {
			loc = location_by(c, "locationCode", lcode);
			if (!loc) {
				jd_error(c, 400, "INVALID_ARGUMENT",
					 "locationCode '%s' is not an access "
					 "point of %s",
					 lcode, c->region);
				return;
			}
		} else {
			/* Hosted: JD picks the access point. */
			json_array_foreach (region_locations(c), i, l) {
				if (!loc &&
				    location_part(l, "locationPortSpecs",
						  "portSpecCode", pscode))
					loc = l;
			}
		}
		ps = loc ? location_part(loc, "locationPortSpecs",
					 "portSpecCode", pscode)
			 : NULL;
		if (!ps) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "locationPortSpecCode '%s' is not offered at "
				 "%s",
				 pscode, lcode ? lcode : c->region);
			return;
		}
		if (ispcode) {
			isp = location_part(loc, "locationISPs", "ispCode",
					    ispcode);
			if (!isp) {
				jd_error(c, 400, "INVALID_ARGUMENT",
					 "locationISPCode '%s' is not offered "
					 "at %s",
					 ispcode,
					 json_get_str(loc, "locationCode", ""));
				return;
			}
		}
	}
	quota = jd_config_int(c->e, "quotas", "connections_per_region", 10);
	if (count_live(c, "connections", "connectionStatus", quota) >= quota) {
		jd_error(c, 429, "QUOTA_EXCEEDED",
			 "quota exceeded: at most %lld connections in %s",
			 (long long)quota, c->region);
		return;
	}

	id = emu_new_id(c->e, "dc-");
	jd_time_iso(created, c->now);
	if (loc)
		locobj = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O}", "locationId",
		    json_get_str(loc, "locationId", ""), "locationName",
		    json_get_str(loc, "locationName", ""), "locationType",
		    json_get_str(loc, "locationType", ""), "locationCode",
		    json_get_str(loc, "locationCode", ""), "address",
		    json_get_str(loc, "address", ""), "createdTime",
		    json_get_str(loc, "createdTime", ""), "locationPortSpec",
		    ps, "locationISP", isp ? isp : json_null());
	conn = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:[], s:s, s:s, s:s,"
	    " s:s, s:s, s:s, s:s, s:n, s:o, s:n}",
	    "connectionId", id, "connectionName", name, "description",
	    desc ? desc : "", "createdTime", created, "type", type,
	    "bandwidthMbps",
	    (json_int_t)(ps ? 1000 * json_get_int(ps, "bandwidthGbps", 1)
			    : 100),
	    "orderId", "", "vifIds", "connectionStatus", "Ordering",
	    "rejectedReason", "", "idcAddress", idc ? idc : "", "contactName",
	    contact ? contact : "", "phoneNumber", phone ? phone : "",
	    "resourceIdInitial", "", "resourceIdPTenancy", "", "charge",
	    "location", locobj, "partner");
	if (partner)
		json_object_set_new(conn, "partner", json_deep_copy(partner));
	if (duration)
		json_object_set_new(conn, "chargeDuration",
				    json_integer(duration));
	set_str(conn, "_account", c->account_name);
	set_str(conn, "_region", c->region);
	json_object_set_new(conn, "_since_ms", json_integer(c->now));
	json_object_set_new(conn, "_auto_pay", json_boolean(auto_pay));
	world_put(c->e, "connections", id, conn);
	json_decref(conn);
	schedule(c->e, conn, "connectionStatus");
	emu_dirty(c->e);
	jd_ok(c, json_pack("{s:s}", "connectionId", id));
	free(id);
}

static void describe_connections(struct jd_call *c)
{
	static const char *const fn[] = {"connectionIds", "connectionNames",
					 "types", "status", NULL};
	static const char *const names[] = {"connectionIds", "connectionNames",
					    "types", "status", NULL};
	static const char *const fields[] = {"connectionId", "connectionName",
					     "type", "connectionStatus", NULL};
	struct jd_page pg;
	json_t *filters, *items, *f;
	size_t i;

	if (list_common(c, fn, &pg, &filters) < 0)
		return;
	json_array_foreach (filters, i, f) {
		if (!strcmp(json_get_str(f, "name", ""), "status") &&
		    json_array_size(json_object_get(f, "values")) > 1) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "filter 'status' takes a single value");
			json_decref(filters);
			return;
		}
	}
	if (list_fast(c, "connections", "connections", filters, &pg)) {
		json_decref(filters);
		return;
	}
	items =
	    collect(c, "connections", filters, "connectionIds", "connectionId");
	filter_items(items, filters, names, fields);
	jd_list_answer(c, "connections", items, &pg);
	json_decref(items);
	json_decref(filters);
}

static void describe_connection(struct jd_call *c, const char *id)
{
	static const char *const q[] = {"connectionId", NULL};
	json_t *conn;

	if (no_query(c, q) < 0)
		return;
	conn = own(c, "connections", id, "connection");
	if (conn)
		jd_ok(c, json_pack("{s:o}", "connection", jd_public(conn)));
}

/* The modify body: top-level fields, or wrapped in `wrapper`. */
static json_t *modify_body(struct jd_call *c, const char *wrapper)
{
	json_t *w = json_object_get(c->body, wrapper);

	return json_is_object(w) ? w : c->body;
}

static void modify_connection(struct jd_call *c, const char *id)
{
	json_t *conn, *b = modify_body(c, "modifyConnectionSpec");
	const char *name, *desc, *st;

	if (no_query(c, NULL) < 0)
		return;
	conn = own(c, "connections", id, "connection");
	if (!conn)
		return;
	if (get_str(c, b, "body", "connectionName", 0, &name) ||
	    (name && check_name(c, "body", "connectionName", name)) ||
	    get_str(c, b, "body", "description", 0, &desc) ||
	    check_desc(c, "body", "description", desc))
		return;
	st = json_get_str(conn, "connectionStatus", "");
	if (!strcmp(st, "Deleting") || !strcmp(st, "Deleted")) {
		jd_error(c, 400, "FAILED_PRECONDITION", "connection '%s' is %s",
			 id, st);
		return;
	}
	if (name)
		set_str(conn, "connectionName", name);
	if (desc)
		set_str(conn, "description", desc);
	emu_dirty(c->e);
	jd_ok(c, NULL);
}

static void delete_connection(struct jd_call *c, const char *id)
{
	static const char *const q[] = {"connectionId", NULL};
	json_t *conn;
	const char *st;

	if (no_query(c, q) < 0)
		return;
	conn = own(c, "connections", id, "connection");
	if (!conn)
		return;
	st = json_get_str(conn, "connectionStatus", "");
	if (json_array_size(json_object_get(conn, "vifIds"))) {
		jd_error(c, 400, "FAILED_PRECONDITION",
			 "connection '%s' still has %zu private VIF(s); "
			 "delete them first",
			 id, json_array_size(json_object_get(conn, "vifIds")));
		return;
	}
	if (!strcmp(st, "Deleting") || !strcmp(st, "Deleted")) {
		jd_ok(c, NULL);
		return;
	}
	/* Unpaid orders of the connection can no longer be paid. */
	{
		static const char *const keys[] = {"orderId", "_rental_order",
						   "_resize_order"};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			json_t *order =
			    json_object_get(jd_world(c->e, "orders"),
					    json_get_str(conn, keys[i], ""));

			if (order && !strcmp(json_get_str(order, "status", ""),
					     "NO_PAY"))
				set_str(order, "status", "CANCELED");
		}
	}
	if (!strcmp(st, "Ordering") || !strcmp(st, "Rejected") ||
	    !strcmp(st, "Installation_Paying")) {
		mark(c->e, conn, "connectionStatus", "Deleted", c->now);
	} else {
		mark(c->e, conn, "connectionStatus", "Deleting", c->now);
	}
	emu_dirty(c->e);
	jd_ok(c, NULL);
}

static void confirm_connection(struct jd_call *c, const char *id)
{
	static const char *const keys[] = {"chargeTimeUnit", "chargeTimeSpan",
					   "autoPay", "autoRenewSpec", NULL};
	static const char *const renew_keys[] = {
	    "autoRenewStatus", "renewTimeUnit", "renewTimeSpan", NULL};
	json_t *conn, *spec, *renew, *order;
	const char *unit, *st, *prev;
	int64_t span, months;
	int auto_pay;
	struct buf msg = BUF_INIT;

	if (no_query(c, NULL) < 0)
		return;
	conn = own(c, "connections", id, "connection");
	if (!conn)
		return;
	spec = json_object_get(c->body, "confirmConnectionSpec");
	if (!spec)
		spec = json_object();
	else
		json_incref(spec);
	if (jd_check_keys(c, spec, "confirmConnectionSpec", keys) < 0 ||
	    get_str(c, spec, "confirmConnectionSpec", "chargeTimeUnit", 0,
		    &unit) ||
	    get_bool(c, spec, "confirmConnectionSpec", "autoPay", 0, &auto_pay))
		goto out;
	if (!unit)
		unit = "MONTH";
	if (strcmp(unit, "MONTH") && strcmp(unit, "YEAR")) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "confirmConnectionSpec.chargeTimeUnit must be MONTH "
			 "or YEAR");
		goto out;
	}
	if (get_int(c, spec, "confirmConnectionSpec", "chargeTimeSpan", 0, 1,
		    strcmp(unit, "YEAR") ? 9 : 3, 1, &span))
		goto out;
	renew = json_object_get(spec, "autoRenewSpec");
	if (renew) {
		const char *rs;

		if (jd_check_keys(c, renew, "autoRenewSpec", renew_keys) < 0 ||
		    get_str(c, renew, "autoRenewSpec", "autoRenewStatus", 0,
			    &rs))
			goto out;
		if (rs && strcmp(rs, "OPEN") && strcmp(rs, "CLOSE")) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "autoRenewSpec.autoRenewStatus must be OPEN "
				 "or CLOSE");
			goto out;
		}
	}
	st = json_get_str(conn, "connectionStatus", "");
	if (strcmp(st, "Confirming")) {
		jd_error(c, 400, "FAILED_PRECONDITION",
			 "connection '%s' is %s; only a Confirming "
			 "connection can be confirmed",
			 id, st);
		goto out;
	}
	/* Confirming again while the rental order is unpaid returns it. */
	prev = json_get_str(conn, "_rental_order", NULL);
	order = prev ? json_object_get(jd_world(c->e, "orders"), prev) : NULL;
	if (!order || strcmp(json_get_str(order, "status", ""), "NO_PAY")) {
		char *rid;

		months = strcmp(unit, "YEAR") ? span : 12 * span;
		rid = xasprintf("%s-tenancy", id);
		order = jd_order_create(
		    c->e, c->account_name, c->region,
		    months * port_month_fen(c->e, conn_port_spec(conn)), "NEW",
		    id, "port_rental", c->now);
		json_object_set_new(conn, "_rental_months",
				    json_integer(months));
		set_str(conn, "_rental_order",
			json_get_str(order, "orderNumber", ""));
		set_str(conn, "resourceIdPTenancy", rid);
		set_str(conn, "orderId",
			json_get_str(order, "orderNumber", ""));
		free(rid);
		if (renew)
			json_object_set(conn, "_auto_renew", renew);
		emu_dirty(c->e);
	}
	if (auto_pay && jd_order_pay(c->e, order, c->now, &msg) < 0) {
		/* Not paid: the order stays for payOrder, as JD does. */
	}
	jd_ok(c, json_pack("{s:s}", "orderId",
			   json_get_str(order, "orderNumber", "")));
out:
	buf_release(&msg);
	json_decref(spec);
}

static void resize_connection(struct jd_call *c, const char *id)
{
	static const char *const keys[] = {"locationPortSpecCode", "autoPay",
					   NULL};
	json_t *conn, *spec = c->body, *loc, *ps, *cur, *order;
	const char *code, *st;
	int auto_pay;
	int64_t diff;
	struct buf msg = BUF_INIT;

	/* Top-level fields (extra top-level keys ignored, as everywhere), or
	 * a resizeConnectionSpec object holding only its own fields. */
	if (no_query(c, NULL) < 0)
		return;
	if (json_object_get(c->body, "resizeConnectionSpec")) {
		spec = json_object_get(c->body, "resizeConnectionSpec");
		if (jd_check_keys(c, spec, "resizeConnectionSpec", keys) < 0)
			return;
	}
	conn = own(c, "connections", id, "connection");
	if (!conn)
		return;
	if (get_str(c, spec, "body", "locationPortSpecCode", 1, &code) ||
	    get_bool(c, spec, "body", "autoPay", 0, &auto_pay))
		return;
	st = json_get_str(conn, "connectionStatus", "");
	if (strcmp(st, "Active")) {
		jd_error(c, 400, "FAILED_PRECONDITION",
			 "connection '%s' is %s; only an Active connection "
			 "can be resized",
			 id, st);
		return;
	}
	loc = location_by(c, "locationCode",
			  json_get_str(json_object_get(conn, "location"),
				       "locationCode", ""));
	ps = loc ? location_part(loc, "locationPortSpecs", "portSpecCode", code)
		 : NULL;
	if (!ps) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "locationPortSpecCode '%s' is not offered at the "
			 "connection's access point",
			 code);
		return;
	}
	cur = json_object_get(json_object_get(conn, "location"),
			      "locationPortSpec");
	if (!strcmp(json_get_str(cur, "portSpecCode", ""), code)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "the connection already has port spec '%s'", code);
		return;
	}
	json_object_set(conn, "_resize_to", ps);
	diff = port_month_fen(c->e, code) -
	       port_month_fen(c->e, json_get_str(cur, "portSpecCode", ""));
	if (diff <= 0) {
		/* Downsizing costs nothing: applied at once. */
		json_object_set(json_object_get(conn, "location"),
				"locationPortSpec", ps);
		json_object_set_new(
		    conn, "bandwidthMbps",
		    json_integer(1000 * json_get_int(ps, "bandwidthGbps", 1)));
		json_object_del(conn, "_resize_to");
		emu_dirty(c->e);
		jd_ok(c, NULL);
		return;
	}
	order = jd_order_create(c->e, c->account_name, c->region, diff,
				"RESIZE_FORMULA", id, "resize", c->now);
	set_str(conn, "_resize_order", json_get_str(order, "orderNumber", ""));
	emu_dirty(c->e);
	if (auto_pay)
		jd_order_pay(c->e, order, c->now, &msg);
	buf_release(&msg);
	jd_ok(c, json_pack("{s:s}", "orderId",
			   json_get_str(order, "orderNumber", "")));
}

/* ---------------------------------------------------------------- */
/* BGWs */

static int bgw_route_count(struct jd_call *c, const char *bgw)
{
	json_t *o;
	const char *k;
	int n = 0;

	json_object_foreach (jd_world(c->e, "routes"), k, o) {
		if (!strcmp(json_get_str(o, "bgwId", ""), bgw))
			n++;
	}
	return n;
}

static void create_bgw(struct jd_call *c)
{
	static const char *const keys[] = {"bgwName", "description", "azType",
					   "az", NULL};
	json_t *spec, *bgw;
	const char *name, *desc, *azt, *az;
	int64_t quota;
	char *id, created[32];

	if (no_query(c, NULL) < 0)
		return;
	spec = spec_obj(c, "bgwSpec", keys);
	if (!spec)
		return;
	if (get_str(c, spec, "bgwSpec", "bgwName", 1, &name) ||
	    check_name(c, "bgwSpec", "bgwName", name) ||
	    get_str(c, spec, "bgwSpec", "description", 0, &desc) ||
	    check_desc(c, "bgwSpec", "description", desc) ||
	    get_str(c, spec, "bgwSpec", "azType", 0, &azt) ||
	    get_str(c, spec, "bgwSpec", "az", 0, &az))
		return;
	if (!azt)
		azt = "standard";
	if (strcmp(azt, "standard") && strcmp(azt, "edge")) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "bgwSpec.azType must be standard or edge");
		return;
	}
	if (!strcmp(azt, "edge") && (!az || !*az)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "bgwSpec.az is required when azType is edge");
		return;
	}
	quota = jd_config_int(c->e, "quotas", "bgws_per_region", 5);
	if (count_live(c, "bgws", NULL, quota) >= quota) {
		jd_error(c, 429, "QUOTA_EXCEEDED",
			 "quota exceeded: at most %lld BGWs in %s",
			 (long long)quota, c->region);
		return;
	}
	id = emu_new_id(c->e, "bgw-");
	jd_time_iso(created, c->now);
	bgw = json_pack("{s:s, s:s, s:s, s:[], s:[], s:[], s:s, s:s, s:s,"
			" s:s, s:s}",
			"bgwId", id, "bgwName", name, "description",
			desc ? desc : "", "vifIds", "vpcAttachmentIds",
			"vpnConnectionIds", "azType", azt, "az", az ? az : "",
			"createdTime", created, "_account", c->account_name,
			"_region", c->region);
	world_put(c->e, "bgws", id, bgw);
	json_decref(bgw);
	emu_dirty(c->e);
	jd_ok(c, json_pack("{s:s}", "bgwId", id));
	free(id);
}

static void describe_bgws(struct jd_call *c)
{
	static const char *const fn[] = {"bgwIds", "bgwNames", NULL};
	static const char *const fields[] = {"bgwId", "bgwName", NULL};
	struct jd_page pg;
	json_t *filters, *items;

	if (list_common(c, fn, &pg, &filters) < 0)
		return;
	if (list_fast(c, "bgws", "bgws", filters, &pg)) {
		json_decref(filters);
		return;
	}
	items = collect(c, "bgws", filters, "bgwIds", "bgwId");
	filter_items(items, filters, fn, fields);
	jd_list_answer(c, "bgws", items, &pg);
	json_decref(items);
	json_decref(filters);
}

static void describe_bgw(struct jd_call *c, const char *id)
{
	static const char *const q[] = {"bgwId", NULL};
	json_t *bgw;

	if (no_query(c, q) < 0)
		return;
	bgw = own(c, "bgws", id, "bgw");
	if (bgw)
		jd_ok(c, json_pack("{s:o}", "bgw", jd_public(bgw)));
}

static void modify_bgw(struct jd_call *c, const char *id)
{
	json_t *bgw, *b = modify_body(c, "modifyBgwSpec");
	const char *name, *desc;

	if (no_query(c, NULL) < 0)
		return;
	bgw = own(c, "bgws", id, "bgw");
	if (!bgw)
		return;
	if (get_str(c, b, "body", "bgwName", 0, &name) ||
	    (name && check_name(c, "body", "bgwName", name)) ||
	    get_str(c, b, "body", "description", 0, &desc) ||
	    check_desc(c, "body", "description", desc))
		return;
	if (name)
		set_str(bgw, "bgwName", name);
	if (desc)
		set_str(bgw, "description", desc);
	emu_dirty(c->e);
	jd_ok(c, NULL);
}

static void delete_bgw(struct jd_call *c, const char *id)
{
	static const char *const q[] = {"bgwId", NULL};
	json_t *bgw;
	size_t nv, na;
	int nr;

	if (no_query(c, q) < 0)
		return;
	bgw = own(c, "bgws", id, "bgw");
	if (!bgw)
		return;
	nv = json_array_size(json_object_get(bgw, "vifIds"));
	na = json_array_size(json_object_get(bgw, "vpcAttachmentIds"));
	nr = bgw_route_count(c, id);
	if (nv || na || nr) {
		jd_error(c, 400, "FAILED_PRECONDITION",
			 "bgw '%s' still has %zu private VIF(s), %zu VPC "
			 "attachment(s) and %d route(s)",
			 id, nv, na, nr);
		return;
	}
	world_del(c->e, "bgws", id);
	emu_dirty(c->e);
	jd_ok(c, NULL);
}

/* ---------------------------------------------------------------- */
/* Private VIFs */

static int parse_ipv4(const char *s, uint32_t *ip, int *prefix)
{
	unsigned a, b, cc, d;
	int n = 0, p = -1;
	char rest;

	if (sscanf(s, "%3u.%3u.%3u.%3u%n", &a, &b, &cc, &d, &n) != 4)
		return -1;
	if (a > 255 || b > 255 || cc > 255 || d > 255)
		return -1;
	if (s[n] == '/') {
		if (sscanf(s + n + 1, "%2d%c", &p, &rest) != 1 || p < 0 ||
		    p > 32)
			return -1;
		if (!isdigit((unsigned char)s[n + 1]))
			return -1;
	} else if (s[n]) {
		return -1;
	}
	*ip = (a << 24) | (b << 16) | (cc << 8) | d;
	*prefix = p;
	return 0;
}

static int is_private(uint32_t ip)
{
	return (ip >> 24) == 10 || (ip >> 20) == ((172u << 4) | 1) ||
	       (ip >> 16) == ((192u << 8) | 168);
}

static void fmt_ip(char out[24], uint32_t ip)
{
	snprintf(out, 24, "%u.%u.%u.%u/30", ip >> 24, (ip >> 16) & 255,
		 (ip >> 8) & 255, ip & 255);
}

/* /30 network of a peer pair, or 0 (answered) when invalid. */
static uint32_t check_pair(struct jd_call *c, const json_t *pair, size_t idx)
{
	static const char *const keys[] = {"customerIp", "jdCloudIp", NULL};
	const char *cs, *js;
	uint32_t cip, jip;
	int cp, jp;

	if (jd_check_keys(c, pair, "peerIps[]", keys) < 0 ||
	    get_str(c, pair, "peerIps[]", "customerIp", 1, &cs) ||
	    get_str(c, pair, "peerIps[]", "jdCloudIp", 1, &js))
		return 0;
	if (parse_ipv4(cs, &cip, &cp) < 0 || parse_ipv4(js, &jip, &jp) < 0 ||
	    (cp != -1 && cp != 30) || (jp != -1 && jp != 30) ||
	    (cip & ~3u) != (jip & ~3u) || (cip & 3u) != 1 || (jip & 3u) != 2 ||
	    !is_private(cip)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "peerIps[%zu]: customerIp and jdCloudIp must be the "
			 "first and second address of one private /30 "
			 "(10/8, 172.16/12, 192.168/16), got '%s' and '%s'",
			 idx, cs, js);
		return 0;
	}
	return cip & ~3u;
}

static int nets_used(const json_t *vif, uint32_t net)
{
	size_t i;
	json_t *p;

	json_array_foreach (json_object_get(vif, "peers"), i, p) {
		uint32_t ip;
		int pf;
		const char *s = json_get_str(json_object_get(p, "peerIps"),
					     "customerIp", "");

		if (!parse_ipv4(s, &ip, &pf) && (ip & ~3u) == net)
			return 1;
	}
	return 0;
}

static int vif_net_taken(struct jd_call *c, const char *conn_id, uint32_t net)
{
	json_t *o;
	const char *k;

	json_object_foreach (jd_world(c->e, "vifs"), k, o) {
		if (!strcmp(json_get_str(o, "connectionId", ""), conn_id) &&
		    nets_used(o, net))
			return 1;
	}
	return 0;
}

static int health_check(struct jd_call *c, const json_t *in, json_t **out)
{
	static const char *const keys[] = {"healthCheckType", "nqaInfo",
					   "bfdInfo", NULL};
	static const char *const nqa_keys[] = {"txInterval", "thresholdCount",
					       "responseTimeout", NULL};
	static const char *const bfd_keys[] = {"minTxInterval", "minRxInterval",
					       "detectMultiplier", NULL};
	static const char *const types[] = {"NO_CHECK", "NQA", "BFD", NULL};
	const char *type;
	json_t *nqa = json_object_get(in, "nqaInfo");
	json_t *bfd = json_object_get(in, "bfdInfo");
	int64_t tx, th, rt, mtx, mrx, dm;

	*out = NULL;
	if (jd_check_keys(c, in, "healthCheck", keys) < 0 ||
	    get_str(c, in, "healthCheck", "healthCheckType", 0, &type))
		return -1;
	if (!type)
		type = "NO_CHECK";
	if (!one_of(type, types)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "healthCheck.healthCheckType must be NO_CHECK, NQA "
			 "or BFD");
		return -1;
	}
	if (nqa && jd_check_keys(c, nqa, "healthCheck.nqaInfo", nqa_keys) < 0)
		return -1;
	if (bfd && jd_check_keys(c, bfd, "healthCheck.bfdInfo", bfd_keys) < 0)
		return -1;
	if (get_int(c, nqa, "nqaInfo", "txInterval", 0, 1, 20, 4, &tx) ||
	    get_int(c, nqa, "nqaInfo", "thresholdCount", 0, 3, 8, 5, &th) ||
	    get_int(c, nqa, "nqaInfo", "responseTimeout", 0, 1, 10, 3, &rt) ||
	    get_int(c, bfd, "bfdInfo", "minTxInterval", 0, 200, 1000, 1000,
		    &mtx) ||
	    get_int(c, bfd, "bfdInfo", "minRxInterval", 0, 200, 1000, 1000,
		    &mrx) ||
	    get_int(c, bfd, "bfdInfo", "detectMultiplier", 0, 3, 10, 3, &dm))
		return -1;
	*out = json_pack("{s:s, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}}",
			 "healthCheckType", type, "nqaInfo", "txInterval",
			 (json_int_t)tx, "thresholdCount", (json_int_t)th,
			 "responseTimeout", (json_int_t)rt, "bfdInfo",
			 "minTxInterval", (json_int_t)mtx, "minRxInterval",
			 (json_int_t)mrx, "detectMultiplier", (json_int_t)dm);
	return 0;
}

static void create_vif(struct jd_call *c)
{
	static const char *const keys[] = {
	    "privateVifName",  "connectionId", "bgwId",	      "vlan",
	    "privateVifOwner", "description",  "enableBgp",   "peerIps",
	    "bgpSpec",	       "bgpPeers",     "healthCheck", NULL};
	static const char *const bgp_keys[] = {"addressFamily", "customerAsn",
					       "authKey", NULL};
	static const char *const peer_keys[] = {"addressFamily", "customerIp",
						"jdCloudIp",	 "customerAsn",
						"authKey",	 NULL};
	json_t *spec, *conn, *bgw, *pairs, *bgp, *hc = NULL, *vif = NULL;
	json_t *peers, *bgp_peers, *o, *p;
	const char *name, *conn_id, *bgw_id, *owner, *desc, *af = "ipv4";
	const char *auth = "", *k;
	int64_t vlan, asn, quota, jd_asn;
	int enable_bgp;
	size_t i;
	char *id = NULL, created[32];

	if (no_query(c, NULL) < 0)
		return;
	spec = spec_obj(c, "privateVifSpec", keys);
	if (!spec)
		return;
	if (get_str(c, spec, "privateVifSpec", "privateVifName", 1, &name) ||
	    check_name(c, "privateVifSpec", "privateVifName", name) ||
	    get_str(c, spec, "privateVifSpec", "connectionId", 1, &conn_id) ||
	    get_str(c, spec, "privateVifSpec", "bgwId", 1, &bgw_id) ||
	    get_int(c, spec, "privateVifSpec", "vlan", 1, 1, 4000, 0, &vlan) ||
	    get_str(c, spec, "privateVifSpec", "privateVifOwner", 0, &owner) ||
	    get_str(c, spec, "privateVifSpec", "description", 0, &desc) ||
	    check_desc(c, "privateVifSpec", "description", desc) ||
	    get_bool(c, spec, "privateVifSpec", "enableBgp", 1, &enable_bgp))
		return;
	if (!enable_bgp) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "privateVifSpec.enableBgp: only true is supported");
		return;
	}
	/* BGP: bgpSpec, or the deprecated bgpPeers[0]. */
	bgp = json_object_get(spec, "bgpSpec");
	if (!bgp && json_array_size(json_object_get(spec, "bgpPeers")))
		bgp = json_array_get(json_object_get(spec, "bgpPeers"), 0);
	if (!bgp) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "privateVifSpec.bgpSpec is required");
		return;
	}
	if (jd_check_keys(c, bgp, "privateVifSpec.bgpSpec",
			  json_object_get(spec, "bgpSpec") ? bgp_keys
							   : peer_keys) < 0 ||
	    get_int(c, bgp, "bgpSpec", "customerAsn", 1, 65001, 65499, 0,
		    &asn) ||
	    get_str(c, bgp, "bgpSpec", "addressFamily", 0, &af) ||
	    get_str(c, bgp, "bgpSpec", "authKey", 0, &auth))
		return;
	if (!af)
		af = "ipv4";
	if (!auth)
		auth = "";
	if (strcmp(af, "ipv4")) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "bgpSpec.addressFamily: only ipv4 is supported");
		return;
	}
	if (json_object_get(spec, "healthCheck") &&
	    health_check(c, json_object_get(spec, "healthCheck"), &hc) < 0)
		return;
	pairs = json_object_get(spec, "peerIps");
	if (!pairs && json_object_get(spec, "bgpPeers"))
		pairs = json_object_get(spec, "bgpPeers");
	if (pairs && !json_is_array(pairs)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "privateVifSpec.peerIps must be an array");
		goto out;
	}

	conn = own(c, "connections", conn_id, "connection");
	if (!conn)
		goto out;
	bgw = own(c, "bgws", bgw_id, "bgw");
	if (!bgw)
		goto out;
	if (strcmp(json_get_str(conn, "connectionStatus", ""), "Active")) {
		jd_error(c, 400, "FAILED_PRECONDITION",
			 "connection '%s' is %s; private VIFs can only be "
			 "created on an Active connection",
			 conn_id, json_get_str(conn, "connectionStatus", ""));
		goto out;
	}
	json_object_foreach (jd_world(c->e, "vifs"), k, o) {
		if (!strcmp(json_get_str(o, "connectionId", ""), conn_id) &&
		    json_get_int(o, "vlan", -1) == vlan) {
			jd_error(c, 409, "ALREADY_EXISTS",
				 "vlan %lld is already used on connection "
				 "'%s' by '%s'",
				 (long long)vlan, conn_id, k);
			goto out;
		}
	}
	quota = jd_config_int(c->e, "quotas", "vifs_per_connection", 50);
	if ((int64_t)json_array_size(json_object_get(conn, "vifIds")) >=
	    quota) {
		jd_error(c, 429, "QUOTA_EXCEEDED",
			 "quota exceeded: at most %lld private VIFs per "
			 "connection",
			 (long long)quota);
		goto out;
	}

	id = emu_new_id(c->e, "pvif-");
	jd_time_iso(created, c->now);
	jd_asn = jd_config_int(c->e, NULL, "jd_asn", 64512);
	peers = json_array();
	bgp_peers = json_array();
	if (!pairs || !json_array_size(pairs)) {
		/* No addresses given: pick a free /30 in 10.254/16. */
		uint32_t net = (10u << 24) | (254u << 16);
		char cs[24], js[24];

		while (vif_net_taken(c, conn_id, net))
			net += 4;
		fmt_ip(cs, net + 1);
		fmt_ip(js, net + 2);
		pairs = json_pack("[{s:s, s:s}]", "customerIp", cs, "jdCloudIp",
				  js);
	} else {
		json_incref(pairs);
	}
	json_array_foreach (pairs, i, p) {
		uint32_t net = 0;
		size_t j;
		char *pid;
		const char *cs, *js;

		if (json_object_get(spec, "bgpPeers") &&
		    !json_object_get(spec, "peerIps")) {
			/* Deprecated form: the pair sits in the peer. */
			cs = json_get_str(p, "customerIp", "");
			js = json_get_str(p, "jdCloudIp", "");
			json_t *pair = json_pack("{s:s, s:s}", "customerIp", cs,
						 "jdCloudIp", js);
			net = check_pair(c, pair, i);
			json_decref(pair);
		} else {
			net = check_pair(c, p, i);
		}
		if (!net)
			goto fail;
		for (j = 0; j < i; j++) {
			uint32_t ip;
			int pf;

			parse_ipv4(json_get_str(json_array_get(pairs, j),
						"customerIp", ""),
				   &ip, &pf);
			if ((ip & ~3u) == net)
				net = 0;
		}
		if (!net || vif_net_taken(c, conn_id, net)) {
			jd_error(c, 409, "ALREADY_EXISTS",
				 "peerIps[%zu] overlaps another peer address "
				 "pair on connection '%s'",
				 i, conn_id);
			goto fail;
		}
		cs = json_get_str(p, "customerIp", "");
		js = json_get_str(p, "jdCloudIp", "");
		pid = xasprintf("%s-peer-%zu", id, i + 1);
		json_array_append_new(
		    peers, json_pack("{s:s, s:s, s:{s:s, s:s}}", "peerId", pid,
				     "peerBgpStatus", "Down", "peerIps",
				     "customerIp", cs, "jdCloudIp", js));
		json_array_append_new(
		    bgp_peers,
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s,"
			      " s:s, s:s}",
			      "bgpPeerId", pid, "addressFamily", af,
			      "customerIp", cs, "jdCloudIp", js, "customerAsn",
			      (json_int_t)asn, "jdCloudAsn", (json_int_t)jd_asn,
			      "authKey", auth, "privateVifId", id,
			      "bgpPeerStatus", "Down", "createdTime", created));
		free(pid);
	}
	if (!hc) {
		json_t *none = json_object();

		health_check(c, none, &hc);
		json_decref(none);
	}
	vif = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:b, s:o,"
	    " s:{s:s, s:I, s:I, s:s}, s:o, s:o, s:s, s:s, s:I}",
	    "privateVifId", id, "privateVifName", name, "connectionId", conn_id,
	    "bgwId", bgw_id, "type", "directed", "privateVifOwner",
	    owner ? owner
		  : json_get_str(json_object_get(c->account, "jdcloud"), "pin",
				 c->account_name),
	    "vlan", (json_int_t)vlan, "privateVifStatus", "Pending",
	    "description", desc ? desc : "", "createdTime", created,
	    "enableBgp", 1, "healthCheck", hc, "bgp", "addressFamily", af,
	    "customerAsn", (json_int_t)asn, "jdCloudAsn", (json_int_t)jd_asn,
	    "authKey", auth, "peers", peers, "bgpPeers", bgp_peers, "_account",
	    c->account_name, "_region", c->region, "_since_ms",
	    (json_int_t)c->now);
	hc = NULL;
	json_decref(pairs);
	world_put(c->e, "vifs", id, vif);
	json_decref(vif);
	schedule(c->e, vif, "privateVifStatus");
	json_array_append_new(json_object_get(conn, "vifIds"), json_string(id));
	json_array_append_new(json_object_get(bgw, "vifIds"), json_string(id));
	emu_dirty(c->e);
	jd_ok(c, json_pack("{s:s}", "privateVifId", id));
	goto out;
fail:
	json_decref(pairs);
	json_decref(peers);
	json_decref(bgp_peers);
out:
	json_decref(hc);
	free(id);
}

static void vif_remove(struct emu *e, const char *id)
{
	json_t *vif = json_object_get(jd_world(e, "vifs"), id);
	json_t *conn, *bgw;

	if (!vif)
		return;
	conn = json_object_get(jd_world(e, "connections"),
			       json_get_str(vif, "connectionId", ""));
	bgw = json_object_get(jd_world(e, "bgws"),
			      json_get_str(vif, "bgwId", ""));
	if (conn)
		array_remove_str(conn, "vifIds", id);
	if (bgw)
		array_remove_str(bgw, "vifIds", id);
	world_del(e, "vifs", id);
	emu_dirty(e);
}

static void describe_vifs(struct jd_call *c)
{
	static const char *const fn[] = {"privateVifIds", "connectionIds",
					 "bgwIds", "privateVifNames", NULL};
	static const char *const fields[] = {"privateVifId", "connectionId",
					     "bgwId", "privateVifName", NULL};
	struct jd_page pg;
	json_t *filters, *items;

	if (list_common(c, fn, &pg, &filters) < 0)
		return;
	if (list_fast(c, "vifs", "privateVifs", filters, &pg)) {
		json_decref(filters);
		return;
	}
	items = collect(c, "vifs", filters, "privateVifIds", "privateVifId");
	filter_items(items, filters, fn, fields);
	jd_list_answer(c, "privateVifs", items, &pg);
	json_decref(items);
	json_decref(filters);
}

static void describe_vif(struct jd_call *c, const char *id)
{
	static const char *const q[] = {"privateVifId", NULL};
	json_t *vif;

	if (no_query(c, q) < 0)
		return;
	vif = own(c, "vifs", id, "private VIF");
	if (vif)
		jd_ok(c, json_pack("{s:o}", "privateVif", jd_public(vif)));
}

static void modify_vif(struct jd_call *c, const char *id)
{
	json_t *vif, *b = modify_body(c, "modifyPrivateVifSpec"), *hc = NULL;
	const char *name, *desc;

	if (no_query(c, NULL) < 0)
		return;
	vif = own(c, "vifs", id, "private VIF");
	if (!vif)
		return;
	if (get_str(c, b, "body", "privateVifName", 0, &name) ||
	    (name && check_name(c, "body", "privateVifName", name)) ||
	    get_str(c, b, "body", "description", 0, &desc) ||
	    check_desc(c, "body", "description", desc))
		return;
	if (json_object_get(b, "healthCheck") &&
	    health_check(c, json_object_get(b, "healthCheck"), &hc) < 0)
		return;
	if (!strcmp(json_get_str(vif, "privateVifStatus", ""), "Deleting")) {
		json_decref(hc);
		jd_error(c, 400, "FAILED_PRECONDITION",
			 "private VIF '%s' is Deleting", id);
		return;
	}
	if (name)
		set_str(vif, "privateVifName", name);
	if (desc)
		set_str(vif, "description", desc);
	if (hc)
		json_object_set_new(vif, "healthCheck", hc);
	emu_dirty(c->e);
	jd_ok(c, NULL);
}

/* Id of a route whose next hop is `id`, or NULL. */
static const char *route_using(struct jd_call *c, const char *id)
{
	json_t *o;
	const char *k;

	json_object_foreach (jd_world(c->e, "routes"), k, o) {
		if (!strcmp(json_get_str(o, "bgwRouteNexthop", ""), id))
			return k;
	}
	return NULL;
}

static void delete_vif(struct jd_call *c, const char *id)
{
	static const char *const q[] = {"privateVifId", NULL};
	json_t *vif;
	const char *r;

	if (no_query(c, q) < 0)
		return;
	vif = own(c, "vifs", id, "private VIF");
	if (!vif)
		return;
	r = route_using(c, id);
	if (r) {
		jd_error(c, 400, "FAILED_PRECONDITION",
			 "private VIF '%s' is the next hop of bgw route '%s'",
			 id, r);
		return;
	}
	if (strcmp(json_get_str(vif, "privateVifStatus", ""), "Deleting")) {
		size_t i;
		json_t *p;

		mark(c->e, vif, "privateVifStatus", "Deleting", c->now);
		json_array_foreach (json_object_get(vif, "peers"), i, p)
			set_str(p, "peerBgpStatus", "Down");
		json_array_foreach (json_object_get(vif, "bgpPeers"), i, p)
			set_str(p, "bgpPeerStatus", "Down");
		emu_dirty(c->e);
	}
	jd_ok(c, NULL);
}

/* ---------------------------------------------------------------- */
/* VPC attachments */

static int valid_id(const char *s, const char *prefix)
{
	size_t i, n = strlen(prefix);

	if (strncmp(s, prefix, n) || !s[n] || strlen(s) > 64)
		return 0;
	for (i = n; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/* Propagation: the type and subnets validated into `att`. */
static int set_propagation(struct jd_call *c, json_t *att, const json_t *in,
			   const char *what)
{
	static const char *const types[] = {"all", "partial", "none", NULL};
	const char *type;
	json_t *subnets = json_object_get(in, "subnetIds"), *infos, *s;
	size_t i;

	if (get_str(c, in, what, "propagateType", 1, &type))
		return -1;
	if (!one_of(type, types)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "%s.propagateType must be all, partial or none", what);
		return -1;
	}
	if (subnets && (!json_is_array(subnets) || strcmp(type, "partial"))) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "%s.subnetIds is an array used with propagateType "
			 "partial only",
			 what);
		return -1;
	}
	if (!strcmp(type, "partial") && !json_array_size(subnets)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "%s.subnetIds is required with propagateType "
			 "partial",
			 what);
		return -1;
	}
	infos = json_array();
	json_array_foreach (subnets, i, s) {
		const char *id = json_string_value(s);
		char cidr[32];
		unsigned h = 0;
		const char *p;

		if (!id || !valid_id(id, "subnet-")) {
			json_decref(infos);
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "%s.subnetIds[%zu] is not a subnet id", what,
				 i);
			return -1;
		}
		for (p = id; *p; p++)
			h = h * 31 + (unsigned char)*p;
		snprintf(cidr, sizeof(cidr), "10.%u.%u.0/24", 16 + h % 200,
			 (h >> 8) % 256);
		json_array_append_new(infos,
				      json_pack("{s:s, s:s}", "subnetCidr",
						cidr, "subnetId", id));
	}
	set_str(att, "propagateType", type);
	json_object_set_new(att, "propagateCidrInfos", infos);
	return 0;
}

static void create_attachment(struct jd_call *c)
{
	static const char *const keys[] = {
	    "vpcAttachmentName", "vpcId",     "bgwId",
	    "propagateType",	 "subnetIds", NULL};
	json_t *spec, *bgw, *att, *o;
	const char *name, *vpc, *bgw_id, *k;
	int64_t quota;
	char *id, created[32];

	if (no_query(c, NULL) < 0)
		return;
	spec = spec_obj(c, "vpcAttachmentSpec", keys);
	if (!spec)
		return;
	if (get_str(c, spec, "vpcAttachmentSpec", "vpcAttachmentName", 1,
		    &name) ||
	    check_name(c, "vpcAttachmentSpec", "vpcAttachmentName", name) ||
	    get_str(c, spec, "vpcAttachmentSpec", "vpcId", 1, &vpc) ||
	    get_str(c, spec, "vpcAttachmentSpec", "bgwId", 1, &bgw_id))
		return;
	if (!valid_id(vpc, "vpc-")) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "vpcAttachmentSpec.vpcId '%s' is not a VPC id", vpc);
		return;
	}
	att = json_object();
	if (set_propagation(c, att, spec, "vpcAttachmentSpec") < 0)
		goto out;
	bgw = own(c, "bgws", bgw_id, "bgw");
	if (!bgw)
		goto out;
	json_object_foreach (jd_world(c->e, "attachments"), k, o) {
		if (!strcmp(json_get_str(o, "bgwId", ""), bgw_id) &&
		    !strcmp(json_get_str(o, "vpcId", ""), vpc)) {
			jd_error(c, 409, "ALREADY_EXISTS",
				 "vpc '%s' is already attached to bgw '%s' "
				 "by '%s'",
				 vpc, bgw_id, k);
			goto out;
		}
	}
	quota = jd_config_int(c->e, "quotas", "attachments_per_bgw", 50);
	if ((int64_t)json_array_size(
		json_object_get(bgw, "vpcAttachmentIds")) >= quota) {
		jd_error(c, 429, "QUOTA_EXCEEDED",
			 "quota exceeded: at most %lld VPC attachments per "
			 "bgw",
			 (long long)quota);
		goto out;
	}
	id = emu_new_id(c->e, "bgwa-");
	jd_time_iso(created, c->now);
	set_str(att, "vpcAttachmentId", id);
	set_str(att, "vpcAttachmentName", name);
	set_str(att, "bgwId", bgw_id);
	set_str(att, "vpcId", vpc);
	set_str(att, "status", "active");
	set_str(att, "createdTime", created);
	set_str(att, "_account", c->account_name);
	set_str(att, "_region", c->region);
	world_put(c->e, "attachments", id, att);
	json_array_append_new(json_object_get(bgw, "vpcAttachmentIds"),
			      json_string(id));
	emu_dirty(c->e);
	jd_ok(c, json_pack("{s:s}", "vpcAttachmentId", id));
	free(id);
out:
	json_decref(att);
}

static void describe_attachments(struct jd_call *c)
{
	static const char *const fn[] = {"vpcAttachmentIds", "bgwIds", "vpcIds",
					 NULL};
	static const char *const fields[] = {"vpcAttachmentId", "bgwId",
					     "vpcId", NULL};
	struct jd_page pg;
	json_t *filters, *items;

	if (list_common(c, fn, &pg, &filters) < 0)
		return;
	if (list_fast(c, "attachments", "vpcAttachments", filters, &pg)) {
		json_decref(filters);
		return;
	}
	items = collect(c, "attachments", filters, "vpcAttachmentIds",
			"vpcAttachmentId");
	filter_items(items, filters, fn, fields);
	jd_list_answer(c, "vpcAttachments", items, &pg);
	json_decref(items);
	json_decref(filters);
}

static void describe_attachment(struct jd_call *c, const char *id)
{
	static const char *const q[] = {"vpcAttachmentId", NULL};
	json_t *att;

	if (no_query(c, q) < 0)
		return;
	att = own(c, "attachments", id, "vpc attachment");
	if (att)
		jd_ok(c, json_pack("{s:o}", "vpcAttachment", jd_public(att)));
}

static void modify_attachment(struct jd_call *c, const char *id)
{
	static const char *const pa_keys[] = {"vpcId", "propagateType",
					      "subnetIds", NULL};
	json_t *att, *b = modify_body(c, "modifyVpcAttachmentSpec"), *pa, *tmp;
	const char *name, *vpc;

	if (no_query(c, NULL) < 0)
		return;
	att = own(c, "attachments", id, "vpc attachment");
	if (!att)
		return;
	if (get_str(c, b, "body", "vpcAttachmentName", 0, &name) ||
	    (name && check_name(c, "body", "vpcAttachmentName", name)))
		return;
	pa = json_object_get(b, "propagationAttribute");
	tmp = json_object();
	if (pa) {
		if (jd_check_keys(c, pa, "propagationAttribute", pa_keys) < 0 ||
		    get_str(c, pa, "propagationAttribute", "vpcId", 0, &vpc) ||
		    set_propagation(c, tmp, pa, "propagationAttribute") < 0)
			goto out;
		if (vpc && strcmp(vpc, json_get_str(att, "vpcId", ""))) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "propagationAttribute.vpcId must be the "
				 "attached VPC '%s'",
				 json_get_str(att, "vpcId", ""));
			goto out;
		}
		json_object_update(att, tmp);
	}
	if (name)
		set_str(att, "vpcAttachmentName", name);
	emu_dirty(c->e);
	jd_ok(c, NULL);
out:
	json_decref(tmp);
}

static void delete_attachment(struct jd_call *c, const char *id)
{
	static const char *const q[] = {"vpcAttachmentId", NULL};
	json_t *att, *bgw;
	const char *r;

	if (no_query(c, q) < 0)
		return;
	att = own(c, "attachments", id, "vpc attachment");
	if (!att)
		return;
	r = route_using(c, id);
	if (!r)
		r = route_using(c, json_get_str(att, "vpcId", ""));
	if (r) {
		jd_error(c, 400, "FAILED_PRECONDITION",
			 "vpc attachment '%s' is the next hop of bgw route "
			 "'%s'",
			 id, r);
		return;
	}
	bgw = json_object_get(jd_world(c->e, "bgws"),
			      json_get_str(att, "bgwId", ""));
	if (bgw)
		array_remove_str(bgw, "vpcAttachmentIds", id);
	world_del(c->e, "attachments", id);
	emu_dirty(c->e);
	jd_ok(c, NULL);
}

/* ---------------------------------------------------------------- */
/* BGW routes */

static const char *const hop_types[] = {
    "hosted_private_vif", "private_vif", "vpc_attachment",
    "vpn_connection",	  "vpc",	 NULL};
static const char *const hop_names[] = {
    "hostedPrivateVif", "privateVif", "vpcAttachment",
    "vpnConnection",	"vpc",	      NULL};

static int valid_cidr(const char *s)
{
	uint32_t ip;
	int p;

	if (parse_ipv4(s, &ip, &p) < 0 || p < 0)
		return 0;
	return p == 0 ? ip == 0 : (ip & ~(~0u << (32 - p))) == 0;
}

/* Validate a route's fields from `in` onto `route` (create: all
 * required). */
static int route_fields(struct jd_call *c, json_t *route, const json_t *in,
			const char *bgw_id, int create)
{
	const char *dst, *type, *hop, *desc, *k;
	size_t t;
	int ok = 0;
	json_t *o;

	if (get_str(c, in, "bgwRouteSpec", "bgwRouteDestination", create,
		    &dst) ||
	    get_str(c, in, "bgwRouteSpec", "bgwNexthopType", create, &type) ||
	    get_str(c, in, "bgwRouteSpec", "bgwRouteNexthop", create, &hop) ||
	    get_str(c, in, "bgwRouteSpec", "description", 0, &desc) ||
	    check_desc(c, "bgwRouteSpec", "description", desc))
		return -1;
	if (dst && !valid_cidr(dst)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "bgwRouteSpec.bgwRouteDestination '%s' is not a "
			 "CIDR block",
			 dst);
		return -1;
	}
	if (dst) {
		json_object_foreach (jd_world(c->e, "routes"), k, o) {
			if (!strcmp(json_get_str(o, "bgwId", ""), bgw_id) &&
			    !strcmp(json_get_str(o, "bgwRouteDestination", ""),
				    dst) &&
			    strcmp(k, json_get_str(route, "bgwRouteId", ""))) {
				jd_error(c, 409, "ALREADY_EXISTS",
					 "bgw '%s' already has a route to %s "
					 "('%s')",
					 bgw_id, dst, k);
				return -1;
			}
		}
	}
	if (!type)
		type = json_get_str(route, "_hop_type", NULL);
	if (!hop)
		hop = json_get_str(route, "bgwRouteNexthop", NULL);
	if (!type || !hop)
		return -1; /* cannot happen on create (required) */
	for (t = 0; hop_types[t]; t++)
		if (!strcmp(hop_types[t], type))
			break;
	if (!hop_types[t]) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "bgwRouteSpec.bgwNexthopType '%s' must be one of "
			 "hosted_private_vif, private_vif, vpc_attachment, "
			 "vpn_connection, vpc",
			 type);
		return -1;
	}
	if (!strcmp(type, "private_vif") ||
	    !strcmp(type, "hosted_private_vif")) {
		o = own_quiet(c, "vifs", hop);
		ok = o && !strcmp(json_get_str(o, "bgwId", ""), bgw_id);
	} else if (!strcmp(type, "vpc_attachment")) {
		o = own_quiet(c, "attachments", hop);
		ok = o && !strcmp(json_get_str(o, "bgwId", ""), bgw_id);
	} else if (!strcmp(type, "vpc")) {
		json_object_foreach (jd_world(c->e, "attachments"), k, o) {
			if (!strcmp(json_get_str(o, "bgwId", ""), bgw_id) &&
			    !strcmp(json_get_str(o, "vpcId", ""), hop))
				ok = 1;
		}
	}
	if (!ok) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "bgwRouteSpec.bgwRouteNexthop '%s' is not a %s "
			 "of bgw '%s'",
			 hop, type, bgw_id);
		return -1;
	}
	if (dst)
		set_str(route, "bgwRouteDestination", dst);
	set_str(route, "bgwRouteNexthop", hop);
	set_str(route, "bgwRouteNextHopType", hop_names[t]);
	set_str(route, "_hop_type", type);
	if (desc)
		set_str(route, "description", desc);
	return 0;
}

static void create_route(struct jd_call *c, const char *bgw_id)
{
	static const char *const keys[] = {"bgwRouteDestination",
					   "bgwNexthopType", "bgwRouteNexthop",
					   "description", NULL};
	json_t *spec, *bgw, *route;
	int64_t quota;
	char *id;

	if (no_query(c, NULL) < 0)
		return;
	spec = spec_obj(c, "bgwRouteSpec", keys);
	if (!spec)
		return;
	bgw = own(c, "bgws", bgw_id, "bgw");
	if (!bgw)
		return;
	route =
	    json_pack("{s:s, s:s, s:s, s:I, s:s}", "bgwId", bgw_id, "origin",
		      "static", "description", "", "bgwRoutePriority",
		      (json_int_t)100, "bgwRouteId", "");
	if (route_fields(c, route, spec, bgw_id, 1) < 0) {
		json_decref(route);
		return;
	}
	quota = jd_config_int(c->e, "quotas", "routes_per_bgw", 50);
	if (bgw_route_count(c, bgw_id) >= quota) {
		json_decref(route);
		jd_error(c, 429, "QUOTA_EXCEEDED",
			 "quota exceeded: at most %lld static routes per bgw",
			 (long long)quota);
		return;
	}
	id = emu_new_id(c->e, "bgwr-");
	set_str(route, "bgwRouteId", id);
	set_str(route, "_account", c->account_name);
	set_str(route, "_region", c->region);
	world_put(c->e, "routes", id, route);
	json_decref(route);
	emu_dirty(c->e);
	jd_ok(c, json_pack("{s:s}", "bgwRouteId", id));
	free(id);
}

static json_t *own_route(struct jd_call *c, const char *bgw_id, const char *id)
{
	json_t *r;

	if (!own(c, "bgws", bgw_id, "bgw"))
		return NULL;
	r = json_object_get(jd_world(c->e, "routes"), id);
	if (!r || strcmp(json_get_str(r, "bgwId", ""), bgw_id)) {
		jd_error(c, 404, "NOT_FOUND",
			 "bgw route '%s' does not exist on bgw '%s'", id,
			 bgw_id);
		return NULL;
	}
	return r;
}

static void describe_routes(struct jd_call *c, const char *bgw_id)
{
	static const char *const fn[] = {"bgwRouteIds", "bgwRouteDestinations",
					 NULL};
	static const char *const fields[] = {"bgwRouteId",
					     "bgwRouteDestination", NULL};
	struct jd_page pg;
	json_t *filters, *items;
	size_t i = 0;

	if (list_common(c, fn, &pg, &filters) < 0)
		return;
	if (!own(c, "bgws", bgw_id, "bgw")) {
		json_decref(filters);
		return;
	}
	items = collect(c, "routes", filters, "bgwRouteIds", "bgwRouteId");
	while (i < json_array_size(items)) {
		if (strcmp(json_get_str(json_array_get(items, i), "bgwId", ""),
			   bgw_id))
			json_array_remove(items, i);
		else
			i++;
	}
	filter_items(items, filters, fn, fields);
	jd_list_answer(c, "bgwRoutes", items, &pg);
	json_decref(items);
	json_decref(filters);
}

static void describe_route(struct jd_call *c, const char *bgw_id,
			   const char *id)
{
	static const char *const q[] = {"bgwId", "bgwRouteId", NULL};
	json_t *r;

	if (no_query(c, q) < 0)
		return;
	r = own_route(c, bgw_id, id);
	if (r)
		jd_ok(c, json_pack("{s:o}", "bgwRoute", jd_public(r)));
}

static void modify_route(struct jd_call *c, const char *bgw_id, const char *id)
{
	json_t *r, *b = modify_body(c, "bgwRouteSpec"), *copy;

	if (no_query(c, NULL) < 0)
		return;
	r = own_route(c, bgw_id, id);
	if (!r)
		return;
	copy = json_deep_copy(r);
	if (route_fields(c, copy, b, bgw_id, 0) < 0) {
		json_decref(copy);
		return;
	}
	json_object_update(r, copy);
	json_decref(copy);
	emu_dirty(c->e);
	jd_ok(c, NULL);
}

static void delete_route(struct jd_call *c, const char *bgw_id, const char *id)
{
	static const char *const q[] = {"bgwId", "bgwRouteId", NULL};

	if (no_query(c, q) < 0)
		return;
	if (!own_route(c, bgw_id, id))
		return;
	world_del(c->e, "routes", id);
	emu_dirty(c->e);
	jd_ok(c, NULL);
}

/* ---------------------------------------------------------------- */
/* Routing */

#define OP(name, call)                  \
	do {                            \
		if (!jd_begin(c, name)) \
			call;           \
		return 0;               \
	} while (0)

static int is(const char *m, const char *want)
{
	return !strcmp(m, want);
}

int jd_bgw_dispatch(struct jd_call *c)
{
	const char *m = c->req->method;
	const char *v = c->verb;
	size_t n = c->nseg;

	if (jd_seg_is(c, 0, "connections")) {
		if (n == 1 && !v && is(m, "GET"))
			OP("describeConnections", describe_connections(c));
		if (n == 1 && !v && is(m, "POST"))
			OP("createConnection", create_connection(c));
		if (n == 2 && !v && is(m, "GET"))
			OP("describeConnection",
			   describe_connection(c, c->seg[1]));
		if (n == 2 && !v && is(m, "PATCH"))
			OP("modifyConnection", modify_connection(c, c->seg[1]));
		if (n == 2 && !v && is(m, "DELETE"))
			OP("deleteConnection", delete_connection(c, c->seg[1]));
		if (n == 2 && v && is(v, "confirm") && is(m, "POST"))
			OP("confirmConnection",
			   confirm_connection(c, c->seg[1]));
		if (n == 2 && v && is(v, "resize") && is(m, "POST"))
			OP("resizeConnection", resize_connection(c, c->seg[1]));
		return -1;
	}
	if (jd_seg_is(c, 0, "bgws") && !v) {
		if (n == 1 && is(m, "GET"))
			OP("describeBgws", describe_bgws(c));
		if (n == 1 && is(m, "POST"))
			OP("createBgw", create_bgw(c));
		if (n == 2 && is(m, "GET"))
			OP("describeBgw", describe_bgw(c, c->seg[1]));
		if (n == 2 && is(m, "PATCH"))
			OP("modifyBgw", modify_bgw(c, c->seg[1]));
		if (n == 2 && is(m, "DELETE"))
			OP("deleteBgw", delete_bgw(c, c->seg[1]));
		if (n >= 3 && !jd_seg_is(c, 2, "bgwRoutes"))
			return -1;
		if (n == 3 && is(m, "GET"))
			OP("describeBgwRoutes", describe_routes(c, c->seg[1]));
		if (n == 3 && is(m, "POST"))
			OP("createBgwRoute", create_route(c, c->seg[1]));
		if (n == 4 && is(m, "GET"))
			OP("describeBgwRoute",
			   describe_route(c, c->seg[1], c->seg[3]));
		if (n == 4 && is(m, "PATCH"))
			OP("modifyBgwRoute",
			   modify_route(c, c->seg[1], c->seg[3]));
		if (n == 4 && is(m, "DELETE"))
			OP("deleteBgwRoute",
			   delete_route(c, c->seg[1], c->seg[3]));
		return -1;
	}
	if (jd_seg_is(c, 0, "privateVifs") && !v) {
		if (n == 1 && is(m, "GET"))
			OP("describePrivateVifs", describe_vifs(c));
		if (n == 1 && is(m, "POST"))
			OP("createPrivateVif", create_vif(c));
		if (n == 2 && is(m, "GET"))
			OP("describePrivateVif", describe_vif(c, c->seg[1]));
		if (n == 2 && is(m, "PATCH"))
			OP("modifyPrivateVif", modify_vif(c, c->seg[1]));
		if (n == 2 && is(m, "DELETE"))
			OP("deletePrivateVif", delete_vif(c, c->seg[1]));
		return -1;
	}
	if (jd_seg_is(c, 0, "vpcAttachments") && !v) {
		if (n == 1 && is(m, "GET"))
			OP("describeVpcAttachments", describe_attachments(c));
		if (n == 1 && is(m, "POST"))
			OP("createVpcAttachment", create_attachment(c));
		if (n == 2 && is(m, "GET"))
			OP("describeVpcAttachment",
			   describe_attachment(c, c->seg[1]));
		if (n == 2 && is(m, "PATCH"))
			OP("modifyVpcAttachment",
			   modify_attachment(c, c->seg[1]));
		if (n == 2 && is(m, "DELETE"))
			OP("deleteVpcAttachment",
			   delete_attachment(c, c->seg[1]));
		return -1;
	}
	if (jd_seg_is(c, 0, "locations") && !v) {
		if (n == 1 && is(m, "GET"))
			OP("describeLocations", describe_locations(c));
		if (n == 2 && is(m, "GET"))
			OP("describeLocation", describe_location(c, c->seg[1]));
		return -1;
	}
	return -1;
}
