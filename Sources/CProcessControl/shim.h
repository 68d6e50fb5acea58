// Linux process control that Swift cannot call directly: prctl(2) is variadic.
#ifndef RBM_CPROCESSCONTROL_SHIM_H
#define RBM_CPROCESSCONTROL_SHIM_H
#include <signal.h>
#include <sys/prctl.h>

/// Asks the kernel to send this process SIGKILL when the thread that started it ends
/// (with its process, however that ends: _exit, SIGKILL, a crash). 0 on success.
static inline int rbm_kill_this_process_when_parent_ends(void) {
    return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}
#endif
