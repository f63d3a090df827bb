/* SPDX-License-Identifier: Apache-2.0 */
/* tutela.h — the public API of libtutela: in-process privacy decisions for C programs. */
#ifndef TUTELA_H
#define TUTELA_H

#define TUTELA_VERSION_MAJOR 0
#define TUTELA_VERSION_MINOR 1

#endif
