/*
 * render.h: plans and apply progress for people (text, colour, TTY status
 * line), for pull requests (markdown) and for machines (JSON).
 */
#ifndef DCFORM_RENDER_H
#define DCFORM_RENDER_H

#include <stdio.h>
#include <jansson.h>

#include "core/util/buf.h"

/* "¥1,234.56" from fen (hundredths of a yuan). */
void render_money(struct buf *out, long long fen);

/* The plan as people read it: per resource the change, attribute
 * before/after, the steps with their titles, prices, preflight, and the
 * "Plan: …" summary line. */
void render_plan_text(FILE *fp, const json_t *plan);

/* The plan as a pull-request comment: summary table, money, preflight,
 * and per-resource details in collapsible <details> blocks. */
void render_plan_markdown(struct buf *out, const json_t *plan);

/* One line per apply event (stderr).  On a TTY without CI=true, waits
 * update a live status line in place; elsewhere each event is a plain
 * timestamped line. */
void render_apply_event(FILE *fp, const json_t *ev);

/* Whether progress should be plain lines (CI=true, or not a TTY). */
int render_plain_progress(FILE *fp);

/* A JSON value on one line ("(absent)" for NULL). */
void render_json_value(struct buf *out, const json_t *v);

/* The drift report (core/drift/drift.h) as people read it. */
void render_drift_text(FILE *fp, const json_t *report);

#endif
