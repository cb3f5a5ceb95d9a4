/*
 * dc_bgw.c: jdcloud_dc_bgw, a border gateway (free, no status):
 *   create   createBgw (dcform's token at the end of `description` when
 *            it fits in 256 characters) → read
 *   update   modifyBgw (name, description)
 *   delete   deleteBgw (refused by the cloud while VIFs, attachments or
 *            routes use it) → wait until gone
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/jdcloud/jdcloud.h"
#include "core/util/json.h"
#include "core/util/util.h"

static json_t *attrs_of(const json_t *in)
{
	json_t *a = json_object();
	char *desc = jd_desc_user(json_get_str(in, "description", ""), NULL);

	json_object_set_new(a, "id",
			    json_string(json_get_str(in, "bgwId", "")));
	json_object_set_new(a, "name",
			    json_string(json_get_str(in, "bgwName", "")));
	if (*desc)
		json_object_set_new(a, "description", json_string(desc));
	free(desc);
	json_object_set_new(
	    a, "az_type", json_string(json_get_str(in, "azType", "standard")));
	if (*json_get_str(in, "az", ""))
		json_object_set_new(a, "az",
				    json_string(json_get_str(in, "az", "")));
	json_object_set_new(a, "vif_ids",
			    json_is_array(json_object_get(in, "vifIds"))
				? json_deep_copy(json_object_get(in, "vifIds"))
				: json_array());
	json_object_set_new(
	    a, "vpc_attachment_ids",
	    json_is_array(json_object_get(in, "vpcAttachmentIds"))
		? json_deep_copy(json_object_get(in, "vpcAttachmentIds"))
		: json_array());
	json_object_set_new(a, "created_time",
			    json_string(json_get_str(in, "createdTime", "")));
	return a;
}

json_t *jdcloud_bgw_attributes(const json_t *in)
{
	return attrs_of(in);
}

static int read_many(void *ctx, const char *region, const json_t *ids,
		     json_t **out, struct err *e)
{
	return jd_list(ctx, region, "describeBgws", "/bgws/", "bgwIds", ids,
		       "bgws", "bgwId", attrs_of, out, e);
}

static int list_all(void *ctx, const char *region, json_t **out, struct err *e)
{
	return read_many(ctx, region, NULL, out, e);
}

static int read_each(void *ctx, const char *region, const json_t *ids,
		     provider_sink_fn *sink, void *arg, struct err *e)
{
	return jd_list_each(ctx, region, "describeBgws", "/bgws/", "bgwIds",
			    ids, "bgws", "bgwId", attrs_of, sink, arg, e);
}

static int find_by_token(void *ctx, const char *region, const char *token,
			 char **out_id, json_t **out_attrs, struct err *e)
{
	json_t *all = NULL, *in;
	size_t i;
	int ret;

	ret = jd_list_raw(ctx, region, "describeBgws", "/bgws/", NULL, "bgws",
			  &all, e);
	if (ret < 0)
		return ret;
	json_array_foreach (all, i, in) {
		char tok[64];

		free(jd_desc_user(json_get_str(in, "description", ""), tok));
		if (strcmp(tok, token))
			continue;
		*out_id = xstrdup(json_get_str(in, "bgwId", ""));
		*out_attrs = attrs_of(in);
		json_decref(all);
		return 0;
	}
	json_decref(all);
	return DCF_ENOTFOUND;
}

static int describe(json_t **out, void *ctx, const char *region, const char *id,
		    struct step_run *r, struct err *e)
{
	json_t *res = NULL;
	char *path = xasprintf("/bgws/%s", id);
	int ret;

	if (r)
		ret = jd_step_call(&res, ctx, r, "bgw", "describeBgw", "GET",
				   path, NULL, NULL, 1, e);
	else
		ret = jd_call(&res, jd_cl(ctx), "bgw", "describeBgw", "GET",
			      region, path, NULL, NULL, 1, NULL, e);
	free(path);
	if (ret < 0)
		return ret;
	*out = json_incref(json_object_get(res, "bgw"));
	json_decref(res);
	if (!*out)
		return err_set(e, DCF_EPROVIDER,
			       "describeBgw: no bgw in the answer");
	return 0;
}

static int import_one(void *ctx, const char *region, const char *id,
		      json_t **out, struct err *e)
{
	json_t *in = NULL;
	int ret = describe(&in, ctx, region, id, NULL, e);

	if (ret == DCF_ENOTFOUND)
		return err_set(e, DCF_ENOTFOUND,
			       "border gateway '%s' does not exist in %s", id,
			       region);
	if (ret < 0)
		return ret;
	*out = attrs_of(in);
	json_decref(in);
	return 0;
}

static int expand(const struct change *c, json_t **out, struct err *e)
{
	json_t *steps = json_array();

	(void)e;
	if (c->action == CHANGE_CREATE) {
		json_array_append_new(
		    steps, jd_step("create", "createBgw (free of charge)", 1,
				   "create", "create"));
		json_array_append_new(steps,
				      jd_step("read", "read the gateway back",
					      0, "create", "read"));
	} else if (c->action == CHANGE_UPDATE) {
		json_array_append_new(
		    steps, jd_step("update", "modifyBgw: name, description", 1,
				   "update", "modify"));
	} else if (c->action == CHANGE_DELETE) {
		json_array_append_new(steps, jd_step("delete", "deleteBgw", 1,
						     "delete", "delete"));
		json_array_append_new(steps,
				      jd_step("wait", "wait until it is gone",
					      0, "delete", "wait_gone"));
	}
	*out = steps;
	return 0;
}

/* The description to store: the user's, with the token when it fits. */
static char *stored_desc(const char *user, const char *token)
{
	char *d = jd_desc_with_token(user, token);

	if (strlen(d) > 256) {
		free(d);
		d = xstrdup(user ? user : "");
	}
	return d;
}

