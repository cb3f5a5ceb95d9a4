/*
 * jdcloud.h: the JD Cloud provider's private interface, shared by its
 * resource types (dc_*.c).
 */
#ifndef DCFORM_JDCLOUD_H
#define DCFORM_JDCLOUD_H

#include "core/provider.h"
#include "providers/jdcloud/client.h"

/* Pay-as-you-go threshold JD applies to the balance (jdcloud-dc.md §5:
 * RMB 50 for other products, UNCONFIRMED for DC). */
#define JD_POSTPAID_THRESHOLD_FEN 5000LL
/* JD's published installation fee of a connection (§5), used as the
 * quote until review makes the real order. */
#define JD_INSTALLATION_FEN 1500000LL

struct jd_ctx {
	struct jd_client *client;
	/* Access points, ports and ISPs checked while quoting the plan's
	 * connections, reported by preflight as the "location" check:
	 * problems (array of strings) and how many connections were
	 * checked.  Preflight clears them. */
	json_t *location_problems;
	int locations_checked;
};

extern const struct provider jdcloud_provider;
extern const struct resource_type jdcloud_dc_bgw_type;
extern const struct resource_type jdcloud_dc_bgw_route_type;
extern const struct resource_type jdcloud_dc_connection_type;
extern const struct resource_type jdcloud_dc_private_vif_type;
extern const struct resource_type jdcloud_dc_vpc_attachment_type;

/* An item of each type's describe answer in property space (new
 * reference; any JSON is accepted).  Exposed for the response fuzzer. */
json_t *jdcloud_bgw_attributes(const json_t *in);
json_t *jdcloud_bgw_route_attributes(const json_t *in);
json_t *jdcloud_connection_attributes(const json_t *in);
json_t *jdcloud_private_vif_attributes(const json_t *in);
json_t *jdcloud_vpc_attachment_attributes(const json_t *in);

static inline struct jd_client *jd_cl(void *ctx)
{
	return ((struct jd_ctx *)ctx)->client;
}

/* Copy the cloud's status and request id into a step run. */
void jd_note_error(struct step_run *run, const struct jd_error *je);

/*
 * A bgw/asset/order call from a step: the region is run->region, `body`
 * is consumed (may be NULL), errors are noted in the run.
 */
int jd_step_call(json_t **out, void *ctx, struct step_run *r,
		 const char *service, const char *op, const char *method,
		 const char *path, const char *query, json_t *body,
		 int idempotent, struct err *e);

/*
 * A list operation over ids: `filter` (e.g. "connectionIds") with 100
 * ids per call and pageSize 100, the calls concurrent.  Each item of
 * result[list_key] is converted with attrs() and put into *out under its
 * id_key.  With ids NULL every object is listed, page by page.
 */
int jd_list(void *ctx, const char *region, const char *op, const char *path,
	    const char *filter, const json_t *ids, const char *list_key,
	    const char *id_key, json_t *(*attrs)(const json_t *), json_t **out,
	    struct err *e);
/* jd_list object by object: sink(arg, id, converted) as each answer is
 * parsed (resource_type.read_each). */
int jd_list_each(void *ctx, const char *region, const char *op,
		 const char *path, const char *filter, const json_t *ids,
		 const char *list_key, const char *id_key,
		 json_t *(*attrs)(const json_t *), provider_sink_fn *sink,
		 void *arg, struct err *e);

/* Raw list items (not converted), every page: *out a new array. */
int jd_list_raw(void *ctx, const char *region, const char *op, const char *path,
		const char *query, const char *list_key, json_t **out,
		struct err *e);

/*
 * dcform's idempotency token in a description: "<desc> [dcf-…]" (or
 * "[dcf-…]" alone).  jd_desc_with_token returns a new string;
 * jd_desc_user the description without the token (new string) and, when
 * tok is not NULL, the token found ("" when none; at most 63 chars).
 */
char *jd_desc_with_token(const char *desc, const char *token);
char *jd_desc_user(const char *stored, char tok[64]);

/* A step object of expand(). */
json_t *jd_step(const char *kind, const char *title, int side_effect,
		const char *timeout_class, const char *op);

/* Whether property path prefix (or one below it) changed. */
int jd_changed(const struct change *c, const char *prefix);

/* The step's "op" parameter. */
const char *jd_step_op(const struct step_run *r);

/* The object's id: from run->data, else run->current. */
const char *jd_run_id(const struct step_run *r);

/* Set run->id and data.id. */
void jd_set_id(struct step_run *r, const char *id);

#endif
