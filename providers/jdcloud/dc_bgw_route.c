/*
 * dc_bgw_route.c: jdcloud_dc_bgw_route, a static route of a border
 * gateway (free):
 *   create   createBgwRoute (dcform's token at the end of `description`
 *            when it fits; one route per destination and gateway, so a
 *            repeated create answers ALREADY_EXISTS and the route is
 *            adopted) → read
 *   update   modifyBgwRoute (destination, next hop, description)
 *   delete   deleteBgwRoute → wait until gone
 * Routes live under their gateway (/bgws/{bgwId}/bgwRoutes/); state keeps
 * only the route id, so reads list the region's gateways first (at most
 * 5 per region) and ask each for the ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/jdcloud/jdcloud.h"
#include "core/util/json.h"
#include "core/util/util.h"

/* bgwRouteNextHopType (camelCase in answers) → nexthop_type. */
static const char *hop_type(const char *t)
{
	static const char *const map[][2] = {
	    {"privateVif", "private_vif"},
	    {"hostedPrivateVif", "hosted_private_vif"},
	    {"vpcAttachment", "vpc_attachment"},
	    {"vpnConnection", "vpn_connection"},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(t, map[i][0]))
			return map[i][1];
	return t;
}

static json_t *attrs_of(const json_t *in)
{
	json_t *a = json_object();
	char *desc = jd_desc_user(json_get_str(in, "description", ""), NULL);

	json_object_set_new(a, "id",
			    json_string(json_get_str(in, "bgwRouteId", "")));
	json_object_set_new(a, "bgw_id",
			    json_string(json_get_str(in, "bgwId", "")));
	json_object_set_new(
	    a, "destination",
	    json_string(json_get_str(in, "bgwRouteDestination", "")));
	json_object_set_new(a, "nexthop_type",
			    json_string(hop_type(json_get_str(
				in, "bgwRouteNextHopType",
				json_get_str(in, "bgwNexthopType", "")))));
	json_object_set_new(
	    a, "nexthop_id",
	    json_string(json_get_str(in, "bgwRouteNexthop", "")));
	if (*desc)
		json_object_set_new(a, "description", json_string(desc));
	free(desc);
	json_object_set_new(a, "origin",
			    json_string(json_get_str(in, "origin", "static")));
	json_object_set_new(
	    a, "priority",
	    json_integer(json_get_int(in, "bgwRoutePriority", 0)));
	return a;
}

json_t *jdcloud_bgw_route_attributes(const json_t *in)
{
	return attrs_of(in);
}

/* Every gateway id of the region (new array). */
static int bgw_ids(json_t **out, void *ctx, const char *region, struct err *e)
{
	json_t *all = NULL, *b;
	size_t i;
	int ret;

	ret = jd_list_raw(ctx, region, "describeBgws", "/bgws/", NULL, "bgws",
			  &all, e);
	if (ret < 0)
		return ret;
	*out = json_array();
	json_array_foreach (all, i, b)
		json_array_append_new(
		    *out, json_string(json_get_str(b, "bgwId", "")));
	json_decref(all);
	return 0;
}

/*
 * Routes of every gateway of the region: with ids, only those (100 per
 * call, all calls concurrent); without, all (raw, page by page).
 */
