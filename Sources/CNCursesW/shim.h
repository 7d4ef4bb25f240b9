// Wide-character ncurses (Debian: libncurses-dev, via libncursesw5-dev). SwiftPM drops pkg-config's
// -D flags, so the wide API is switched on here. Accessors for what Swift cannot import: mutable
// globals (rejected by strict concurrency), NCURSES_BITS / mouse-mask macros, and cchar_t setup.
#ifndef MASKSCOPE_CNCURSESW_SHIM_H
#define MASKSCOPE_CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncursesw/curses.h>
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>

static inline WINDOW *mw_stdscr(void) { return stdscr; }
static inline int mw_colors(void) { return COLORS; }
static inline attr_t mw_a_bold(void) { return A_BOLD; }
static inline attr_t mw_a_reverse(void) { return A_REVERSE; }
static inline attr_t mw_a_underline(void) { return A_UNDERLINE; }
static inline mmask_t mw_button1_pressed(void) { return BUTTON1_PRESSED | BUTTON1_CLICKED; }
static inline mmask_t mw_all_mouse_events(void) { return ALL_MOUSE_EVENTS; }
/// The wheel: xterm reports it as buttons 4 (up) and 5 (down), pressed only.
static inline mmask_t mw_wheel_up(void) { return BUTTON4_PRESSED; }
static inline mmask_t mw_wheel_down(void) {
#if NCURSES_MOUSE_VERSION > 1
    return BUTTON5_PRESSED;
#else
    return 0;
#endif
}
/// One cell: a wide character with a colour pair and attributes.
static inline int mw_put_cell(WINDOW *win, int y, int x, wchar_t ch, int pair, attr_t attrs) {
    wchar_t text[2] = { ch, 0 };
    cchar_t cell;
    setcchar(&cell, text, attrs, (short)0, &pair);
    return mvwadd_wch(win, y, x, &cell);
}
/// nl_langinfo(CODESET): whether the locale can show U+2580.
static inline const char *mw_codeset(void) { return nl_langinfo(CODESET); }
#endif
