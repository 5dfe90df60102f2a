#include "report/run_report.hpp"

namespace zctrace {

std::string_view verdict_name(Verdict verdict)
{
    switch (verdict) {
    case Verdict::match: return "match";
    case Verdict::environment: return "environment";
    case Verdict::explained: return "explained";
    case Verdict::no_theory: return "no_theory";
    case Verdict::invalid: return "invalid";
    case Verdict::mismatch: return "mismatch";
    }
    return "mismatch";
}

}  // namespace zctrace
