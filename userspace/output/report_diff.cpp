// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/report_diff.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "base/units.hpp"

#include <tuple>

namespace zctrace {
namespace {

using nlohmann::json;
using Leaves = std::map<std::string, json>;

constexpr const char* kNone = kNoFigure;
constexpr const char* kArrow = " → ";
// Keys the device the payload left through in measured.socket.devices: veth
// ends are named after zctrace's pid, so two veth runs would never line up
// by name.
constexpr const char* kEgress = "egress";

// The first things a reader compares, in reading order. A trailing ".*"
// stands for every key under it (syscalls by name).
constexpr const char* kHeadline[] = {
    "measured.cpu_copies",
    "measured.dma_copies",
    "measured.cpu_copy_bytes.total",
    "measured.cpu_copy_bytes.file_to_user",
    "measured.cpu_copy_bytes.user_to_socket",
    "measured.cpu_copy_bytes.page_cache_to_socket",
    "measured.cpu_copy_bytes.kernel_to_socket",
    "measured.cpu_copy_bytes.device_linearize",
    "measured.cpu_copy_bytes.copy_on_write",
    "measured.cpu_copy_bytes.retransmit_relinearize",
    "measured.dma_bytes.total",
    "measured.dma_bytes.disk_read",
    "measured.dma_bytes.disk_write",
    "measured.dma_bytes.nic_tx",
    "measured.dma_bytes.other_device",
    "measured.syscalls.total",
    "measured.syscalls.by_name.*",
    "measured.syscalls_per_transfer",
    "measured.mode_switches",
    "measured.mode_switches_per_transfer",
    "measured.context_switches.voluntary",
    "measured.context_switches.involuntary",
    "measured.page_faults.user",
    "measured.page_faults.kernel",
    "measured.page_faults.major",
    "measured.page_faults.minor",
    "measured.page_cache.hits",
    "measured.page_cache.misses",
    "measured.page_cache.hit_ratio",
    "measured.socket.shared_frag_bytes",
    "measured.socket.copied_frag_bytes",
    "measured.socket.zerocopy_frag_bytes",
    "measured.socket.linear_payload_bytes",
    "workload.wall_seconds",
    "workload.cpu_seconds",
    "workload.cpu_seconds_per_gib",
    "workload.mib_per_second",
    "overhead.share_of_workload_cpu",
};

// Zero copies is the point of the exercise, so these show even at 0 and 0.
bool always_shown(const std::string& metric)
{
    return metric == "measured.cpu_copies" || metric == "measured.dma_copies";
}

bool starts_with(const std::string& text, std::string_view prefix)
{
    return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// How arrays of objects are keyed, so that A's and B's entries pair up
// whatever their order: devices by name, BPF programs by group/program.
std::string element_key(const json& element, std::size_t index, const std::string& egress)
{
    if (element.is_object()) {
        if (const auto name = element.find("name"); name != element.end() && name->is_string())
            return !egress.empty() && *name == egress ? kEgress : name->get<std::string>();
        if (const auto program = element.find("program"); program != element.end() && program->is_string())
            return element.value("group", std::string()) + "/" + program->get<std::string>();
        if (const auto flow = element.find("technique"); flow != element.end() && flow->is_string())
            return flow->get<std::string>();  // a trace's flows
        if (const auto process = element.find("comm"); process != element.end() && process->is_string())
            return process->get<std::string>();
    }
    return std::to_string(index);
}

// Numbers only: strings are identities (environment, theory) and booleans
// are verdicts that the checks already compare. Nulls are left out, so a
// metric one report lacks reads as null on that side.
void flatten(const json& node, const std::string& path, const std::string& egress, Leaves& out)
{
    if (node.is_number()) {
        out[path] = node;
    } else if (node.is_object()) {
        for (const auto& [key, value] : node.items())
            flatten(value, path + "." + key, egress, out);
    } else if (node.is_array()) {
        std::set<std::string> used;
        for (std::size_t i = 0; i < node.size(); ++i) {
            std::string key = element_key(node[i], i, egress);
            if (!used.insert(key).second)  // two entries with one name: fall back to the position
                key = std::to_string(i);
            flatten(node[i], path + "[" + key + "]", egress, out);
        }
    }
}

Leaves leaves_of(const Report& report)
{
    const json document = report;
    Leaves leaves;
    for (const char* section : {"measured", "workload", "overhead", "comparison"})
        flatten(document.at(section), section, report.environment.device, leaves);
    return leaves;
}

json delta_of(const json& a, const json& b)
{
    if (!a.is_number() || !b.is_number())
        return nullptr;
    if (a.is_number_integer() && b.is_number_integer())
        return b.get<std::int64_t>() - a.get<std::int64_t>();
    return b.get<double>() - a.get<double>();
}

json ratio_of(const json& a, const json& b)
{
    if (!a.is_number() || !b.is_number() || a.get<double>() == 0)
        return nullptr;
    return b.get<double>() / a.get<double>();
}

// What a clock measured, not what the technique did.
bool timed(const std::string& metric)
{
    static const std::set<std::string> workload = {
        "workload.wall_seconds",   "workload.cpu_seconds",        "workload.user_seconds",
        "workload.system_seconds", "workload.mib_per_second",     "workload.cpu_seconds_per_gib",
        "workload.receiver_cpu_seconds"};
    return workload.count(metric) || (starts_with(metric, "overhead.") && metric != "overhead.interval_samples") ||
           (starts_with(metric, "comparison.") &&
            (metric.find("seconds") != std::string::npos || metric.find("mib_per_second") != std::string::npos));
}

// How far apart a timed figure's --repeat runs were; 0 without repeats.
double spread_of(const Report& report, const std::string& metric)
{
    if (!report.workload.repeats)
        return 0;
    const auto found = report.workload.repeats->timed.find(metric);
    return found == report.workload.repeats->timed.end() ? 0 : found->second.max - found->second.min;
}

bool within_noise(const Report& a, const Report& b, const std::string& metric, const json& delta)
{
    if (!timed(metric) || !delta.is_number())
        return false;
    if (a.workload.timings_are_noise() || b.workload.timings_are_noise())
        return true;
    const double spread = spread_of(a, metric) + spread_of(b, metric);
    return spread > 0 && std::fabs(delta.get<double>()) <= spread;
}

// Every path either side has.
std::set<std::string> paths_of(const Leaves& left, const Leaves& right)
{
    std::set<std::string> paths;
    for (const Leaves* leaves : {&left, &right})
        for (const auto& [path, value] : *leaves)
            paths.insert(path);
    return paths;
}

// One metric of both sides: null where a side lacks it, with its delta and ratio.
MetricDiff metric_at(const Leaves& left, const Leaves& right, const std::string& path, bool headline)
{
    auto value_in = [&](const Leaves& leaves) {
        const auto found = leaves.find(path);
        return found == leaves.end() ? json(nullptr) : found->second;
    };
    MetricDiff metric{path, value_in(left), value_in(right), {}, {}, headline};
    metric.delta = delta_of(metric.a, metric.b);
    metric.ratio = ratio_of(metric.a, metric.b);
    return metric;
}

std::vector<MetricDiff> diff_metrics(const Report& a, const Report& b)
{
    const Leaves left = leaves_of(a);
    const Leaves right = leaves_of(b);
    const std::set<std::string> paths = paths_of(left, right);

    std::vector<MetricDiff> metrics;
    std::set<std::string> headline;
    auto make = [&](const std::string& path, bool is_headline) {
        MetricDiff metric = metric_at(left, right, path, is_headline);
        metric.within_noise = within_noise(a, b, path, metric.delta);
        return metric;
    };
    auto add_headline = [&](const std::string& path) {
        if (headline.insert(path).second)
            metrics.push_back(make(path, true));
    };
    for (const char* entry : kHeadline) {
        const std::string pattern = entry;
        if (!ends_with(pattern, ".*")) {
            add_headline(pattern);
            continue;
        }
        const std::string prefix = pattern.substr(0, pattern.size() - 1);
        for (const std::string& path : paths)
            if (starts_with(path, prefix) && path.find('.', prefix.size()) == std::string::npos)
                add_headline(path);
    }
    for (const std::string& path : paths)
        if (!headline.count(path))
            metrics.push_back(make(path, false));
    return metrics;
}

json optional_json(const std::optional<bool>& value)
{
    return value ? json(*value) : json(nullptr);
}

// "15 tp_btf, 2 tracepoint": a different probe set (BTF missing, an older
// kernel) can change what is counted.
std::string probe_summary(const std::vector<ProbeUse>& probes)
{
    std::map<std::string, int> by_attach;
    for (const ProbeUse& probe : probes)
        ++by_attach[probe.attach];
    std::string text;
    for (const auto& [attach, count] : by_attach)
        text += (text.empty() ? "" : ", ") + std::to_string(count) + " " + attach;
    return text.empty() ? "none" : text;
}

// The directory the workload file lived in (--dir): work_dir itself is a
// fresh temporary directory every run.
std::string workload_dir(const Environment& environment)
{
    if (environment.work_dir.empty())
        return {};
    return std::filesystem::path(environment.work_dir).parent_path().string();
}

std::vector<EnvironmentDifference> diff_environment(const Report& a, const Report& b)
{
    const Environment& x = a.environment;
    const Environment& y = b.environment;
    const std::vector<EnvironmentDifference> candidates = {
        {"kernel", x.kernel, y.kernel},
        {"machine", x.machine, y.machine},
        {"cpus", x.cpus, y.cpus},
        {"lockdown", x.lockdown, y.lockdown},
        {"probes", probe_summary(x.probes), probe_summary(y.probes)},
        {"transport", x.transport, y.transport},
        {"network", x.network, y.network},
        {"device", x.device, y.device},
        {"device_sg", optional_json(x.device_sg), optional_json(y.device_sg)},
        {"egress_sg", optional_json(x.egress.sg), optional_json(y.egress.sg)},
        {"egress_tx_checksum", optional_json(x.egress.tx_checksum), optional_json(y.egress.tx_checksum)},
        {"sg_requested", optional_json(x.sg_requested), optional_json(y.sg_requested)},
        {"cache", x.cache, y.cache},
        {"cache_resident_pages_before", x.cache_resident_pages_before, y.cache_resident_pages_before},
        {"dir", workload_dir(x), workload_dir(y)},
        {"filesystem", x.filesystem, y.filesystem},
        {"block_device", x.block_device, y.block_device},
        {"payload_bytes", a.workload.bytes, b.workload.bytes},
        {"chunk_bytes", a.workload.chunk_bytes, b.workload.chunk_bytes},
        {"transfer_unit", a.workload.transfer_unit, b.workload.transfer_unit},
        {"pipe_bytes", json(a.workload.pipe_bytes), json(b.workload.pipe_bytes)},
    };
    std::vector<EnvironmentDifference> differences;
    for (const EnvironmentDifference& candidate : candidates)
        if (candidate.a != candidate.b)
            differences.push_back(candidate);
    return differences;
}

std::vector<CheckDiff> diff_checks(const Report& a, const Report& b)
{
    std::vector<CheckDiff> checks;
    for (const Check& check : a.checks)
        checks.push_back({check.metric, check, std::nullopt});
    for (const Check& check : b.checks) {
        auto same = std::find_if(checks.begin(), checks.end(),
                                 [&](const CheckDiff& diff) { return diff.metric == check.metric && !diff.b; });
        if (same != checks.end())
            same->b = check;
        else
            checks.push_back({check.metric, std::nullopt, check});
    }
    return checks;
}

std::string side_name(bool a)
{
    return a ? "A" : "B";
}

std::vector<std::string> diff_notes(const Report& a, const Report& b)
{
    std::vector<std::string> notes;
    if (a.technique != b.technique)
        notes.push_back("A traces " + a.technique + " and B " + b.technique +
                        ": different techniques take different paths, so their counters differ by design");
    if (a.schema_version != b.schema_version)
        notes.push_back("A is a version " + std::to_string(a.schema_version) + " report and B a version " +
                        std::to_string(b.schema_version) +
                        " one: version 1 judged a check only match, explained or mismatch, and version 2 also "
                        "environment, no_theory and invalid, so a verdict that changed may come from the finer "
                        "judgement rather than from the run");
    if (a.theory.id != b.theory.id) {
        const bool both_v1 = a.schema_version < 2 && b.schema_version < 2;
        const bool both_chosen_before = !a.theory_row_selection.expected.empty() &&
                                        !b.theory_row_selection.expected.empty();
        std::string note = "the theory rows differ. ";
        if (a.technique == b.technique && both_v1)
            note = "zctrace picks " + a.technique + "'s theory row from what it measured. ";
        else if (a.technique == b.technique && both_chosen_before)
            note = "zctrace holds " + a.technique + " to the theory row its egress device calls for, read "
                   "before the run. ";
        note += "A \"" + a.theory_row + "\": " + a.theory_row_selection.reason + ". B \"" + b.theory_row +
                "\": " + b.theory_row_selection.reason;
        notes.push_back(note);
    }
    if (a.workload.bytes != b.workload.bytes)
        notes.push_back("A moved " + format_bytes(a.workload.bytes) + " and B " + format_bytes(b.workload.bytes) +
                        ": byte and event counts scale with the payload, so compare cpu_copies, dma_copies, the "
                        "per-transfer rows, cpu_seconds_per_gib and mib_per_second rather than totals");
    if (a.workload.chunk_bytes != b.workload.chunk_bytes)
        notes.push_back("A transfers " + format_bytes(a.workload.chunk_bytes) + " and B " +
                        format_bytes(b.workload.chunk_bytes) +
                        " at a time: per-transfer figures count transfers of different sizes, and syscall counts "
                        "scale with the number of transfers");
    for (const Report* report : {&a, &b}) {
        const std::string side = side_name(report == &a);
        if (!report->workload.integrity.ok)
            notes.push_back(side + "'s integrity check failed (" + report->workload.integrity.verified_by +
                            " side): its counters describe a transfer that did not deliver the payload intact");
        if (report->overhead.missed_events > 0)
            notes.push_back(side + "'s probes missed " + std::to_string(report->overhead.missed_events) +
                            " events (runs the kernel skipped): its counts may be low");
    }
    return notes;
}

std::string verdict_text(Verdict verdict)
{
    return std::string(verdict_name(verdict));
}

// ---- rendering ----

enum class Unit { bytes, seconds, seconds_per_gib, per_gib, mib_per_second, passes, share, hit_ratio, ns, fraction, count };

Unit unit_of(const std::string& metric)
{
    const auto dot = metric.rfind('.');
    const std::string leaf = metric.substr(dot + 1);
    const std::string parent = metric.substr(0, dot);
    if (leaf == "cpu_copies" || leaf == "dma_copies")
        return Unit::passes;
    if (ends_with(parent, ".cpu_copy_bytes") || ends_with(parent, ".dma_bytes") || ends_with(leaf, "bytes") ||
        ends_with(leaf, "_chars"))
        return Unit::bytes;
    if (ends_with(leaf, "seconds_per_gib"))
        return Unit::seconds_per_gib;
    if (ends_with(leaf, "_per_gib"))
        return Unit::per_gib;
    if (leaf == "mib_per_second")
        return Unit::mib_per_second;
    if (ends_with(leaf, "seconds"))
        return Unit::seconds;
    if (starts_with(leaf, "share_of"))
        return Unit::share;
    if (leaf == "hit_ratio")
        return Unit::hit_ratio;
    if (ends_with(leaf, "_ns"))
        return Unit::ns;
    if (ends_with(leaf, "_per_transfer") || ends_with(leaf, "_per_event") || ends_with(leaf, "_ratio"))
        return Unit::fraction;
    return Unit::count;
}

// A magnitude in the metric's unit, without a sign.
std::string format_magnitude(const json& value, Unit unit)
{
    const double number = std::fabs(value.get<double>());
    switch (unit) {
    case Unit::bytes: return format_bytes(static_cast<std::uint64_t>(std::llround(number)));
    case Unit::seconds: return format_fixed(number, 4) + " s";
    case Unit::seconds_per_gib: return format_fixed(number, 3) + " s/GiB";
    case Unit::per_gib: return format_fixed(number, 1) + "/GiB";
    case Unit::mib_per_second: return format_fixed(number, 1) + " MiB/s";
    case Unit::passes: return format_fixed(number, 2);
    case Unit::share: return format_fixed(100 * number, 2) + "%";
    case Unit::hit_ratio: return format_fixed(number, 4);
    case Unit::ns: return format_fixed(number, 0) + " ns";
    case Unit::fraction: return format_fixed(number, 2);
    case Unit::count: break;
    }
    if (value.is_number_integer())
        return std::to_string(static_cast<std::uint64_t>(std::llabs(value.get<std::int64_t>())));
    return format_fixed(number, 3);
}

std::string format_value(const json& value, Unit unit)
{
    if (!value.is_number())
        return kNone;
    const bool negative = value.is_number_integer() ? value.get<std::int64_t>() < 0 : value.get<double>() < 0;
    return (negative ? "-" : "") + format_magnitude(value, unit);
}

std::string format_delta(const MetricDiff& metric, Unit unit)
{
    if (!metric.delta.is_number() || !metric.changed())
        return "";
    const bool negative = metric.delta.get<double>() < 0;
    return (negative ? "-" : "+") + format_magnitude(metric.delta, unit);
}

// Relative change: percent for ordinary moves, a factor once B is an order
// of magnitude above A, where percentages stop being readable.
std::string format_change(const MetricDiff& metric)
{
    if (!metric.changed())
        return "";
    if (!metric.a.is_number())
        return "only in B";
    if (!metric.b.is_number())
        return "only in A";
    if (!metric.ratio.is_number())
        return "from 0";
    const double ratio = metric.ratio.get<double>();
    if (ratio >= 10)
        return format_fixed(ratio, 1) + "x";
    const double percent = 100 * (ratio - 1);
    return (percent >= 0 ? "+" : "") + format_fixed(percent, 1) + "%";
}

std::string format_environment(const std::string& field, const json& value)
{
    if (value.is_null())
        return "unknown";
    if (value.is_boolean())
        return value.get<bool>() ? "on" : "off";
    if (value.is_string())
        return value.get<std::string>().empty() ? kNone : value.get<std::string>();
    if (ends_with(field, "bytes"))
        return format_bytes(value.get<std::uint64_t>());
    return value.dump();
}

std::string format_measured(const Check& check)
{
    return format_fixed(check.measured, check.metric == "integrity" ? 0 : 3);
}

template <typename Field>
std::string transition(const CheckDiff& check, Field field)
{
    return (check.a ? field(*check.a) : std::string(kNone)) + kArrow + (check.b ? field(*check.b) : std::string(kNone));
}

using Row = std::vector<std::string>;

// Rows with aligned columns; `right` says which columns are numbers. A row
// of one cell is a heading: printed as it is, and no column's width.
std::string render_rows(const std::vector<Row>& rows, const std::vector<bool>& right, const std::string& indent)
{
    std::vector<std::size_t> widths(right.size(), 0);
    for (const Row& row : rows)
        for (std::size_t i = 0; i < row.size() && row.size() > 1; ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));
    std::string out;
    for (const Row& row : rows) {
        if (row.size() == 1) {
            out += indent + row.front() + "\n";
            continue;
        }
        std::string line = indent;
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i)
                line += "  ";
            line += pad_to(row[i], widths[i], right[i]);
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        out += line + "\n";
    }
    return out;
}

json side_json(const DiffSide& side)
{
    return {{"path", side.path},
            {"tool", side.tool},
            {"created_at", side.created_at},
            {"report_schema_version", side.report_schema_version},
            {"technique", side.technique},
            {"headline", side.headline},
            {"theory_id", side.theory_id},
            {"theory_row", side.theory_row},
            {"expected_row", side.expected_row},
            {"measured_row", side.measured_row ? json(*side.measured_row) : json(nullptr)},
            {"theory_row_reason", side.theory_row_reason},
            {"verdict", side.verdict}};
}

// A version 1 report's checks say nothing of what they were held to (the
// theory, implicitly): their expected value is unknown, not 0.
bool knows_expected(const Check& check)
{
    return !check.expected_from.empty();
}

json check_json(const std::optional<Check>& check)
{
    if (!check)
        return nullptr;
    return {{"theory", check->theory},
            {"expected", knows_expected(*check) ? json(check->expected) : json(nullptr)},
            {"expected_from", knows_expected(*check) ? json(check->expected_from) : json(nullptr)},
            {"measured", check->measured},
            {"tolerance", check->tolerance},
            {"verdict", check->verdict}};
}

std::string format_expected(const Check& check)
{
    if (!knows_expected(check))
        return kNone;
    const std::string value = format_fixed(check.expected, check.metric == "integrity" ? 0 : 3);
    return check.expected_from == "theory" ? value : value + " (" + check.expected_from + ")";
}

DiffSide side_of(const Report& report, std::string path)
{
    DiffSide side;
    side.path = std::move(path);
    side.tool = report.tool;
    side.created_at = report.created_at;
    side.report_schema_version = report.schema_version;
    side.technique = report.technique;
    side.headline = report.headline;
    side.theory_id = report.theory.id;
    side.theory_row = report.theory_row;
    side.expected_row = report.theory_row_selection.expected;
    side.measured_row = report.theory_row_selection.measured;
    side.theory_row_reason = report.theory_row_selection.reason;
    side.verdict = report.verdict;
    return side;
}

// What a side says of its rows: the one expected before the run, and the
// candidate its copies match. A version 1 report names neither.
std::string expected_row_text(const DiffSide& side)
{
    return side.expected_row.empty() ? std::string(kNone) : side.expected_row;
}

std::string measured_row_text(const DiffSide& side)
{
    if (side.report_schema_version < 2)
        return kNone;
    return side.measured_row ? *side.measured_row : "none";
}

}  // namespace

