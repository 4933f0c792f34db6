/* qr.h: the QR code of the prompt URL, re-encoded only when the text changes. */
#ifndef PANIC_DISPLAY_QR_H
#define PANIC_DISPLAY_QR_H

struct qr;

/* Owned; qr_free. Starts empty. */
struct qr *qr_new(void);
void qr_free(struct qr *q);
/* Encode text if it differs from the last; "" clears the code. */
void qr_update(struct qr *q, const char *text);
/* width x width bytes, row-major, bit 0 set = dark module, as layout_env.qr wants; NULL and
 * *width 0 when there is no code. Borrowed until the next qr_update. */
const unsigned char *qr_modules(const struct qr *q, int *width);

#endif
