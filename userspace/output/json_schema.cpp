// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "output/json_schema.hpp"

#include <cmath>
#include <regex>

#include "output/report_diff.hpp"
#include "output/summary.hpp"
#include "report/gather_report.hpp"
#include "report/interval_sample.hpp"
#include "report/run_report.hpp"

namespace zctrace {
namespace {

using json = nlohmann::json;

// ---- JSON values as draft-07 compares and measures them ----

bool has_type(const json& value, const std::string& type)
{
    if (type == "null") return value.is_null();
    if (type == "boolean") return value.is_boolean();
    if (type == "object") return value.is_object();
    if (type == "array") return value.is_array();
    if (type == "string") return value.is_string();
    if (type == "number") return value.is_number();
    if (type == "integer") {
        if (value.is_number_integer()) return true;
        if (!value.is_number_float()) return false;
        const double d = value.get<double>();
        return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
}

// JSON equality with 1 == 1.0, as the spec wants.
bool equal(const json& a, const json& b)
{
    if (a.is_number() && b.is_number())
        return a.get<double>() == b.get<double>();
    if (a.type() != b.type())
        return false;
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!equal(a[i], b[i])) return false;
        return true;
    }
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        for (auto it = a.begin(); it != a.end(); ++it) {
            auto other = b.find(it.key());
            if (other == b.end() || !equal(it.value(), *other)) return false;
        }
        return true;
    }
    return a == b;
}

// String lengths count code points, not bytes.
std::size_t utf8_length(const std::string& text)
{
    std::size_t count = 0;
    for (unsigned char c : text)
        count += (c & 0xC0) != 0x80;
    return count;
}

// The JSON pointer of `key` inside `where`, escaped as RFC 6901 says.
std::string child(const std::string& where, const std::string& key)
{
    std::string escaped;
    for (char c : key) {
        if (c == '~') escaped += "~0";
        else if (c == '/') escaped += "~1";
        else escaped += c;
    }
    return where + "/" + escaped;
}