bool CheckDiff::changed() const
{
    if (!a || !b)
        return true;
    // A version 1 check says nothing of what it expected: that alone is no change.
    const bool expected_changed = knows_expected(*a) && knows_expected(*b) &&
                                  (a->expected != b->expected || a->expected_from != b->expected_from);
    return a->theory != b->theory || expected_changed || a->measured != b->measured ||
           a->tolerance != b->tolerance || a->verdict != b->verdict;
}

ReportDiff diff_reports(const Report& a, const Report& b, std::string a_path, std::string b_path)
{
    ReportDiff diff;
    diff.a = side_of(a, std::move(a_path));
    diff.b = side_of(b, std::move(b_path));
    diff.environment = diff_environment(a, b);
    diff.metrics = diff_metrics(a, b);
    diff.checks = diff_checks(a, b);
    diff.notes = diff_notes(a, b);
    return diff;
}

namespace {

// A trace's metrics worth a line even when unchanged.
constexpr const char* kTraceHeadline[] = {
    "totals.bytes_sent",
    "totals.cpu_copies",
    "totals.cpu_copy_bytes.total",
    "totals.cpu_copy_bytes.file_to_user",
    "totals.cpu_copy_bytes.user_to_socket",
    "totals.cpu_copy_bytes.page_cache_to_socket",
    "totals.cpu_copy_bytes.device_linearize",
    "totals.receive_copy_bytes",
    "totals.syscalls",
    "totals.syscalls_by_name.*",
    "totals.syscalls_per_mib_sent",
    "totals.page_cache.hit_ratio",
    "totals.cpu_seconds_per_gib_sent",
    "flows[*].bytes",
    "flows[*].measured_cpu_copies",
};

bool matches_headline(const std::string& path, const std::string& pattern)
{
    if (const auto star = pattern.find('*'); star != std::string::npos) {
        const std::string prefix = pattern.substr(0, star);
        const std::string suffix = pattern.substr(star + 1);
        if (!starts_with(path, prefix) || !ends_with(path, suffix) || path.size() < prefix.size() + suffix.size())
            return false;
        const std::string middle = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
        return middle.find('.') == std::string::npos && middle.find('[') == std::string::npos;
    }
    return path == pattern;
}

Leaves trace_leaves(const TraceReport& trace)
{
    const json document = trace;
    Leaves leaves;
    for (const char* section : {"totals", "flows", "overhead"})
        flatten(document.at(section), section, "", leaves);
    flatten(document.at("seconds"), "seconds", "", leaves);
    return leaves;
}

DiffSide trace_side(const TraceReport& trace, std::string path)
{
    DiffSide side;
    side.path = std::move(path);
    side.tool = trace.tool;
    side.created_at = trace.created_at;
    side.technique = trace.flows.empty() ? "trace (nothing sent)" : "trace: " + trace.flows.front().technique;
    side.headline = trace.headline;
    if (!trace.flows.empty()) {
        side.theory_id = trace.flows.front().theory_row;
        side.theory_row = trace.flows.front().theory_row.empty() ? "(no row)" : trace.flows.front().theory_row;
        side.expected_row = side.theory_id;
        side.theory_row_reason = trace.flows.front().reason;
    }
    side.verdict = trace.verdict;
    return side;
}

}  // namespace