static int run_step(void *ctx, struct step_run *r, struct err *e)
{
	const char *op = jd_step_op(r);
	const char *id = jd_run_id(r);
	const json_t *d = r->desired;
	json_t *res = NULL, *in = NULL, *spec;
	char *path, *desc;
	int ret;

	if (!strcmp(op, "create")) {
		if (id && json_get_str(r->data, "id", NULL))
			return STEP_DONE;
		desc =
		    stored_desc(json_get_str(d, "description", NULL), r->token);
		spec =
		    json_pack("{s:s,s:s}", "bgwName",
			      json_get_str(d, "name", ""), "description", desc);
		free(desc);
		if (json_get_str(d, "az_type", NULL))
			json_object_set(spec, "azType",
					json_object_get(d, "az_type"));
		if (json_get_str(d, "az", NULL))
			json_object_set(spec, "az", json_object_get(d, "az"));
		ret = jd_step_call(&res, ctx, r, "bgw", "createBgw", "POST",
				   "/bgws/", NULL,
				   json_pack("{s:o}", "bgwSpec", spec), 0, e);
		if (ret < 0)
			return ret;
		if (!json_get_str(res, "bgwId", NULL)) {
			json_decref(res);
			return err_set(e, DCF_EPROVIDER,
				       "createBgw returned no bgwId");
		}
		jd_set_id(r, json_get_str(res, "bgwId", ""));
		json_decref(res);
		return STEP_DONE;
	}
	if (!id)
		return err_set(e, DCF_EINVALID,
			       "step '%s' without a gateway id", op);
	if (!strcmp(op, "read") || !strcmp(op, "modify")) {
		if (!strcmp(op, "modify")) {
			char tok[64];

			ret = describe(&in, ctx, r->region, id, r, e);
			if (ret < 0)
				return ret;
			free(jd_desc_user(json_get_str(in, "description", ""),
					  tok));
			json_decref(in);
			desc = stored_desc(json_get_str(d, "description", ""),
					   tok[0] ? tok : NULL);
			path = xasprintf("/bgws/%s", id);
			ret =
			    jd_step_call(NULL, ctx, r, "bgw", "modifyBgw",
					 "PATCH", path, NULL,
					 json_pack("{s:s,s:s}", "bgwName",
						   json_get_str(d, "name", ""),
						   "description", desc),
					 1, e);
			free(path);
			free(desc);
			if (ret < 0)
				return ret;
		}
		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret < 0)
			return ret;
		r->attributes = attrs_of(in);
		json_decref(in);
		return STEP_DONE;
	}
	if (!strcmp(op, "delete")) {
		path = xasprintf("/bgws/%s", id);
		ret = jd_step_call(NULL, ctx, r, "bgw", "deleteBgw", "DELETE",
				   path, NULL, NULL, 0, e);
		free(path);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE; /* deleted before an interruption */
		return ret < 0 ? ret : STEP_DONE;
	}
	if (!strcmp(op, "wait_gone")) {
		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE;
		if (ret < 0)
			return ret;
		json_decref(in);
		return STEP_IN_PROGRESS;
	}
	return err_set(e, DCF_EINVALID, "unknown step '%s'", op);
}

const struct resource_type jdcloud_dc_bgw_type = {
    .version = RESOURCE_TYPE_VERSION,
    .name = "jdcloud_dc_bgw",
    .provider = "jdcloud",
    .caps = RT_CAP_FIND_BY_TOKEN | RT_CAP_IMPORT | RT_CAP_LIST,
    .read_many = read_many,
    .read_each = read_each,
    .list_all = list_all,
    .find_by_token = find_by_token,
    .expand = expand,
    .run_step = run_step,
    .import = import_one,
};
