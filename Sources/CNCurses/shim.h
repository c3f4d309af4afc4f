// ncursesw (Debian: libncurses-dev) with wide characters, plus small functions for what Swift cannot
// import: macros (LINES, COLS, COLORS, the A_* attributes) and the locale call that must come before initscr.
#ifndef BNAS_CNCURSES_SHIM_H
#define BNAS_CNCURSES_SHIM_H

#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <ncursesw/curses.h>

/// Selects the user's locale so ncursesw reads and writes UTF-8; call before initscr.
static inline void bnas_use_user_locale(void) { setlocale(LC_ALL, ""); }

static inline int bnas_lines(void) { return LINES; }
static inline int bnas_columns(void) { return COLS; }
static inline int bnas_colors(void) { return COLORS; }

static inline attr_t bnas_attr_bold(void) { return A_BOLD; }
static inline attr_t bnas_attr_dim(void) { return A_DIM; }
static inline attr_t bnas_attr_reverse(void) { return A_REVERSE; }
static inline attr_t bnas_attr_underline(void) { return A_UNDERLINE; }

/// Sets the attributes and an extended colour pair (beyond 32767 pairs where the terminal has them).
static inline int bnas_set_attributes(attr_t attributes, int pair) {
    return attr_set(attributes, (short)(pair < 32767 ? pair : 0), &pair);
}

#endif