static int read_routes(void *ctx, const char *region, const json_t *ids,
		       json_t **out, struct err *e)
{
	json_t *gws = NULL, *res = json_object(), *it;
	size_t ng, n = ids ? json_array_size(ids) : 0, nb, g, b, i, k, bs;
	struct jd_call *calls;
	struct buf *qs;
	char **paths;
	int ret;

	if (ids && !n) {
		*out = res;
		return 0;
	}
	ret = bgw_ids(&gws, ctx, region, e);
	if (ret < 0) {
		json_decref(res);
		return ret;
	}
	ng = json_array_size(gws);
	if (!ids) {
		for (g = 0; g < ng; g++) {
			json_t *all = NULL;
			char *path = xasprintf(
			    "/bgws/%s/bgwRoutes/",
			    json_string_value(json_array_get(gws, g)));

			ret = jd_list_raw(ctx, region, "describeBgwRoutes",
					  path, NULL, "bgwRoutes", &all, e);
			free(path);
			if (ret < 0) {
				json_decref(gws);
				json_decref(res);
				return ret;
			}
			json_array_foreach (all, i, it)
				json_object_set_new(
				    res, json_get_str(it, "bgwRouteId", ""),
				    attrs_of(it));
			json_decref(all);
		}
		json_decref(gws);
		*out = res;
		return 0;
	}
	bs = provider_batch_size(100);
	nb = (n + bs - 1) / bs;
	k = ng * nb;
	calls = xcalloc(k ? k : 1, sizeof(*calls));
	qs = xcalloc(k ? k : 1, sizeof(*qs));
	paths = xcalloc(k ? k : 1, sizeof(char *));
	for (g = 0; g < ng; g++)
		for (b = 0; b < nb; b++) {
			size_t c = g * nb + b;
			json_t *chunk = json_array();

			for (i = b * bs; i < n && i < (b + 1) * bs; i++)
				json_array_append(chunk,
						  json_array_get(ids, i));
			buf_init(&qs[c], 256);
			jd_query_add(&qs[c], "pageNumber", "1");
			jd_query_add(&qs[c], "pageSize", "100");
			jd_query_filter(&qs[c], 1, "bgwRouteIds", chunk);
			json_decref(chunk);
			paths[c] = xasprintf(
			    "/bgws/%s/bgwRoutes/",
			    json_string_value(json_array_get(gws, g)));
			calls[c].service = "bgw";
			calls[c].op = "describeBgwRoutes";
			calls[c].method = "GET";
			calls[c].region = region;
			calls[c].path = paths[c];
			calls[c].query = qs[c].ptr;
			calls[c].idempotent = 1;
		}
	jd_call_many(jd_cl(ctx), calls, k);
	ret = 0;
	for (i = 0; i < k; i++) {
		size_t j;

		/* A gateway deleted meanwhile has no routes. */
		if (calls[i].ret < 0 && calls[i].ret != DCF_ENOTFOUND && !ret) {
			*e = calls[i].err;
			ret = calls[i].ret;
		}
		json_array_foreach (
		    json_object_get(calls[i].result, "bgwRoutes"), j, it) {
			const char *rid = json_get_str(it, "bgwRouteId", "");
			json_t *x;
			size_t m;
			int asked = 0;

			/* Only the ids asked for, should a filter be
			 * ignored. */
			json_array_foreach (ids, m, x)
				if (!strcmp(json_string_value(x)
						? json_string_value(x)
						: "",
					    rid))
					asked = 1;
			if (asked)
				json_object_set_new(res, rid, attrs_of(it));
		}
		json_decref(calls[i].result);
		buf_release(&qs[i]);
		free(paths[i]);
	}
	free(calls);
	free(qs);
	free(paths);
	json_decref(gws);
	if (ret < 0) {
		json_decref(res);
		return ret;
	}
	*out = res;
	return 0;
}

static int read_many(void *ctx, const char *region, const json_t *ids,
		     json_t **out, struct err *e)
{
	return read_routes(ctx, region, ids, out, e);
}

static int list_all(void *ctx, const char *region, json_t **out, struct err *e)
{
	return read_routes(ctx, region, NULL, out, e);
}

static int find_by_token(void *ctx, const char *region, const char *token,
			 char **out_id, json_t **out_attrs, struct err *e)
{
	/* attrs_of drops the token, so look at the raw descriptions. */
	json_t *gws = NULL;
	size_t g, i;
	int ret;

	ret = bgw_ids(&gws, ctx, region, e);
	if (ret < 0)
		return ret;
	for (g = 0; g < json_array_size(gws); g++) {
		json_t *routes = NULL, *it;
		char *path =
		    xasprintf("/bgws/%s/bgwRoutes/",
			      json_string_value(json_array_get(gws, g)));

		ret = jd_list_raw(ctx, region, "describeBgwRoutes", path, NULL,
				  "bgwRoutes", &routes, e);
		free(path);
		if (ret < 0) {
			json_decref(gws);
			return ret;
		}
		json_array_foreach (routes, i, it) {
			char tok[64];

			free(jd_desc_user(json_get_str(it, "description", ""),
					  tok));
			if (strcmp(tok, token))
				continue;
			*out_id = xstrdup(json_get_str(it, "bgwRouteId", ""));
			*out_attrs = attrs_of(it);
			json_decref(routes);
			json_decref(gws);
			return 0;
		}
		json_decref(routes);
	}
	json_decref(gws);
	return DCF_ENOTFOUND;
}

