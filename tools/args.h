// tools/args.h — the small argument parser every `lethe` subcommand uses.
// Options are `--name value` or `--name=value`; flags are `--name`. Each subcommand declares its
// options (with defaults and help text) before parsing, so `--help` always tells the truth and
// an unknown option is an error naming it. A value that starts with `--` after a space is taken
// for a forgotten value (`--out --overwrite`) and refused; `--out=--odd-name` passes it on purpose.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lethe::cli {

class Args {
 public:
  Args(std::string command, std::string summary) : cmd_(std::move(command)), summary_(std::move(summary)) {}

  // Declare an option with a default ("" = none) and help text; `required` options must be given.
  Args& opt(const std::string& name, const std::string& def, const std::string& help, bool required = false);
  // Declare a boolean flag (default false).
  Args& flag(const std::string& name, const std::string& help);
  // A heading in --help before the options declared next (e.g. a group of settings).
  Args& section(const std::string& title);
  // Options whose names satisfy `accept` are taken although undeclared (always with a value) and
  // kept apart in extra(), in command-line order — MMRec's setting names; `note` is printed at
  // the end of --help to say so.
  Args& accept_extra(std::function<bool(const std::string&)> accept, const std::string& note);

  // Parses argv (argv[0] is the subcommand). Returns false if --help was given (help printed to
  // stdout). Throws lethe::Error for an unknown option, a missing value or a missing required one.
  bool parse(int argc, char** argv);

  bool has(const std::string& name) const;  // given on the command line (or a flag set)
  bool declared(const std::string& name) const { return find(name) != nullptr; }
  std::string str(const std::string& name) const;
  // Throw naming the option when the value is not an integer / a finite number, or does not fit
  // (a value beyond 64 bits is refused, never clamped), or lies outside [lo, hi].
  int64_t i64(const std::string& name) const;
  int64_t i64(const std::string& name, int64_t lo, int64_t hi) const;
  double f64(const std::string& name) const;
  bool on(const std::string& name) const;      // flag value
  // Options given on the command line, as name → value (for config overrides).
  const std::map<std::string, std::string>& given() const { return given_; }
  const std::vector<std::pair<std::string, std::string>>& extra() const { return extra_; }
  std::string help() const;
  const std::string& command() const { return cmd_; }

 private:
  struct Opt {
    std::string name, def, help;
    bool is_flag = false, required = false;
    std::string section;  // a heading printed before this option
  };
  std::string cmd_, summary_, next_section_, extra_note_;
  std::vector<Opt> opts_;
  std::map<std::string, std::string> given_;
  std::function<bool(const std::string&)> accept_extra_;
  std::vector<std::pair<std::string, std::string>> extra_;
  const Opt* find(const std::string& name) const;
};

}  // namespace lethe::cli
