#include "render/gl_context.h"

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GL/osmesa.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace rlfleet {
namespace {

// A dlopen'ed library, closed on destruction unless kept loaded.
class Library {
 public:
  Library(const char* const* names, int flags) {
    for (const char* const* n = names; *n != nullptr && handle_ == nullptr; ++n) {
      handle_ = dlopen(*n, flags);
    }
  }
  ~Library() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  bool ok() const { return handle_ != nullptr; }
  // Keeps the library loaded for the rest of the process: MuJoCo's GL loader keeps the
  // function pointers it took from it, and they must outlive this context.
  void KeepLoaded() { handle_ = nullptr; }
  template <typename F>
  F Symbol(const char* name) const {
    return reinterpret_cast<F>(dlsym(handle_, name));
  }

 private:
  void* handle_ = nullptr;
};

constexpr const char* kEglNames[] = {"libEGL.so.1", "libEGL.so", nullptr};
constexpr const char* kOsmesaNames[] = {"libOSMesa.so.8", "libOSMesa.so.6", "libOSMesa.so",
                                        nullptr};

class EglContext : public GlContext {
 public:
  EglContext() : library_(kEglNames, RTLD_NOW | RTLD_GLOBAL) {
    if (!library_.ok()) throw std::runtime_error("libEGL.so.1 cannot be loaded");
    auto get_proc = library_.Symbol<PFNEGLGETPROCADDRESSPROC>("eglGetProcAddress");
    initialize_ = library_.Symbol<PFNEGLINITIALIZEPROC>("eglInitialize");
    terminate_ = library_.Symbol<PFNEGLTERMINATEPROC>("eglTerminate");
    choose_config_ = library_.Symbol<PFNEGLCHOOSECONFIGPROC>("eglChooseConfig");
    bind_api_ = library_.Symbol<PFNEGLBINDAPIPROC>("eglBindAPI");
    create_context_ = library_.Symbol<PFNEGLCREATECONTEXTPROC>("eglCreateContext");
    destroy_context_ = library_.Symbol<PFNEGLDESTROYCONTEXTPROC>("eglDestroyContext");
    make_current_ = library_.Symbol<PFNEGLMAKECURRENTPROC>("eglMakeCurrent");
    get_error_ = library_.Symbol<PFNEGLGETERRORPROC>("eglGetError");
    if (!get_proc || !initialize_ || !terminate_ || !choose_config_ || !bind_api_ ||
        !create_context_ || !destroy_context_ || !make_current_ || !get_error_) {
      throw std::runtime_error("libEGL lacks an EGL 1.4 entry point");
    }
    auto get_display =
        reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(get_proc("eglGetPlatformDisplayEXT"));
    if (get_display == nullptr) {
      throw std::runtime_error("EGL has no eglGetPlatformDisplayEXT (EGL_EXT_platform_base)");
    }
    display_ = get_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
    if (display_ == EGL_NO_DISPLAY) {
      throw std::runtime_error("EGL has no surfaceless platform (EGL_MESA_platform_surfaceless)");
    }
    EGLint major = 0, minor = 0;
    if (!initialize_(display_, &major, &minor)) {
      display_ = EGL_NO_DISPLAY;
      throw std::runtime_error("eglInitialize failed on the surfaceless platform (error " +
                               Hex(get_error_()) + ")");
    }
    const EGLint attributes[] = {EGL_RED_SIZE,
                                 8,
                                 EGL_GREEN_SIZE,
                                 8,
                                 EGL_BLUE_SIZE,
                                 8,
                                 EGL_ALPHA_SIZE,
                                 8,
                                 EGL_DEPTH_SIZE,
                                 24,
                                 EGL_STENCIL_SIZE,
                                 8,
                                 EGL_RENDERABLE_TYPE,
                                 EGL_OPENGL_BIT,
                                 EGL_SURFACE_TYPE,
                                 EGL_PBUFFER_BIT,
                                 EGL_NONE};
    EGLConfig config = nullptr;
    EGLint count = 0;
    if (!choose_config_(display_, attributes, &config, 1, &count) || count < 1) {
      Release();
      throw std::runtime_error("EGL has no RGBA8 / depth 24 / stencil 8 OpenGL config");
    }
    if (!bind_api_(EGL_OPENGL_API)) {
      Release();
      throw std::runtime_error("EGL cannot bind the desktop OpenGL API");
    }
    context_ = create_context_(display_, config, EGL_NO_CONTEXT, nullptr);
    if (context_ == EGL_NO_CONTEXT) {
      Release();
      throw std::runtime_error("eglCreateContext failed (error " + Hex(get_error_()) + ")");
    }
    MakeCurrent();
    library_.KeepLoaded();
  }
  ~EglContext() override { Release(); }

  void MakeCurrent() override {
    if (!make_current_(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, context_)) {
      throw std::runtime_error("eglMakeCurrent failed (error " + Hex(get_error_()) + ")");
    }
  }
  const char* name() const override { return "egl"; }

 private:
  static std::string Hex(EGLint value) {
    char text[16];
    std::snprintf(text, sizeof(text), "0x%04x", static_cast<unsigned>(value));
    return text;
  }
  void Release() {
    if (display_ == EGL_NO_DISPLAY) return;
    make_current_(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    if (context_ != EGL_NO_CONTEXT) destroy_context_(display_, context_);
    context_ = EGL_NO_CONTEXT;
    // Not eglTerminate: the display is shared by every context of the process.
    display_ = EGL_NO_DISPLAY;
  }

  Library library_;
  PFNEGLINITIALIZEPROC initialize_ = nullptr;
  PFNEGLTERMINATEPROC terminate_ = nullptr;
  PFNEGLCHOOSECONFIGPROC choose_config_ = nullptr;
  PFNEGLBINDAPIPROC bind_api_ = nullptr;
  PFNEGLCREATECONTEXTPROC create_context_ = nullptr;
  PFNEGLDESTROYCONTEXTPROC destroy_context_ = nullptr;
  PFNEGLMAKECURRENTPROC make_current_ = nullptr;
  PFNEGLGETERRORPROC get_error_ = nullptr;
  EGLDisplay display_ = EGL_NO_DISPLAY;
  EGLContext context_ = EGL_NO_CONTEXT;
};

class OsmesaContext : public GlContext {
 public:
  OsmesaContext() : library_(kOsmesaNames, RTLD_NOW | RTLD_GLOBAL) {
    if (!library_.ok()) throw std::runtime_error("libOSMesa cannot be loaded");
    using CreateExt = OSMesaContext (*)(GLenum, GLint, GLint, GLint, OSMesaContext);
    using MakeCurrentFn = GLboolean (*)(OSMesaContext, void*, GLenum, GLsizei, GLsizei);
    using Destroy = void (*)(OSMesaContext);
    create_ = library_.Symbol<CreateExt>("OSMesaCreateContextExt");
    make_current_ = library_.Symbol<MakeCurrentFn>("OSMesaMakeCurrent");
    destroy_ = library_.Symbol<Destroy>("OSMesaDestroyContext");
    if (!create_ || !make_current_ || !destroy_) {
      throw std::runtime_error("libOSMesa lacks OSMesaCreateContextExt");
    }
    context_ = create_(OSMESA_RGBA, 24, 8, 0, nullptr);
    if (context_ == nullptr) throw std::runtime_error("OSMesaCreateContextExt failed");
    MakeCurrent();
    library_.KeepLoaded();
  }
  ~OsmesaContext() override {
    if (context_ != nullptr) destroy_(context_);
  }
  // MuJoCo draws into its own framebuffer object: the context's own buffer is a small one.
  void MakeCurrent() override {
    if (!make_current_(context_, buffer_.data(), GL_UNSIGNED_BYTE, kSide, kSide)) {
      throw std::runtime_error("OSMesaMakeCurrent failed");
    }
  }
  const char* name() const override { return "osmesa"; }

 private:
  static constexpr int kSide = 16;
  Library library_;
  OSMesaContext (*create_)(GLenum, GLint, GLint, GLint, OSMesaContext) = nullptr;
  GLboolean (*make_current_)(OSMesaContext, void*, GLenum, GLsizei, GLsizei) = nullptr;
  void (*destroy_)(OSMesaContext) = nullptr;
  OSMesaContext context_ = nullptr;
  std::vector<unsigned char> buffer_ = std::vector<unsigned char>(kSide * kSide * 4);
};

constexpr const char* kEglHint =
    "EGL: install Debian's libegl1 and libegl-mesa0 (Mesa's surfaceless platform; llvmpipe "
    "draws without a GPU)";
constexpr const char* kOsmesaHint = "OSMesa: install Debian's libosmesa6";

}  // namespace

std::unique_ptr<GlContext> GlContext::Create(GlBackend backend) {
  if (backend == GlBackend::kAuto) {
    const char* env = std::getenv("RLFLEET_GL");
    const std::string choice = env == nullptr ? "" : env;
    if (choice == "egl") {
      backend = GlBackend::kEgl;
    } else if (choice == "osmesa") {
      backend = GlBackend::kOsmesa;
    } else if (!choice.empty()) {
      throw std::invalid_argument("RLFLEET_GL must be egl or osmesa, not '" + choice + "'");
    }
  }
  std::string egl_error, osmesa_error;
  if (backend != GlBackend::kOsmesa) {
    try {
      return std::make_unique<EglContext>();
    } catch (const std::exception& e) {
      egl_error = e.what();
    }
    if (backend == GlBackend::kEgl) {
      throw std::runtime_error("no OpenGL context for rendering: " + egl_error + ". " + kEglHint);
    }
  }
  try {
    return std::make_unique<OsmesaContext>();
  } catch (const std::exception& e) {
    osmesa_error = e.what();
  }
  if (backend == GlBackend::kOsmesa) {
    throw std::runtime_error("no OpenGL context for rendering: " + osmesa_error + ". " +
                             kOsmesaHint);
  }
  throw std::runtime_error("no OpenGL context for rendering: EGL: " + egl_error +
                           "; OSMesa: " + osmesa_error + ". " + kEglHint + "; or " + kOsmesaHint);
}

}  // namespace rlfleet