static int import_one(void *ctx, const char *region, const char *id,
		      json_t **out, struct err *e)
{
	json_t *ids = json_pack("[s]", id), *got = NULL, *a;
	int ret = read_routes(ctx, region, ids, &got, e);

	json_decref(ids);
	if (ret < 0)
		return ret;
	a = json_object_get(got, id);
	if (!a) {
		json_decref(got);
		return err_set(e, DCF_ENOTFOUND,
			       "route '%s' is on no border gateway of %s", id,
			       region);
	}
	*out = json_incref(a);
	json_decref(got);
	return 0;
}

static int expand(const struct change *c, json_t **out, struct err *e)
{
	json_t *steps = json_array();
	char title[200];

	(void)e;
	if (c->action == CHANGE_CREATE) {
		snprintf(title, sizeof(title), "createBgwRoute: %s via %s",
			 json_get_str(c->desired, "destination", "?"),
			 json_get_str(c->desired, "nexthop_type", "?"));
		json_array_append_new(
		    steps, jd_step("create", title, 1, "create", "create"));
		json_array_append_new(steps,
				      jd_step("read", "read the route back", 0,
					      "create", "read"));
	} else if (c->action == CHANGE_UPDATE) {
		json_array_append_new(
		    steps, jd_step("update",
				   "modifyBgwRoute: destination, next hop, "
				   "description",
				   1, "update", "modify"));
	} else if (c->action == CHANGE_DELETE) {
		json_array_append_new(steps, jd_step("delete", "deleteBgwRoute",
						     1, "delete", "delete"));
		json_array_append_new(steps,
				      jd_step("wait", "wait until it is gone",
					      0, "delete", "wait_gone"));
	}
	*out = steps;
	return 0;
}

static char *stored_desc(const char *user, const char *token)
{
	char *d = jd_desc_with_token(user, token);

	if (strlen(d) > 256) {
		free(d);
		d = xstrdup(user ? user : "");
	}
	return d;
}

static const char *bgw_of(const struct step_run *r)
{
	const char *b = json_get_str(r->data, "bgw_id", NULL);

	if (!b && r->current)
		b = json_get_str(r->current, "bgw_id", NULL);
	if (!b && r->desired)
		b = json_get_str(r->desired, "bgw_id", NULL);
	return b ? b : "";
}

/* The route (raw, new ref); DCF_ENOTFOUND when gone. */
static int describe(json_t **out, void *ctx, struct step_run *r,
		    const char *bgw, const char *id, struct err *e)
{
	json_t *res = NULL;
	char *path = xasprintf("/bgws/%s/bgwRoutes/%s", bgw, id);
	int ret = jd_step_call(&res, ctx, r, "bgw", "describeBgwRoute", "GET",
			       path, NULL, NULL, 1, e);

	free(path);
	if (ret < 0)
		return ret;
	*out = json_incref(json_object_get(res, "bgwRoute"));
	json_decref(res);
	if (!*out)
		return err_set(e, DCF_EPROVIDER,
			       "describeBgwRoute: no bgwRoute in the answer");
	return 0;
}

/*
 * The route of the gateway to `dst` that dcform made: its description
 * carries `token`, or (no token: the description was too long for one)
 * its next hop and description are the desired ones.  0 with *out_id, or
 * DCF_ENOTFOUND.
 */
static int find_dest(void *ctx, const char *region, const char *bgw,
		     const char *dst, const char *token, const json_t *d,
		     char **out_id, struct err *e)
{
	json_t *all = NULL, *it;
	char *path = xasprintf("/bgws/%s/bgwRoutes/", bgw);
	size_t i;
	int ret = jd_list_raw(ctx, region, "describeBgwRoutes", path, NULL,
			      "bgwRoutes", &all, e);

	free(path);
	if (ret < 0)
		return ret;
	json_array_foreach (all, i, it) {
		char tok[64];
		char *user;
		int ours;

		if (strcmp(json_get_str(it, "bgwRouteDestination", ""), dst))
			continue;
		user = jd_desc_user(json_get_str(it, "description", ""), tok);
		ours = tok[0] ? !strcmp(tok, token)
			      : !strcmp(json_get_str(it, "bgwRouteNexthop", ""),
					json_get_str(d, "nexthop_id", "")) &&
				    !strcmp(user,
					    json_get_str(d, "description", ""));
		free(user);
		if (!ours)
			continue;
		*out_id = xstrdup(json_get_str(it, "bgwRouteId", ""));
		json_decref(all);
		return 0;
	}
	json_decref(all);
	return DCF_ENOTFOUND;
}

