// The PromQL of a Grafana dashboard, made runnable against a plain
// Prometheus: pulls the query strings out of the dashboard JSON, replaces
// Grafana's template variables with concrete values, and reads the answers of
// Prometheus's /api/v1/query.
//
// The JSON handling is deliberately minimal (a tokenizer that knows strings,
// keys and nothing else): enough to find every `"expr": "..."` of a
// dashboard, not a JSON parser. Stateless; thread-safe.
#ifndef SOCKWATCH_TESTS_INTEGRATION_DASHBOARD_QUERIES_H_
#define SOCKWATCH_TESTS_INTEGRATION_DASHBOARD_QUERIES_H_

#include <map>
#include <set>
#include <string>
#include <vector>

namespace sockwatch::it {

// Every string value of an object member named `key`, anywhere in the JSON
// text, unescaped (\" \\ \/ \b \f \n \r \t \uXXXX), in file order. Members
// whose value is not a string are ignored.
std::vector<std::string> JsonStringMembers(const std::string& json,
                                           const std::string& key);

// Replaces Grafana variables in `expr`: `$name`, `${name}`, `${name:format}`
// and `[[name]]`, where name is looked up in `values` (give the built-ins
// such as "__rate_interval" too). A `$` followed by something that is not an
// identifier (like `$1`) is left alone. Names not in `values` are left as
// they are and added to *unknown when non-null.
std::string SubstituteVariables(
    const std::string& expr, const std::map<std::string, std::string>& values,
    std::set<std::string>* unknown = nullptr);

// Metric names an expression reads: identifiers starting with "sockwatch_",
// with a histogram's _bucket/_sum/_count suffix removed when `base_names`.
std::set<std::string> MetricsIn(const std::string& expr, bool base_names);

// What /api/v1/query answered.
struct QueryAnswer {
  bool success = false;     // "status":"success"
  std::string result_type;  // vector, matrix, scalar, string
  bool empty = true;        // no series (a scalar is never empty)
  std::string error;        // errorType: error, when not a success
};

QueryAnswer ParseQueryAnswer(const std::string& body);

// The values of label `label` over the series of a query answer, sorted and
// unique.
std::set<std::string> LabelValues(const std::string& body,
                                  const std::string& label);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_DASHBOARD_QUERIES_H_
