// expr and govaluate expressions (expr.h): a lexer, a precedence-climbing
// parser into a small tree, and an evaluator that only evaluates the
// branches an && || ?? or ?: takes.
#include "libkf/workflow/expr.h"

#include <cmath>
#include <memory>
#include <vector>

#include "libkf/util/error.h"
#include "libkf/util/strings.h"
#include "libkf/workflow/jsonpath.h"
#include "libkf/workflow/regexp.h"

namespace kf::workflow {

namespace {

struct Token {
  enum Kind { end, number, string, ident, op } kind = end;
  std::string text;
  Json value;
};

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

class Lexer {
public:
  explicit Lexer(std::string_view s) : m_s(s) {}

  std::vector<Token> tokens() {
    std::vector<Token> out;
    for (;;) {
      while (m_i < m_s.size() && std::isspace(static_cast<unsigned char>(m_s[m_i]))) ++m_i;
      if (m_i >= m_s.size()) break;
      out.push_back(next());
    }
    out.push_back(Token{});
    return out;
  }

private:
  Token next() {
    const char c = m_s[m_i];
    if (std::isdigit(static_cast<unsigned char>(c))) return number();
    if (c == '\'' || c == '"') return string(c);
    if (ident_start(c)) {
      const std::size_t start = m_i;
      while (m_i < m_s.size() && ident_char(m_s[m_i])) ++m_i;
      return {Token::ident, std::string(m_s.substr(start, m_i - start)), {}};
    }
    for (const char* two : {"==", "!=", "<=", ">=", "&&", "||", "??", "?.", "=~", "!~"})
      if (m_s.substr(m_i, 2) == two) {
        m_i += 2;
        return {Token::op, two, {}};
      }
    if (std::string_view("<>+-*/%!?:.,()[]{}").find(c) != std::string_view::npos) {
      ++m_i;
      return {Token::op, std::string(1, c), {}};
    }
    throw Error("unexpected character '" + std::string(1, c) + "' at " + std::to_string(m_i + 1));
  }

  Token number() {
    const std::size_t start = m_i;
    bool real = false;
    while (m_i < m_s.size() && std::isdigit(static_cast<unsigned char>(m_s[m_i]))) ++m_i;
    if (m_i + 1 < m_s.size() && m_s[m_i] == '.' && std::isdigit(static_cast<unsigned char>(m_s[m_i + 1]))) {
      real = true;
      ++m_i;
      while (m_i < m_s.size() && std::isdigit(static_cast<unsigned char>(m_s[m_i]))) ++m_i;
    }
    if (m_i < m_s.size() && (m_s[m_i] == 'e' || m_s[m_i] == 'E')) {
      real = true;
      ++m_i;
      if (m_i < m_s.size() && (m_s[m_i] == '+' || m_s[m_i] == '-')) ++m_i;
      while (m_i < m_s.size() && std::isdigit(static_cast<unsigned char>(m_s[m_i]))) ++m_i;
    }
    const std::string text(m_s.substr(start, m_i - start));
    try {
      Json v = real ? Json(std::stod(text)) : Json(std::stoll(text));
      return {Token::number, text, v};
    } catch (const std::exception&) { // out of range
      throw Error("number " + text + " is out of range");
    }
  }

  Token string(char quote) {
    std::string v;
    for (++m_i; m_i < m_s.size() && m_s[m_i] != quote; ++m_i) {
      char c = m_s[m_i];
      if (c == '\\' && m_i + 1 < m_s.size()) {
        c = m_s[++m_i];
        if (std::string_view("ntr\\'\"").find(c) == std::string_view::npos) v += '\\'; // a regular expression's \d stays
        c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
      }
      v += c;
    }
    if (m_i >= m_s.size()) throw Error("unterminated string");
    ++m_i;
    return {Token::string, v, Json(v)};
  }

