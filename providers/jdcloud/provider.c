/*
 * provider.c: the JD Cloud provider: configuration, balance preflight and
 * the helpers its resource types share (lists, tokens, steps).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/jdcloud/jdcloud.h"
#include "core/util/json.h"
#include "core/util/util.h"

static int configure(void **out, const json_t *block, struct http_engine *http,
		     struct err *e)
{
	struct jd_config cfg;
	struct jd_ctx *x;
	int ret;

	ret = jd_config_load(&cfg, block, e);
	if (ret < 0)
		return ret;
	x = xcalloc(1, sizeof(*x));
	ret = jd_client_new(&x->client, &cfg, http, e);
	jd_config_release(&cfg);
	if (ret < 0) {
		free(x);
		return ret;
	}
	*out = x;
	return 0;
}

static void provider_free(void *ctx)
{
	struct jd_ctx *x = ctx;

	if (!x)
		return;
	jd_client_free(x->client);
	json_decref(x->location_problems);
	free(x);
}

static const char *region(void *ctx)
{
	return jd_client_region(jd_cl(ctx));
}

/* The available balance against what the plan pays now plus JD's
 * pay-as-you-go threshold (issue 4 §6). */
static int preflight(void *ctx, long long total_fen, json_t **out,
		     struct err *e)
{
	json_t *res = NULL;
	long long avail, need;
	char msg[320];
	int ret;

	ret = jd_call(&res, jd_cl(ctx), "asset", "describeAccountAmount", "GET",
		      NULL, "/assets:describeAccountAmount", NULL, NULL, 1,
		      NULL, e);
	if (ret < 0)
		return ret;
	avail = jd_yuan_to_fen(json_get_str(res, "availableAmount", "0"));
	need = total_fen > 0 ? total_fen + JD_POSTPAID_THRESHOLD_FEN : 0;
	snprintf(msg, sizeof(msg),
		 "available balance ¥%lld.%02lld %s the ¥%lld.%02lld to pay "
		 "now plus the ¥%lld pay-as-you-go threshold",
		 avail / 100, (avail < 0 ? -avail : avail) % 100,
		 avail >= need ? "covers" : "does not cover", total_fen / 100,
		 total_fen % 100, JD_POSTPAID_THRESHOLD_FEN / 100);
	*out = json_pack("[{s:s,s:b,s:s,s:{s:I,s:I,s:I}}]", "check", "balance",
			 "ok", avail >= need, "message", msg, "details",
			 "balance_fen", (json_int_t)avail, "required_fen",
			 (json_int_t)total_fen, "threshold_fen",
			 (json_int_t)JD_POSTPAID_THRESHOLD_FEN);
	json_decref(res);
	/* The access points, ports and ISPs of the plan's connections. */
	{
		struct jd_ctx *x = ctx;
		size_t n = json_array_size(x->location_problems);

		if (x->locations_checked) {
			json_t *msgs = x->location_problems
					   ? json_incref(x->location_problems)
					   : json_array();
			char *m;

			if (n) {
				struct buf b = BUF_INIT;
				json_t *v;
				size_t i;

				json_array_foreach (msgs, i, v)
					buf_printf(&b, "%s%s", i ? "; " : "",
						   json_string_value(v));
				m = buf_detach(&b, NULL);
			} else {
				m = xasprintf("access point, port and ISP of "
					      "%d connection(s) offered in "
					      "the region",
					      x->locations_checked);
			}
			json_array_append_new(
			    *out, json_pack("{s:s,s:b,s:s,s:{s:o}}", "check",
					    "location", "ok", n == 0, "message",
					    m, "details", "problems", msgs));
			free(m);
		}
		json_decref(x->location_problems);
		x->location_problems = NULL;
		x->locations_checked = 0;
	}
	return 0;
}

const struct provider jdcloud_provider = {
    .version = PROVIDER_VERSION,
    .name = "jdcloud",
    .caps = PROVIDER_CAP_PREFLIGHT | PROVIDER_CAP_THREADSAFE,
    .configure = configure,
    .free = provider_free,
    .region = region,
    .preflight = preflight,
};

/* ---- shared helpers --------------------------------------------------- */

