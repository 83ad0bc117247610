/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCI containers that rvisor-runc creates (containers.c). */
#ifndef RVISORD_CONTAINERS_H
#define RVISORD_CONTAINERS_H

#include <json-c/json.h>

#include "varlink.h"

struct manager;

int method_prepare_container(VarlinkCall *call, void *params, void *userdata);
int method_bind_container(VarlinkCall *call, void *params, void *userdata);
int method_release_container(VarlinkCall *call, void *params, void *userdata);
/* Takes over the containers an earlier rvisord bound (their records in m->oci_dir). */
void containers_adopt(struct manager *m);

#endif
