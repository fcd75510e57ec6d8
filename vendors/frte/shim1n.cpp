// verity's C ABI over an FRTE 1:N library (frte1n_api.h), as shim.cpp is over a 1:1
// library: the library is opened with dlopen, its factory and version numbers looked up
// by their C++ names, and every call into it wrapped so that no C++ exception crosses
// into Rust. Used by the `frte` adapter's worker process (vendors/src/frte_worker.rs),
// never by the main process.

#define VERITY_FRTE1N_PRIVATE
#include "frte1n_api.h"

#include <dlfcn.h>

#include "shim_common.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

using namespace verity_frte1n;

namespace {

using namespace verity_shim;

// The C++ names of what an FRTE 1:N library exports (Itanium ABI mangling).
const char *const FACTORY = "_ZN7FRVT_1N9Interface17getImplementationEv";
const char *const VERSION_SYMBOLS[4] = {
    "_ZN7FRVT_1N17API_MAJOR_VERSIONE",
    "_ZN7FRVT_1N17API_MINOR_VERSIONE",
    "_ZN4FRVT26FRVT_STRUCTS_MAJOR_VERSIONE",
    "_ZN4FRVT26FRVT_STRUCTS_MINOR_VERSIONE",
};

struct Library {
    void *handle;
    std::shared_ptr<FRVT_1N::Interface> implementation;
};

int status(const FRVT::ReturnStatus &s, char *info, size_t capacity) {
    copy_text(s.info, info, capacity);
    return static_cast<int>(s.code);
}

// Copy bytes into a malloc'd buffer the caller frees with verity_frte_free.
bool give(const std::vector<uint8_t> &bytes, uint8_t **out, size_t *out_len) {
    uint8_t *buffer = static_cast<uint8_t *>(std::malloc(bytes.empty() ? 1 : bytes.size()));
    if (buffer == nullptr) return false;
    if (!bytes.empty()) std::memcpy(buffer, bytes.data(), bytes.size());
    *out = buffer;
    *out_len = bytes.size();
    return true;
}

}  // namespace

