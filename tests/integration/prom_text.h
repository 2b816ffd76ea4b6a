// Exposition: a parsed Prometheus text-format scrape (version 0.0.4), small
// enough to trust: samples keyed by `name{label="value",...}` with labels
// sorted, plus lookups by exact label set and sums over a label filter.
//
// Parse() rejects malformed lines and duplicate series. Immutable after
// parsing; thread-safe for reads.
#ifndef SOCKWATCH_TESTS_INTEGRATION_PROM_TEXT_H_
#define SOCKWATCH_TESTS_INTEGRATION_PROM_TEXT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sockwatch::it {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

// `name{a="1",b="2"}` with labels in sorted order and values escaped as in
// the text format; `name` alone when there are no labels.
std::string SeriesKey(const std::string& name, const Labels& labels);

class Exposition {
 public:
  // nullopt and *error (with the line number) on malformed input.
  static std::optional<Exposition> Parse(const std::string& text,
                                         std::string* error);

  const std::vector<Sample>& samples() const { return samples_; }
  const std::map<std::string, double>& by_key() const { return by_key_; }
  // `# TYPE` of a metric family, "" if none was given.
  std::string Type(const std::string& family) const;

  // The sample with exactly these labels, or nullopt.
  std::optional<double> Value(const std::string& name,
                              const Labels& labels = {}) const;
  // Samples of `name` whose labels include every pair of `filter`.
  std::vector<Sample> Select(const std::string& name,
                             const Labels& filter = {}) const;
  // Sum of Select(); 0 when nothing matches.
  double Sum(const std::string& name, const Labels& filter = {}) const;

 private:
  std::vector<Sample> samples_;
  std::map<std::string, double> by_key_;
  std::map<std::string, std::string> types_;
};

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_PROM_TEXT_H_