  std::string_view m_s;
  std::size_t m_i = 0;
};

struct Node {
  enum Kind { literal, name, member, index, call, unary, binary, ternary, list, map } kind = literal;
  Json value;            // literal
  std::string text;      // name / member key / operator / function
  bool optional = false; // ?.
  std::vector<std::unique_ptr<Node>> kids;
};
using NodePtr = std::unique_ptr<Node>;

NodePtr make(Node::Kind kind, std::string text = {}) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->text = std::move(text);
  return n;
}

class Parser {
public:
  explicit Parser(std::vector<Token> tokens) : m_t(std::move(tokens)) {}

  NodePtr parse() {
    NodePtr n = ternary();
    if (m_t[m_i].kind != Token::end) throw Error("unexpected '" + m_t[m_i].text + "'");
    return n;
  }

private:
  const Token& peek() const { return m_t[m_i]; }
  bool is(const char* text) const {
    return (peek().kind == Token::op || peek().kind == Token::ident) && peek().text == text;
  }
  bool accept(const char* text) {
    if (!is(text)) return false;
    ++m_i;
    return true;
  }
  void expect(const char* text) {
    if (!accept(text))
      throw Error(std::string("expected '") + text + "'" + (peek().kind == Token::end ? " at the end" : " before '" + peek().text + "'"));
  }

  NodePtr binary(std::string op, NodePtr a, NodePtr b) {
    auto n = make(Node::binary, std::move(op));
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return n;
  }

  NodePtr ternary() {
    NodePtr c = level(0);
    if (!accept("?")) return c;
    auto n = make(Node::ternary);
    n->kids.push_back(std::move(c));
    n->kids.push_back(ternary());
    expect(":");
    n->kids.push_back(ternary());
    return n;
  }

  // Binary operators, loosest first.
  NodePtr level(std::size_t l) {
    static const std::vector<std::vector<const char*>> levels = {
        {"??"},
        {"||", "or"},
        {"&&", "and"},
        {"==", "!=", "<", ">", "<=", ">=", "in", "matches", "contains", "startsWith", "endsWith", "=~", "!~"},
        {"+", "-"},
        {"*", "/", "%"}};
    if (l == levels.size()) return unary();
    NodePtr a = level(l + 1);
    for (;;) {
      const char* op = nullptr;
      for (const char* o : levels[l])
        if (is(o)) op = o;
      if (!op) return a;
      ++m_i;
      std::string name = op;
      if (name == "or") name = "||";
      if (name == "and") name = "&&";
      a = binary(name, std::move(a), level(l + 1));
    }
  }

  NodePtr unary() {
    if (++m_depth > 200) throw Error("nested too deeply");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{m_depth};
    for (const char* op : {"!", "not", "-", "+"})
      if (accept(op)) {
        auto n = make(Node::unary, std::string(op) == "not" ? "!" : op);
        n->kids.push_back(unary());
        return n;
      }
    return postfix(primary());
  }

  NodePtr postfix(NodePtr n) {
    for (;;) {
      if (is(".") || is("?.")) {
        const bool optional = peek().text == "?.";
        ++m_i;
        if (peek().kind != Token::ident) throw Error("expected a name after '.'");
        auto m = make(Node::member, m_t[m_i++].text);
        m->optional = optional;
        m->kids.push_back(std::move(n));
        n = std::move(m);
      } else if (accept("[")) {
        auto m = make(Node::index);
        m->kids.push_back(std::move(n));
        m->kids.push_back(ternary());
        expect("]");
        n = std::move(m);
      } else if (is("(") && names_only(*n)) {
        ++m_i;
        auto c = make(Node::call, function_name(*n));
        while (!accept(")")) {
          if (!c->kids.empty()) expect(",");
          c->kids.push_back(ternary());
        }
        n = std::move(c);
      } else {
        return n;
      }
    }
  }

  // A function's name: a name, or names joined by dots (sprig.trim).
  static bool names_only(const Node& n) {
    return n.kind == Node::name || (n.kind == Node::member && !n.optional && names_only(*n.kids[0]));
  }

