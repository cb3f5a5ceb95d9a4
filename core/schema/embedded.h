/*
 * embedded.h: the JSON Schemas of the files in schemas/ compiled into the
 * binary by core/schema/embed.sh.  Names drop ".json" and ".schema"
 * ("manifest", "tencentcloud_dcdb_instance", …).
 */
#ifndef DCFORM_SCHEMA_EMBEDDED_H
#define DCFORM_SCHEMA_EMBEDDED_H

#include <stddef.h>

struct embedded_schema {
	const char *name;
	const char *text;
	size_t len;
};

/* Terminated by an entry whose name is NULL. */
extern const struct embedded_schema embedded_schemas[];

#endif