static json_t *spec_of(const json_t *d, const char *desc)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "bgwRouteDestination",
			 json_get_str(d, "destination", ""), "bgwNexthopType",
			 json_get_str(d, "nexthop_type", ""), "bgwRouteNexthop",
			 json_get_str(d, "nexthop_id", ""), "description",
			 desc);
}

static int run_step(void *ctx, struct step_run *r, struct err *e)
{
	const char *op = jd_step_op(r);
	const char *id = jd_run_id(r);
	const char *bgw = bgw_of(r);
	const json_t *d = r->desired;
	json_t *res = NULL, *in = NULL;
	char *path, *desc;
	int ret;

	if (!strcmp(op, "create")) {
		char *got = NULL;

		if (json_get_str(r->data, "id", NULL))
			return STEP_DONE;
		desc =
		    stored_desc(json_get_str(d, "description", NULL), r->token);
		path = xasprintf("/bgws/%s/bgwRoutes/", bgw);
		ret = jd_step_call(
		    &res, ctx, r, "bgw", "createBgwRoute", "POST", path, NULL,
		    json_pack("{s:o}", "bgwRouteSpec", spec_of(d, desc)), 0, e);
		free(path);
		free(desc);
		json_object_set_new(r->data, "bgw_id", json_string(bgw));
		if (ret == DCF_EEXISTS) {
			/* One route per destination and gateway: made
			 * before an interruption, adopt it. */
			struct err e2 = ERR_INIT;

			if (find_dest(ctx, r->region, bgw,
				      json_get_str(d, "destination", ""),
				      r->token, d, &got, &e2) == 0) {
				err_clear(e);
				r->cloud_code[0] = r->request_id[0] = '\0';
				jd_set_id(r, got);
				snprintf(r->status, sizeof(r->status),
					 "adopted the existing route %s", got);
				free(got);
				return STEP_DONE;
			}
		}
		if (ret < 0)
			return ret;
		if (!json_get_str(res, "bgwRouteId", NULL)) {
			json_decref(res);
			return err_set(e, DCF_EPROVIDER,
				       "createBgwRoute returned no bgwRouteId");
		}
		jd_set_id(r, json_get_str(res, "bgwRouteId", ""));
		json_decref(res);
		return STEP_DONE;
	}
	if (!id)
		return err_set(e, DCF_EINVALID, "step '%s' without a route id",
			       op);
	if (!strcmp(op, "read") || !strcmp(op, "modify")) {
		if (!strcmp(op, "modify")) {
			char tok[64];

			ret = describe(&in, ctx, r, bgw, id, e);
			if (ret < 0)
				return ret;
			free(jd_desc_user(json_get_str(in, "description", ""),
					  tok));
			json_decref(in);
			desc = stored_desc(json_get_str(d, "description", ""),
					   tok[0] ? tok : NULL);
			path = xasprintf("/bgws/%s/bgwRoutes/%s", bgw, id);
			ret = jd_step_call(NULL, ctx, r, "bgw",
					   "modifyBgwRoute", "PATCH", path,
					   NULL, spec_of(d, desc), 1, e);
			free(path);
			free(desc);
			if (ret < 0)
				return ret;
		}
		ret = describe(&in, ctx, r, bgw, id, e);
		if (ret < 0)
			return ret;
		r->attributes = attrs_of(in);
		json_decref(in);
		return STEP_DONE;
	}
	if (!strcmp(op, "delete")) {
		path = xasprintf("/bgws/%s/bgwRoutes/%s", bgw, id);
		ret = jd_step_call(NULL, ctx, r, "bgw", "deleteBgwRoute",
				   "DELETE", path, NULL, NULL, 0, e);
		free(path);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE;
		return ret < 0 ? ret : STEP_DONE;
	}
	if (!strcmp(op, "wait_gone")) {
		ret = describe(&in, ctx, r, bgw, id, e);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE;
		if (ret < 0)
			return ret;
		json_decref(in);
		return STEP_IN_PROGRESS;
	}
	return err_set(e, DCF_EINVALID, "unknown step '%s'", op);
}

const struct resource_type jdcloud_dc_bgw_route_type = {
    .version = RESOURCE_TYPE_VERSION,
    .name = "jdcloud_dc_bgw_route",
    .provider = "jdcloud",
    .caps = RT_CAP_FIND_BY_TOKEN | RT_CAP_IMPORT | RT_CAP_LIST,
    .read_many = read_many,
    .list_all = list_all,
    .find_by_token = find_by_token,
    .expand = expand,
    .run_step = run_step,
    .import = import_one,
};
