using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Identity.Scim.Filters;

/// <summary>
/// The filter grammar of RFC 7644 section 3.4.2.2: <c>and</c> binds tighter than <c>or</c>, <c>not (…)</c>, parentheses,
/// value paths <c>emails[type eq "work"]</c>; operators and keywords case-insensitive. Anything else is
/// <c>invalidFilter</c>. Also parses PATCH paths (section 3.5.2): <c>attrPath</c>, <c>attrPath[valFilter]</c>,
/// <c>attrPath[valFilter].subAttr</c>.
/// </summary>
internal sealed class ScimFilterParser
{
    private const int MaxLength = 4096;
    private const int MaxDepth = 32;
    private static readonly string[] Operators = ["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"];

    private readonly List<Token> tokens;
    private int position;
    private int depth;

    private ScimFilterParser(List<Token> tokens) => this.tokens = tokens;

    private enum Kind { Word, String, LeftParen, RightParen, LeftBracket, RightBracket, End }

    private readonly record struct Token(Kind Kind, string Text, int Offset);

    public static ScimFilter Parse(string text)
    {
        var parser = new ScimFilterParser(Tokenize(text));
        var filter = parser.ParseOr();
        if (parser.Peek.Kind != Kind.End) throw ScimError.InvalidFilter($"Unexpected '{parser.Peek.Text}' at position {parser.Peek.Offset + 1}.");
        return filter;
    }

    /// <summary>A PATCH path: the attribute, an optional value filter, and an optional sub-attribute after the filter.</summary>
    public static (AttrPath Path, ScimFilter? Filter, string? SubAfterFilter) ParsePath(string text)
    {
        List<Token> list;
        try
        {
            list = Tokenize(text);
        }
        catch (ScimError e)
        {
            throw ScimError.InvalidPath(e.Detail);
        }

        var parser = new ScimFilterParser(list);
        try
        {
            var first = parser.Next();
            if (first.Kind != Kind.Word) throw ScimError.InvalidPath("The path must start with an attribute name.");
            if (parser.Peek.Kind == Kind.End) return (ToPath(first.Text, ScimError.InvalidPath), null, null);
            if (parser.Peek.Kind != Kind.LeftBracket) throw ScimError.InvalidPath("Unexpected text after the attribute name.");
            var attribute = ToPath(first.Text, ScimError.InvalidPath);
            if (attribute.Sub is not null) throw ScimError.InvalidPath("A value filter follows a multi-valued attribute, not a sub-attribute.");
            parser.Next();
            var filter = parser.ParseOr();
            parser.Expect(Kind.RightBracket);
            string? sub = null;
            if (parser.Peek.Kind == Kind.Word && parser.Peek.Text.StartsWith('.'))
            {
                sub = parser.Next().Text[1..];
                if (!IsName(sub)) throw ScimError.InvalidPath("The sub-attribute after the filter is not a valid name.");
            }

            if (parser.Peek.Kind != Kind.End) throw ScimError.InvalidPath("Unexpected text at the end of the path.");
            return (attribute, filter, sub);
        }
        catch (ScimError e) when (e.ScimType == "invalidFilter")
        {
            throw ScimError.InvalidPath(e.Detail);
        }
    }

    private Token Peek => tokens[position];

    private Token Next() => tokens[position++];

    private void Expect(Kind kind)
    {
        var token = Next();
        if (token.Kind != kind) throw ScimError.InvalidFilter(token.Kind == Kind.End ? "The filter ends too early." : $"Unexpected '{token.Text}' at position {token.Offset + 1}.");
    }

    private bool IsKeyword(string keyword) => Peek.Kind == Kind.Word && Peek.Text.Equals(keyword, StringComparison.OrdinalIgnoreCase);

    private ScimFilter ParseOr()
    {
        if (++depth > MaxDepth) throw ScimError.InvalidFilter("The filter is nested too deeply.");
        var left = ParseAnd();
        while (IsKeyword("or"))
        {
            Next();
            left = new Or(left, ParseAnd());
        }

        depth--;
        return left;
    }

    private ScimFilter ParseAnd()
    {
        var left = ParseUnary();
        while (IsKeyword("and"))
        {
            Next();
            left = new And(left, ParseUnary());
        }

        return left;
    }