  static std::string function_name(const Node& n) {
    if (n.kind == Node::name) return n.text;
    return function_name(*n.kids[0]) + "." + n.text;
  }

  NodePtr primary() {
    const Token t = peek();
    if (t.kind == Token::end) throw Error("unexpected end");
    ++m_i;
    if (t.kind == Token::number || t.kind == Token::string) {
      auto n = make(Node::literal);
      n->value = t.value;
      return n;
    }
    if (t.kind == Token::ident) {
      if (t.text == "true" || t.text == "false" || t.text == "nil" || t.text == "null") {
        auto n = make(Node::literal);
        n->value = t.text == "true" ? Json(true) : t.text == "false" ? Json(false) : Json();
        return n;
      }
      return make(Node::name, t.text);
    }
    if (t.text == "(") {
      NodePtr n = ternary();
      expect(")");
      return n;
    }
    if (t.text == "[") {
      auto n = make(Node::list);
      while (!accept("]")) {
        if (!n->kids.empty()) expect(",");
        n->kids.push_back(ternary());
      }
      return n;
    }
    if (t.text == "{") {
      auto n = make(Node::map);
      while (!accept("}")) {
        if (!n->kids.empty()) expect(",");
        auto key = make(Node::literal);
        if (peek().kind != Token::ident && peek().kind != Token::string) throw Error("expected a key in a map");
        key->value = m_t[m_i++].text;
        expect(":");
        n->kids.push_back(std::move(key));
        n->kids.push_back(ternary());
      }
      return n;
    }
    throw Error("unexpected '" + t.text + "'");
  }

  std::vector<Token> m_t;
  std::size_t m_i = 0;
  int m_depth = 0;
};

std::string type_name(const Json& v) {
  if (v.is_null()) return "nil";
  if (v.is_boolean()) return "bool";
  if (v.is_number_integer()) return "int";
  if (v.is_number()) return "float";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "map";
}

bool as_bool(const Json& v, const std::string& what) {
  if (!v.is_boolean()) throw Error(what + " needs a bool, not " + type_name(v) + " " + to_text(v));
  return v.get<bool>();
}

Json number_of(const Json& v, bool integer) {
  if (v.is_number()) return integer ? Json(static_cast<long long>(v.get<double>())) : Json(v.get<double>());
  if (v.is_string()) {
    const std::string s = str::trim(v.get<std::string>());
    try {
      std::size_t used = 0;
      if (integer) {
        const long long n = std::stoll(s, &used, 10);
        if (used == s.size()) return n;
      } else {
        const double d = std::stod(s, &used);
        if (used == s.size()) return d;
      }
    } catch (const std::exception&) {
    }
  }
  throw Error("cannot convert " + type_name(v) + " " + str::quote(to_text(v)) + " to " + (integer ? "int" : "float"));
}

class Evaluator {
public:
  Evaluator(const Json& env, bool lenient) : m_env(env), m_lenient(lenient) {}

  Json eval(const Node& n) {
    switch (n.kind) {
    case Node::literal: return n.value;
    case Node::name:
      if (m_env.is_object() && m_env.contains(n.text)) return m_env[n.text];
      if (m_lenient) return n.text;
      throw Error("unknown name " + n.text);
    case Node::member: return member(n);
    case Node::index: return index(eval(*n.kids[0]), eval(*n.kids[1]));
    case Node::call: return call(n);
    case Node::unary: return unary(n);
    case Node::binary: return binary(n);
    case Node::ternary: return as_bool(eval(*n.kids[0]), "?:") ? eval(*n.kids[1]) : eval(*n.kids[2]);
    case Node::list: {
      Json out = Json::array();
      for (const auto& k : n.kids) out.push_back(eval(*k));
      return out;
    }
    case Node::map: {
      Json out = Json::object();
      for (std::size_t i = 0; i + 1 < n.kids.size(); i += 2) out[n.kids[i]->value.get<std::string>()] = eval(*n.kids[i + 1]);
      return out;
    }
    }
    return {};
  }

private:
  Json member(const Node& n) {
    const Json base = eval(*n.kids[0]);
    if (base.is_null()) {
      if (n.optional) return {};
      throw Error("cannot fetch " + n.text + " from nil");
    }
    if (base.is_object()) return base.contains(n.text) ? base[n.text] : Json();
    throw Error("cannot fetch " + n.text + " from " + type_name(base));
  }

