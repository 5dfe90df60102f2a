// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/html_report.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "base/units.hpp"

namespace zctrace {
namespace {

// Okabe–Ito: distinguishable with every common colour-vision deficiency,
// and measured/theory also differ in lightness, so a greyscale print keeps them apart.
constexpr const char* kMeasuredColour = "#0072B2";
constexpr const char* kTheoryColour = "#E69F00";
constexpr const char* kUserCopyColour = "#D55E00";
constexpr const char* kKernelCopyColour = "#CC79A7";
constexpr const char* kSharedColour = "#009E73";
constexpr const char* kDmaColour = "#56B4E9";
constexpr const char* kReceiverCopyColour = "#999999";  // grey: past the sender, outside the theory


// Every chart is drawn in this many user units and scaled to the page by its viewBox.
constexpr double kChartWidth = 960;
constexpr double kLabelFont = 12;
constexpr double kValueFont = 11;
constexpr double kMaxLabelColumn = 340;

std::string escape(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

// The shortest text that parses back to the same double, so a test (or a
// reader) can compare a bar's data-value with the report field exactly.
std::string exact(double value)
{
    if (!std::isfinite(value))
        return std::isnan(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity");
    char buffer[64];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    return std::string(buffer, end);
}

// SVG coordinates: two decimals are far below a pixel, and trimmed zeros keep the page small.
std::string num(double value)
{
    if (!std::isfinite(value))
        value = 0;
    std::string text = format_fixed(value, 2);
    while (text.back() == '0')
        text.pop_back();
    if (text.back() == '.')
        text.pop_back();
    return text == "-0" ? "0" : text;
}

double finite_or_zero(double value)
{
    return std::isfinite(value) ? value : 0.0;
}

// Whole numbers as written (the theory's 2, an exact measured 0), fractions
// with two decimals so that 1.00 reads "close to, not exactly, 1", and tiny
// fractions with two significant digits rather than a misleading 0.00.
std::string format_bar_figure(double value)
{
    if (!std::isfinite(value))
        return "n/a";
    if (value == std::floor(value) && std::fabs(value) < 1e15)
        return format_fixed(value, 0);
    return format_figure(value, 2);
}

// The code point that starts at text[at], and moves `at` past it.
char32_t next_code_point(std::string_view text, std::size_t& at)
{
    const unsigned char lead = static_cast<unsigned char>(text[at]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t code = length == 1 ? lead : lead & (0xFF >> (length + 1));
    for (std::size_t k = 1; k < length && at + k < text.size(); ++k)
        code = (code << 6) | (static_cast<unsigned char>(text[at + k]) & 0x3F);
    at += length;
    return code;
}

// Rough advance widths of DejaVu Sans / system UI fonts, in em: enough to
// reserve room for labels in a page that runs no script to measure them.
double text_width(std::string_view text, double font_size)
{
    double em = 0;
    for (std::size_t i = 0; i < text.size();) {
        const char32_t code = next_code_point(text, i);
        if (code >= 0x1100)
            em += 1.0;  // CJK and other wide characters
        else if (std::string_view("il.,:;|!'()[] ").find(static_cast<char>(code)) != std::string_view::npos)
            em += 0.34;
        else if ((code >= 'A' && code <= 'Z') || code == 'm' || code == 'w' || code == 0x2014)
            em += 0.86;
        else
            em += 0.64;
    }
    return em * font_size;
}

// Chinese ideographs, CJK punctuation and fullwidth forms: what a machine
// without a CJK font (stock Debian has none) draws as boxes.
bool is_cjk(char32_t code)
{
    return (code >= 0x2E80 && code <= 0x9FFF) || (code >= 0xF900 && code <= 0xFAFF) ||
           (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFFEF) ||
           (code >= 0x20000 && code <= 0x3FFFF);
}

bool has_cjk(std::string_view text)
{
    for (std::size_t i = 0; i < text.size();)
        if (is_cjk(next_code_point(text, i)))
            return true;
    return false;
}

// The seeds' Chinese, as the page shows it: a "[zh]" marker with the Chinese
// in its title, so that no box appears where no CJK font is installed.
std::string chinese_marker(std::string_view chinese)
{
    return "<span class=\"zh\" title=\"the seeds&#39; Chinese: " + escape(chinese) + "\">[zh]</span>";
}

// A Chinese passage in report text: the Chinese, and where the passage ends.
struct ChinesePassage {
    std::string_view chinese;
    std::size_t end = 0;
};

// The parenthesis that opens at text[start], if it holds Chinese:
// "(通用性好，性能较差)", or the same in fullwidth brackets.
std::optional<ChinesePassage> chinese_parenthesis(std::string_view text, std::size_t start)
{
    for (const auto& [open, close] : {std::pair<std::string_view, std::string_view>{"(", ")"}, {"（", "）"}}) {
        if (text.substr(start, open.size()) != open)
            continue;
        const std::size_t inside = start + open.size();
        const std::size_t closed_at = text.find(close, inside);
        if (closed_at != std::string_view::npos && has_cjk(text.substr(inside, closed_at - inside)))
            return ChinesePassage{text.substr(inside, closed_at - inside), closed_at + close.size()};
    }
    return std::nullopt;
}

// The run of CJK characters that starts at text[start], if one does.
std::optional<ChinesePassage> chinese_run(std::string_view text, std::size_t start)
{
    std::size_t end = start;
    for (std::size_t next = start; next < text.size() && is_cjk(next_code_point(text, next));)
        end = next;
    if (end == start)
        return std::nullopt;
    return ChinesePassage{text.substr(start, end - start), end};
}

// Report text as HTML with no CJK glyph in sight: each Chinese passage, a
// parenthesised one with its brackets ("general, slow (通用性好，性能较差)")
// or a run of CJK characters, becomes a chinese_marker.
std::string without_cjk_glyphs(std::string_view text)
{
    std::string out;
    std::size_t plain_from = 0;  // where the text not yet written starts
    for (std::size_t at = 0; at < text.size();) {
        auto passage = chinese_parenthesis(text, at);
        if (!passage)
            passage = chinese_run(text, at);
        if (!passage) {
            next_code_point(text, at);
            continue;
        }
        out += escape(text.substr(plain_from, at - plain_from)) + chinese_marker(passage->chinese);
        plain_from = at = passage->end;
    }
    return out + escape(text.substr(plain_from));
}

// The longest prefix (whole code points) that fits, with an ellipsis.
std::string truncate_to(const std::string& text, double font_size, double width)
{
    if (text_width(text, font_size) <= width)
        return text;
    std::string cut = text;
    while (!cut.empty() && text_width(cut + "…", font_size) > width) {
        while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80)
            cut.pop_back();
        if (!cut.empty())
            cut.pop_back();
    }
    return cut + "…";
}

struct Axis {
    double top = 1;   // the value at the plot's right edge
    double step = 1;  // between ticks
};

// 0 .. a round number just above the largest value, in steps of 1, 2 or 5 x 10^n.
Axis nice_axis(double largest)
{
    if (!std::isfinite(largest) || largest <= 0)
        largest = 1;
    const double raw = largest / 5;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double normalized = raw / magnitude;
    const double step = (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
    return {std::ceil(largest / step - 1e-9) * step, step};
}

std::string tick_text(double value, double step)
{
    const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    std::string text = format_fixed(value, decimals);
    if (text.find('.') != std::string::npos) {
        while (text.back() == '0')
            text.pop_back();
        if (text.back() == '.')
            text.pop_back();
    }
    return text;
}

// The technique names down the left of every chart.
struct LabelColumn {
    double width = 0;
    std::vector<std::string> shown;  // truncated when a label would not fit
};

LabelColumn label_column(const std::vector<std::string>& labels)
{
    LabelColumn column;
    double widest = 0;
    for (const auto& label : labels)
        widest = std::max(widest, text_width(label, kLabelFont));
    column.width = std::clamp(widest + 16, 100.0, kMaxLabelColumn);
    for (const auto& label : labels)
        column.shown.push_back(truncate_to(label, kLabelFont, column.width - 16));
    return column;
}

void draw_label(std::string& svg, const LabelColumn& column, const std::string& label, std::size_t row, double y)
{
    svg += "<text class=\"lbl\" x=\"" + num(column.width - 8) + "\" y=\"" + num(y + 4) +
           "\" text-anchor=\"end\" data-technique=\"" + escape(label) + "\">" + escape(column.shown[row]);
    if (column.shown[row] != label)
        svg += "<title>" + escape(label) + "</title>";
    svg += "</text>\n";
}

void draw_zebra(std::string& svg, std::size_t row, double top, double height)
{
    if (row % 2 == 1)
        svg += "<rect class=\"band\" x=\"0\" y=\"" + num(top) + "\" width=\"" + num(kChartWidth) + "\" height=\"" +
               num(height) + "\"/>\n";
}

// Every chart's rows: a zebra band on odd rows, the row's label on the left.
std::string draw_rows(const std::vector<std::string>& labels, const LabelColumn& column, double plot_top,
                      double row_height)
{
    std::string rows;
    for (std::size_t row = 0; row < labels.size(); ++row) {
        const double top = plot_top + row_height * static_cast<double>(row);
        draw_zebra(rows, row, top, row_height);
        draw_label(rows, column, labels[row], row, top + row_height / 2);
    }
    return rows;
}

// Grid lines at the ticks, their labels below the plot, and the axis title.
void draw_axis(std::string& svg, const Axis& axis, double x0, double plot_width, double plot_top, double plot_bottom,
               const std::string& title)
{
    const int ticks = static_cast<int>(std::lround(axis.top / axis.step));
    for (int i = 0; i <= ticks; ++i) {
        const double value = i * axis.step;
        const double x = x0 + plot_width * value / axis.top;
        svg += "<line class=\"" + std::string(i == 0 ? "axis" : "grid") + "\" data-tick=\"" +
               tick_text(value, axis.step) + "\" x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" +
               num(plot_top - 4) + "\" y2=\"" + num(plot_bottom) + "\"/>\n";
        svg += "<text class=\"tick\" x=\"" + num(x) + "\" y=\"" + num(plot_bottom + 15) +
               "\" text-anchor=\"middle\">" + tick_text(value, axis.step) + "</text>\n";
    }
    svg += "<text class=\"axis-title\" x=\"" + num(x0 + plot_width / 2) + "\" y=\"" + num(plot_bottom + 34) +
           "\" text-anchor=\"middle\">" + escape(title) + "</text>\n";
}

struct Series {
    std::string key;     // data-series
    std::string legend;  // as the legend names it
    const char* colour;
};

// A row of swatches, one per series that drew a bar (`drawn`, by key): a
// legend entry with nothing to point at would only puzzle. Wraps onto
// further lines when it would not fit.
double draw_legend(std::string& svg, const std::vector<Series>& series, const std::set<std::string>& drawn, double x0,
                   double y)
{
    double x = x0;
    for (const auto& item : series) {
        if (!drawn.count(item.key))
            continue;
        const double item_width = 18 + text_width(item.legend, kLabelFont) + 20;
        if (x > x0 && x + item_width > kChartWidth - 8) {
            x = x0;
            y += 20;
        }
        svg += "<rect class=\"swatch\" x=\"" + num(x) + "\" y=\"" + num(y - 6) +
               "\" width=\"12\" height=\"12\" fill=\"" + item.colour + "\"/>\n";
        svg += "<text class=\"legend\" data-legend=\"" + escape(item.key) + "\" x=\"" + num(x + 18) + "\" y=\"" +
               num(y + 4) + "\">" + escape(item.legend) + "</text>\n";
        x += item_width;
    }
    return y;
}

std::string svg_open(const std::string& id, const std::string& caption_id, double height)
{
    return "<svg id=\"" + id + "\" class=\"chart\" viewBox=\"0 0 " + num(kChartWidth) + " " + num(height) +
           "\" role=\"img\" aria-labelledby=\"" + caption_id + "\" preserveAspectRatio=\"xMinYMin meet\">\n";
}

std::string figure(const std::string& id, const std::string& caption_id, const std::string& caption_html,
                   const std::string& svg)
{
    return "<figure id=\"fig-" + id + "\">\n<figcaption id=\"" + caption_id + "\">" + caption_html +
           "</figcaption>\n<div class=\"chart-frame\">\n" + svg + "</div>\n</figure>\n";
}

// One measure side by side with others: bars per technique, one per series.
struct Panel {
    std::string metric;      // data-metric
    std::string title;       // above the panel
    std::string axis_title;  // below it, with the unit
    std::string unit;        // in tooltips, after the value
    std::function<std::string(double)> format;
    std::vector<std::vector<std::optional<double>>> values;  // [row][series]; empty: no figure
};

struct GroupedChart {
    std::string id;
    std::string caption_html;
    std::vector<Series> series;
    std::vector<Panel> panels;
};

std::string render_grouped(const GroupedChart& chart, const std::vector<std::string>& labels)
{
    const LabelColumn column = label_column(labels);
    const double bar_height = 13, bar_gap = 3, row_padding = 7;
    const double series_count = static_cast<double>(chart.series.size());
    const double row_height = series_count * bar_height + (series_count - 1) * bar_gap + 2 * row_padding;
    const double panel_gap = 32;
    const double panels_left = column.width + 12;
    const double panel_count = static_cast<double>(chart.panels.size());
    const double panel_width = (kChartWidth - panels_left - 8 - (panel_count - 1) * panel_gap) / panel_count;

    std::set<std::string> drawn;  // the series with a bar somewhere; the others say "no figure"
    for (const Panel& panel : chart.panels)
        for (const auto& values : panel.values)
            for (std::size_t s = 0; s < chart.series.size() && s < values.size(); ++s)
                if (values[s])
                    drawn.insert(chart.series[s].key);
    std::string body;
    double y = 8;
    if (chart.series.size() > 1)
        y = draw_legend(body, chart.series, drawn, panels_left, y + 8) + 14;
    const double title_baseline = y + 12;
    const double plot_top = title_baseline + 14;
    const double plot_bottom = plot_top + row_height * static_cast<double>(labels.size());
    const double height = plot_bottom + 44;

    const std::string rows = draw_rows(labels, column, plot_top, row_height);

    std::string panels;
    for (std::size_t p = 0; p < chart.panels.size(); ++p) {
        const Panel& panel = chart.panels[p];
        const double x0 = panels_left + static_cast<double>(p) * (panel_width + panel_gap);
        double largest = 0;
        double label_room = 0;
        for (const auto& values : panel.values)
            for (const auto& value : values)
                if (value) {
                    largest = std::max(largest, finite_or_zero(*value));
                    label_room = std::max(label_room, text_width(panel.format(*value), kValueFont));
                }
        const Axis axis = nice_axis(largest);
        // Room after the longest bar for its value, and for the last tick's label.
        const double plot_width = panel_width - std::max(label_room + 10, 20.0);

        panels += "<g class=\"panel\" data-metric=\"" + escape(panel.metric) + "\">\n";
        panels += "<text class=\"panel-title\" x=\"" + num(x0) + "\" y=\"" + num(title_baseline) + "\">" +
                  escape(panel.title) + "</text>\n";
        draw_axis(panels, axis, x0, plot_width, plot_top, plot_bottom, panel.axis_title);
        for (std::size_t row = 0; row < labels.size() && row < panel.values.size(); ++row) {
            const double top = plot_top + row_height * static_cast<double>(row) + row_padding;
            for (std::size_t s = 0; s < chart.series.size() && s < panel.values[row].size(); ++s) {
                const Series& series = chart.series[s];
                const double bar_top = top + static_cast<double>(s) * (bar_height + bar_gap);
                const std::string data = "data-technique=\"" + escape(labels[row]) + "\" data-series=\"" +
                                         escape(series.key) + "\"";
                const auto& value = panel.values[row][s];
                if (!value) {
                    panels += "<text class=\"nofig\" " + data + " x=\"" + num(x0 + 5) + "\" y=\"" +
                              num(bar_top + bar_height / 2 + 4) + "\">no figure<title>" + escape(labels[row]) +
                              ": the theory table gives no " + escape(panel.title) + " figure</title></text>\n";
                    continue;
                }
                const double width = std::max(0.0, finite_or_zero(*value)) / axis.top * plot_width;
                const std::string text = panel.format(*value);
                panels += "<rect class=\"bar\" " + data + " data-value=\"" + exact(*value) + "\" x=\"" + num(x0) +
                          "\" y=\"" + num(bar_top) + "\" width=\"" + num(width) + "\" height=\"" + num(bar_height) +
                          "\" fill=\"" + series.colour + "\"><title>" + escape(labels[row]) + ": " +
                          escape(panel.title) + ", " + escape(series.legend) + " " + escape(text) + " " +
                          escape(panel.unit) + "</title></rect>\n";
                panels += "<text class=\"val\" " + data + " x=\"" + num(x0 + width + 5) + "\" y=\"" +
                          num(bar_top + bar_height / 2 + 4) + "\">" + escape(text) + "</text>\n";
            }
        }
        panels += "</g>\n";
    }

    const std::string caption_id = chart.id + "-caption";
    const std::string svg = svg_open(chart.id, caption_id, height) + rows + body + panels + "</svg>\n";
    return figure(chart.id, caption_id, chart.caption_html, svg);
}

// Whether a report's technique keeps the payload in the sender (cow,
// direct_io, ...): the sender checksums it, nothing crosses TCP.
bool sends_nothing(const Report* report)
{
    return report && report->workload.integrity.verified_by == "sender";
}

// CPU time per GiB and MiB/s for some of the rows, on axes of their own.
std::string render_cpu_chart(const std::string& id, const std::string& caption_html, const std::string& rate_title,
                             const std::vector<const SummaryRow*>& rows)
{
    GroupedChart chart{id, caption_html, {{"measured", "measured", kMeasuredColour}}, {}};
    Panel cpu{"cpu_seconds_per_gib", "CPU seconds per GiB (sender)", "CPU time (s/GiB)", "s/GiB",
              [](double v) { return format_fixed(v, 3); }, {}};
    Panel rate{"mib_per_second", rate_title, rate_title + " (MiB/s)", "MiB/s",
               [](double v) { return format_fixed(v, 0); }, {}};
    std::vector<std::string> labels;
    for (const SummaryRow* row : rows) {
        labels.push_back(row->label);
        cpu.values.push_back({row->cpu_seconds_per_gib});
        rate.values.push_back({row->mib_per_second});
    }
    chart.panels = {cpu, rate};
    return render_grouped(chart, labels);
}

// The segments of "Where the bytes went", in stacking order: the sender's
// CPU copies, what it sent without copying, DMA, then the receiver's copy,
// which lies past the sender's NIC where the theory table stops.
const std::vector<Series>& byte_series()
{
    static const std::vector<Series> series = {
        {"user copy", "user copy", kUserCopyColour},
        {"page-cache copy", "page-cache/kernel copy", kKernelCopyColour},
        {"shared frags", "shared frags (referenced, not copied)", kSharedColour},
        {"DMA", "DMA", kDmaColour},
        {"receiver copy", "receiver copy (past the sender's NIC; not in the theory table)", kReceiverCopyColour},
    };
    return series;
}

// A report's bytes in each of byte_series(), as multiples of the payload.
std::vector<double> byte_shares(const Report& report)
{
    const CopyBytes& copies = report.measured.cpu_copy_bytes;
    const SocketStats& socket = report.measured.socket;
    const double payload = static_cast<double>(report.workload.bytes);
    auto share = [&](std::uint64_t bytes) { return ratio(static_cast<double>(bytes), payload); };
    return {share(copies.file_to_user + copies.user_to_socket + copies.copy_on_write),
            share(copies.page_cache_to_socket + copies.kernel_to_socket + copies.device_linearize +
                  copies.zerocopy_deferred),
            share(socket.shared_frag_bytes + socket.zerocopy_frag_bytes), share(report.measured.dma_bytes.total),
            share(report.measured.receiver.copy_bytes)};
}

// The parts of the cost model, in stacking order, priced by this machine.
const std::vector<Series>& cost_series()
{
    static const std::vector<Series> series = {
        {"copies", "copies (bytes ÷ memcpy bandwidth)", kUserCopyColour},
        {"mode switches", "mode switches (syscalls × a null syscall)", kKernelCopyColour},
        {"page faults", "page faults (faults × a fresh page's fault)", kDmaColour},
        {"the rest", "the rest (network stack, page-cache walk, probes)", kReceiverCopyColour},
    };
    return series;
}

// A row's cost parts in CPU seconds per GiB of payload, in cost_series()
// order; a negative residual (the model priced more than was used) draws
// nothing.
std::vector<double> cost_shares(const std::map<std::string, double>& per_gib)
{
    std::vector<double> parts;
    for (const char* part : kSenderCostParts) {
        const auto found = per_gib.find(part);
        parts.push_back(found == per_gib.end() ? 0 : std::max(0.0, found->second));
    }
    return parts;
}

// A segment is drawn only where there is something: a zero-width one shows
// nothing and would keep its series in the legend.
bool has_bytes(double share)
{
    return finite_or_zero(share) > 0;
}

// A horizontal bar per row, its segments stacked in the series' order.
struct StackedChart {
    std::string id;
    std::string metric;  // the panel's data-metric
    const std::vector<Series>* series = nullptr;
    std::string axis_title;
    std::string unit;     // after a figure on hover, e.g. "× the payload"
    std::string nothing;  // the annotation of a row with no segment
    std::string caption;  // after "Figure N. "
};

std::string render_stacked_chart(int figure_number, const StackedChart& chart, const std::vector<std::string>& labels,
                                 const std::vector<std::vector<double>>& shares)
{
    const std::vector<Series>& series = *chart.series;
    const LabelColumn column = label_column(labels);
    const double bar_height = 16, row_height = 30;
    const double x0 = column.width + 12;

    std::vector<std::string> annotations;
    std::set<std::string> drawn;
    double largest = 0, annotation_room = 0;
    for (const std::vector<double>& parts : shares) {
        std::string text;
        double total = 0;
        for (std::size_t s = 0; s < series.size() && s < parts.size(); ++s) {
            if (!has_bytes(parts[s]))
                continue;
            total += parts[s];
            drawn.insert(series[s].key);
            text += (text.empty() ? "" : " + ") + series[s].key + " " + format_bar_figure(parts[s]);
        }
        if (text.empty())
            text = chart.nothing;
        largest = std::max(largest, total);
        annotation_room = std::max(annotation_room, text_width(text, kValueFont));
        annotations.push_back(text);
    }
    const Axis axis = nice_axis(largest);
    const double plot_width = std::max(240.0, kChartWidth - 8 - x0 - annotation_room - 10);

    std::string body;
    const double legend_bottom = draw_legend(body, series, drawn, x0, 16);
    const double plot_top = legend_bottom + 22;
    const double plot_bottom = plot_top + row_height * static_cast<double>(labels.size());
    const double height = plot_bottom + 44;

    const std::string rows = draw_rows(labels, column, plot_top, row_height);

    std::string panel = "<g class=\"panel\" data-metric=\"" + chart.metric + "\">\n";
    draw_axis(panel, axis, x0, plot_width, plot_top, plot_bottom, chart.axis_title);
    for (std::size_t row = 0; row < labels.size() && row < shares.size(); ++row) {
        const double bar_top = plot_top + row_height * static_cast<double>(row) + (row_height - bar_height) / 2;
        double x = x0;
        for (std::size_t s = 0; s < series.size() && s < shares[row].size(); ++s) {
            const double part = shares[row][s];
            if (!has_bytes(part))
                continue;
            const double width = part / axis.top * plot_width;
            panel += "<rect class=\"bar\" data-technique=\"" + escape(labels[row]) + "\" data-series=\"" +
                     series[s].key + "\" data-value=\"" + exact(part) + "\" x=\"" + num(x) + "\" y=\"" +
                     num(bar_top) + "\" width=\"" + num(width) + "\" height=\"" + num(bar_height) + "\" fill=\"" +
                     series[s].colour + "\"><title>" + escape(labels[row]) + ": " + series[s].key + " " +
                     format_bar_figure(part) + " " + chart.unit + "</title></rect>\n";
            x += width;
        }
        panel += "<text class=\"val\" data-technique=\"" + escape(labels[row]) + "\" data-series=\"total\" x=\"" +
                 num(x + 6) + "\" y=\"" + num(bar_top + bar_height / 2 + 4) + "\">" + escape(annotations[row]) +
                 "</text>\n";
    }
    panel += "</g>\n";

    const std::string caption_id = chart.id + "-caption";
    return figure(chart.id, caption_id, "<b>Figure " + std::to_string(figure_number) + ". " + chart.caption,
                  svg_open(chart.id, caption_id, height) + rows + body + panel + "</svg>\n");
}

const StackedChart& bytes_chart()
{
    static const StackedChart chart{
        "chart-bytes", "bytes", &byte_series(), "multiples of the payload (bytes ÷ payload bytes)",
        "× the payload", "0: nothing copied or moved",
        "Where the bytes went</b>, as multiples of the payload (bytes ÷ payload bytes). "
        "<i>User copy</i> = file→user + user→socket + copy-on-write; <i>page-cache/kernel copy</i> = "
        "page cache→socket + kernel buffers→socket + device linearize; <i>shared frags</i> = socket frags that "
        "referenced page-cache or pinned user pages instead of copying them; <i>DMA</i> = bytes moved by disk and "
        "NIC DMA engines; <i>receiver copy</i> = socket→memory on the receiving side (its recv() calls). The "
        "theory table stops at the sender's NIC, so its figures count the sender's copies only; the receiver's "
        "copy is drawn to show the whole path and is in no theory figure. The copies cost CPU; shared frags and "
        "DMA do not. A segment appears only where there were such bytes."};
    return chart;
}

const StackedChart& cost_chart()
{
    static const StackedChart chart{
        "chart-cost", "cost", &cost_series(), "sender CPU seconds per GiB of payload", "CPU-s/GiB",
        "0: no CPU time measured",
        "Where the sender's CPU time went</b>, in CPU seconds per GiB of payload. Each report's cost model "
        "prices what the probes counted at this machine's own rates, measured by zctrace with none of its "
        "probes attached: <i>copies</i> = bytes the CPU copied ÷ memcpy bandwidth; <i>mode switches</i> = "
        "syscalls × a null syscall's round trip; <i>page faults</i> = faults × a fresh anonymous page's fault; "
        "<i>the rest</i> = the sender's measured CPU time less those three: the network stack, the page-cache "
        "walk, locking and zctrace's probes. Each bar is as long as the sender's measured CPU time per GiB, "
        "unless the model priced more than that (then the rest is drawn as 0)."};
    return chart;
}

// A chunk-size sweep: one line per technique across the chunk sizes it ran
// at, for one figure per GiB (or per byte). Chunks sit at equal steps, in
// order: sweeps grow them by a factor each step.
struct SweepFigure {
    std::string id;
    std::string metric;  // data-metric, and the summary row field
    std::string axis_title;
    std::string caption;
    double (*value)(const SummaryRow&);
};

const std::vector<SweepFigure>& sweep_figures()
{
    static const std::vector<SweepFigure> figures = {
        {"chart-sweep-syscalls", "syscalls_per_gib", "syscalls per GiB",
         "Syscalls per GiB against chunk size</b>: one call moves one chunk, so they fall as chunks grow.",
         [](const SummaryRow& row) { return row.syscalls_per_gib; }},
        {"chart-sweep-mode-switches", "mode_switches_per_gib", "mode switches per GiB",
         "Mode switches per GiB against chunk size</b>: two per syscall (entry and exit).",
         [](const SummaryRow& row) { return row.mode_switches_per_gib; }},
        {"chart-sweep-cpu", "cpu_seconds_per_gib", "sender CPU seconds per GiB",
         "The sender's CPU seconds per GiB against chunk size</b>: where the line flattens, fewer mode switches "
         "stop mattering.",
         [](const SummaryRow& row) { return row.cpu_seconds_per_gib; }},
        {"chart-sweep-copies", "cpu_copies", "CPU copies per byte",
         "CPU copies per byte against chunk size</b>: what a technique copies should not depend on the chunk.",
         [](const SummaryRow& row) { return row.cpu_copies; }},
    };
    return figures;
}

constexpr const char* kLineColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                                        "#000000", "#999999"};

std::string render_sweep_charts(int& figure_number, const Summary& summary)
{
    const std::vector<const SummaryRow*> swept = swept_rows(summary);
    std::vector<std::string> techniques;  // in the summary's order
    std::set<std::uint64_t> chunks;
    for (const SummaryRow* row : swept) {
        if (techniques.empty() || techniques.back() != row->technique)
            techniques.push_back(row->technique);
        chunks.insert(row->chunk_bytes);
    }
    if (techniques.empty())
        return "";
    const std::vector<std::uint64_t> steps(chunks.begin(), chunks.end());
    std::vector<Series> series;
    std::set<std::string> drawn;
    for (std::size_t i = 0; i < techniques.size(); ++i) {
        series.push_back({techniques[i], techniques[i], kLineColours[i % std::size(kLineColours)]});
        drawn.insert(techniques[i]);
    }

    std::string out;
    for (const SweepFigure& chart : sweep_figures()) {
        double largest = 0;
        for (const SummaryRow* row : swept)
            largest = std::max(largest, finite_or_zero(chart.value(*row)));
        const Axis axis = nice_axis(largest);
        const double x0 = 90, x1 = kChartWidth - 30;
        std::string body;
        const double legend_bottom = draw_legend(body, series, drawn, x0, 16);
        const double plot_top = legend_bottom + 40, plot_height = 220, plot_bottom = plot_top + plot_height;
        auto y_of = [&](double value) { return plot_bottom - plot_height * finite_or_zero(value) / axis.top; };
        // The first and last chunk sit in from the axes, so that their
        // labels clear the y axis's "0" (Chromium showed them overlapping).
        const double first_x = x0 + 40, last_x = x1 - 30;
        auto x_of = [&](std::uint64_t chunk) {
            const auto at = static_cast<double>(std::lower_bound(steps.begin(), steps.end(), chunk) - steps.begin());
            return steps.size() > 1 ? first_x + (last_x - first_x) * at / static_cast<double>(steps.size() - 1)
                                    : (x0 + x1) / 2;
        };
        std::string panel = "<g class=\"panel\" data-metric=\"" + chart.metric + "\">\n";
        const int ticks = static_cast<int>(std::lround(axis.top / axis.step));
        for (int i = 0; i <= ticks; ++i) {
            const double value = i * axis.step, y = y_of(value);
            panel += "<line class=\"" + std::string(i == 0 ? "axis" : "grid") + "\" x1=\"" + num(x0) + "\" x2=\"" +
                     num(x1) + "\" y1=\"" + num(y) + "\" y2=\"" + num(y) + "\"/>\n";
            panel += "<text class=\"tick\" x=\"" + num(x0 - 6) + "\" y=\"" + num(y + 4) +
                     "\" text-anchor=\"end\">" + tick_text(value, axis.step) + "</text>\n";
        }
        for (const std::uint64_t chunk : steps)
            panel += "<text class=\"tick\" data-chunk=\"" + std::to_string(chunk) + "\" x=\"" + num(x_of(chunk)) +
                     "\" y=\"" + num(plot_bottom + 16) + "\" text-anchor=\"middle\">" + escape(format_bytes(chunk)) +
                     "</text>\n";
        panel += "<text class=\"axis-title\" x=\"" + num((x0 + x1) / 2) + "\" y=\"" + num(plot_bottom + 36) +
                 "\" text-anchor=\"middle\">chunk size (bytes per call)</text>\n";
        panel += "<text class=\"axis-title\" x=\"" + num(x0 - 60) + "\" y=\"" + num(plot_top - 14) + "\">" +
                 escape(chart.axis_title) + "</text>\n";
        for (const Series& line : series) {
            std::vector<const SummaryRow*> points;  // by chunk size, as swept_rows orders them
            for (const SummaryRow* row : swept)
                if (row->technique == line.key)
                    points.push_back(row);
            std::string path;
            for (const SummaryRow* row : points)
                path += (path.empty() ? "" : " ") + num(x_of(row->chunk_bytes)) + "," + num(y_of(chart.value(*row)));
            panel += "<polyline class=\"line\" data-technique=\"" + escape(line.key) + "\" fill=\"none\" stroke=\"" +
                     line.colour + "\" stroke-width=\"2\" points=\"" + path + "\"/>\n";
            for (const SummaryRow* row : points)
                panel += "<circle class=\"point\" data-technique=\"" + escape(line.key) + "\" data-chunk=\"" +
                         std::to_string(row->chunk_bytes) + "\" data-value=\"" + exact(chart.value(*row)) +
                         "\" cx=\"" + num(x_of(row->chunk_bytes)) + "\" cy=\"" + num(y_of(chart.value(*row))) +
                         "\" r=\"3.5\" fill=\"" + line.colour + "\"><title>" + escape(line.key) + " at " +
                         escape(format_bytes(row->chunk_bytes)) + ": " + format_bar_figure(chart.value(*row)) + " " +
                         escape(chart.axis_title) + "</title></circle>\n";
        }
        panel += "</g>\n";
        const std::string caption_id = chart.id + "-caption";
        out += figure(chart.id, caption_id, "<b>Figure " + std::to_string(++figure_number) + ". " + chart.caption,
                      svg_open(chart.id, caption_id, plot_bottom + 50) + body + panel + "</svg>\n");
    }
    return out;
}

// Each verdict has a style of its own (kStyle's .v-*): the passing ones in
// greens, explained in amber, the failing ones in reds.
const char* verdict_class(Verdict verdict)
{
    switch (verdict) {
    case Verdict::match: return "v-match";
    case Verdict::environment: return "v-environment";
    case Verdict::explained: return "v-explained";
    case Verdict::no_theory: return "v-no_theory";
    case Verdict::invalid: return "v-invalid";
    case Verdict::mismatch: return "v-mismatch";
    }
    return "v-mismatch";
}

// How a verdict reads, as a class beside its own: pass, explained or fail.
const char* standing_class(Verdict verdict)
{
    switch (verdict_standing(verdict)) {
    case VerdictStanding::passes: return "pass";
    case VerdictStanding::explained: return "explained";
    case VerdictStanding::fails: return "fail";
    }
    return "fail";
}

std::string badge(Verdict verdict)
{
    return "<span class=\"badge " + std::string(verdict_class(verdict)) + " " + standing_class(verdict) + "\">" +
           std::string(verdict_name(verdict)) + "</span>";
}

// "4 match, 1 explained": the verdicts the report's checks got, in the
// order of kAllVerdicts, leaving out those none got.
std::string check_counts(const CheckVerdictCounts& counts)
{
    std::string text;
    for (Verdict verdict : kAllVerdicts)
        if (counts[verdict] > 0)
            text += (text.empty() ? "" : ", ") + std::to_string(counts[verdict]) + " " +
                    std::string(verdict_name(verdict));
    return text.empty() ? "none" : text;
}

const Check* find_check(const Report* report, std::string_view metric)
{
    if (!report)
        return nullptr;
    for (const Check& check : report->checks)
        if (check.metric == metric)
            return &check;
    return nullptr;
}

// The table's measured / theory columns, each judged by the check of the same metric.
struct PairColumn {
    const char* metric;
    double (*measured)(const SummaryRow&);
    std::optional<double> (*theory)(const SummaryRow&);
};

constexpr PairColumn kPairColumns[] = {
    {"cpu_copies", [](const SummaryRow& r) { return r.cpu_copies; },
     [](const SummaryRow& r) { return std::optional(r.theory_cpu_copies); }},
    {"dma_copies", [](const SummaryRow& r) { return r.dma_copies; },
     [](const SummaryRow& r) { return std::optional(r.theory_dma_copies); }},
    {"syscalls_per_transfer", [](const SummaryRow& r) { return r.syscalls_per_transfer; },
     [](const SummaryRow& r) { return r.theory_syscalls_per_transfer; }},
    {"mode_switches_per_transfer", [](const SummaryRow& r) { return r.mode_switches_per_transfer; },
     [](const SummaryRow& r) { return r.theory_mode_switches_per_transfer; }},
};

// The id of a check's entry in the per-technique list, which a table cell links to.
std::string why_id(std::size_t row_position, std::string_view metric)
{
    return "why-" + std::to_string(row_position) + "-" + escape(metric);
}

// The table's tinted cells numbered in reading order, by why_id: the number
// shows in the cell and again beside the reason below, so that a printed
// page can be followed too.
using WhyNotes = std::map<std::string, int>;

WhyNotes number_why_notes(const Summary& summary, const std::vector<Report>& reports)
{
    WhyNotes notes;
    for (std::size_t i = 0; i < summary.rows.size(); ++i)
        for (const PairColumn& column : kPairColumns)
            if (const Check* check = find_check(report_of(summary.rows[i], reports), column.metric);
                check && check->verdict != Verdict::match)
                notes.emplace(why_id(i, column.metric), static_cast<int>(notes.size()) + 1);
    return notes;
}

// A measured/theory cell, tinted when its check deviated, with the reason on
// hover and a numbered link to it in the per-technique list.
std::string pair_cell(const Report* report, std::size_t row_position, const PairColumn& column, const SummaryRow& row,
                      const WhyNotes& notes)
{
    const std::string figures = escape(format_summary_cell(column.measured(row), column.theory(row)));
    const Check* check = find_check(report, column.metric);
    if (!check || check->verdict == Verdict::match)
        return "<td class=\"num\">" + figures + "</td>";
    const std::string id = why_id(row_position, column.metric);
    return "<td class=\"num " + std::string(verdict_class(check->verdict)) + " " + standing_class(check->verdict) +
           "\" title=\"" + escape(std::string(verdict_name(check->verdict)) + ": " + check->explanation) + "\">" +
           figures + "<a class=\"why\" href=\"#" + id + "\">" + std::to_string(notes.at(id)) + "</a></td>";
}

// What follows the theory row's English name: the seeds' Chinese name
// behind a marker, where it differs.
std::string chinese_name_marker(const Report* report)
{
    if (!report || report->theory.name_zh.empty() || report->theory.name_zh == report->theory.name)
        return "";
    return " " + chinese_marker(report->theory.name_zh);
}

std::string render_table(const Summary& summary, const std::vector<Report>& reports, const WhyNotes& notes)
{
    std::string out =
        "<div class=\"table-frame\"><table class=\"summary\">\n"
        "<caption>Each figure cell reads <b>measured / theory</b>. Copies are passes over the payload; syscalls "
        "and mode switches are per transfer; " +
        std::string(kNoFigure) +
        " where the theory table gives no figure. Tinted cells are checks that are not a plain match, in their "
        "verdict's colours; the number after the figures leads to why, under “Per technique” below (and shows it "
        "on hover). [zh] marks the seeds' Chinese wording, shown on hover: it stays out of the page's text so "
        "that a machine without CJK fonts shows no boxes.</caption>\n"
        "<thead><tr><th scope=\"col\">technique</th><th scope=\"col\">theory row</th>"
        "<th scope=\"col\" class=\"num\">CPU copies</th><th scope=\"col\" class=\"num\">DMA copies</th>"
        "<th scope=\"col\" class=\"num\">syscalls/ transfer</th>"
        "<th scope=\"col\" class=\"num\">mode switches/ transfer</th>"
        "<th scope=\"col\" class=\"num\">CPU s/GiB</th><th scope=\"col\" class=\"num\">MiB/s</th>"
        "<th scope=\"col\" class=\"num\">hit ratio</th><th scope=\"col\">verdict</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < summary.rows.size(); ++i) {
        const SummaryRow& row = summary.rows[i];
        const Report* report = report_of(row, reports);
        out += "<tr><th scope=\"row\">" + escape(row.label) + "</th><td class=\"row\">" +
               escape(row.theory_row) + chinese_name_marker(report) + "</td>";
        for (const PairColumn& column : kPairColumns)
            out += pair_cell(report, i, column, row, notes);
        out += "<td class=\"num\">" + format_fixed(row.cpu_seconds_per_gib, 3) + "</td>";
        out += "<td class=\"num\">" + format_fixed(row.mib_per_second, 0) + "</td>";
        out += "<td class=\"num\">" + (row.hit_ratio ? format_fixed(*row.hit_ratio, 3) : std::string(kNoFigure)) +
               "</td>";
        out += "<td>" + badge(row.verdict) +
               (row.integrity_ok ? "" : " <span class=\"badge v-mismatch fail\">integrity FAILED</span>") +
               "</td></tr>\n";
    }
    return out + "</tbody>\n</table></div>\n";
}

// One line per run, then per trace, before anything else: its label, its
// verdict and its headline.
std::string render_headlines(const Summary& summary)
{
    if (summary.rows.empty() && summary.traces.empty())
        return "";
    std::string out = "<ol class=\"headlines\" aria-label=\"Headlines\">\n";
    for (const SummaryRow& row : summary.rows)
        out += "<li class=\"headline " + std::string(standing_class(row.verdict)) + "\" data-technique=\"" +
               escape(row.label) + "\" data-verdict=\"" + std::string(verdict_name(row.verdict)) + "\"><b>" +
               escape(row.label) + "</b> " + badge(row.verdict) + " <span class=\"text" +
               (row.headline.empty() ? " fallback" : "") + "\">" + without_cjk_glyphs(headline_text(row)) +
               "</span></li>\n";
    for (const SummaryTrace& trace : summary.traces)
        out += "<li class=\"headline " + std::string(standing_class(trace.verdict)) + "\" data-trace=\"" +
               escape(trace.label) + "\" data-verdict=\"" + std::string(verdict_name(trace.verdict)) + "\"><b>" +
               escape(trace.label) + "</b> " + badge(trace.verdict) + " <span class=\"text\">" +
               without_cjk_glyphs(trace.headline) + "</span></li>\n";
    return out + "</ol>\n";
}

// A table of summary.md's cells; its first column heads each row and its
// last is the row's verdict, shown as its badge.
std::string render_text_table(const TextTable& table, const std::string& css_class, const std::string& caption,
                              const std::vector<Verdict>& verdicts)
{
    auto class_of = [&](std::size_t column) { return table.figure_column[column] ? " class=\"num\"" : ""; };
    std::string out = "<div class=\"table-frame\"><table class=\"summary " + css_class + "\">\n<caption>" +
                      escape(caption) + "</caption>\n<thead><tr>";
    for (std::size_t c = 0; c < table.header.size(); ++c)
        out += "<th scope=\"col\"" + std::string(class_of(c)) + ">" + escape(table.header[c]) + "</th>";
    out += "</tr></thead>\n<tbody>\n";
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const std::vector<std::string>& cells = table.rows[r];
        out += "<tr><th scope=\"row\">" + escape(cells.front()) + "</th>";
        for (std::size_t c = 1; c + 1 < cells.size(); ++c)
            out += "<td" + std::string(class_of(c)) + ">" + escape(cells[c]) + "</td>";
        out += "<td>" + badge(verdicts.at(r)) + "</td></tr>\n";
    }
    return out + "</tbody>\n</table></div>\n";
}

// The traces, under the run table: one row per trace, then one per flow.
std::string render_traces(const Summary& summary)
{
    if (summary.traces.empty())
        return "";
    std::vector<Verdict> trace_verdicts, flow_verdicts;
    for (const SummaryTrace& trace : summary.traces) {
        trace_verdicts.push_back(trace.verdict);
        for (const SummaryTraceFlow& flow : trace.flows)
            flow_verdicts.push_back(flow.verdict);
    }
    std::string out = "<section class=\"traces\">\n<h2>Traces</h2>\n" +
                      render_text_table(trace_table(summary), "traces",
                                        "What each traced program sent over TCP and how many times the CPU copied "
                                        "it, from its trace report. " +
                                            std::string(kNoFigure) + " where the report gives no figure.",
                                        trace_verdicts);
    if (!flow_verdicts.empty())
        out += render_text_table(trace_flow_table(summary), "flows",
                                 "Each way a traced program moved bytes to its sockets. CPU copies read measured / "
                                 "expected: the theory row's figure, or the kernel code's where the seeds have no "
                                 "row (" + std::string(kNoFigure) + ").",
                                 flow_verdicts);
    return out + "</section>\n";
}

std::string render_details(const Summary& summary, const std::vector<Report>& reports, const WhyNotes& notes)
{
    std::string out = "<section class=\"details\">\n<h2>Per technique: deviations and findings</h2>\n";
    for (std::size_t i = 0; i < summary.rows.size(); ++i) {
        const SummaryRow& row = summary.rows[i];
        const Report* found = report_of(row, reports);
        if (!found)
            continue;
        const Report& report = *found;
        out += "<article class=\"technique\" data-technique=\"" + escape(row.label) + "\">\n<h3>" +
               escape(row.label) + " " + badge(row.verdict) + "</h3>\n";
        std::string where = report.environment.network;
        if (!report.environment.device.empty())
            where += " via " + report.environment.device;
        out += "<p class=\"meta\">Theory row <b>" + escape(report.theory_row) + "</b>" + chinese_name_marker(&report);
        if (report.theory.beyond_seeds)
            out += " (beyond the seeds: " + escape(report.theory.source) + ")";
        if (!report.theory.syscalls.empty() && report.theory.syscalls != report.theory_row)
            out += " (" + without_cjk_glyphs(report.theory.syscalls) + ")";
        if (!report.theory.remark.empty())
            out += ": " + without_cjk_glyphs(report.theory.remark);
        out += ". " + escape(format_bytes(report.workload.bytes)) + " payload in " +
               std::to_string(report.workload.transfers) +
               (report.workload.transfers == 1 ? " transfer" : " transfers");
        if (!report.workload.transfer_unit.empty())
            out += " (" + escape(report.workload.transfer_unit) + ")";
        out += ", " + escape(where) + ", " + escape(report.environment.cache) + " cache. Checks: " +
               check_counts(row.check_verdicts) + "; integrity " +
               (report.workload.integrity.ok ? "ok" : "<b>FAILED</b>") + ".</p>\n";

        out += "<h4>Checks that are not a plain match</h4>\n";
        std::string deviations;
        for (const Check& check : report.checks) {
            if (check.verdict == Verdict::match)
                continue;
            // A version 1 report's checks are held to the theory and say nothing of what they expected.
            const std::string held_to =
                check.expected_from.empty()
                    ? "theory " + (check.theory ? format_bar_figure(*check.theory) : std::string("no figure"))
                    : "expected " + format_bar_figure(check.expected) + " (" + check.expected_from + ")";
            const std::string id = why_id(i, check.metric);
            const auto note = notes.find(id);
            deviations += "<li id=\"" + id + "\" data-verdict=\"" + std::string(verdict_name(check.verdict)) + "\">" +
                          (note == notes.end() ? "" : "<span class=\"note\">" + std::to_string(note->second) +
                                                          "</span> ") +
                          "<code>" + escape(check.metric) + "</code> " + badge(check.verdict) +
                          " <span class=\"figures\">measured " + escape(format_bar_figure(check.measured)) + ", " +
                          escape(held_to) + "</span>: " + without_cjk_glyphs(check.explanation) + "</li>\n";
        }
        out += deviations.empty() ? "<p class=\"none\">None: every check matched.</p>\n"
                                  : "<ul class=\"deviations\">\n" + deviations + "</ul>\n";
        out += "<h4>Findings</h4>\n";
        if (report.findings.empty()) {
            out += "<p class=\"none\">None.</p>\n";
        } else {
            out += "<ul class=\"findings\">\n";
            for (const auto& finding : report.findings)
                out += "<li>" + without_cjk_glyphs(finding) + "</li>\n";
            out += "</ul>\n";
        }
        out += "</article>\n";
    }
    return out + "</section>\n";
}

constexpr const char* kStyle = R"(
:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --rule: #d0d7de; --band: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1120px; padding: 24px 28px 48px; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 17px; margin: 0 0 4px; }
h4 { font-size: 14px; margin: 12px 0 4px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.lede { color: var(--muted); margin: 0 0 16px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; font-size: 14px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
.badge { display: inline-block; padding: 0 8px; border: 1px solid transparent; border-radius: 10px; font-size: 12px;
  font-weight: 600; line-height: 18px; vertical-align: middle; white-space: nowrap; }
/* One style per verdict. Passing (match, environment, no_theory) in greens, explained in amber, failing
   (mismatch, invalid) in reds; within a group the fill and the border tell them apart, and the badge
   always spells the verdict out, so colour is never the only cue. */
.v-match { background: #dcf1e7; color: #0b5d3b; }
.v-environment { background: #eaf6ef; color: #0b5d3b; }
.badge.v-environment { border: 1px dashed #2f8a57; }
.v-no_theory { background: #f4faf6; color: #245c3d; }
.badge.v-no_theory { border: 1px solid #8cc7a3; }
.v-explained { background: #fbecc8; color: #6b4200; }
.v-mismatch { background: #fadbd0; color: #9a2b05; }
.badge.v-mismatch { border-color: #d9653f; }
.v-invalid { background: #8e1b1b; color: #fff; }
.badge.v-invalid { border-color: #5c0f0f; text-transform: uppercase; letter-spacing: .03em; }
ol.headlines { margin: 12px 0 16px; padding-left: 0; list-style: none; font-size: 15px; }
ol.headlines li { margin: 4px 0; padding-left: 10px; border-left: 4px solid var(--rule); }
ol.headlines li.pass { border-left-color: #2f8a57; }
ol.headlines li.explained { border-left-color: #c98a00; }
ol.headlines li.fail { border-left-color: #b3261e; }
ol.headlines .text.fallback { color: var(--muted); }
.table-frame { overflow-x: auto; }
table.summary { border-collapse: collapse; width: 100%; font-size: 13px; }
table.summary caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 13px;
  padding-top: 8px; }
table.summary th, table.summary td { padding: 5px 7px; border-bottom: 1px solid var(--rule); text-align: left;
  vertical-align: top; }
table.summary thead th { font-size: 12px; color: var(--muted); border-bottom: 2px solid var(--rule);
  vertical-align: bottom; }
table.summary tbody th { font-weight: 600; min-width: 9em; }
table.summary td.row { min-width: 8em; }
table.summary tbody tr:nth-child(even) { background: var(--band); }
table.summary .num { text-align: right; font-variant-numeric: tabular-nums; }
table.summary td.num { white-space: nowrap; }
table.summary td.explained, table.summary td.fail { font-weight: 600; }
figure { margin: 24px 0; padding: 16px 16px 8px; border: 1px solid var(--rule); border-radius: 8px; }
figcaption { font-size: 14px; color: var(--muted); margin-bottom: 8px; }
figcaption b { color: var(--ink); }
svg.chart { display: block; width: 100%; height: auto; font-family: inherit; }
svg .lbl { font-size: 12px; fill: var(--ink); }
svg .val { font-size: 11px; fill: var(--ink); font-variant-numeric: tabular-nums; }
svg .tick { font-size: 11px; fill: var(--muted); font-variant-numeric: tabular-nums; }
svg .axis-title { font-size: 12px; fill: var(--muted); }
svg .panel-title { font-size: 12.5px; font-weight: 600; fill: var(--ink); }
svg .legend { font-size: 12px; fill: var(--ink); }
svg .nofig { font-size: 11px; font-style: italic; fill: #6e7781; }
svg .band { fill: var(--band); }
svg .grid { stroke: #d8dee4; stroke-width: 1; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
article.technique { padding: 14px 0; border-bottom: 1px solid var(--rule); }
article.technique .meta { margin: 0; color: var(--muted); font-size: 14px; }
article.technique ul { margin: 0; padding-left: 20px; font-size: 14px; }
article.technique li { margin: 2px 0; }
.figures { color: var(--muted); }
/* The seeds' Chinese sits in the title of a [zh] marker (see chinese_marker). */
.zh { font-size: 11px; color: var(--muted); border-bottom: 1px dotted var(--muted); cursor: help;
  white-space: nowrap; }
/* A tinted cell's numbered link to why, and the same number beside the reason. */
a.why { margin-left: 3px; font-size: 10px; vertical-align: super; line-height: 0; color: inherit; }
.note { display: inline-block; min-width: 1.6em; padding: 0 4px; border-radius: 8px; background: var(--band);
  font-size: 12px; font-weight: 600; text-align: center; }
li:target { outline: 2px solid #0072B2; outline-offset: 2px; }
.none { margin: 0; font-size: 14px; color: var(--muted); }
code { font-size: 13px; background: var(--band); padding: 0 4px; border-radius: 4px; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  figure, article.technique, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
)";

}  // namespace

std::string render_summary_html(const Summary& summary, const std::vector<Report>& reports)
{
    std::vector<std::string> labels;
    for (const SummaryRow& row : summary.rows)
        labels.push_back(row.label);
    std::string kernels;
    for (std::size_t i = 0; i < summary.kernels.size(); ++i)
        kernels += (i ? "; " : "") + summary.kernels[i];

    std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    // Nothing may be fetched: the page is one file, readable offline and safe to mail around.
    out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
           "img-src data:\">\n";
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out += "<meta name=\"generator\" content=\"" + escape(summary.tool) + "\">\n";
    const std::size_t report_count = summary.rows.size() + summary.traces.size();
    out += "<title>zctrace summary: " + std::to_string(report_count) + " reports, " +
           escape(summary.created_at) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";

    out += "<header>\n<h1>zctrace summary</h1>\n<p class=\"lede\">What each I/O technique really copied, measured "
           "with eBPF on the sender, against the textbook theory table.</p>\n";
    out += render_headlines(summary);
    out += "<dl class=\"meta\">\n";
    out += "<dt>Kernel" + std::string(summary.kernels.size() > 1 ? "s" : "") + "</dt><dd>" + escape(kernels) +
           "</dd>\n";
    out += "<dt>Tool</dt><dd>" + escape(summary.tool) + "</dd>\n";
    out += "<dt>Newest report</dt><dd><time>" + escape(summary.created_at) + "</time></dd>\n";
    out += "<dt>Reports</dt><dd>" + std::to_string(report_count) + "</dd>\n";
    out += "<dt>Overall verdict</dt><dd>" + badge(summary.verdict) + "</dd>\n</dl>\n</header>\n";

    const std::string footer = "<footer>Generated by " + escape(summary.tool) + " from " +
                               std::to_string(report_count) + " reports; newest " + escape(summary.created_at) +
                               ".</footer>\n</body>\n</html>\n";
    const WhyNotes notes = number_why_notes(summary, reports);
    out += "<main>\n";
    // Traces alone have no run table, and nothing to chart: the charts are the runs'.
    if (summary.rows.empty() && !summary.traces.empty())
        return out + render_traces(summary) + "</main>\n" + footer;
    out += "<h2>Summary</h2>\n" + render_table(summary, reports, notes) + render_traces(summary);
    if (summary.rows.empty()) {
        out += "<p class=\"none\">No reports to chart.</p>\n</main>\n</body>\n</html>\n";
        return out;
    }

    out += "<h2>Charts</h2>\n";
    int figure_number = 0;
    auto caption = [&](const std::string& title, const std::string& rest) {
        return "<b>Figure " + std::to_string(++figure_number) + ". " + title + "</b>" + rest;
    };
    const std::vector<Series> measured_theory = {{"measured", "measured", kMeasuredColour},
                                                 {"theory", "theory table", kTheoryColour}};
    auto rows_of = [&](auto measured, auto theory) {
        std::vector<std::vector<std::optional<double>>> values;
        for (const SummaryRow& row : summary.rows)
            values.push_back({measured(row), theory(row)});
        return values;
    };

    GroupedChart copies{"chart-cpu-copies",
                        caption("Copies of the payload, measured against the theory table.",
                                " One copy is one pass over the whole payload. CPU copies cost CPU time; DMA copies "
                                "are done by the disk and NIC. Lower is better."),
                        measured_theory,
                        {}};
    copies.panels.push_back({"cpu_copies", "CPU copies", "CPU copies (copies of the payload)",
                             "copies of the payload", format_bar_figure,
                             rows_of([](const SummaryRow& r) { return r.cpu_copies; },
                                     [](const SummaryRow& r) { return std::optional(r.theory_cpu_copies); })});
    copies.panels.push_back({"dma_copies", "DMA copies", "DMA copies (copies of the payload)",
                             "copies of the payload", format_bar_figure,
                             rows_of([](const SummaryRow& r) { return r.dma_copies; },
                                     [](const SummaryRow& r) { return std::optional(r.theory_dma_copies); })});
    out += render_grouped(copies, labels);

    GroupedChart switches{"chart-mode-switches",
                          caption("Syscalls and user/kernel mode switches per transfer",
                                  " (a transfer is one chunk or one call, as each technique defines it; a mode "
                                  "switch is a syscall entry or exit). “no figure”: the theory table gives none."),
                          measured_theory,
                          {}};
    switches.panels.push_back(
        {"syscalls_per_transfer", "syscalls per transfer", "syscalls per transfer", "syscalls per transfer",
         format_bar_figure,
         rows_of([](const SummaryRow& r) { return r.syscalls_per_transfer; },
                 [](const SummaryRow& r) { return r.theory_syscalls_per_transfer; })});
    switches.panels.push_back(
        {"mode_switches_per_transfer", "mode switches per transfer", "mode switches per transfer (entries + exits)",
         "mode switches per transfer", format_bar_figure,
         rows_of([](const SummaryRow& r) { return r.mode_switches_per_transfer; },
                 [](const SummaryRow& r) { return r.theory_mode_switches_per_transfer; })});
    out += render_grouped(switches, labels);

    // A technique that sends nothing goes through the payload at memory or
    // disk speed: beside the senders its MiB/s would read as a faster network.
    std::vector<const SummaryRow*> senders, keepers;
    for (const SummaryRow& row : summary.rows)
        (sends_nothing(report_of(row, reports)) ? keepers : senders).push_back(&row);
    if (!senders.empty())
        out += render_cpu_chart(
            "chart-cpu-per-gib",
            caption("The senders' CPU time per GiB of payload",
                    " (user + system seconds in the sender's measurement window; lower is better), and their "
                    "throughput to the receiver over TCP (higher is better)." +
                        std::string(keepers.empty() ? "" : " The techniques that send nothing have a figure of "
                                                           "their own, next.")),
            "throughput", senders);
    if (!keepers.empty())
        out += render_cpu_chart(
            "chart-cpu-per-gib-in-memory",
            caption("Techniques that send nothing: CPU time per GiB of payload",
                    " and how fast they went through it. They keep the payload in the sender's memory and "
                    "checksum it there, so their MiB/s is memory and disk speed, on an axis of its own: it does "
                    "not compare with the senders' throughput."),
            "rate through the payload", keepers);

    std::vector<std::string> byte_labels, cost_labels;
    std::vector<std::vector<double>> shares, costs;
    for (const SummaryRow& row : summary.rows)
        if (const Report* report = report_of(row, reports)) {
            byte_labels.push_back(row.label);
            shares.push_back(byte_shares(*report));
            if (row.cost_seconds_per_gib) {
                cost_labels.push_back(row.label);
                costs.push_back(cost_shares(*row.cost_seconds_per_gib));
            }
        }
    if (!shares.empty())
        out += render_stacked_chart(++figure_number, bytes_chart(), byte_labels, shares);
    if (!costs.empty())
        out += render_stacked_chart(++figure_number, cost_chart(), cost_labels, costs);
    out += render_sweep_charts(figure_number, summary);

    out += render_details(summary, reports, notes);
    return out + "</main>\n" + footer;
}

}  // namespace zctrace