void jd_note_error(struct step_run *run, const struct jd_error *je)
{
	if (!run || !je)
		return;
	snprintf(run->cloud_code, sizeof(run->cloud_code), "%s", je->status);
	snprintf(run->request_id, sizeof(run->request_id), "%s",
		 je->request_id);
}

int jd_step_call(json_t **out, void *ctx, struct step_run *r,
		 const char *service, const char *op, const char *method,
		 const char *path, const char *query, json_t *body,
		 int idempotent, struct err *e)
{
	struct jd_error je;
	json_t *res = NULL;
	int ret;

	memset(&je, 0, sizeof(je));
	ret = jd_call(&res, jd_cl(ctx), service, op, method, r->region, path,
		      query, body, idempotent, &je, e);
	json_decref(body);
	if (ret < 0) {
		jd_note_error(r, &je);
		return ret;
	}
	if (out)
		*out = res;
	else
		json_decref(res);
	return 0;
}

int jd_list_raw(void *ctx, const char *region, const char *op, const char *path,
		const char *query, const char *list_key, json_t **out,
		struct err *e)
{
	json_t *all = json_array(), *res = NULL, *it;
	long long page = 1, total;
	size_t i;
	int ret;

	for (;;) {
		struct buf q = BUF_INIT;
		char pn[32];

		if (query && *query)
			buf_puts(&q, query);
		snprintf(pn, sizeof(pn), "%lld", page);
		jd_query_add(&q, "pageNumber", pn);
		jd_query_add(&q, "pageSize", "100");
		ret = jd_call(&res, jd_cl(ctx), "bgw", op, "GET", region, path,
			      q.ptr, NULL, 1, NULL, e);
		buf_release(&q);
		if (ret < 0) {
			json_decref(all);
			return ret;
		}
		json_array_foreach (json_object_get(res, list_key), i, it)
			json_array_append(all, it);
		total = (long long)json_get_int(res, "totalCount", 0);
		json_decref(res);
		/* A page past the end returns the last page: stop by count. */
		if (page * 100 >= total)
			break;
		page++;
	}
	*out = all;
	return 0;
}

struct page_sink {
	json_t *want;
	const char *list_key, *id_key;
	json_t *(*attrs)(const json_t *);
	provider_sink_fn *sink;
	void *arg;
};

/* One answer of jd_list_each, taken as soon as it is parsed: the objects
 * asked for (should a filter be ignored) go to the sink and the answer is
 * freed. */
static void take_page(struct jd_call *call, void *arg)
{
	struct page_sink *ps = arg;
	json_t *it;
	size_t i;

	json_array_foreach (json_object_get(call->result, ps->list_key), i, it)
		if (json_object_get(ps->want, json_get_str(it, ps->id_key, "")))
			ps->sink(ps->arg, json_get_str(it, ps->id_key, ""),
				 ps->attrs(it));
	json_decref(call->result);
	call->result = NULL;
}

static void into_object(void *arg, const char *id, json_t *v)
{
	json_object_set_new(arg, id, v);
}

