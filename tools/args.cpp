// tools/args.cpp — see args.h.
#include "tools/args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "kernels/common.h"

namespace lethe::cli {

Args& Args::opt(const std::string& name, const std::string& def, const std::string& help, bool required) {
  opts_.push_back({name, def, help, false, required, next_section_});
  next_section_.clear();
  return *this;
}
Args& Args::flag(const std::string& name, const std::string& help) {
  opts_.push_back({name, "", help, true, false, next_section_});
  next_section_.clear();
  return *this;
}
Args& Args::section(const std::string& title) {
  next_section_ = title;
  return *this;
}
Args& Args::accept_extra(std::function<bool(const std::string&)> accept, const std::string& note) {
  accept_extra_ = std::move(accept);
  extra_note_ = note;
  return *this;
}

const Args::Opt* Args::find(const std::string& name) const {
  for (const auto& o : opts_)
    if (o.name == name) return &o;
  return nullptr;
}

bool Args::parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(help().c_str(), stdout);
      return false;
    }
    if (a.rfind("--", 0) != 0)
      throw Error("lethe " + cmd_ + ": unexpected argument '" + a + "' (options start with --; see --help)");
    std::string name = a.substr(2), value;
    const auto eq = name.find('=');
    const bool has_eq = eq != std::string::npos;
    if (has_eq) { value = name.substr(eq + 1); name = name.substr(0, eq); }
    const Opt* o = find(name);
    const bool extra = !o && accept_extra_ && accept_extra_(name);
    if (!o && !extra) throw Error("lethe " + cmd_ + ": unknown option --" + name + " (see lethe " + cmd_ + " --help)");
    if (o && o->is_flag) {
      if (has_eq) throw Error("lethe " + cmd_ + ": --" + name + " is a flag and takes no value");
      given_[name] = "1";
      continue;
    }
    if (!has_eq) {
      if (i + 1 >= argc) throw Error("lethe " + cmd_ + ": --" + name + " needs a value");
      value = argv[++i];
      if (value.rfind("--", 0) == 0 && value.size() > 2)
        throw Error("lethe " + cmd_ + ": --" + name + " needs a value, but the next argument is the option " + value +
                    " (to give a value that starts with --, write --" + name + "=" + value + ")");
    }
    if (extra) extra_.emplace_back(name, value);
    else given_[name] = value;
  }
  for (const auto& o : opts_)
    if (o.required && !given_.count(o.name))
      throw Error("lethe " + cmd_ + ": --" + o.name + " is required (see lethe " + cmd_ + " --help)");
  return true;
}

bool Args::has(const std::string& name) const { return given_.count(name) > 0; }

std::string Args::str(const std::string& name) const {
  const Opt* o = find(name);
  if (!o) throw Error("lethe " + cmd_ + ": internal: option --" + name + " was never declared");
  auto it = given_.find(name);
  return it != given_.end() ? it->second : o->def;
}

int64_t Args::i64(const std::string& name) const {
  const std::string s = str(name);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0')
    throw Error("lethe " + cmd_ + ": --" + name + " expects an integer, got '" + s + "'");
  if (errno == ERANGE)
    throw Error("lethe " + cmd_ + ": --" + name + " is out of range: '" + s + "' does not fit a 64-bit integer");
  return v;
}

int64_t Args::i64(const std::string& name, int64_t lo, int64_t hi) const {
  const int64_t v = i64(name);
  if (v < lo || v > hi)
    throw Error("lethe " + cmd_ + ": --" + name + " must be an integer in " + std::to_string(lo) + ".." +
                std::to_string(hi) + ", got " + str(name));
  return v;
}

double Args::f64(const std::string& name) const {
  const std::string s = str(name);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v))
    throw Error("lethe " + cmd_ + ": --" + name + " expects a finite number, got '" + s + "'");
  return v;
}

bool Args::on(const std::string& name) const { return given_.count(name) > 0 && str(name) == "1"; }

std::string Args::help() const {
  std::ostringstream os;
  os << "usage: lethe " << cmd_ << " [options]\n\n" << summary_ << "\n\noptions:\n";
  os << "  --help                    show this help\n";
  for (const auto& o : opts_) {
    if (!o.section.empty()) os << "\n" << o.section << ":\n";
    std::string left = "  --" + o.name + (o.is_flag ? "" : " V");
    if (left.size() < 28) left.resize(28, ' '); else left += "  ";
    os << left << o.help;
    if (o.required) os << " (required)";
    else if (!o.is_flag && !o.def.empty()) os << " [default: " << o.def << "]";
    os << "\n";
  }
  if (!extra_note_.empty()) os << "\n" << extra_note_ << "\n";
  return os.str();
}

}  // namespace lethe::cli
