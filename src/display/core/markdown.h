/* markdown.h: the Markdown that models answer in, turned into plain text with a style per byte,
 * for text cells (the original rendered it with MDEx). Pure C11 + libc, no allocation.
 *
 * Blocks: paragraphs (consecutive lines joined by a space), blank lines (runs of them kept as
 * one), ATX headings ("# " to "###### ": strong), bullet items ("- ", "* ", "+ ": a bullet
 * "\u2022 "), ordered items ("1. ", kept), block quotes ("> ": the marker dropped), fenced code
 * (``` lines dropped, the lines between kept verbatim as code), thematic breaks (dropped). Inline:
 * `code`, **strong** and __strong__, *emphasis* and _emphasis_ (an opener needs its closer on the
 * same line; "_" only at word boundaries, so snake_case stays), backslash escapes, [links](url)
 * and ![images](url) as their text. Anything else is literal. */
#ifndef PANIC_MARKDOWN_H
#define PANIC_MARKDOWN_H

#include <stddef.h>

enum md_style {
    MD_EM = 1,
    MD_STRONG = 2,
    MD_CODE = 4,
    MD_HEADING = 8,
};

/* Render NUL-terminated src into out (NUL-terminated, at most cap - 1 bytes, cut at a UTF-8
 * boundary) and style (one enum md_style mask per byte of out). Returns the length of out.
 * 2 * strlen(src) + 16 bytes are always enough. */
size_t markdown_plain(const char *src, char *out, unsigned char *style, size_t cap);

#endif
