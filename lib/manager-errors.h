/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.rvisor.Manager's errors: the one list rvisord, rvisorctl and rvisor-runc name them from
 * (tests/unit/test-manager-idl.c holds it to rvisord/io.rvisor.Manager.varlink, both ways).
 * MANAGER_ERROR(SandboxNotFound) is "io.rvisor.Manager.SandboxNotFound"; a name that is not in
 * the list does not compile.
 */
#ifndef RVISOR_MANAGER_ERRORS_H
#define RVISOR_MANAGER_ERRORS_H

#define MANAGER_INTERFACE "io.rvisor.Manager"

#define MANAGER_ERRORS(X)                                                                       \
	X(ImageNotFound) X(PolicyNotFound) X(PolicyInvalid) X(SandboxNotFound) X(SandboxRunning)  \
	X(SandboxNotRunning) X(SandboxNotDetached) X(SandboxIsContainer) X(NameInUse)            \
	X(NameAmbiguous) X(KernelLayerUnavailable) X(PermissionDenied) X(ResourceExhausted)      \
	X(LimitAbovePolicy) X(CpusetUnavailable) X(BadFileDescriptor) X(MountInvalid)            \
	X(UserNotPermitted) X(SandboxFailed) X(ExecFailed) X(ContainerExists) X(ContainerNotFound)

#define MANAGER_ERROR_ID_(name) MANAGER_ERROR_ID_##name,
enum manager_error_id { MANAGER_ERRORS(MANAGER_ERROR_ID_) _MANAGER_ERROR_ID_MAX };

#define MANAGER_ERROR(name) (&(MANAGER_INTERFACE "." #name)[0 * MANAGER_ERROR_ID_##name])

#endif
