// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The fleet's path, end to end with the real programs: `zctrace export
// --textfile-dir` writes real reports where Debian's
// prometheus-node-exporter reads them, a real Prometheus scrapes it, and
// every PromQL expression of dashboards/zctrace.json, its variables
// substituted as Grafana would, returns series with the labels its panel
// shows. Both servers run on 127.0.0.1 on free ports with temp storage and
// are stopped by pid.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "../cli/ports.hpp"
#include "../cli/support.hpp"

namespace {

using namespace zctrace::cli_test;
using zctrace::test::free_port;
using nlohmann::json;

const fs::path kSource = ZCTRACE_SOURCE_DIR;
const fs::path kNodeExporter = "/usr/bin/prometheus-node-exporter";
const fs::path kPrometheus = "/usr/bin/prometheus";

std::string url_encode(const std::string& text)
{
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", c);
            out += hex;
        }
    }
    return out;
}

// GET http://127.0.0.1:port/path; the body, or empty when there is no answer.
std::string http_get(int port, const std::string& path)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return "";
    }
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        ::close(fd);
        return "";
    }
    std::string response;
    char buffer[65536];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        response.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    const auto body = response.find("\r\n\r\n");
    if (!response.starts_with("HTTP/1.") || body == std::string::npos)
        return "";
    if (response.find(" 200 ") > response.find("\r\n"))
        return "";
    return response.substr(body + 4);
}

json api(int port, const std::string& path)
{
    const std::string body = http_get(port, path);
    if (body.empty())
        return json();
    return json::parse(body, nullptr, false);
}

// A program started for the test, stopped by its pid when it goes.
class Server {
public:
    Server(const fs::path& binary, std::vector<std::string> args) : process_(std::move(args), {}, binary.string()) {}
    ~Server()
    {
        ::kill(process_.pid(), SIGTERM);
        process_.finish(std::chrono::seconds(10));
    }
    Process& process() { return process_; }

private:
    Process process_;
};

std::string regex_escaped(const std::string& value)
{
    static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
    return std::regex_replace(value, special, R"(\\$&)");
}

// The labels a panel shows: its legend's {{label}}, its by (...) and
// group_left (...) lists, and the fields its transformations lay out.
std::set<std::string> labels_shown(const json& panel)
{
    std::set<std::string> labels;
    static const std::regex legend(R"(\{\{(\w+)\}\})");
    static const std::regex grouped(R"((?:by|group_left) \(([\w, ]+)\))");
    static const std::regex word(R"(\w+)");
    const json targets = panel.value("targets", json::array());
    for (const json& target : targets) {
        const std::string format = target.value("legendFormat", "");
        for (std::sregex_iterator it(format.begin(), format.end(), legend), end; it != end; ++it)
            labels.insert((*it)[1]);
        const std::string expr = target.value("expr", "");
        for (std::sregex_iterator it(expr.begin(), expr.end(), grouped), end; it != end; ++it) {
            const std::string list = (*it)[1];
            for (std::sregex_iterator w(list.begin(), list.end(), word), wend; w != wend; ++w)
                labels.insert(w->str());
        }
    }
    const json transformations = panel.value("transformations", json::array());
    for (const json& transformation : transformations) {
        const json options = transformation.value("options", json::object());
        const json layout = options.value("indexByName", json::object());
        for (const auto& [field, index] : layout.items())
            labels.insert(field);
        for (const char* key : {"columnField", "rowField"})
            if (options.contains(key))
                labels.insert(options[key].get<std::string>());
    }
    // Not labels: the value columns and the time.
    std::erase_if(labels, [](const std::string& label) {
        return label.starts_with("Value") || label == "Time" || label == "__name__";
    });
    return labels;
}