ReportDiff diff_traces(const TraceReport& a, const TraceReport& b, std::string a_path, std::string b_path)
{
    ReportDiff diff;
    diff.a = trace_side(a, std::move(a_path));
    diff.b = trace_side(b, std::move(b_path));
    for (const auto& [field, left, right] :
         {std::tuple<const char*, std::string, std::string>{"target", a.target.label, b.target.label},
          {"target_kind", a.target.kind, b.target.kind},
          {"kernel", a.kernel, b.kernel},
          {"ended_by", a.ended_by, b.ended_by}})
        if (left != right)
            diff.environment.push_back({field, left, right});

    const Leaves left = trace_leaves(a);
    const Leaves right = trace_leaves(b);
    const std::set<std::string> paths = paths_of(left, right);
    for (const char* pattern : kTraceHeadline)
        for (const std::string& path : paths)
            if (matches_headline(path, pattern))
                diff.metrics.push_back(metric_at(left, right, path, true));
    for (const std::string& path : paths) {
        bool is_headline = false;
        for (const char* pattern : kTraceHeadline)
            is_headline = is_headline || matches_headline(path, pattern);
        if (!is_headline)
            diff.metrics.push_back(metric_at(left, right, path, false));
    }

    // Each flow, as a check against its row: copies per byte, expected and measured.
    auto as_check = [](const TraceFlow& flow) {
        Check check;
        check.metric = "flow " + flow.technique;
        check.theory = flow.theory_cpu_copies;
        check.expected = flow.expected_cpu_copies;
        check.expected_from = flow.expected_from;
        check.measured = flow.measured_cpu_copies;
        check.verdict = flow.verdict;
        check.summary = flow.reason;
        return check;
    };
    for (const TraceFlow& flow : a.flows) {
        CheckDiff check{"flow " + flow.technique, as_check(flow), std::nullopt};
        for (const TraceFlow& other : b.flows)
            if (other.technique == flow.technique)
                check.b = as_check(other);
        diff.checks.push_back(std::move(check));
    }
    for (const TraceFlow& flow : b.flows) {
        bool in_a = false;
        for (const TraceFlow& other : a.flows)
            in_a = in_a || other.technique == flow.technique;
        if (!in_a)
            diff.checks.push_back({"flow " + flow.technique, std::nullopt, as_check(flow)});
    }
    if (a.flows.empty() != b.flows.empty() ||
        (!a.flows.empty() && a.flows.front().technique != b.flows.front().technique))
        diff.notes.push_back("the technique that carried most bytes changed: " + diff.a.technique + " in A, " +
                             diff.b.technique + " in B");
    return diff;
}

