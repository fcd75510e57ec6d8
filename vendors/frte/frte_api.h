// Declarations of the NIST FRTE (formerly FRVT) 1:1 API, version 4.0, with the shared
// structures of its version 1.1, written for verity from NIST's published
// specification (docs/adapters.md, "frte"). A library built for NIST's 1:1 evaluation
// exports `FRVT_11::Interface::getImplementation()` and the version numbers below; the
// shim (shim.cpp) calls it through these declarations, so their layout (member order,
// virtual function order, enumerator values) must be exactly the API's.

#ifndef VERITY_FRTE_API_H
#define VERITY_FRTE_API_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace FRVT {

// One image: raster rows, RGB (depth 24) or intensity (depth 8).
struct Image {
    enum class Label { Unknown = 0, Iso, Mugshot, Photojournalism, Exploitation, Wild };
    uint16_t width;
    uint16_t height;
    uint8_t depth;
    std::shared_ptr<uint8_t> data;
    Label description;

    Image() : width{0}, height{0}, depth{24}, description{Label::Unknown} {}
    Image(uint16_t w, uint16_t h, uint8_t d, std::shared_ptr<uint8_t> &px, Label l)
        : width{w}, height{h}, depth{d}, data{px}, description{l} {}
};

// The images of one person given to one template.
using Multiface = std::vector<Image>;

enum class TemplateRole { Enrollment_11 = 0, Verification_11, Enrollment_1N, Search_1N };

enum class ReturnCode {
    Success = 0,
    UnknownError,
    ConfigError,
    RefuseInput,
    ExtractError,
    ParseError,
    TemplateCreationError,
    VerifTemplateError,
    FaceDetectionError,
    NumDataError,
    TemplateFormatError,
    EnrollDirError,
    InputLocationError,
    MemoryError,
    MatchError,
    QualityAssessmentError,
    NotImplemented,
    VendorError
};

struct ReturnStatus {
    ReturnCode code;
    std::string info;
    ReturnStatus() : code{ReturnCode::UnknownError} {}
    ReturnStatus(const ReturnCode c, const std::string &i = "") : code{c}, info{i} {}
};

struct EyePair {
    bool isLeftAssigned;
    bool isRightAssigned;
    uint16_t xleft;
    uint16_t yleft;
    uint16_t xright;
    uint16_t yright;
    EyePair() : isLeftAssigned{false}, isRightAssigned{false}, xleft{0}, yleft{0}, xright{0}, yright{0} {}
};

extern uint16_t FRVT_STRUCTS_MAJOR_VERSION;
extern uint16_t FRVT_STRUCTS_MINOR_VERSION;

}  // namespace FRVT

namespace FRVT_11 {

// The 1:1 interface a submission implements.
class Interface {
  public:
    virtual ~Interface() {}
    virtual FRVT::ReturnStatus initialize(const std::string &configDir) = 0;
    virtual FRVT::ReturnStatus createTemplate(const FRVT::Multiface &faces, FRVT::TemplateRole role,
                                              std::vector<uint8_t> &templ,
                                              std::vector<FRVT::EyePair> &eyeCoordinates) = 0;
    virtual FRVT::ReturnStatus matchTemplates(const std::vector<uint8_t> &verifTemplate,
                                              const std::vector<uint8_t> &enrollTemplate, double &similarity) = 0;
    static std::shared_ptr<Interface> getImplementation();
};

extern uint16_t API_MAJOR_VERSION;
extern uint16_t API_MINOR_VERSION;

}  // namespace FRVT_11

#endif
