// lethe/export.h — LETHE_API marks what the shared library liblethe exports: the classes and
// functions of lethe/lethe.h (the library is built with hidden visibility, so nothing internal
// becomes part of its ABI).
#pragma once

#if defined(_WIN32)
#define LETHE_API
#else
#define LETHE_API __attribute__((visibility("default")))
#endif