int jd_list_each(void *ctx, const char *region, const char *op,
		 const char *path, const char *filter, const json_t *ids,
		 const char *list_key, const char *id_key,
		 json_t *(*attrs)(const json_t *), provider_sink_fn *sink,
		 void *arg, struct err *e)
{
	json_t *it, *want;
	size_t n, nb, b, i, bs;
	struct jd_call *calls;
	struct buf *qs;
	struct page_sink ps;
	int ret = 0;

	if (!ids) {
		json_t *all = NULL;

		ret =
		    jd_list_raw(ctx, region, op, path, NULL, list_key, &all, e);
		if (ret < 0)
			return ret;
		json_array_foreach (all, i, it)
			sink(arg, json_get_str(it, id_key, ""), attrs(it));
		json_decref(all);
		return 0;
	}
	n = json_array_size(ids);
	bs = provider_batch_size(100);
	nb = (n + bs - 1) / bs;
	want = json_object();
	json_array_foreach (ids, i, it)
		if (json_is_string(it))
			json_object_set_new(want, json_string_value(it),
					    json_true());
	ps.want = want;
	ps.list_key = list_key;
	ps.id_key = id_key;
	ps.attrs = attrs;
	ps.sink = sink;
	ps.arg = arg;
	calls = xcalloc(nb ? nb : 1, sizeof(*calls));
	qs = xcalloc(nb ? nb : 1, sizeof(*qs));
	for (b = 0; b < nb; b++) {
		json_t *chunk = json_array();

		for (i = b * bs; i < n && i < (b + 1) * bs; i++)
			json_array_append(chunk, json_array_get(ids, i));
		buf_init(&qs[b], 256);
		jd_query_add(&qs[b], "pageNumber", "1");
		jd_query_add(&qs[b], "pageSize", "100");
		jd_query_filter(&qs[b], 1, filter, chunk);
		json_decref(chunk);
		calls[b].service = "bgw";
		calls[b].op = op;
		calls[b].method = "GET";
		calls[b].region = region;
		calls[b].path = path;
		calls[b].query = qs[b].ptr;
		calls[b].idempotent = 1;
		calls[b].done = take_page;
		calls[b].done_arg = &ps;
	}
	jd_call_many(jd_cl(ctx), calls, nb);
	for (b = 0; b < nb; b++) {
		if (calls[b].ret < 0 && !ret) {
			*e = calls[b].err;
			ret = calls[b].ret;
		}
		buf_release(&qs[b]);
	}
	free(calls);
	free(qs);
	json_decref(want);
	return ret;
}

int jd_list(void *ctx, const char *region, const char *op, const char *path,
	    const char *filter, const json_t *ids, const char *list_key,
	    const char *id_key, json_t *(*attrs)(const json_t *), json_t **out,
	    struct err *e)
{
	json_t *res = json_object();
	int ret = jd_list_each(ctx, region, op, path, filter, ids, list_key,
			       id_key, attrs, into_object, res, e);

	if (ret < 0) {
		json_decref(res);
		return ret;
	}
	*out = res;
	return 0;
}

char *jd_desc_with_token(const char *desc, const char *token)
{
	if (!token || !*token)
		return xstrdup(desc ? desc : "");
	if (!desc || !*desc)
		return xasprintf("[%s]", token);
	return xasprintf("%s [%s]", desc, token);
}

char *jd_desc_user(const char *stored, char tok[64])
{
	size_t n = stored ? strlen(stored) : 0;
	const char *open;

	if (tok)
		tok[0] = '\0';
	if (!n || stored[n - 1] != ']')
		return xstrdup(stored ? stored : "");
	open = strrchr(stored, '[');
	if (!open || strncmp(open, "[dcf-", 5) ||
	    (size_t)(stored + n - 1 - (open + 1)) >= 64)
		return xstrdup(stored);
	if (tok) {
		size_t k = (size_t)(stored + n - 1 - (open + 1));

		memcpy(tok, open + 1, k);
		tok[k] = '\0';
	}
	if (open > stored && open[-1] == ' ')
		open--;
	return xstrndup(stored, (size_t)(open - stored));
}

json_t *jd_step(const char *kind, const char *title, int side_effect,
		const char *timeout_class, const char *op)
{
	return json_pack("{s:s,s:s,s:b,s:s,s:{s:s}}", "kind", kind, "title",
			 title, "side_effect", side_effect, "timeout_class",
			 timeout_class, "params", "op", op);
}

int jd_changed(const struct change *c, const char *prefix)
{
	json_t *p;
	size_t i, n = strlen(prefix);

	json_array_foreach (c->changed, i, p) {
		const char *s = json_string_value(p);

		if (s && !strncmp(s, prefix, n) &&
		    (!s[n] || s[n] == '.' || s[n] == '['))
			return 1;
	}
	return 0;
}

const char *jd_step_op(const struct step_run *r)
{
	return json_get_str(json_object_get(r->step, "params"), "op", "");
}

const char *jd_run_id(const struct step_run *r)
{
	const char *id = json_get_str(r->data, "id", NULL);

	return id ? id : json_get_str(r->current, "id", NULL);
}

void jd_set_id(struct step_run *r, const char *id)
{
	json_object_set_new(r->data, "id", json_string(id));
	free(r->id);
	r->id = xstrdup(id);
}