  static Json index(const Json& base, const Json& key) {
    if (base.is_object() && key.is_string()) return base.contains(key.get<std::string>()) ? base[key.get<std::string>()] : Json();
    if ((base.is_array() || base.is_string()) && key.is_number_integer()) {
      const long long size = base.is_array() ? static_cast<long long>(base.size()) : static_cast<long long>(base.get<std::string>().size());
      long long i = key.get<long long>();
      if (i < 0) i += size;
      if (i < 0 || i >= size) throw Error("index " + std::to_string(key.get<long long>()) + " out of range (" + std::to_string(size) + ")");
      return base.is_array() ? base[static_cast<std::size_t>(i)] : Json(std::string(1, base.get<std::string>()[static_cast<std::size_t>(i)]));
    }
    if (base.is_null()) throw Error("cannot fetch " + to_text(key) + " from nil");
    throw Error("cannot index " + type_name(base) + " with " + type_name(key));
  }

  Json unary(const Node& n) {
    const Json v = eval(*n.kids[0]);
    if (n.text == "!") return !as_bool(v, "!");
    if (!v.is_number()) throw Error("unary " + n.text + " needs a number, not " + type_name(v));
    if (n.text == "+") return v;
    return v.is_number_integer() ? Json(-v.get<long long>()) : Json(-v.get<double>());
  }

  Json binary(const Node& n) {
    const std::string& op = n.text;
    if (op == "&&") return as_bool(eval(*n.kids[0]), "&&") && as_bool(eval(*n.kids[1]), "&&");
    if (op == "||") return as_bool(eval(*n.kids[0]), "||") || as_bool(eval(*n.kids[1]), "||");
    if (op == "??") {
      Json a = eval(*n.kids[0]);
      return a.is_null() ? eval(*n.kids[1]) : a;
    }
    return apply(op, eval(*n.kids[0]), eval(*n.kids[1]));
  }

  static Json apply(const std::string& op, const Json& a, const Json& b) {
    if (op == "==") return a == b;
    if (op == "!=") return a != b;
    if (op == "<" || op == ">" || op == "<=" || op == ">=") {
      if (!((a.is_number() && b.is_number()) || (a.is_string() && b.is_string())))
        throw Error("cannot compare " + type_name(a) + " " + op + " " + type_name(b));
      const bool lt = a < b, gt = b < a;
      return op == "<" ? lt : op == ">" ? gt : op == "<=" ? !gt : !lt;
    }
    if (op == "in") {
      if (b.is_array()) return std::find(b.begin(), b.end(), a) != b.end();
      if (b.is_object() && a.is_string()) return b.contains(a.get<std::string>());
      throw Error("cannot use in on " + type_name(b));
    }
    if (op == "matches" || op == "=~" || op == "!~") {
      if (!a.is_string() || !b.is_string()) throw Error(op + " needs strings");
      const bool m = regex_search(a.get<std::string>(), b.get<std::string>());
      return op == "!~" ? !m : m;
    }
    if (op == "contains" || op == "startsWith" || op == "endsWith") {
      if (!a.is_string() || !b.is_string()) throw Error(op + " needs strings");
      const std::string& s = a.get_ref<const std::string&>();
      const std::string& t = b.get_ref<const std::string&>();
      if (op == "contains") return s.find(t) != std::string::npos;
      if (op == "startsWith") return str::starts_with(s, t);
      return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
    }
    return arithmetic(op, a, b);
  }

