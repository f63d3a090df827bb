/* SPDX-License-Identifier: Apache-2.0 */
/* accounts_qr.c — a QR code as SVG (Debian's libqrencode), drawn server-side so the 2FA page
 * needs no script library: one path of unit squares over a 4-module quiet zone. */
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts_int.h"

char *tt__acc_qr_svg(const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return NULL;
    int w = qr->width, size = w + 8;
    /* at most one "M…h1v1h-1z" (<= 24 bytes) per module, plus the frame */
    size_t cap = (size_t)w * (size_t)w * 24 + 512;
    char *svg = malloc(cap);
    if (!svg) {
        QRcode_free(qr);
        return NULL;
    }
    size_t n = (size_t)snprintf(svg, cap,
                                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
                                " shape-rendering=\"crispEdges\" role=\"img\">"
                                "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path d=\"",
                                size, size, size, size);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                n += (size_t)snprintf(svg + n, cap - n, "M%d %dh1v1h-1z", x + 4, y + 4);
    snprintf(svg + n, cap - n, "\" fill=\"#000\"/></svg>");
    sodium_memzero(qr->data, (size_t)w * (size_t)w);
    QRcode_free(qr);
    return svg;
}
