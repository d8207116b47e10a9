#include "render/classic_control_renderer.h"

#include <cairo/cairo.h>

#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <utility>

#include "envs/classic_control/acrobot.h"
#include "envs/classic_control/cartpole.h"
#include "envs/classic_control/mountain_car.h"
#include "envs/classic_control/mountain_car_continuous.h"
#include "envs/classic_control/pendulum.h"

namespace rlfleet {
namespace {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

// A drawing in Gymnasium's screen coordinates (pixels, y up), on a white background.
using Drawing = std::function<void(cairo_t*)>;

void Colour(cairo_t* cr, int r, int g, int b) {
  cairo_set_source_rgb(cr, r / 255.0, g / 255.0, b / 255.0);
}

// pygame.math.Vector2(x, y).rotate_rad(angle) then + (dx, dy).
std::pair<double, double> Rotate(double x, double y, double angle, double dx, double dy) {
  const double c = std::cos(angle), s = std::sin(angle);
  return {x * c - y * s + dx, x * s + y * c + dy};
}

// A filled box [l, r] × [b, t] rotated by `angle` about the origin, then moved by (dx, dy).
void Box(cairo_t* cr, double l, double r, double t, double b, double angle, double dx, double dy) {
  const std::array<std::pair<double, double>, 4> corners = {std::pair{l, b}, std::pair{l, t},
                                                            std::pair{r, t}, std::pair{r, b}};
  for (size_t i = 0; i < corners.size(); ++i) {
    const auto [x, y] = Rotate(corners[i].first, corners[i].second, angle, dx, dy);
    if (i == 0) {
      cairo_move_to(cr, x, y);
    } else {
      cairo_line_to(cr, x, y);
    }
  }
  cairo_close_path(cr);
  cairo_fill(cr);
}

void Disc(cairo_t* cr, double x, double y, double radius) {
  cairo_arc(cr, x, y, radius, 0.0, 2.0 * M_PI);
  cairo_fill(cr);
}

void Line(cairo_t* cr, double x0, double y0, double x1, double y1) {
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_set_line_width(cr, 1.0);
  cairo_stroke(cr);
}

void DrawCartPole(cairo_t* cr, const CartPoleEnv::State& s) {
  const double screen_width = 600, x_threshold = 2.4, length = 0.5;
  const double scale = screen_width / (2 * x_threshold);
  const double pole_width = 10.0, pole_len = scale * (2 * length);
  const double cart_width = 50.0, cart_height = 30.0;
  const double cart_x = s[0] * scale + screen_width / 2.0, cart_y = 100;
  const double axle_offset = cart_height / 4.0;
  Colour(cr, 0, 0, 0);
  Box(cr, -cart_width / 2, cart_width / 2, cart_height / 2, -cart_height / 2, 0.0, cart_x, cart_y);
  Colour(cr, 202, 152, 101);
  Box(cr, -pole_width / 2, pole_width / 2, pole_len - pole_width / 2, -pole_width / 2, -s[2],
      cart_x, cart_y + axle_offset);
  Colour(cr, 129, 132, 203);
  Disc(cr, std::trunc(cart_x), std::trunc(cart_y + axle_offset), std::trunc(pole_width / 2));
  Colour(cr, 0, 0, 0);
  Line(cr, 0, cart_y, screen_width, cart_y);
}

void DrawPendulum(cairo_t* cr, const PendulumEnv::State& s) {
  const double screen_dim = 500, bound = 2.2;
  const double scale = screen_dim / (bound * 2), offset = 250;
  const double rod_length = 1 * scale, rod_width = 0.2 * scale;
  const double angle = s[0] + M_PI / 2;
  Colour(cr, 204, 77, 77);
  Box(cr, 0, rod_length, rod_width / 2, -rod_width / 2, angle, offset, offset);
  Disc(cr, offset, offset, std::trunc(rod_width / 2));
  const auto [end_x, end_y] = Rotate(rod_length, 0, angle, offset, offset);
  Disc(cr, std::trunc(end_x), std::trunc(end_y), std::trunc(rod_width / 2));
  Colour(cr, 0, 0, 0);
  Disc(cr, offset, offset, std::trunc(0.05 * scale));
}

void DrawAcrobot(cairo_t* cr, const AcrobotEnv::State& s) {
  const double screen_dim = 500, link_1 = 1.0, link_2 = 1.0;
  const double bound = link_1 + link_2 + 0.2;
  const double scale = screen_dim / (bound * 2), offset = screen_dim / 2;
  Colour(cr, 0, 0, 0);
  Line(cr, -2.2 * scale + offset, 1 * scale + offset, 2.2 * scale + offset, 1 * scale + offset);
  // Joint positions (x, y) in pixels from the pivot: the pivot, then the first link's end.
  const std::array<std::pair<double, double>, 2> joints = {
      std::pair{0.0, 0.0},
      std::pair{link_1 * std::sin(s[0]) * scale, -link_1 * std::cos(s[0]) * scale}};
  const std::array<double, 2> thetas = {s[0] - M_PI / 2, s[0] + s[1] - M_PI / 2};
  const std::array<double, 2> lengths = {link_1 * scale, link_2 * scale};
  for (size_t i = 0; i < 2; ++i) {
    const double x = joints[i].first + offset, y = joints[i].second + offset;
    Colour(cr, 0, 204, 204);
    Box(cr, 0, lengths[i], 0.1 * scale, -0.1 * scale, thetas[i], x, y);
    Colour(cr, 204, 204, 0);
    Disc(cr, std::trunc(x), std::trunc(y), std::trunc(0.1 * scale));
  }
}

void DrawMountainCar(cairo_t* cr, double position, double goal_position) {
  const double screen_width = 600, min_position = -1.2, max_position = 0.6;
  const double scale = screen_width / (max_position - min_position);
  const double car_width = 40, car_height = 20, clearance = 10;
  const auto height = [](double x) { return std::sin(3 * x) * 0.45 + 0.55; };
  Colour(cr, 0, 0, 0);
  for (int i = 0; i < 100; ++i) {
    const double x = min_position + (max_position - min_position) * i / 99.0;
    if (i == 0) {
      cairo_move_to(cr, (x - min_position) * scale, height(x) * scale);
    } else {
      cairo_line_to(cr, (x - min_position) * scale, height(x) * scale);
    }
  }
  cairo_set_line_width(cr, 1.0);
  cairo_stroke(cr);
  const double angle = std::cos(3 * position);
  const double car_x = (position - min_position) * scale;
  const double car_y = clearance + height(position) * scale;
  Box(cr, -car_width / 2, car_width / 2, car_height, 0, angle, car_x, car_y);
  Colour(cr, 128, 128, 128);
  for (double wheel_x : {car_width / 4, -car_width / 4}) {
    const auto [x, y] = Rotate(wheel_x, 0, angle, car_x, car_y);
    Disc(cr, std::trunc(x), std::trunc(y), std::trunc(car_height / 2.5));
  }
  const double flag_x = std::trunc((goal_position - min_position) * scale);
  const double flag_y1 = std::trunc(height(goal_position) * scale), flag_y2 = flag_y1 + 50;
  Colour(cr, 0, 0, 0);
  Line(cr, flag_x + 0.5, flag_y1, flag_x + 0.5, flag_y2);
  Colour(cr, 204, 204, 0);
  cairo_move_to(cr, flag_x, flag_y2);
  cairo_line_to(cr, flag_x, flag_y2 - 10);
  cairo_line_to(cr, flag_x + 25, flag_y2 - 5);
  cairo_close_path(cr);
  cairo_fill(cr);
}

class CairoRenderer : public Renderer {
 public:
  CairoRenderer(int32_t screen_width, int32_t screen_height, double fps, Drawing draw,
                const RenderOptions& options)
      : screen_width_(screen_width),
        screen_height_(screen_height),
        width_(options.width > 0 ? options.width : screen_width),
        height_(options.height > 0 ? options.height : screen_height),
        fps_(fps),
        draw_(std::move(draw)),
        surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width_, height_)),
        cairo_(cairo_create(surface_.get())) {
    if (cairo_status(cairo_.get()) != CAIRO_STATUS_SUCCESS) {
      throw std::runtime_error(std::string("cairo: ") +
                               cairo_status_to_string(cairo_status(cairo_.get())));
    }
  }

