/*
 * registry.c: the static tables of providers and resource types, sorted
 * by name.  A provider or type exists for dcform when it is listed here.
 */
#include <string.h>

#include "core/provider.h"
#include "providers/registry.h"

int provider_refresh_batch_size;

static const struct provider *const providers[] = {
    REGISTRY_PROVIDERS NULL,
};

static const struct resource_type *const types[] = {
    REGISTRY_TYPES NULL,
};

const struct provider *provider_lookup(const char *name)
{
	size_t i;

	for (i = 0; providers[i]; i++)
		if (!strcmp(providers[i]->name, name))
			return providers[i];
	return NULL;
}

const struct resource_type *resource_type_lookup(const char *name)
{
	size_t i;

	for (i = 0; types[i]; i++)
		if (!strcmp(types[i]->name, name))
			return types[i];
	return NULL;
}

const struct provider *const *provider_all(void)
{
	return providers;
}

const struct resource_type *const *resource_type_all(void)
{
	return types;
}
