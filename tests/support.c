/* support.c: shared helpers for the integration tests (see support.h). */
typedef int support_placeholder;
