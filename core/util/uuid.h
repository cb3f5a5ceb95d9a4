/* uuid.h: random version-4 UUIDs (lineage, lock ids, request ids). */
#ifndef DCFORM_UUID_H
#define DCFORM_UUID_H

#define UUID_STR_LEN 37

/* Write a random lowercase UUIDv4 with its NUL into out. */
void uuid_v4(char out[UUID_STR_LEN]);

#endif