bool metric_shown(const MetricDiff& metric, bool all)
{
    if (all)
        return true;
    if (metric.headline) {
        const auto nonzero = [](const json& value) { return value.is_number() && value.get<double>() != 0; };
        return always_shown(metric.metric) || nonzero(metric.a) || nonzero(metric.b);
    }
    return metric.changed() && !starts_with(metric.metric, "overhead.");
}

nlohmann::json diff_to_json(const ReportDiff& diff, bool all)
{
    json environment = json::array();
    for (const EnvironmentDifference& difference : diff.environment)
        environment.push_back({{"field", difference.field}, {"a", difference.a}, {"b", difference.b}});
    json metrics = json::array();
    std::size_t hidden = 0;
    for (const MetricDiff& metric : diff.metrics) {
        if (!metric_shown(metric, all)) {
            ++hidden;
            continue;
        }
        metrics.push_back({{"metric", metric.metric},
                           {"a", metric.a},
                           {"b", metric.b},
                           {"delta", metric.delta},
                           {"ratio", metric.ratio},
                           {"within_noise", metric.within_noise}});
    }
    json checks = json::array();
    for (const CheckDiff& check : diff.checks)
        checks.push_back({{"metric", check.metric},
                          {"changed", check.changed()},
                          {"a", check_json(check.a)},
                          {"b", check_json(check.b)}});
    return {{"schema_version", kDiffSchemaVersion},
            {"kind", "zctrace.diff"},
            {"tool", std::string("zctrace ") + ZCTRACE_VERSION},
            {"a", side_json(diff.a)},
            {"b", side_json(diff.b)},
            {"all_metrics", all},
            {"hidden_metrics", hidden},
            {"environment", environment},
            {"metrics", metrics},
            {"checks", checks},
            {"notes", diff.notes}};
}

