// The entity store: entities from Cedar's JSON entity format, with ancestor sets precomputed.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "portcullis/common/diagnostic.hpp"
#include "portcullis/policy/value.hpp"

namespace portcullis::policy {

class Entities {
 public:
  Entities();  // empty store
  ~Entities();
  Entities(Entities&&) noexcept;
  Entities& operator=(Entities&&) noexcept;

  // Parses Cedar's JSON entity format (an array of {uid, attrs, parents, tags}). Every problem
  // is appended to `diagnostics` with `file` and the position of the offending JSON value;
  // returns nullptr if there was any.
  static std::shared_ptr<const Entities> from_json_text(std::string_view text,
                                                        const std::string& file,
                                                        Diagnostics& diagnostics);

  [[nodiscard]] std::size_t size() const;

  struct Impl;
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::policy
