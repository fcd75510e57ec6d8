// Declarations of the NIST FRTE (formerly FRVT) 1:N API, version 3.0, with the shared
// structures of its version 3.0, written for verity from NIST's published specification
// (docs/adapters.md, "frte"). A library built for NIST's 1:N evaluation exports
// `FRVT_1N::Interface::getImplementation()` and the version numbers below; the shim
// (shim1n.cpp) calls it through these declarations, so their layout (member order,
// virtual function order, enumerator values) must be exactly the API's.
//
// The 1:1 API (frte_api.h) has other structures under the same names. The shim compiles
// these inside `namespace verity_frte1n` (VERITY_FRTE1N_PRIVATE) so that the two sets of
// inline functions never meet in one program; a library (the tests' null
// implementation) includes them as they are, under NIST's own names.

#ifndef VERITY_FRTE1N_API_H
#define VERITY_FRTE1N_API_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#ifdef VERITY_FRTE1N_PRIVATE
namespace verity_frte1n {
#endif

namespace FRVT {

// One image: raster rows, RGB (depth 24) or intensity (depth 8).
struct Image {
    enum class ImageDescription {
        FaceUnknown = 0,
        FaceIso = 1,
        FaceMugshot = 2,
        FacePhotojournalism = 3,
        FaceWild = 4,
        IrisUnknown = 5,
        IrisNIR = 6,
        IrisWild = 7
    };
    enum class Illuminant { Unspecified = 0, Visible = 1, NIR = 2, SWIR = 3, MWIR = 4, LWIR = 5 };
    enum class IrisLR { Unspecified = 0, RightIris = 1, LeftIris = 2 };

    uint16_t width;
    uint16_t height;
    uint8_t depth;
    std::shared_ptr<uint8_t> data;
    ImageDescription description;
    Illuminant illuminant;
    IrisLR irisLR;

    Image()
        : width{0}, height{0}, depth{24}, description{ImageDescription::FaceUnknown},
          illuminant{Illuminant::Unspecified}, irisLR{IrisLR::Unspecified} {}
    Image(uint16_t w, uint16_t h, uint8_t d, std::shared_ptr<uint8_t> &px, ImageDescription desc, Illuminant light,
          IrisLR lr = IrisLR::Unspecified)
        : width{w}, height{h}, depth{d}, data{px}, description{desc}, illuminant{light}, irisLR{lr} {}
};

struct IrisAnnulus {
    uint16_t limbusCenterX;
    uint16_t limbusCenterY;
    uint16_t pupilRadius;
    uint16_t limbusRadius;
    IrisAnnulus() : limbusCenterX{0}, limbusCenterY{0}, pupilRadius{0}, limbusRadius{0} {}
};

enum class TemplateRole { Enrollment_11 = 0, Verification_11 = 1, Enrollment_1N = 2, Search_1N = 3 };

enum class ReturnCode {
    Success = 0,
    UnknownError = 1,
    ConfigError = 2,
    RefuseInput = 3,
    ExtractError = 4,
    ParseError = 5,
    TemplateCreationError = 6,
    VerifTemplateError = 7,
    FaceDetectionError = 8,
    NumDataError = 9,
    TemplateFormatError = 10,
    EnrollDirError = 11,
    InputLocationError = 12,
    MemoryError = 13,
    MatchError = 14,
    QualityAssessmentError = 15,
    NotImplemented = 16,
    VendorError = 17
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

namespace FRVT_1N {

// The composition of a gallery, given to finalizeEnrollment.
enum class GalleryType { Consolidated = 0, Unconsolidated = 1 };

// One entry of a candidate list.
struct Candidate {
    bool isAssigned;
    std::string templateId;
    double score;
    Candidate() : isAssigned{false}, templateId{""}, score{-1.0} {}
    Candidate(bool assigned, std::string id, double s) : isAssigned{assigned}, templateId{id}, score{s} {}
};

// The 1:N interface a submission implements.
class Interface {
  public:
    virtual ~Interface() {}
    virtual FRVT::ReturnStatus initializeTemplateCreation(const std::string &configDir, FRVT::TemplateRole role) = 0;
    virtual FRVT::ReturnStatus createFaceTemplate(const std::vector<FRVT::Image> &faces, FRVT::TemplateRole role,
                                                  std::vector<uint8_t> &templ,
                                                  std::vector<FRVT::EyePair> &eyeCoordinates) = 0;
    virtual FRVT::ReturnStatus createFaceTemplate(const FRVT::Image &image, FRVT::TemplateRole role,
                                                  std::vector<std::vector<uint8_t>> &templs,
                                                  std::vector<FRVT::EyePair> &eyeCoordinates) = 0;
    virtual FRVT::ReturnStatus createIrisTemplate(const std::vector<FRVT::Image> &irises, FRVT::TemplateRole role,
                                                  std::vector<uint8_t> &templ,
                                                  std::vector<FRVT::IrisAnnulus> &irisLocations) = 0;
    virtual FRVT::ReturnStatus createFaceAndIrisTemplate(const std::vector<FRVT::Image> &facesIrises,
                                                         FRVT::TemplateRole role, std::vector<uint8_t> &templ) = 0;
    virtual FRVT::ReturnStatus finalizeEnrollment(const std::string &configDir, const std::string &enrollmentDir,
                                                  const std::string &edbName, const std::string &edbManifestName,
                                                  GalleryType galleryType) = 0;
    virtual FRVT::ReturnStatus initializeIdentification(const std::string &configDir,
                                                        const std::string &enrollmentDir) = 0;
    virtual FRVT::ReturnStatus identifyTemplate(const std::vector<uint8_t> &idTemplate,
                                                const uint32_t candidateListLength,
                                                std::vector<Candidate> &candidateList) = 0;
    static std::shared_ptr<Interface> getImplementation();
};

extern uint16_t API_MAJOR_VERSION;
extern uint16_t API_MINOR_VERSION;

}  // namespace FRVT_1N

#ifdef VERITY_FRTE1N_PRIVATE
}  // namespace verity_frte1n
#endif

#endif
