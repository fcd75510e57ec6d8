// verity's C ABI over an FRTE 1:1 library (frte_api.h): the library is opened with
// dlopen, its factory and version numbers looked up by their C++ names, and every call
// into it wrapped so that no C++ exception crosses into Rust. Used by the `frte`
// adapter's worker process (vendors/src/frte_worker.rs), never by the main process.

#include "frte_api.h"

#include <dlfcn.h>

#include "shim_common.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

namespace {

using namespace verity_shim;

// The C++ names of what an FRTE 1:1 library exports (Itanium ABI mangling).
const char *const FACTORY = "_ZN7FRVT_119Interface17getImplementationEv";
const char *const VERSION_SYMBOLS[4] = {
    "_ZN7FRVT_1117API_MAJOR_VERSIONE",
    "_ZN7FRVT_1117API_MINOR_VERSIONE",
    "_ZN4FRVT26FRVT_STRUCTS_MAJOR_VERSIONE",
    "_ZN4FRVT26FRVT_STRUCTS_MINOR_VERSIONE",
};

struct Library {
    void *handle;
    std::shared_ptr<FRVT_11::Interface> implementation;
};

}  // namespace

extern "C" {

// Open the library and look up its factory. On failure: null, and why in `error`.
void *verity_frte_open(const char *path, char *error, size_t capacity) {
    void *handle = open_library(path, FACTORY, "FRVT_11::Interface::getImplementation()", "1:1", error, capacity);
    if (handle == nullptr) return nullptr;
    Library *library = new (std::nothrow) Library{handle, nullptr};
    if (library == nullptr) {
        copy_text("out of memory", error, capacity);
        dlclose(handle);
    }
    return library;
}

// A version number the library exports (0: API major, 1: API minor, 2: structs major,
// 3: structs minor), or -1 when it does not export it.
int verity_frte_version(void *library, int which) {
    if (which < 0 || which > 3) return -1;
    void *symbol = dlsym(static_cast<Library *>(library)->handle, VERSION_SYMBOLS[which]);
    if (symbol == nullptr) return -1;
    return *static_cast<const uint16_t *>(symbol);
}

// Make the implementation and call initialize(configDir): its ReturnCode, or -1.
int verity_frte_initialize(void *library, const char *config_dir, char *info, size_t capacity) {
    Library *lib = static_cast<Library *>(library);
    typedef std::shared_ptr<FRVT_11::Interface> (*Factory)();
    Factory factory = reinterpret_cast<Factory>(dlsym(lib->handle, FACTORY));
    try {
        lib->implementation = factory();
    } catch (const std::exception &e) {
        return threw("getImplementation", &e, info, capacity);
    } catch (...) {
        return threw("getImplementation", nullptr, info, capacity);
    }
    if (!lib->implementation) {
        copy_text("getImplementation() returned a null pointer", info, capacity);
        return static_cast<int>(FRVT::ReturnCode::UnknownError);
    }
    try {
        FRVT::ReturnStatus status = lib->implementation->initialize(std::string(config_dir));
        copy_text(status.info, info, capacity);
        return static_cast<int>(status.code);
    } catch (const std::exception &e) {
        return threw("initialize", &e, info, capacity);
    } catch (...) {
        return threw("initialize", nullptr, info, capacity);
    }
}

// createTemplate from one image. On success the template is in a malloc'd buffer the
// caller frees with verity_frte_free.
int verity_frte_create_template(void *library, uint16_t width, uint16_t height, uint8_t depth, uint8_t label,
                                const uint8_t *pixels, int role, uint8_t **out, size_t *out_len, char *info,
                                size_t capacity) {
    Library *lib = static_cast<Library *>(library);
    *out = nullptr;
    *out_len = 0;
    try {
        size_t size = static_cast<size_t>(width) * height * (depth / 8);
        std::shared_ptr<uint8_t> data(new uint8_t[size], std::default_delete<uint8_t[]>());
        std::memcpy(data.get(), pixels, size);
        FRVT::Multiface faces{FRVT::Image(width, height, depth, data, static_cast<FRVT::Image::Label>(label))};
        std::vector<uint8_t> templ;
        std::vector<FRVT::EyePair> eyes;
        FRVT::ReturnStatus status =
            lib->implementation->createTemplate(faces, static_cast<FRVT::TemplateRole>(role), templ, eyes);
        copy_text(status.info, info, capacity);
        if (status.code == FRVT::ReturnCode::Success) {
            uint8_t *buffer = static_cast<uint8_t *>(std::malloc(templ.empty() ? 1 : templ.size()));
            if (buffer == nullptr) {
                copy_text("out of memory copying the template", info, capacity);
                return static_cast<int>(FRVT::ReturnCode::MemoryError);
            }
            if (!templ.empty()) std::memcpy(buffer, templ.data(), templ.size());
            *out = buffer;
            *out_len = templ.size();
        }
        return static_cast<int>(status.code);
    } catch (const std::exception &e) {
        return threw("createTemplate", &e, info, capacity);
    } catch (...) {
        return threw("createTemplate", nullptr, info, capacity);
    }
}

// matchTemplates(verification, enrolment) -> similarity.
int verity_frte_match(void *library, const uint8_t *verif, size_t verif_len, const uint8_t *enrol,
                      size_t enrol_len, double *similarity, char *info, size_t capacity) {
    Library *lib = static_cast<Library *>(library);
    try {
        std::vector<uint8_t> a(verif, verif + verif_len);
        std::vector<uint8_t> b(enrol, enrol + enrol_len);
        double score = -1.0;
        FRVT::ReturnStatus status = lib->implementation->matchTemplates(a, b, score);
        copy_text(status.info, info, capacity);
        *similarity = score;
        return static_cast<int>(status.code);
    } catch (const std::exception &e) {
        return threw("matchTemplates", &e, info, capacity);
    } catch (...) {
        return threw("matchTemplates", nullptr, info, capacity);
    }
}

void verity_frte_free(uint8_t *buffer) { std::free(buffer); }

}  // extern "C"