std::string render_diff_table(const ReportDiff& diff, bool all)
{
    std::string out = "zctrace diff: A = " + diff.a.path + "\n              B = " + diff.b.path + "\n\n";

    // What each report answers, in its own words (version 2 reports).
    if (!diff.a.headline.empty() || !diff.b.headline.empty()) {
        for (const DiffSide* side : {&diff.a, &diff.b})
            out += "  " + side_name(side == &diff.a) + ": " +
                   (side->headline.empty() ? "(a version 1 report: no headline)" : side->headline) + "\n";
        out += "\n";
    }

    // Who A and B are, then the settings that differ, in one aligned block.
    std::vector<Row> sides = {
        {"", "A", "B"},
        {"technique", diff.a.technique, diff.b.technique},
        {"theory row", diff.a.theory_row, diff.b.theory_row},
    };
    if (!diff.a.expected_row.empty() || !diff.b.expected_row.empty()) {
        sides.push_back({"expected row", expected_row_text(diff.a), expected_row_text(diff.b)});
        sides.push_back({"copies match row", measured_row_text(diff.a), measured_row_text(diff.b)});
    }
    for (Row row : std::vector<Row>{
             {"verdict", verdict_text(diff.a.verdict), verdict_text(diff.b.verdict)},
             {"created_at", diff.a.created_at, diff.b.created_at},
             {"tool", diff.a.tool, diff.b.tool},
         })
        sides.push_back(std::move(row));
    if (diff.environment.empty())
        sides.push_back({"environment: the same kernel, machine, probes, network, device, SG, cache, directory, "
                         "filesystem, payload and chunk"});
    else
        sides.push_back({"environment that differs"});
    for (const EnvironmentDifference& difference : diff.environment)
        sides.push_back({"  " + difference.field, format_environment(difference.field, difference.a),
                         format_environment(difference.field, difference.b)});
    out += render_rows(sides, {false, false, false}, "  ");

    std::size_t changed_checks = 0;
    for (const CheckDiff& check : diff.checks)
        changed_checks += check.changed();
    out += "\nchecks: " + std::to_string(changed_checks) + " of " + std::to_string(diff.checks.size()) + " changed" +
           (all && changed_checks < diff.checks.size() ? " (all shown)" : "") + "\n";
    // Version 2 checks say what they are held to; a column for it when either report's do.
    const bool expected_column = std::any_of(diff.checks.begin(), diff.checks.end(), [](const CheckDiff& check) {
        return (check.a && knows_expected(*check.a)) || (check.b && knows_expected(*check.b));
    });
    std::vector<Row> checks;
    for (const CheckDiff& check : diff.checks) {
        if (!all && !check.changed())
            continue;
        if (checks.empty()) {
            checks.push_back({"", "theory A → B"});
            if (expected_column)
                checks.back().push_back("expected A → B");
            checks.back().insert(checks.back().end(), {"measured A → B", "verdict A → B"});
        }
        Row row = {check.metric, transition(check, [](const Check& c) { return format_theory(c.theory); })};
        if (expected_column)
            row.push_back(transition(check, format_expected));
        row.push_back(transition(check, format_measured));
        row.push_back(transition(check, [](const Check& c) { return verdict_text(c.verdict); }));
        checks.push_back(std::move(row));
    }
    out += render_rows(checks, std::vector<bool>(expected_column ? 5 : 4, false), "  ");

    std::vector<Row> metrics = {{"headline metrics", "A", "B", "delta", "change"}};
    std::size_t hidden = 0;
    bool other_heading = false;
    for (const MetricDiff& metric : diff.metrics) {
        if (!metric_shown(metric, all)) {
            ++hidden;
            continue;
        }
        if (!metric.headline && !other_heading) {
            other_heading = true;
            metrics.push_back({all ? "other metrics" : "other metrics that changed"});
        }
        const Unit unit = unit_of(metric.metric);
        metrics.push_back({"  " + metric.metric, format_value(metric.a, unit), format_value(metric.b, unit),
                           format_delta(metric, unit),
                           format_change(metric) + (metric.within_noise && metric.changed() ? " (noise)" : "")});
    }
    out += "\n" + render_rows(metrics, {false, true, true, true, true}, "");
    if (hidden)
        out += "  (" + std::to_string(hidden) +
               " more hidden: unchanged, zero in both, or per-program overhead; --all shows every metric)\n";

    if (!diff.notes.empty()) {
        out += "\nnotes\n";
        for (const std::string& note : diff.notes)
            out += "  - " + note + "\n";
    }
    return out;
}

}  // namespace zctrace
