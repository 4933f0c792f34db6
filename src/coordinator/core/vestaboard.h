/* vestaboard.h: text for a Vestaboard (the split-flap board of 6 rows x 22 columns): UTF-8 text
 * to the board's character codes, word-wrapped and centred as the board's own text layout does,
 * and the Local API's message body (a JSON array of 6 arrays of 22 codes). Also which board
 * takes which invocation (offset/stride like a single screen). Pure: no I/O, no JSON library. */
#ifndef PANIC_VESTABOARD_H
#define PANIC_VESTABOARD_H

#include <stddef.h>
#include <stdint.h>

#define VB_ROWS 6
#define VB_COLS 22
#define VB_BLANK 0
/* The longest body vb_body writes: 6 x 22 codes of at most 2 digits, commas, brackets. */
#define VB_BODY_MAX (VB_ROWS * (VB_COLS * 3 + 2) + 8)

/* A message: the code of each row and column. */
struct vb_board {
    uint8_t c[VB_ROWS][VB_COLS];
};

/* The character code of Unicode code point c: A-Z and a-z 1-26, 1-9 27-35, 0 36, the board's
 * punctuation (! @ # $ ( ) - + & = ; : ' " % , . / ?), the usual typographic stand-ins (curly
 * quotes, dashes) and accented Latin letters as their base letter; anything else is blank (0). */
int vb_code(uint32_t c);

/* text (UTF-8; invalid bytes count as unknown characters) laid out on the board: words wrapped
 * at 22 columns (a word longer than a row is cut), line breaks kept, runs of white space one
 * blank, the lines centred across and the block centred down. Text that does not fit ends the
 * sixth row with "...". Returns the rows used (0 for text with nothing to show). */
int vb_layout(const char *text, struct vb_board *board);

/* The Local API body for board, "[[0,0,...],...]", into buf (len >= VB_BODY_MAX); its length. */
size_t vb_body(const struct vb_board *board, char *buf, size_t len);

/* Whether a board at offset/stride takes invocation seq: seq mod stride == offset; the genesis
 * prompt (seq 0, before any output) also on a board with initial_prompt. genesis: 1 for the
 * prompt itself, 0 for a model's output. */
int vb_takes(int offset, int stride, int initial_prompt, int64_t seq, int genesis);

#endif