    private ScimFilter ParseUnary()
    {
        if (IsKeyword("not"))
        {
            Next();
            Expect(Kind.LeftParen);
            var inner = ParseOr();
            Expect(Kind.RightParen);
            return new Not(inner);
        }

        if (Peek.Kind == Kind.LeftParen)
        {
            Next();
            var inner = ParseOr();
            Expect(Kind.RightParen);
            return inner;
        }

        var name = Next();
        if (name.Kind != Kind.Word) throw ScimError.InvalidFilter(name.Kind == Kind.End ? "The filter ends too early." : $"Expected an attribute at position {name.Offset + 1}.");
        var path = ToPath(name.Text, ScimError.InvalidFilter);
        if (Peek.Kind == Kind.LeftBracket)
        {
            if (path.Sub is not null) throw ScimError.InvalidFilter("A value filter follows a multi-valued attribute, not a sub-attribute.");
            Next();
            var inner = ParseOr();
            Expect(Kind.RightBracket);
            return new ValuePath(path, inner);
        }

        var op = Next();
        if (op.Kind != Kind.Word) throw ScimError.InvalidFilter($"Expected an operator after '{name.Text}'.");
        var lower = op.Text.ToLowerInvariant();
        if (lower == "pr") return new Comparison(path, "pr", null);
        if (!Operators.Contains(lower)) throw ScimError.InvalidFilter($"'{Clip(op.Text)}' is not a filter operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr).");
        return new Comparison(path, lower, Value(Next()));
    }

    private static JsonValue? Value(Token token)
    {
        switch (token.Kind)
        {
            case Kind.String:
                return JsonValue.Create(token.Text);
            case Kind.Word when token.Text.Equals("true", StringComparison.OrdinalIgnoreCase):
                return JsonValue.Create(true);
            case Kind.Word when token.Text.Equals("false", StringComparison.OrdinalIgnoreCase):
                return JsonValue.Create(false);
            case Kind.Word when token.Text.Equals("null", StringComparison.OrdinalIgnoreCase):
                return null;
            case Kind.Word when decimal.TryParse(token.Text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number):
                return JsonValue.Create(number);
            default:
                throw ScimError.InvalidFilter(token.Kind == Kind.End ? "A comparison lacks its value." : $"'{Clip(token.Text)}' is not a value: strings are in double quotes.");
        }
    }

    /// <summary><c>[URI ":"] ATTRNAME *1subAttr</c>; a URN is everything up to the last ':'.</summary>
    private static AttrPath ToPath(string text, Func<string, ScimError> error)
    {
        string? urn = null;
        var rest = text;
        if (text.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            var colon = text.LastIndexOf(':');
            urn = text[..colon];
            rest = text[(colon + 1)..];
        }

        var parts = rest.Split('.');
        if (parts.Length > 2 || !parts.All(IsName)) throw error($"'{Clip(text)}' is not an attribute path.");
        return new AttrPath(urn, parts[0], parts.Length == 2 ? parts[1] : null);
    }

    private static bool IsName(string name) =>
        name.Length is > 0 and <= 64 && (char.IsAsciiLetter(name[0]) || name == "$ref") && name.Skip(1).All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' || (name == "$ref"));

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static List<Token> Tokenize(string text)
    {
        if (text.Length > MaxLength) throw ScimError.InvalidFilter($"The filter is longer than {MaxLength} characters.");
        var list = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                i++;
                continue;
            }

            switch (c)
            {
                case '(': list.Add(new Token(Kind.LeftParen, "(", i++)); continue;
                case ')': list.Add(new Token(Kind.RightParen, ")", i++)); continue;
                case '[': list.Add(new Token(Kind.LeftBracket, "[", i++)); continue;
                case ']': list.Add(new Token(Kind.RightBracket, "]", i++)); continue;
                case '"':
                    list.Add(new Token(Kind.String, ReadString(text, ref i), i));
                    continue;
            }

            var start = i;
            while (i < text.Length && text[i] is not (' ' or '\t' or '\r' or '\n' or '(' or ')' or '[' or ']' or '"')) i++;
            list.Add(new Token(Kind.Word, text[start..i], start));
        }

        list.Add(new Token(Kind.End, "", text.Length));
        return list;
    }

    /// <summary>A JSON string (RFC 7644: "compValue ... string = JSON string"), escapes included.</summary>
    private static string ReadString(string text, ref int i)
    {
        var start = i++;
        var escaped = false;
        while (i < text.Length)
        {
            var c = text[i++];
            if (escaped)
            {
                escaped = false;
                continue;
            }

            if (c == '\\') escaped = true;
            else if (c == '"')
            {
                try
                {
                    return JsonSerializer.Deserialize<string>(text.AsSpan(start, i - start))!;
                }
                catch (JsonException)
                {
                    throw ScimError.InvalidFilter($"The string at position {start + 1} is not a valid JSON string.");
                }
            }
        }

        throw ScimError.InvalidFilter($"The string at position {start + 1} is not closed.");
    }
}
