/* qr.c: the prompt URL's QR code through libqrencode (see qr.h), the only file that includes
 * qrencode.h. Nothing here draws: layout.c places the modules and render_sdl.c fills them. */
#include "qr.h"
#include "common/util.h"

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct qr {
    QRcode *code;
    char text[512]; /* what code encodes, as app.prompt_url holds it */
};

struct qr *qr_new(void)
{
    return xcalloc(1, sizeof(struct qr));
}

void qr_free(struct qr *q)
{
    if (!q)
        return;
    QRcode_free(q->code);
    free(q);
}

void qr_update(struct qr *q, const char *text)
{
    if (!strcmp(q->text, text))
        return;
    snprintf(q->text, sizeof q->text, "%s", text);
    QRcode_free(q->code);
    q->code = text[0] ? QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) : NULL;
}

const unsigned char *qr_modules(const struct qr *q, int *width)
{
    *width = q->code ? q->code->width : 0;
    return q->code ? q->code->data : NULL;
}