  int32_t width() const override { return width_; }
  int32_t height() const override { return height_; }
  double fps() const override { return fps_; }

  void Render(uint8_t* rgb) override {
    cairo_t* cr = cairo_.get();
    cairo_identity_matrix(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    // Gymnasium draws with y up and flips the screen: row y of the frame is screen height - y.
    cairo_scale(cr, static_cast<double>(width_) / screen_width_,
                static_cast<double>(height_) / screen_height_);
    cairo_translate(cr, 0, screen_height_);
    cairo_scale(cr, 1, -1);
    draw_(cr);
    cairo_surface_flush(surface_.get());
    const uint8_t* data = cairo_image_surface_get_data(surface_.get());
    const int stride = cairo_image_surface_get_stride(surface_.get());
    for (int32_t y = 0; y < height_; ++y) {
      const uint32_t* row =
          reinterpret_cast<const uint32_t*>(data + static_cast<size_t>(stride) * y);
      uint8_t* out = rgb + static_cast<size_t>(width_) * 3 * y;
      for (int32_t x = 0; x < width_; ++x) {
        const uint32_t pixel = row[x];  // native-endian xRGB
        out[3 * x] = static_cast<uint8_t>(pixel >> 16);
        out[3 * x + 1] = static_cast<uint8_t>(pixel >> 8);
        out[3 * x + 2] = static_cast<uint8_t>(pixel);
      }
    }
  }

 private:
  int32_t screen_width_, screen_height_, width_, height_;
  double fps_;
  Drawing draw_;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface_;
  std::unique_ptr<cairo_t, CairoDeleter> cairo_;
};

}  // namespace

std::unique_ptr<Renderer> MakeClassicControlRenderer(const Env& env, const RenderOptions& options) {
  options.Validate();
  // Gymnasium's render_fps of each task.
  if (const auto* e = dynamic_cast<const CartPoleEnv*>(&env)) {
    return std::make_unique<CairoRenderer>(
        600, 400, 50, [e](cairo_t* cr) { DrawCartPole(cr, e->state()); }, options);
  }
  if (const auto* e = dynamic_cast<const PendulumEnv*>(&env)) {
    return std::make_unique<CairoRenderer>(
        500, 500, 30, [e](cairo_t* cr) { DrawPendulum(cr, e->state()); }, options);
  }
  if (const auto* e = dynamic_cast<const AcrobotEnv*>(&env)) {
    return std::make_unique<CairoRenderer>(
        500, 500, 15, [e](cairo_t* cr) { DrawAcrobot(cr, e->state()); }, options);
  }
  if (const auto* e = dynamic_cast<const MountainCarEnv*>(&env)) {
    return std::make_unique<CairoRenderer>(
        600, 400, 30, [e](cairo_t* cr) { DrawMountainCar(cr, e->state()[0], 0.5); }, options);
  }
  if (const auto* e = dynamic_cast<const MountainCarContinuousEnv*>(&env)) {
    return std::make_unique<CairoRenderer>(
        600, 400, 30, [e](cairo_t* cr) { DrawMountainCar(cr, e->state()[0], 0.45); }, options);
  }
  return nullptr;
}

}  // namespace rlfleet
