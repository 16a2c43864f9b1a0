/* esc.h - peer text is hostile: one escaping helper per output (STYLE.md 8).
 * Each takes arbitrary bytes (possibly invalid UTF-8, NULs, escapes) and
 * appends a safe form to `out`. All return 0, or -1 when out's cap is hit. */
#ifndef MAILTLS_ESC_H
#define MAILTLS_ESC_H

#include <stddef.h>
#include "buf.h"
#include "compiler.h"

/* Terminal: valid UTF-8 printable text passes; C0 and C1 controls, DEL,
 * ESC, bidirectional overrides and invalid bytes become \xHH (or \t, \r,
 * \n, \\) so a banner can never move the cursor or recolour the screen. */
int esc_term(struct buf *out, const void *s, size_t n) WUR;
/* Valid UTF-8 text for JSON strings that is safe to print once decoded:
 * invalid bytes, NUL, controls other than tab and newline, DEL, C1 and
 * bidi controls become \xHH written literally; the backslash itself is
 * doubled so the mapping stays reversible. */
int esc_utf8(struct buf *out, const void *s, size_t n) WUR;
/* HTML text and attribute values: & < > " ' as entities, controls, bidi
 * controls and invalid bytes as U+FFFD. */
int esc_html(struct buf *out, const void *s, size_t n) WUR;
/* One CSV field (RFC 4180): always quoted, quotes doubled; a field that a
 * spreadsheet would take as a formula (starting with = + - @, tab or CR) is
 * prefixed with a single quote. Controls other than tab become spaces, bidi
 * controls and invalid bytes U+FFFD. */
int esc_csv(struct buf *out, const void *s, size_t n) WUR;

/* Convenience: escape a NUL-terminated string into a new heap string. */
char *esc_term_dup(const char *s);

#endif
