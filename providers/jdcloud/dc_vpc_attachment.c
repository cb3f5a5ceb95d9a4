/*
 * dc_vpc_attachment.c: jdcloud_dc_vpc_attachment, a VPC attached to a
 * border gateway (free; status `active` at once):
 *   create   createVpcAttachment → read
 *   update   modifyVpcAttachment (name, propagationAttribute: full
 *            replace)
 *   delete   deleteVpcAttachment → wait until gone
 * The model has no description, so there is no place for dcform's token;
 * the cloud allows one attachment per VPC and gateway, so a create
 * repeated after a crash answers ALREADY_EXISTS and the attachment of
 * that VPC to that gateway is adopted instead when it has the name
 * dcform gave it (another name: the error stands).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/jdcloud/jdcloud.h"
#include "core/util/json.h"
#include "core/util/util.h"

static json_t *attrs_of(const json_t *in)
{
	json_t *a = json_object(), *subnets = json_array(),
	       *cidrs = json_array(), *p;
	const char *pt = json_get_str(in, "propagateType", "");
	size_t i;

	json_object_set_new(
	    a, "id", json_string(json_get_str(in, "vpcAttachmentId", "")));
	json_object_set_new(
	    a, "name", json_string(json_get_str(in, "vpcAttachmentName", "")));
	json_object_set_new(a, "vpc_id",
			    json_string(json_get_str(in, "vpcId", "")));
	json_object_set_new(a, "bgw_id",
			    json_string(json_get_str(in, "bgwId", "")));
	json_object_set_new(a, "propagate_type", json_string(pt));
	json_array_foreach (json_object_get(in, "propagateCidrInfos"), i, p) {
		if (json_get_str(p, "subnetId", NULL))
			json_array_append_new(subnets, json_string(json_get_str(
							   p, "subnetId", "")));
		if (json_get_str(p, "subnetCidr", NULL))
			json_array_append_new(cidrs, json_string(json_get_str(
							 p, "subnetCidr", "")));
	}
	if (!strcmp(pt, "partial"))
		json_object_set_new(a, "subnet_ids", subnets);
	else
		json_decref(subnets);
	json_object_set_new(a, "propagated_cidrs", cidrs);
	json_object_set_new(a, "status",
			    json_string(json_get_str(in, "status", "")));
	json_object_set_new(a, "created_time",
			    json_string(json_get_str(in, "createdTime", "")));
	return a;
}

json_t *jdcloud_vpc_attachment_attributes(const json_t *in)
{
	return attrs_of(in);
}

static int read_many(void *ctx, const char *region, const json_t *ids,
		     json_t **out, struct err *e)
{
	return jd_list(ctx, region, "describeVpcAttachments",
		       "/vpcAttachments/", "vpcAttachmentIds", ids,
		       "vpcAttachments", "vpcAttachmentId", attrs_of, out, e);
}

static int list_all(void *ctx, const char *region, json_t **out, struct err *e)
{
	return read_many(ctx, region, NULL, out, e);
}

static int read_each(void *ctx, const char *region, const json_t *ids,
		     provider_sink_fn *sink, void *arg, struct err *e)
{
	return jd_list_each(ctx, region, "describeVpcAttachments",
			    "/vpcAttachments/", "vpcAttachmentIds", ids,
			    "vpcAttachments", "vpcAttachmentId", attrs_of, sink,
			    arg, e);
}

static int describe(json_t **out, void *ctx, const char *region, const char *id,
		    struct step_run *r, struct err *e)
{
	json_t *res = NULL;
	char *path = xasprintf("/vpcAttachments/%s", id);
	int ret;

	if (r)
		ret = jd_step_call(&res, ctx, r, "bgw", "describeVpcAttachment",
				   "GET", path, NULL, NULL, 1, e);
	else
		ret = jd_call(&res, jd_cl(ctx), "bgw", "describeVpcAttachment",
			      "GET", region, path, NULL, NULL, 1, NULL, e);
	free(path);
	if (ret < 0)
		return ret;
	*out = json_incref(json_object_get(res, "vpcAttachment"));
	json_decref(res);
	if (!*out)
		return err_set(e, DCF_EPROVIDER,
			       "describeVpcAttachment: no vpcAttachment in "
			       "the answer");
	return 0;
}

static int import_one(void *ctx, const char *region, const char *id,
		      json_t **out, struct err *e)
{
	json_t *in = NULL;
	int ret = describe(&in, ctx, region, id, NULL, e);

	if (ret == DCF_ENOTFOUND)
		return err_set(e, DCF_ENOTFOUND,
			       "VPC attachment '%s' does not exist in %s", id,
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
	char title[160];

	(void)e;
	if (c->action == CHANGE_CREATE) {
		snprintf(title, sizeof(title),
			 "createVpcAttachment: %s, propagate %s",
			 json_get_str(c->desired, "vpc_id", "?"),
			 json_get_str(c->desired, "propagate_type", "?"));
		json_array_append_new(
		    steps, jd_step("create", title, 1, "create", "create"));
		json_array_append_new(steps, jd_step("read",
						     "read the attachment back",
						     0, "create", "read"));
	} else if (c->action == CHANGE_UPDATE) {
		json_array_append_new(
		    steps,
		    jd_step("update", "modifyVpcAttachment: name, propagation",
			    1, "update", "modify"));
	} else if (c->action == CHANGE_DELETE) {
		json_array_append_new(steps,
				      jd_step("delete", "deleteVpcAttachment",
					      1, "delete", "delete"));
		json_array_append_new(steps,
				      jd_step("wait", "wait until it is gone",
					      0, "delete", "wait_gone"));
	}
	*out = steps;
	return 0;
}

/* The attachment of vpc to bgw named name, if any: 0 with *out_id, or
 * DCF_ENOTFOUND (also when the VPC is attached under another name: that
 * one is not ours to adopt). */
