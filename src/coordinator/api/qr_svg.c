/* qr_svg.c: QR codes as inline SVG (see qr_svg.h), one path of unit squares, so the staff page
 * needs no image route and no script. libqrencode's adapter for panicd; depends on common/buf. */
#include "qr_svg.h"

#include <qrencode.h>

#define QUIET 2

int qr_svg(const char *text, int size, struct buf *out)
{
    QRcode *code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!code)
        return -1;
    int w = code->width, total = w + 2 * QUIET;
    buf_printf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\" role=\"img\">"
               "<path fill=\"#fff\" d=\"M0 0h%dv%dH0z\"/><path fill=\"#000\" d=\"",
               size, size, total, total, total, total);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (code->data[y * w + x] & 1)
                buf_printf(out, "M%d %dh1v1h-1z", x + QUIET, y + QUIET);
    buf_puts(out, "\"/></svg>");
    QRcode_free(code);
    return 0;
}