TEST(Dashboard, EveryExpressionReturnsTheLabelsItsPanelShowsFromARealPrometheus)
{
    for (const fs::path& binary : {kNodeExporter, kPrometheus})
        if (!fs::exists(binary))
            GTEST_SKIP() << binary << " is missing; .ci/setup installs it";
    TempDir dir;
    const fs::path textfiles = dir.path() / "textfiles";
    fs::create_directory(textfiles);

    // Real reports, exported as a fleet's timer does.
    const std::vector<std::string> fixtures = {(kSource / "tests/data/reports/loopback").string(),
                                               (kSource / "tests/data/reports/veth-sg-off").string()};
    std::vector<std::string> args = {"export", "--textfile-dir", textfiles.string()};
    args.insert(args.end(), fixtures.begin(), fixtures.end());
    const Finished exported = run(args);
    ASSERT_EQ(exported.status, 0) << exported.err;
    ASSERT_TRUE(fs::exists(textfiles / "zctrace.prom"));
    std::smatch wrote;
    ASSERT_TRUE(std::regex_search(exported.err, wrote, std::regex(R"(wrote (\d+) reports)"))) << exported.err;
    const std::string reports = wrote[1];

    const int node_port = free_port();
    ASSERT_NE(node_port, 0) << "no free port on 127.0.0.1";
    Server node(kNodeExporter, {"--web.listen-address=127.0.0.1:" + std::to_string(node_port),
                                "--collector.disable-defaults", "--collector.textfile",
                                "--collector.textfile.directory=" + textfiles.string()});
    const int prometheus_port = free_port();
    ASSERT_NE(prometheus_port, 0) << "no free port on 127.0.0.1";
    {
        std::ofstream config(dir.path() / "prometheus.yml");
        config << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
               << "scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:"
               << node_port << "']\n";
    }
    Server prometheus(kPrometheus, {"--config.file=" + (dir.path() / "prometheus.yml").string(),
                                    "--storage.tsdb.path=" + (dir.path() / "data").string(),
                                    "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)});

    // Up, and the textfile scraped.
    const std::string instance = "127.0.0.1:" + std::to_string(node_port);
    ASSERT_TRUE(eventually(
        [&] {
            const json answer = api(prometheus_port, "/api/v1/query?query=" + url_encode("count(zctrace_report_info)"));
            return answer.is_object() && answer.value("status", "") == "success" &&
                   !answer["data"]["result"].empty() && answer["data"]["result"][0]["value"][1] == reports;
        },
        std::chrono::seconds(60)))
        << "Prometheus did not scrape node_exporter's textfile in 60 s: "
        << http_get(prometheus_port, "/api/v1/targets");

    const json dashboard = json::parse(std::ifstream(kSource / "dashboards/zctrace.json"));
    // The variables, in order, each from the values Prometheus has for it
    // under the ones before it, as Grafana's "All" of a multi-value variable.
    std::vector<std::pair<std::string, std::string>> variables;
    const auto substituted = [&](std::string text) {
        // Longest names first: $technique before a shorter prefix.
        for (const auto& [name, value] : variables)
            text = std::regex_replace(text, std::regex("\\$" + name + "\\b"), value);
        return text;
    };
    for (const json& variable : dashboard["templating"]["list"]) {
        if (variable.value("type", "") != "query")
            continue;
        const std::string query = variable["query"].is_object() ? variable["query"]["query"].get<std::string>()
                                                                 : variable["query"].get<std::string>();
        std::smatch parts;
        ASSERT_TRUE(std::regex_match(query, parts, std::regex(R"(label_values\((.+), (\w+)\))"))) << query;
        const json values = api(prometheus_port, "/api/v1/label/" + parts[2].str() + "/values?match[]=" +
                                                     url_encode(substituted(parts[1].str())));
        ASSERT_EQ(values.value("status", ""), "success") << query;
        ASSERT_FALSE(values["data"].empty()) << "variable " << variable["name"] << " has no values: " << query;
        std::string alternatives;
        for (const json& value : values["data"])
            alternatives += (alternatives.empty() ? "" : "|") + regex_escaped(value.get<std::string>());
        variables.emplace_back(variable["name"].get<std::string>(), "(" + alternatives + ")");
        if (variable["name"] == "instance") {
            EXPECT_EQ(values["data"], json::array({instance}));
        }
    }
    ASSERT_EQ(variables.size(), 5u);

    std::size_t expressions = 0;
    for (const json& panel : dashboard["panels"]) {
        const std::set<std::string> shown = labels_shown(panel);
        const json targets = panel.value("targets", json::array());
        for (const json& target : targets) {
            const std::string expr = substituted(target.value("expr", ""));
            if (expr.empty())
                continue;
            ++expressions;
            SCOPED_TRACE(panel.value("title", "") + ": " + expr);
            EXPECT_EQ(expr.find('$'), std::string::npos) << "a variable was left";
            const json answer = api(prometheus_port, "/api/v1/query?query=" + url_encode(expr));
            ASSERT_EQ(answer.value("status", ""), "success") << answer.dump();
            const json& result = answer["data"]["result"];
            EXPECT_FALSE(result.empty()) << "no series";
            for (const json& series : result) {
                for (const std::string& label : shown) {
                    EXPECT_TRUE(series["metric"].contains(label))
                        << "panel shows " << label << ", series has " << series["metric"].dump();
                }
            }
        }
    }
    EXPECT_GE(expressions, 30u);
    std::cout << "evaluated " << expressions << " dashboard expressions against Prometheus on 127.0.0.1:"
              << prometheus_port << ", scraping node_exporter on " << instance << "\n";
}

}  // namespace