// A local "$ref" ("#/definitions/x", percent-encoded or not) in `root`;
// null for remote references and pointers to nothing.
const json* resolve(const json& root, const std::string& ref)
{
    if (ref.empty() || ref[0] != '#')
        return nullptr;
    try {
        std::string pointer = ref.substr(1);
        std::string decoded;
        for (std::size_t i = 0; i < pointer.size(); ++i) {
            if (pointer[i] == '%' && i + 2 < pointer.size()) {
                decoded += static_cast<char>(std::stoi(pointer.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                decoded += pointer[i];
            }
        }
        const json::json_pointer ptr(decoded);
        return &root.at(ptr);
    } catch (const std::exception&) {
        return nullptr;
    }
}

// ---- the validator: one function per group of keywords ----

class Validator {
public:
    Validator(const json& root, std::vector<std::string>& errors, int depth = 0)
        : root_(root), errors_(errors), depth_(depth)
    {
    }

    void check(const json& schema, const json& value, const std::string& where)
    {
        if (schema.is_boolean()) {
            if (!schema.get<bool>())
                fail(where, "no value is allowed here");
            return;
        }
        if (!schema.is_object())
            return;
        if (++depth_ > 64) {
            fail(where, "schema nesting too deep (a $ref cycle?)");
            --depth_;
            return;
        }
        if (auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
            // draft-07: $ref replaces its siblings.
            if (const json* target = resolve(root_, ref->get<std::string>()))
                check(*target, value, where);
            else
                fail(where, "unresolvable $ref " + ref->get<std::string>());
            --depth_;
            return;
        }
        check_type_enum_const(schema, value, where);
        check_combinators(schema, value, where);
        check_conditional(schema, value, where);
        if (value.is_object()) {
            check_required_and_size(schema, value, where);
            check_properties(schema, value, where);
            check_dependencies(schema, value, where);
        }
        if (value.is_array()) {
            check_array_size(schema, value, where);
            check_items(schema, value, where);
        }
        if (value.is_string()) check_string(schema, value, where);
        if (value.is_number()) check_number(schema, value, where);
        --depth_;
    }

private:
    void fail(const std::string& where, const std::string& what)
    {
        errors_.push_back((where.empty() ? "/" : where) + ": " + what);
    }

    // Validates into a scratch list: for anyOf, oneOf, not, if and contains.
    bool passes(const json& schema, const json& value, const std::string& where)
    {
        std::vector<std::string> scratch;
        Validator inner{root_, scratch, depth_};
        inner.check(schema, value, where);
        return scratch.empty();
    }

    void check_type_enum_const(const json& s, const json& v, const std::string& where)
    {
        if (auto type = s.find("type"); type != s.end()) {
            bool ok = false;
            if (type->is_string())
                ok = has_type(v, type->get<std::string>());
            else if (type->is_array())
                for (const auto& t : *type)
                    ok = ok || (t.is_string() && has_type(v, t.get<std::string>()));
            if (!ok)
                fail(where, "expected type " + type->dump() + ", got " + v.type_name());
        }
        if (auto e = s.find("enum"); e != s.end() && e->is_array()) {
            bool found = false;
            for (const auto& option : *e)
                found = found || equal(option, v);
            if (!found)
                fail(where, v.dump() + " is not one of " + e->dump());
        }
        if (auto c = s.find("const"); c != s.end() && !equal(*c, v))
            fail(where, "expected " + c->dump());
    }

    void check_combinators(const json& s, const json& v, const std::string& where)
    {
        if (auto all = s.find("allOf"); all != s.end())
            for (const auto& sub : *all)
                check(sub, v, where);
        if (auto any = s.find("anyOf"); any != s.end()) {
            bool ok = false;
            for (const auto& sub : *any)
                ok = ok || passes(sub, v, where);
            if (!ok)
                fail(where, "matches none of anyOf");
        }
        if (auto one = s.find("oneOf"); one != s.end()) {
            int matched = 0;
            for (const auto& sub : *one)
                matched += passes(sub, v, where) ? 1 : 0;
            if (matched != 1)
                fail(where, "matches " + std::to_string(matched) + " of oneOf, not exactly 1");
        }
        if (auto n = s.find("not"); n != s.end() && passes(*n, v, where))
            fail(where, "matches a schema it must not match");
    }

    void check_conditional(const json& s, const json& v, const std::string& where)
    {
        auto cond = s.find("if");
        if (cond == s.end())
            return;
        const bool holds = passes(*cond, v, where);
        if (auto then = s.find("then"); holds && then != s.end())
            check(*then, v, where);
        if (auto otherwise = s.find("else"); !holds && otherwise != s.end())
            check(*otherwise, v, where);
    }

    void check_required_and_size(const json& s, const json& v, const std::string& where)
    {
        if (auto required = s.find("required"); required != s.end())
            for (const auto& name : *required)
                if (name.is_string() && !v.contains(name.get<std::string>()))
                    fail(where, "missing required property \"" + name.get<std::string>() + "\"");
        if (auto min = s.find("minProperties"); min != s.end() && v.size() < min->get<double>())
            fail(where, "fewer than " + min->dump() + " properties");
        if (auto max = s.find("maxProperties"); max != s.end() && v.size() > max->get<double>())
            fail(where, "more than " + max->dump() + " properties");
    }

    // Each member against properties, patternProperties, additionalProperties
    // and propertyNames.
    void check_properties(const json& s, const json& v, const std::string& where)
    {
        const json* properties = s.contains("properties") ? &s["properties"] : nullptr;
        const json* patterns = s.contains("patternProperties") ? &s["patternProperties"] : nullptr;
        const json* additional = s.contains("additionalProperties") ? &s["additionalProperties"] : nullptr;
        for (auto it = v.begin(); it != v.end(); ++it) {
            const std::string& key = it.key();
            const std::string path = child(where, key);
            bool covered = false;
            if (properties && properties->contains(key)) {
                covered = true;
                check((*properties)[key], it.value(), path);
            }
            if (patterns)
                for (auto p = patterns->begin(); p != patterns->end(); ++p)
                    if (std::regex_search(key, std::regex(p.key(), std::regex::ECMAScript))) {
                        covered = true;
                        check(p.value(), it.value(), path);
                    }
            if (!covered && additional) {
                if (additional->is_boolean() && !additional->get<bool>())
                    fail(path, "property \"" + key + "\" is not allowed");
                else
                    check(*additional, it.value(), path);
            }
            if (auto names = s.find("propertyNames"); names != s.end())
                check(*names, json(key), path);
        }
    }

    void check_dependencies(const json& s, const json& v, const std::string& where)
    {
        auto deps = s.find("dependencies");
        if (deps == s.end())
            return;
        for (auto d = deps->begin(); d != deps->end(); ++d) {
            if (!v.contains(d.key()))
                continue;
            if (d->is_array()) {
                for (const auto& name : *d)
                    if (!v.contains(name.get<std::string>()))
                        fail(where, "\"" + d.key() + "\" requires \"" + name.get<std::string>() + "\"");
            } else {
                check(*d, v, where);
            }
        }
    }

    void check_array_size(const json& s, const json& v, const std::string& where)
    {
        if (auto min = s.find("minItems"); min != s.end() && v.size() < min->get<double>())
            fail(where, "fewer than " + min->dump() + " items");
        if (auto max = s.find("maxItems"); max != s.end() && v.size() > max->get<double>())
            fail(where, "more than " + max->dump() + " items");
        if (auto unique = s.find("uniqueItems"); unique != s.end() && unique->is_boolean() && unique->get<bool>())
            for (std::size_t i = 0; i < v.size(); ++i)
                for (std::size_t j = i + 1; j < v.size(); ++j)
                    if (equal(v[i], v[j]))
                        fail(where, "items " + std::to_string(i) + " and " + std::to_string(j) + " are equal");
    }

    // items (one schema, or one per position with additionalItems after), and contains.
    void check_items(const json& s, const json& v, const std::string& where)
    {
        if (auto items = s.find("items"); items != s.end()) {
            if (items->is_array()) {
                for (std::size_t i = 0; i < v.size() && i < items->size(); ++i)
                    check((*items)[i], v[i], where + "/" + std::to_string(i));
                if (auto extra = s.find("additionalItems"); extra != s.end())
                    for (std::size_t i = items->size(); i < v.size(); ++i)
                        check(*extra, v[i], where + "/" + std::to_string(i));
            } else {
                for (std::size_t i = 0; i < v.size(); ++i)
                    check(*items, v[i], where + "/" + std::to_string(i));
            }
        }
        if (auto contains = s.find("contains"); contains != s.end()) {
            bool found = false;
            for (std::size_t i = 0; i < v.size() && !found; ++i)
                found = passes(*contains, v[i], where);
            if (!found)
                fail(where, "no item matches \"contains\"");
        }
    }

    void check_string(const json& s, const json& v, const std::string& where)
    {
        const std::string& text = v.get_ref<const std::string&>();
        const std::size_t length = utf8_length(text);
        if (auto min = s.find("minLength"); min != s.end() && length < min->get<double>())
            fail(where, "shorter than " + min->dump());
        if (auto max = s.find("maxLength"); max != s.end() && length > max->get<double>())
            fail(where, "longer than " + max->dump());
        if (auto pattern = s.find("pattern"); pattern != s.end() &&
            !std::regex_search(text, std::regex(pattern->get<std::string>(), std::regex::ECMAScript)))
            fail(where, "\"" + text + "\" does not match " + pattern->dump());
    }

    void check_number(const json& s, const json& v, const std::string& where)
    {
        const double x = v.get<double>();
        if (auto min = s.find("minimum"); min != s.end() && x < min->get<double>())
            fail(where, v.dump() + " is below the minimum " + min->dump());
        if (auto max = s.find("maximum"); max != s.end() && x > max->get<double>())
            fail(where, v.dump() + " is above the maximum " + max->dump());
        if (auto min = s.find("exclusiveMinimum"); min != s.end() && min->is_number() && x <= min->get<double>())
            fail(where, v.dump() + " is not above " + min->dump());
        if (auto max = s.find("exclusiveMaximum"); max != s.end() && max->is_number() && x >= max->get<double>())
            fail(where, v.dump() + " is not below " + max->dump());
        if (auto multiple = s.find("multipleOf"); multiple != s.end()) {
            const double quotient = x / multiple->get<double>();
            if (!std::isfinite(quotient) || std::fabs(quotient - std::round(quotient)) > 1e-9)
                fail(where, v.dump() + " is not a multiple of " + multiple->dump());
        }
    }

    const json& root_;
    std::vector<std::string>& errors_;
    int depth_ = 0;
};

}  // namespace

Result<JsonSchema> JsonSchema::parse(nlohmann::json schema)
{
    if (!schema.is_object() && !schema.is_boolean())
        return Error{EINVAL, "a JSON Schema must be an object or a boolean"};
    return JsonSchema(std::move(schema));
}

std::vector<std::string> JsonSchema::validate(const nlohmann::json& instance) const
{
    std::vector<std::string> errors;
    Validator validator{root_, errors};
    validator.check(root_, instance, "");
    return errors;
}

const JsonSchema* find_schema(std::string_view name, int version)
{
    // Parsed once, on first use; the compiled-in schemas are tested to parse.
    static const std::vector<std::pair<const CompiledSchema*, JsonSchema>> parsed = [] {
        std::vector<std::pair<const CompiledSchema*, JsonSchema>> out;
        for (const CompiledSchema& schema : compiled_schemas())
            out.emplace_back(&schema, *JsonSchema::parse(nlohmann::json::parse(schema.text)));
        return out;
    }();
    for (const auto& [schema, compiled] : parsed)
        if (schema->name == name && schema->version == version)
            return &compiled;
    return nullptr;
}

std::string_view find_schema_text(std::string_view name, int version)
{
    for (const CompiledSchema& schema : compiled_schemas())
        if (schema.name == name && schema.version == version)
            return schema.text;
    return {};
}

const JsonSchema& report_schema() { return *find_schema("report", kReportSchemaVersion); }
const JsonSchema& gather_schema() { return *find_schema("gather", kGatherSchemaVersion); }
const JsonSchema& summary_schema() { return *find_schema("summary", kSummarySchemaVersion); }
const JsonSchema& diff_schema() { return *find_schema("diff", kDiffSchemaVersion); }
const JsonSchema& ndjson_schema() { return *find_schema("ndjson", kNdjsonSchemaVersion); }

}  // namespace zctrace
