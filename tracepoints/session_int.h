/* SPDX-License-Identifier: MIT */
/* Private to librseqtrace: the in-process session's hooks for init.c. */
#ifndef RT_SESSION_INT_H
#define RT_SESSION_INT_H

void rt_session_from_env(void);
void rt_session_before_fork(void);
void rt_session_after_fork_parent(void);
void rt_session_after_fork_child(void);

#endif
