/* version.h: the version every program reports (panicd's health, a display's heartbeat). */
#ifndef PANIC_VERSION_H
#define PANIC_VERSION_H

#define PANIC_VERSION "0.1.0"

#endif
