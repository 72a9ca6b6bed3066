/* SPDX-License-Identifier: MIT */
/* Compiled as C++ (-x c++): the compatibility headers are C only. */
#include "common_tp.h"
