/* compiler.h - attributes the compiler uses to help us (STYLE.md rule 6). */
#ifndef MAILTLS_COMPILER_H
#define MAILTLS_COMPILER_H

#define WUR __attribute__((warn_unused_result))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#define UNUSED __attribute__((unused))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
