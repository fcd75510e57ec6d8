// What the two shims (shim.cpp for the FRTE 1:1 API, shim1n.cpp for the 1:N API) share:
// messages into the caller's buffer, the text of a C++ exception, and opening a library
// that must export a given factory.

#ifndef VERITY_FRTE_SHIM_COMMON_H
#define VERITY_FRTE_SHIM_COMMON_H

#include <dlfcn.h>

#include <cstring>
#include <exception>
#include <string>

namespace verity_shim {

// Returned when the library threw instead of returning a status.
const int THREW = -1;

inline void copy_text(const std::string &text, char *out, size_t capacity) {
    if (capacity == 0) return;
    size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
}

inline int threw(const char *function, const std::exception *e, char *info, size_t capacity) {
    std::string text = std::string(function) + " threw a C++ exception";
    if (e != nullptr) text += std::string(": ") + e->what();
    copy_text(text, info, capacity);
    return THREW;
}

// dlopen the library and check that it exports `factory` (the mangled name of
// `<interface>::getImplementation()`, named `what` in the message). On failure: null,
// and why in `error`.
inline void *open_library(const char *path, const char *factory, const char *what, const char *api, char *error,
                          size_t capacity) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char *why = dlerror();
        copy_text(why != nullptr ? why : "dlopen failed", error, capacity);
        return nullptr;
    }
    if (dlsym(handle, factory) == nullptr) {
        copy_text("it does not export " + std::string(what) + " (symbol " + std::string(factory) +
                      "): not a library built for the FRTE " + std::string(api) + " API",
                  error, capacity);
        dlclose(handle);
        return nullptr;
    }
    return handle;
}

}  // namespace verity_shim

#endif