  static Json arithmetic(const std::string& op, const Json& a, const Json& b) {
    if (op == "+" && a.is_string() && b.is_string()) return a.get<std::string>() + b.get<std::string>();
    if (op == "+" && a.is_array() && b.is_array()) {
      Json out = a;
      for (const auto& x : b) out.push_back(x);
      return out;
    }
    if (!a.is_number() || !b.is_number()) throw Error("invalid operation: " + type_name(a) + " " + op + " " + type_name(b));
    if (a.is_number_integer() && b.is_number_integer() && op != "/") {
      const long long x = a.get<long long>(), y = b.get<long long>();
      if (op == "%" && y == 0) throw Error("integer divide by zero");
      return op == "+" ? x + y : op == "-" ? x - y : op == "*" ? x * y : x % y;
    }
    const double x = a.get<double>(), y = b.get<double>();
    if (op == "%") return std::fmod(x, y);
    return op == "+" ? x + y : op == "-" ? x - y : op == "*" ? x * y : x / y;
  }

  Json call(const Node& n) {
    std::vector<Json> args;
    for (const auto& k : n.kids) args.push_back(eval(*k));
    std::string f = n.text;
    if (str::starts_with(f, "sprig.")) f = f.substr(6);
    const auto need = [&](std::size_t count) {
      if (args.size() != count)
        throw Error(n.text + "() takes " + std::to_string(count) + " argument" + (count == 1 ? "" : "s") + ", not " + std::to_string(args.size()));
    };
    if (f == "jsonpath") {
      need(2);
      const Json doc = args[0].is_string() ? json::parse_or_discarded(args[0].get<std::string>()) : args[0];
      if (doc.is_discarded()) throw Error("jsonpath(): the document is not JSON");
      if (!args[1].is_string()) throw Error("jsonpath(): the path must be a string");
      return jsonpath(doc, args[1].get<std::string>());
    }
    need(1);
    const Json& x = args[0];
    if (f == "string" || f == "toString") return to_text(x);
    if (f == "int" || f == "asInt" || f == "atoi") return number_of(x, true);
    if (f == "float" || f == "asFloat" || f == "float64") return number_of(x, false);
    if (f == "toJson" || f == "toJSON") return x.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (f == "fromJson" || f == "fromJSON") {
      if (!x.is_string()) throw Error("fromJson() needs a string");
      Json v = json::parse_or_discarded(x.get<std::string>());
      if (v.is_discarded()) throw Error("fromJson(): " + str::quote(x.get<std::string>()) + " is not JSON");
      return v;
    }
    if (f == "len") {
      if (x.is_string()) return x.get<std::string>().size();
      if (x.is_array() || x.is_object()) return x.size();
      throw Error("len() of " + type_name(x));
    }
    if (f == "lower" || f == "upper" || f == "trim") {
      if (!x.is_string()) throw Error(f + "() needs a string");
      std::string s = x.get<std::string>();
      if (f == "trim") return str::trim(s);
      for (auto& c : s) c = static_cast<char>(f == "lower" ? std::tolower(static_cast<unsigned char>(c)) : std::toupper(static_cast<unsigned char>(c)));
      return s;
    }
    throw Error("unknown function " + n.text + "()");
  }

  const Json& m_env;
  bool m_lenient;
};

Json run(std::string_view expression, const Json& env, bool lenient) {
  try {
    Parser p(Lexer(expression).tokens());
    const NodePtr tree = p.parse();
    return Evaluator(env, lenient).eval(*tree);
  } catch (const Error& e) {
    throw Error(str::quote(std::string(expression)) + ": " + e.what());
  }
}

} // namespace

Json evaluate(std::string_view expression, const Json& env) { return run(expression, env, false); }

bool evaluate_when(std::string_view when) {
  const Json v = run(when, Json::object(), true);
  if (!v.is_boolean()) throw Error("expected a boolean from " + str::quote(std::string(when)) + ", got " + to_text(v));
  return v.get<bool>();
}

std::string to_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  }
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace kf::workflow
