namespace Meshwork.Config.Validation.Telemetry;

/// <summary>
/// A syntax check for CEL (github.com/google/cel-spec, langdef.md), standing in for Istio's
/// cel-go <c>Env.Parse</c> on access log filters: tokens, the expression grammar, literal ranges
/// and the parse-time macro rules (<c>has()</c> takes a field selection, comprehension variables
/// are simple names). Types and function names are not checked, as Parse does not check them.
/// </summary>
public static partial class CelSyntax
{
    private static readonly HashSet<string> Reserved =
    [
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
        "loop", "package", "namespace", "return", "var", "void", "while",
    ];

    private static readonly HashSet<string> Comprehensions = ["all", "exists", "exists_one", "map", "filter"];

    /// <summary>Null when <paramref name="expression"/> parses, else <c>syntax error at LINE:COLUMN: ...</c>.</summary>
    public static string? Error(string expression)
    {
        try
        {
            var parser = new Parser(Lexer.Tokenize(expression));
            parser.ParseAll();
            return null;
        }
        catch (CelSyntaxException e)
        {
            return $"syntax error at {e.Line}:{e.Column}: {e.Message}";
        }
    }

    private sealed class CelSyntaxException(string message, int line, int column) : Exception(message)
    {
        public int Line { get; } = line;

        public int Column { get; } = column;
    }

    private enum TokenKind
    {
        Identifier,
        Int,
        Uint,
        Double,
        String,
        Literal,
        Punct,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Line, int Column)
    {
        public bool Is(string punct) => Kind == TokenKind.Punct && Text == punct;

        public string Describe() => Kind == TokenKind.End ? "end of expression" : $"\"{Text}\"";
    }

    private enum Shape
    {
        Other,
        Identifier,
        QualifiedName,
        Selection,
    }
}
