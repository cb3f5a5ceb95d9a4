/*
 * registry.h: what registry.c lists.  Each provider file defines its
 * `const struct provider <name>_provider` and each resource type file its
 * `const struct resource_type <type>_type`; add them here, sorted.
 */
#ifndef DCFORM_REGISTRY_H
#define DCFORM_REGISTRY_H

#include "core/provider.h"

#include "providers/jdcloud/jdcloud.h"
#include "providers/tencentcloud/tencentcloud.h"

#define REGISTRY_PROVIDERS &jdcloud_provider, &tencentcloud_provider,
#define REGISTRY_TYPES                                                 \
	&jdcloud_dc_bgw_type, &jdcloud_dc_bgw_route_type,              \
	    &jdcloud_dc_connection_type, &jdcloud_dc_private_vif_type, \
	    &jdcloud_dc_vpc_attachment_type, &tencentcloud_dcdb_instance_type,

#endif
