using Meshwork.Config.Validation.Telemetry;

namespace Meshwork.Config.Tests.Validation.Telemetry;

public sealed class CelSyntaxTests
{
    [Theory]
    [InlineData("true")]
    [InlineData("1 + 2 * 3 - -4 % 5 / 6")]
    [InlineData("!!false || null == null && 1u != 2u")]
    [InlineData("a ? b : c ? d : e")]
    [InlineData("'single' + \"double\" + r'raw\\d' + b'bytes' + '''tri\nple''' + \"esc\\n\\t\\x41\\u00e9\\U0001F600\\101\"")]
    [InlineData("0x1F + 1e3 + .5 + 2.5e-3 + 0xFFu")]
    [InlineData("-9223372036854775808")]
    [InlineData("[1, 2, 3,] + [] == [1, 2, 3]")]
    [InlineData("{'a': 1, 'b': 2,}['a'] in [1]")]
    [InlineData("google.protobuf.Duration{seconds: 5,}.seconds > 0")]
    [InlineData(".global.name")]
    [InlineData("size(request.headers) > 0 && request.path.startsWith('/api')")]
    [InlineData("request.headers.exists(h, h == 'x-debug')")]
    [InlineData("[1, 2].map(x, x > 1, x * 2).all(y, y > 0)")]
    [InlineData("has(a.b.c) && has(a[0].b)")]
    [InlineData("a // a comment\n  .b")]
    public void Error_ValidExpression_IsNull(string expression)
    {
        Assert.Null(CelSyntax.Error(expression));
    }

    [Theory]
    [InlineData("", "syntax error at 1:1: unexpected end of expression")]
    [InlineData("1 +", "syntax error at 1:4: unexpected end of expression")]
    [InlineData("(1 + 2", "syntax error at 1:7: unexpected end of expression, expected \")\"")]
    [InlineData("a b", "syntax error at 1:3: unexpected \"b\"")]
    [InlineData("a & b", "syntax error at 1:3: token recognition error at: '&'")]
    [InlineData("'unterminated", "syntax error at 1:1: unterminated string literal")]
    [InlineData("'bad \\q escape'", "syntax error at 1:6: invalid escape sequence \"\\q\"")]
    [InlineData("9223372036854775808", "syntax error at 1:1: invalid int literal 9223372036854775808")]
    [InlineData("18446744073709551616u", "syntax error at 1:1: invalid uint literal 18446744073709551616u")]
    [InlineData("1e999", "syntax error at 1:1: invalid double literal 1e999")]
    [InlineData("if == 1", "syntax error at 1:1: reserved identifier: if")]
    [InlineData("has(a)", "syntax error at 1:1: invalid argument to has() macro")]
    [InlineData("x.all(a.b, true)", "syntax error at 1:3: argument must be a simple name")]
    [InlineData("!-a", "syntax error at 1:2: unexpected \"-\"")]
    [InlineData("a ? b", "syntax error at 1:6: unexpected end of expression, expected \":\"")]
    [InlineData("f(1,)", "syntax error at 1:5: unexpected \")\"")]
    [InlineData("a.b{c: 1}.d{e: 2}", "syntax error at 1:12: unexpected \"{\"")]
    [InlineData("a\n  + ", "syntax error at 2:5: unexpected end of expression")]
    public void Error_InvalidExpression_SaysWhereAndWhat(string expression, string message)
    {
        Assert.Equal(message, CelSyntax.Error(expression));
    }
}