static int find_pair(void *ctx, const char *region, const char *bgw,
		     const char *vpc, const char *name, char **out_id,
		     struct err *e)
{
	struct buf q = BUF_INIT;
	json_t *all = NULL, *v = json_pack("[s]", bgw),
	       *w = json_pack("[s]", vpc);
	int ret;

	jd_query_filter(&q, 1, "bgwIds", v);
	jd_query_filter(&q, 2, "vpcIds", w);
	json_decref(v);
	json_decref(w);
	ret = jd_list_raw(ctx, region, "describeVpcAttachments",
			  "/vpcAttachments/", q.ptr, "vpcAttachments", &all, e);
	buf_release(&q);
	if (ret < 0)
		return ret;
	v = json_array_get(all, 0);
	if (!v || strcmp(json_get_str(v, "vpcId", ""), vpc) ||
	    strcmp(json_get_str(v, "bgwId", ""), bgw) ||
	    strcmp(json_get_str(v, "vpcAttachmentName", ""), name)) {
		json_decref(all);
		return DCF_ENOTFOUND;
	}
	*out_id = xstrdup(json_get_str(v, "vpcAttachmentId", ""));
	json_decref(all);
	return 0;
}

static json_t *propagation(const json_t *d, int with_vpc)
{
	json_t *o = json_pack("{s:s}", "propagateType",
			      json_get_str(d, "propagate_type", "all"));

	if (with_vpc)
		json_object_set(o, "vpcId", json_object_get(d, "vpc_id"));
	if (!strcmp(json_get_str(d, "propagate_type", ""), "partial") &&
	    json_is_array(json_object_get(d, "subnet_ids")))
		json_object_set(o, "subnetIds",
				json_object_get(d, "subnet_ids"));
	return o;
}

static int run_step(void *ctx, struct step_run *r, struct err *e)
{
	const char *op = jd_step_op(r);
	const char *id = jd_run_id(r);
	const json_t *d = r->desired;
	json_t *res = NULL, *in = NULL, *spec;
	char *path;
	int ret;

	if (!strcmp(op, "create")) {
		char *got = NULL;

		if (json_get_str(r->data, "id", NULL))
			return STEP_DONE;
		spec = propagation(d, 1);
		json_object_set_new(spec, "vpcAttachmentName",
				    json_string(json_get_str(d, "name", "")));
		json_object_set(spec, "bgwId", json_object_get(d, "bgw_id"));
		ret = jd_step_call(
		    &res, ctx, r, "bgw", "createVpcAttachment", "POST",
		    "/vpcAttachments/", NULL,
		    json_pack("{s:o}", "vpcAttachmentSpec", spec), 0, e);
		if (ret == DCF_EEXISTS) {
			/* Made before an interruption (one per VPC and
			 * gateway): adopt it. */
			struct err e2 = ERR_INIT;

			if (find_pair(
				ctx, r->region, json_get_str(d, "bgw_id", ""),
				json_get_str(d, "vpc_id", ""),
				json_get_str(d, "name", ""), &got, &e2) == 0) {
				err_clear(e);
				r->cloud_code[0] = r->request_id[0] = '\0';
				jd_set_id(r, got);
				snprintf(r->status, sizeof(r->status),
					 "adopted the existing attachment %s",
					 got);
				free(got);
				return STEP_DONE;
			}
		}
		if (ret < 0)
			return ret;
		if (!json_get_str(res, "vpcAttachmentId", NULL)) {
			json_decref(res);
			return err_set(e, DCF_EPROVIDER,
				       "createVpcAttachment returned no "
				       "vpcAttachmentId");
		}
		jd_set_id(r, json_get_str(res, "vpcAttachmentId", ""));
		json_decref(res);
		return STEP_DONE;
	}
	if (!id)
		return err_set(e, DCF_EINVALID,
			       "step '%s' without an attachment id", op);
	if (!strcmp(op, "read") || !strcmp(op, "modify")) {
		if (!strcmp(op, "modify")) {
			path = xasprintf("/vpcAttachments/%s", id);
			ret = jd_step_call(
			    NULL, ctx, r, "bgw", "modifyVpcAttachment", "PATCH",
			    path, NULL,
			    json_pack("{s:s,s:o}", "vpcAttachmentName",
				      json_get_str(d, "name", ""),
				      "propagationAttribute",
				      propagation(d, 1)),
			    1, e);
			free(path);
			if (ret < 0)
				return ret;
		}
		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret < 0)
			return ret;
		snprintf(r->status, sizeof(r->status), "status %s",
			 json_get_str(in, "status", "?"));
		r->attributes = attrs_of(in);
		json_decref(in);
		return STEP_DONE;
	}
	if (!strcmp(op, "delete")) {
		path = xasprintf("/vpcAttachments/%s", id);
		ret = jd_step_call(NULL, ctx, r, "bgw", "deleteVpcAttachment",
				   "DELETE", path, NULL, NULL, 0, e);
		free(path);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE;
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

const struct resource_type jdcloud_dc_vpc_attachment_type = {
    .version = RESOURCE_TYPE_VERSION,
    .name = "jdcloud_dc_vpc_attachment",
    .provider = "jdcloud",
    .caps = RT_CAP_IMPORT | RT_CAP_LIST,
    .read_many = read_many,
    .read_each = read_each,
    .list_all = list_all,
    .expand = expand,
    .run_step = run_step,
    .import = import_one,
};