extern "C" {

// Open the library and look up its factory. On failure: null, and why in `error`.
void *verity_frte1n_open(const char *path, char *error, size_t capacity) {
    void *handle = open_library(path, FACTORY, "FRVT_1N::Interface::getImplementation()", "1:N", error, capacity);
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
int verity_frte1n_version(void *library, int which) {
    if (which < 0 || which > 3) return -1;
    void *symbol = dlsym(static_cast<Library *>(library)->handle, VERSION_SYMBOLS[which]);
    if (symbol == nullptr) return -1;
    return *static_cast<const uint16_t *>(symbol);
}

// Make the implementation: 0, or -1 when the factory threw, 1 when it returned null.
int verity_frte1n_make(void *library, char *info, size_t capacity) {
    Library *lib = static_cast<Library *>(library);
    typedef std::shared_ptr<FRVT_1N::Interface> (*Factory)();
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
        return 1;
    }
    return 0;
}

// initializeTemplateCreation(configDir, role): its ReturnCode, or -1.
int verity_frte1n_init_templates(void *library, const char *config_dir, int role, char *info, size_t capacity) {
    Library *lib = static_cast<Library *>(library);
    try {
        return status(lib->implementation->initializeTemplateCreation(std::string(config_dir),
                                                                      static_cast<FRVT::TemplateRole>(role)),
                      info, capacity);
    } catch (const std::exception &e) {
        return threw("initializeTemplateCreation", &e, info, capacity);
    } catch (...) {
        return threw("initializeTemplateCreation", nullptr, info, capacity);
    }
}

// createFaceTemplate from one image. On success the template is in a malloc'd buffer
// the caller frees with verity_frte_free.
int verity_frte1n_create_template(void *library, uint16_t width, uint16_t height, uint8_t depth,
                                  uint8_t description, const uint8_t *pixels, int role, uint8_t **out,
                                  size_t *out_len, char *info, size_t capacity) {
    Library *lib = static_cast<Library *>(library);
    *out = nullptr;
    *out_len = 0;
    try {
        size_t size = static_cast<size_t>(width) * height * (depth / 8);
        std::shared_ptr<uint8_t> data(new uint8_t[size], std::default_delete<uint8_t[]>());
        std::memcpy(data.get(), pixels, size);
        std::vector<FRVT::Image> faces{FRVT::Image(width, height, depth, data,
                                                   static_cast<FRVT::Image::ImageDescription>(description),
                                                   FRVT::Image::Illuminant::Unspecified)};
        std::vector<uint8_t> templ;
        std::vector<FRVT::EyePair> eyes;
        FRVT::ReturnStatus s =
            lib->implementation->createFaceTemplate(faces, static_cast<FRVT::TemplateRole>(role), templ, eyes);
        int code = status(s, info, capacity);
        if (s.code == FRVT::ReturnCode::Success && !give(templ, out, out_len)) {
            copy_text("out of memory copying the template", info, capacity);
            return static_cast<int>(FRVT::ReturnCode::MemoryError);
        }
        return code;
    } catch (const std::exception &e) {
        return threw("createFaceTemplate", &e, info, capacity);
    } catch (...) {
        return threw("createFaceTemplate", nullptr, info, capacity);
    }
}

// finalizeEnrollment(configDir, enrollmentDir, edb, manifest, Unconsolidated).
int verity_frte1n_finalize(void *library, const char *config_dir, const char *enrollment_dir, const char *edb,
                           const char *manifest, char *info, size_t capacity) {
    Library *lib = static_cast<Library *>(library);
    try {
        return status(lib->implementation->finalizeEnrollment(std::string(config_dir), std::string(enrollment_dir),
                                                              std::string(edb), std::string(manifest),
                                                              FRVT_1N::GalleryType::Unconsolidated),
                      info, capacity);
    } catch (const std::exception &e) {
        return threw("finalizeEnrollment", &e, info, capacity);
    } catch (...) {
        return threw("finalizeEnrollment", nullptr, info, capacity);
    }
}

// initializeIdentification(configDir, enrollmentDir).
int verity_frte1n_init_identification(void *library, const char *config_dir, const char *enrollment_dir,
                                      char *info, size_t capacity) {
    Library *lib = static_cast<Library *>(library);
    try {
        return status(
            lib->implementation->initializeIdentification(std::string(config_dir), std::string(enrollment_dir)),
            info, capacity);
    } catch (const std::exception &e) {
        return threw("initializeIdentification", &e, info, capacity);
    } catch (...) {
        return threw("initializeIdentification", nullptr, info, capacity);
    }
}

// identifyTemplate(template, n). On success the candidates are in a malloc'd buffer the
// caller frees with verity_frte_free: for each, one byte isAssigned, the score as 8
// bytes (little-endian f64), the id's length as 4 bytes (little-endian) and its bytes.
int verity_frte1n_identify(void *library, const uint8_t *templ, size_t templ_len, uint32_t candidates,
                           uint8_t **out, size_t *out_len, char *info, size_t capacity) {
    Library *lib = static_cast<Library *>(library);
    *out = nullptr;
    *out_len = 0;
    try {
        std::vector<uint8_t> probe(templ, templ + templ_len);
        std::vector<FRVT_1N::Candidate> list;
        FRVT::ReturnStatus s = lib->implementation->identifyTemplate(probe, candidates, list);
        int code = status(s, info, capacity);
        if (s.code != FRVT::ReturnCode::Success) return code;
        std::vector<uint8_t> bytes;
        for (const FRVT_1N::Candidate &c : list) {
            bytes.push_back(c.isAssigned ? 1 : 0);
            uint8_t score[8];
            std::memcpy(score, &c.score, 8);
            bytes.insert(bytes.end(), score, score + 8);
            uint32_t n = static_cast<uint32_t>(c.templateId.size());
            for (int i = 0; i < 4; i++) bytes.push_back(static_cast<uint8_t>(n >> (8 * i)));
            bytes.insert(bytes.end(), c.templateId.begin(), c.templateId.end());
        }
        if (!give(bytes, out, out_len)) {
            copy_text("out of memory copying the candidates", info, capacity);
            return static_cast<int>(FRVT::ReturnCode::MemoryError);
        }
        return code;
    } catch (const std::exception &e) {
        return threw("identifyTemplate", &e, info, capacity);
    } catch (...) {
        return threw("identifyTemplate", nullptr, info, capacity);
    }
}

}  // extern "C"
