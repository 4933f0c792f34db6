/* qr_svg.h: a QR code as an inline SVG for the staff page (the only coordinator file that
 * includes qrencode.h is qr_svg.c). */
#ifndef PANIC_QR_SVG_H
#define PANIC_QR_SVG_H

#include "common/buf.h"

/* Append an <svg> of text's QR code (error correction M, a 2-module quiet zone, dark on white),
 * size px wide, to out. 0, or -1 if text cannot be encoded (nothing appended). */
int qr_svg(const char *text, int size, struct buf *out);

#endif
